# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The BPF instruction counter: hand-assembled programs with known paths (so known counts), the
kernel's constant-action test on each kind of path, programs libseccomp compiles, and the
kernel itself as the judge of what a compiled program returns."""

import ctypes
import os
import struct

import pytest

from ansible_collections.confine.hardening.plugins.module_utils import _bpf as bpf
from ansible_collections.confine.hardening.plugins.module_utils import _libseccomp as libseccomp

X86_64 = 0xc000003e
I386 = 0x40000003
ALLOW, ERRNO, KILL = 0x7fff0000, 0x00050000, 0x80000000


def asm(*insns):
    return b''.join(struct.pack('=HBBI', code, jt, jf, k) for code, jt, jf, k in insns)


LD_NR = (bpf.LD | bpf.W | bpf.ABS, 0, 0, 0)
LD_ARCH = (bpf.LD | bpf.W | bpf.ABS, 0, 0, 4)
LD_ARG0 = (bpf.LD | bpf.W | bpf.ABS, 0, 0, 16)


def jeq(k, jt, jf):
    return (bpf.JMP | bpf.JEQ | bpf.K, jt, jf, k)


def ret(k):
    return (bpf.RET | bpf.K, 0, 0, k)


# arch check; getppid (110) and read (0) allowed; socket (41) allowed for AF_UNIX only; the rest EPERM
PROGRAM = asm(
    LD_ARCH,                 # 0
    jeq(X86_64, 1, 0),       # 1
    ret(KILL),               # 2
    LD_NR,                   # 3
    jeq(110, 3, 0),          # 4 getppid -> 8
    jeq(0, 2, 0),            # 5 read -> 8
    jeq(41, 2, 0),           # 6 socket -> 9
    ret(ERRNO | 1),          # 7
    ret(ALLOW),              # 8
    LD_ARG0,                 # 9
    jeq(1, 0, 1),            # 10 AF_UNIX -> 11, else -> 12
    ret(ALLOW),              # 11
    ret(ERRNO | 97),         # 12
)


# the paths, walked by hand: getppid 0 1 3 4 8; read 0 1 3 4 5 8; socket 0 1 3 4 5 6 9 10 and 11
# or 12; any other call 0 1 3 4 5 6 7
@pytest.mark.parametrize('nr, args, want, count', [
    (110, (), ALLOW, 5),
    (0, (), ALLOW, 6),
    (41, (1,), ALLOW, 9),
    (41, (2,), ERRNO | 97, 9),
    (39, (), ERRNO | 1, 7),
])
def test_known_paths_give_known_counts(nr, args, want, count):
    assert bpf.run(PROGRAM, nr, X86_64, args) == (want, count)


def test_the_wrong_arch_is_killed_after_two_instructions_and_jumps_and_alu_count():
    assert bpf.run(PROGRAM, 110, I386) == (KILL, 3)
    prog = asm(LD_NR, (bpf.ALU | bpf.AND | bpf.K, 0, 0, 0xff), (bpf.JMP | bpf.JA, 0, 0, 1), ret(ERRNO), jeq(0x10, 0, 1),
               ret(ALLOW), ret(KILL))
    assert bpf.run(prog, 0x110, X86_64) == (ALLOW, 5)


def test_the_kernels_constant_action_test():
    # a path that ends in ALLOW on nr and arch alone is cached; one that reads an argument is not;
    # ERRNO is never cached (the kernel caches only ALLOW)
    assert bpf.constant_allow(PROGRAM, 110, X86_64)
    assert not bpf.constant_allow(PROGRAM, 41, X86_64)
    assert not bpf.constant_allow(PROGRAM, 39, X86_64)
    assert not bpf.constant_allow(PROGRAM, 110, I386)
    # any other instruction on the path (here: tax) makes it not constant
    assert not bpf.constant_allow(asm(LD_NR, (bpf.MISC | bpf.TAX, 0, 0, 0), ret(ALLOW)), 0, X86_64)


@pytest.mark.parametrize('insns, message', [
    ((LD_NR,), 'ran past its end'),
    ((jeq(0, 5, 5),), 'ran past its end'),
    (((bpf.LD | bpf.W | bpf.ABS, 0, 0, 64), ret(ALLOW)), 'outside seccomp_data'),
    (((bpf.LD | bpf.W | bpf.ABS, 0, 0, 2), ret(ALLOW)), 'not aligned'),
    (((bpf.ALU | bpf.DIV | bpf.K, 0, 0, 0), ret(ALLOW)), 'division by zero'),
    (((bpf.LD | 0x08 | bpf.ABS, 0, 0, 0), ret(ALLOW)), 'is not one a seccomp filter may use'),
])
def test_a_program_the_kernel_would_refuse_is_an_error(insns, message):
    with pytest.raises(bpf.BPFError) as err:
        bpf.run(asm(*insns), 0, X86_64)
    assert message in str(err.value)
    with pytest.raises(bpf.BPFError):
        bpf.decode(b'\x00' * 7)


def lib():
    try:
        return libseccomp.load('ctypes')
    except libseccomp.LibseccompError as exc:
        pytest.skip(str(exc))


RULES = [{'names': ['getppid', 'read', 'write', 'close', 'exit_group', 'exit'], 'action': 'SCMP_ACT_ALLOW', 'args': []},
         {'names': ['socket'], 'action': 'SCMP_ACT_ALLOW',
          'args': [{'index': 0, 'value': 1, 'value_two': 0, 'op': 'SCMP_CMP_EQ'}]}]


def test_libseccomp_programs_run_to_the_rules_verdicts():
    backend = lib()
    for optimize in (libseccomp.OPTIMIZE_PRIORITY, libseccomp.OPTIMIZE_BINARY_TREE):
        prog = backend.compile_bpf('SCMP_ACT_ERRNO', 1, ['SCMP_ARCH_X86_64'], RULES, optimize=optimize)
        getppid = backend.resolve('SCMP_ARCH_X86_64', 'getppid')
        socket = backend.resolve('SCMP_ARCH_X86_64', 'socket')
        assert bpf.run(prog, getppid, X86_64)[0] == ALLOW
        assert bpf.constant_allow(prog, getppid, X86_64)
        assert bpf.run(prog, socket, X86_64, (1,))[0] == ALLOW
        assert bpf.run(prog, socket, X86_64, (2,))[0] == ERRNO | 1
        assert not bpf.constant_allow(prog, socket, X86_64)
        assert bpf.run(prog, backend.resolve('SCMP_ARCH_X86_64', 'mount'), X86_64)[0] == ERRNO | 1


PR_SET_NO_NEW_PRIVS, SECCOMP_SET_MODE_FILTER, SYS_SECCOMP, SYS_GETPPID, SYS_SOCKET = 38, 1, 317, 110, 41


class SockFprog(ctypes.Structure):
    _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.c_void_p)]


@pytest.mark.skipif(os.uname()[4] != 'x86_64', reason='the kernel check calls x86_64 syscall numbers')
def test_the_kernel_returns_what_the_counter_says():
    """The compiled program loaded by the kernel (in a child): each call's errno is the low bits of
    the counter's return value."""
    backend = lib()
    prog = backend.compile_bpf('SCMP_ACT_ERRNO', 1, ['SCMP_ARCH_X86_64'], RULES)
    calls = [(SYS_GETPPID, ()), (SYS_SOCKET, (1, 1, 0)), (SYS_SOCKET, (2, 1, 0)), (39, ())]
    want = [bpf.run(prog, nr, X86_64, args)[0] for nr, args in calls]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            buf = ctypes.create_string_buffer(prog)
            fprog = SockFprog(len(prog) // 8, ctypes.cast(buf, ctypes.c_void_p))
            libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
            if libc.syscall(SYS_SECCOMP, SECCOMP_SET_MODE_FILTER, 0, ctypes.byref(fprog)) != 0:
                os.write(write, b'load failed')
                os._exit(1)
            out = []
            for nr, args in calls:
                rc = libc.syscall(nr, *[ctypes.c_long(a) for a in args])
                out.append('0' if rc >= 0 else str(ctypes.get_errno()))
            os.write(write, ' '.join(out).encode())
        finally:
            os._exit(0)
    os.close(write)
    got = os.read(read, 100).decode()
    os.waitpid(pid, 0)
    errnos = [('0' if w == ALLOW else str(w & 0xffff)) for w in want]
    assert got.split() == errnos, (got, want)
