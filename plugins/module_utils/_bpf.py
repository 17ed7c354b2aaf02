# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Classic-BPF seccomp programs run as the kernel runs them, counting instructions.

``run(program, nr, arch, args)`` executes a program (the bytes libseccomp exports: 8 bytes
per instruction, ``struct sock_filter`` in the host's byte order) against a ``seccomp_data``
and returns the return value and the number of instructions executed: a figure of what the
filter costs a call that does not depend on a noisy machine.

``constant_allow(program, nr, arch)`` is the kernel's own test (``seccomp_is_const_allow``,
Linux 5.11 and later) of whether a call's answer is ALLOW whatever its arguments: then the
kernel caches it per architecture and never runs the filter for that call. It emulates the
program knowing only ``nr`` and ``arch``: a load of anything else, or an instruction other
than a load, a conditional jump on a constant, ``ja``, an ``and`` with a constant or a return,
means "not constant".

Only the instructions the kernel accepts in a seccomp filter are run (``seccomp_check_filter``);
any other is an error, as is a jump out of the program, a division by zero or a program that
does not end in a return.
"""

import struct

# opcode classes and fields (linux/filter.h, linux/bpf_common.h)
LD, LDX, ST, STX, ALU, JMP, RET, MISC = 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07
W, ABS, IMM, MEM, LEN = 0x00, 0x20, 0x00, 0x60, 0x80
K, X = 0x00, 0x08
ADD, SUB, MUL, DIV, OR, AND, LSH, RSH, NEG, MOD, XOR = 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0
JA, JEQ, JGT, JGE, JSET = 0x00, 0x10, 0x20, 0x30, 0x40
A_SRC = 0x10                # BPF_RET | BPF_A
TAX, TXA = 0x00, 0x80
SECCOMP_RET_ALLOW = 0x7fff0000
SECCOMP_DATA_LEN = 64       # nr, arch, instruction_pointer, args[6]
MASK = 0xffffffff


class BPFError(ValueError):
    """The program cannot be run: an instruction the kernel refuses, a jump out, no return."""


def decode(program):
    """[(code, jt, jf, k)] of a program's bytes."""
    if len(program) % 8:
        raise BPFError('a program is whole 8-byte instructions; this one has %d bytes' % len(program))
    return [struct.unpack('=HBBI', program[i:i + 8]) for i in range(0, len(program), 8)]


def seccomp_data(nr, arch, args=(), ip=0):
    """The bytes a filter loads from: nr, arch, instruction pointer, six arguments (u64)."""
    args = list(args) + [0] * (6 - len(args))
    return struct.pack('=iIQ6Q', nr, arch, ip, *[a & 0xffffffffffffffff for a in args[:6]])


def _alu(op, a, operand):
    if op == ADD:
        return (a + operand) & MASK
    if op == SUB:
        return (a - operand) & MASK
    if op == MUL:
        return (a * operand) & MASK
    if op in (DIV, MOD):
        if operand == 0:
            raise BPFError('division by zero')
        return a // operand if op == DIV else a % operand
    if op == OR:
        return a | operand
    if op == AND:
        return a & operand
    if op == LSH:
        return (a << operand) & MASK if operand < 32 else 0
    if op == RSH:
        return a >> operand if operand < 32 else 0
    if op == XOR:
        return a ^ operand
    raise BPFError('ALU operation 0x%02x is not one a seccomp filter may use' % op)


def _jump(op, a, operand):
    if op == JEQ:
        return a == operand
    if op == JGT:
        return a > operand
    if op == JGE:
        return a >= operand
    if op == JSET:
        return bool(a & operand)
    raise BPFError('jump 0x%02x is not one a seccomp filter may use' % op)


def run(program, nr, arch, args=(), ip=0):
    """(return value, instructions executed) of ``program`` for this call."""
    insns = decode(program) if isinstance(program, (bytes, bytearray)) else program
    data = seccomp_data(nr, arch, args, ip)
    a = x = 0
    mem = [0] * 16
    pc = count = 0
    while 0 <= pc < len(insns):
        code, jt, jf, k = insns[pc]
        count += 1
        cls = code & 0x07
        if cls == RET:
            return (a if code & 0x18 == A_SRC else k), count
        if cls in (LD, LDX):
            mode = code & 0xe0
            if mode == ABS and cls == LD and code & 0x18 == W:
                if k % 4 or k + 4 > SECCOMP_DATA_LEN:
                    raise BPFError('a load at offset %d is outside seccomp_data or not aligned' % k)
                value = struct.unpack_from('=I', data, k)[0]
            elif mode == IMM:
                value = k
            elif mode == MEM and k < 16:
                value = mem[k]
            elif mode == LEN:
                value = SECCOMP_DATA_LEN
            else:
                raise BPFError('load 0x%02x is not one a seccomp filter may use' % code)
            if cls == LD:
                a = value
            else:
                x = value
        elif cls in (ST, STX):
            if k >= 16:
                raise BPFError('a store to scratch word %d (there are 16)' % k)
            mem[k] = a if cls == ST else x
        elif cls == ALU:
            op = code & 0xf0
            a = (-a) & MASK if op == NEG else _alu(op, a, x if code & X else k)
        elif cls == JMP:
            op = code & 0xf0
            if op == JA:
                pc += k
            else:
                pc += jt if _jump(op, a, x if code & X else k) else jf
        elif cls == MISC:
            if code & 0xf8 == TAX:
                x = a
            elif code & 0xf8 == TXA:
                a = x
            else:
                raise BPFError('misc 0x%02x is not one a seccomp filter may use' % code)
        pc += 1
    raise BPFError('the program ran past its end without a return')


def constant_allow(program, nr, arch):
    """Whether the kernel caches this call as allowed whatever its arguments (seccomp_is_const_allow)."""
    insns = decode(program) if isinstance(program, (bytes, bytearray)) else program
    reg = 0
    pc = 0
    while 0 <= pc < len(insns):
        code, jt, jf, k = insns[pc]
        if code == LD | W | ABS:
            if k == 0:
                reg = nr & MASK
            elif k == 4:
                reg = arch
            else:
                return False
        elif code == RET | K:
            return k == SECCOMP_RET_ALLOW
        elif code == JMP | JA:
            pc += k
        elif code in (JMP | JEQ | K, JMP | JGE | K, JMP | JGT | K, JMP | JSET | K):
            pc += jt if _jump(code & 0xf0, reg, k) else jf
        elif code == ALU | AND | K:
            reg &= k
        else:
            return False
        pc += 1
    return False
