# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The target host's libseccomp: resolve syscall names per architecture and compile
classic-BPF programs.

Two backends with one interface: the official ``seccomp`` Python binding when it
imports, else ctypes on ``libseccomp.so.2``.  Only the standard library is used.
"""

import ctypes
import ctypes.util
import os
import tempfile

ACTION_BITS = {
    'SCMP_ACT_KILL': 0x00000000,
    'SCMP_ACT_KILL_THREAD': 0x00000000,
    'SCMP_ACT_KILL_PROCESS': 0x80000000,
    'SCMP_ACT_TRAP': 0x00030000,
    'SCMP_ACT_ERRNO': 0x00050000,
    'SCMP_ACT_TRACE': 0x7ff00000,
    'SCMP_ACT_LOG': 0x7ffc0000,
    'SCMP_ACT_NOTIFY': 0x7fc00000,
    'SCMP_ACT_ALLOW': 0x7fff0000,
}
OP_VALUES = {
    'SCMP_CMP_NE': 1, 'SCMP_CMP_LT': 2, 'SCMP_CMP_LE': 3, 'SCMP_CMP_EQ': 4,
    'SCMP_CMP_GE': 5, 'SCMP_CMP_GT': 6, 'SCMP_CMP_MASKED_EQ': 7,
}
ATTR_CTL_OPTIMIZE = 8   # SCMP_FLTATR_CTL_OPTIMIZE
OPTIMIZE_PRIORITY = 1   # libseccomp's default, what runc and crun load
OPTIMIZE_BINARY_TREE = 2
# The kernel refuses a classic-BPF seccomp program longer than this (BPF_MAXINSNS).
BPF_MAXINSNS = 4096


class LibseccompError(Exception):
    pass


def action_value(action, errno=None):
    bits = ACTION_BITS[action]
    if action in ('SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE'):
        bits |= (errno or 0) & 0xffff
    return bits


def as_c_int(value):
    """An action value as the C ``int`` the binding's Cython signatures take:
    SCMP_ACT_KILL_PROCESS (0x80000000) has the top bit set and goes in as -2147483648,
    which is the same 32 bits (the binding's own ``seccomp.KILL_PROCESS`` is that number)."""
    value &= 0xffffffff
    return value - (1 << 32) if value & 0x80000000 else value


def runc_stub_reserve(default_action, arches):
    """Instructions runc puts in front of libseccomp's program (its -ENOSYS stub for
    syscalls newer than the profile), as measured with runc 1.1.5 on this project's
    lab machine: none for a SCMP_ACT_ALLOW default, 14 for x86_64+x86+x32 and at most
    10 for x86_64 alone otherwise.  The reserve errs on the long side."""
    if default_action == 'SCMP_ACT_ALLOW':
        return 0
    return 8 + 4 * len(arches)


def lib_arch_name(arch):
    """SCMP_ARCH_X86_64 -> 'x86_64' (libseccomp's own arch names)."""
    return arch[len('SCMP_ARCH_'):].lower()


def split_same_index(args):
    """runc turns several conditions on one argument index into separate rules (ORed);
    do the same so the compiled program matches what runc loads."""
    by_index = {}
    for arg in args:
        by_index.setdefault(arg['index'], []).append(arg)
    if all(len(v) == 1 for v in by_index.values()):
        return [args]
    return [[arg] for arg in args]


class _Backend(object):
    name = None

    def arch_known(self, arch):
        raise NotImplementedError

    def resolve(self, arch, syscall):
        """Syscall number on that arch; negative when it does not exist there."""
        raise NotImplementedError

    def syscall_name(self, audit_arch, nr):
        """The name of syscall ``nr`` on an arch given by its audit value (the ``arch=`` of an
        audit record, which is libseccomp's arch token); None when unknown."""
        raise NotImplementedError

    def _new(self, default_action, default_errno, arches, optimize=OPTIMIZE_BINARY_TREE, keep_native=False):
        raise NotImplementedError

    def compile_bpf(self, default_action, default_errno, arches, rules, optimize=OPTIMIZE_BINARY_TREE,
                    keep_native=False):
        """Compile a filter for ``arches`` and return the classic-BPF bytes.

        The defaults give the program written for bwrap (binary tree, only the listed
        arches).  ``optimize=OPTIMIZE_PRIORITY, keep_native=True`` builds the filter the
        way runc does from a JSON profile: libseccomp's default optimisation, the host's
        native arch always in it, every listed arch added to the same one filter."""
        ctx = self._new(default_action, default_errno, arches, optimize, keep_native)
        try:
            for rule in rules:
                value = action_value(rule['action'], rule.get('errno'))
                for group in split_same_index(rule['args']):
                    for name in rule['names']:
                        if all(self.resolve(a, name) < 0 for a in arches):
                            continue   # not on any arch of this program
                        try:
                            self._add_rule(ctx, value, name, group)
                        except LibseccompError as exc:
                            raise LibseccompError('libseccomp refused the rule for %r (%s): %s'
                                                  % (name, rule['action'], exc))
            return self._export(ctx)
        finally:
            self._release(ctx)

    def _release(self, ctx):
        pass

    def consumer_length(self, default_action, default_errno, arches, rules):
        """Instructions of the program runc loads for a JSON profile: ONE filter covering
        the native arch and every listed arch, libseccomp's default optimisation, plus
        runc's stub (see runc_stub_reserve)."""
        data = self.compile_bpf(default_action, default_errno, arches, rules, optimize=OPTIMIZE_PRIORITY,
                                keep_native=True)
        return len(data) // 8 + runc_stub_reserve(default_action, arches)


class BindingBackend(_Backend):
    """The official libseccomp Python binding (Debian: python3-seccomp)."""

    name = 'binding'

    def __init__(self, module):
        self.m = module

    def version(self):
        # The binding does not expose seccomp_version(); ask the library it is linked with.
        try:
            return CtypesBackend(ctypes.CDLL('libseccomp.so.2')).version()
        except (OSError, AttributeError):
            return 'unknown'

    def _arch(self, arch):
        return self.m.Arch(lib_arch_name(arch))

    def arch_known(self, arch):
        try:
            self._arch(arch)
            return True
        except Exception:
            return False

    def resolve(self, arch, syscall):
        try:
            return int(self.m.resolve_syscall(self._arch(arch), syscall))
        except Exception:
            return -1

    def syscall_name(self, audit_arch, nr):
        arch = int(audit_arch) & 0xffffffff
        # the binding passes the token as a C int: tokens with the top bit set go in signed
        signed = arch - (1 << 32) if arch & 0x80000000 else arch
        try:
            name = self.m.resolve_syscall(signed, int(nr))
        except Exception:
            return None
        if isinstance(name, bytes):
            name = name.decode('ascii', 'replace')
        return name or None

    def _token(self, arch):
        # The binding hands out arch tokens signed in some places, unsigned in others.
        return int(self._arch(arch)) & 0xffffffff

    def _new(self, default_action, default_errno, arches, optimize=OPTIMIZE_BINARY_TREE, keep_native=False):
        try:
            f = self.m.SyscallFilter(as_c_int(action_value(default_action, default_errno)))
            native = int(self.m.system_arch()) & 0xffffffff
            for arch in arches:
                if self._token(arch) != native:
                    f.add_arch(self._arch(arch))
            if native not in [self._token(a) for a in arches] and not keep_native:
                f.remove_arch(self.m.Arch.NATIVE)
            f.set_attr(self.m.Attr.CTL_OPTIMIZE, optimize)
        except Exception as exc:
            raise LibseccompError('creating the filter failed: %s' % exc)
        return f

    def _add_rule(self, f, value, name, args):
        cmp_args = [self.m.Arg(a['index'], OP_VALUES[a['op']], a['value'], a['value_two']) for a in args]
        try:
            f.add_rule(as_c_int(value), name, *cmp_args)
        except Exception as exc:
            raise LibseccompError(str(exc))

    def _export(self, f):
        with tempfile.TemporaryFile() as fh:
            try:
                f.export_bpf(fh)
            except Exception as exc:
                raise LibseccompError('exporting the BPF program failed: %s' % exc)
            fh.seek(0)
            return fh.read()


class _ArgCmp(ctypes.Structure):
    _fields_ = [('arg', ctypes.c_uint), ('op', ctypes.c_int),
                ('datum_a', ctypes.c_uint64), ('datum_b', ctypes.c_uint64)]


class _Version(ctypes.Structure):
    _fields_ = [('major', ctypes.c_uint), ('minor', ctypes.c_uint), ('micro', ctypes.c_uint)]


class CtypesBackend(_Backend):
    """ctypes on libseccomp.so.2, for hosts without the binding."""

    name = 'ctypes'

    def __init__(self, lib):
        self.lib = lib
        lib.seccomp_init.restype = ctypes.c_void_p
        lib.seccomp_init.argtypes = [ctypes.c_uint32]
        lib.seccomp_release.argtypes = [ctypes.c_void_p]
        lib.seccomp_arch_resolve_name.restype = ctypes.c_uint32
        lib.seccomp_arch_resolve_name.argtypes = [ctypes.c_char_p]
        lib.seccomp_arch_native.restype = ctypes.c_uint32
        lib.seccomp_arch_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        lib.seccomp_arch_remove.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        lib.seccomp_syscall_resolve_name_rewrite.argtypes = [ctypes.c_uint32, ctypes.c_char_p]
        lib.seccomp_syscall_resolve_name_rewrite.restype = ctypes.c_int
        lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
        lib.seccomp_syscall_resolve_name.restype = ctypes.c_int
        lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                               ctypes.c_uint, ctypes.POINTER(_ArgCmp)]
        lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
        lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.seccomp_version.restype = ctypes.POINTER(_Version)
        lib.seccomp_syscall_resolve_num_arch.argtypes = [ctypes.c_uint32, ctypes.c_int]
        lib.seccomp_syscall_resolve_num_arch.restype = ctypes.c_void_p

    def version(self):
        v = self.lib.seccomp_version().contents
        return '%d.%d.%d' % (v.major, v.minor, v.micro)

    def _token(self, arch):
        return self.lib.seccomp_arch_resolve_name(lib_arch_name(arch).encode())

    def arch_known(self, arch):
        return self._token(arch) != 0

    def resolve(self, arch, syscall):
        token = self._token(arch)
        if not token:
            return -1
        # The rewrite variant, as the binding and runc's rule adding use: a call that an
        # arch reaches only through a multiplexer (recv via socketcall on x86) exists there.
        return self.lib.seccomp_syscall_resolve_name_rewrite(token, syscall.encode())

    def syscall_name(self, audit_arch, nr):
        ptr = self.lib.seccomp_syscall_resolve_num_arch(int(audit_arch) & 0xffffffff, int(nr))
        if not ptr:
            return None
        try:
            return ctypes.string_at(ptr).decode('ascii', 'replace')
        finally:
            libc = ctypes.CDLL(ctypes.util.find_library('c'))
            libc.free.argtypes = [ctypes.c_void_p]
            libc.free(ptr)

    def _check(self, rc, what):
        if rc < 0:
            raise LibseccompError('%s failed: %s' % (what, os.strerror(-rc)))

    def _new(self, default_action, default_errno, arches, optimize=OPTIMIZE_BINARY_TREE, keep_native=False):
        ctx = self.lib.seccomp_init(action_value(default_action, default_errno))
        if not ctx:
            raise LibseccompError('seccomp_init failed')
        native = self.lib.seccomp_arch_native()
        tokens = [self._token(a) for a in arches]
        for token in tokens:
            if token != native:
                self._check(self.lib.seccomp_arch_add(ctx, token), 'seccomp_arch_add')
        if native not in tokens and not keep_native:
            self._check(self.lib.seccomp_arch_remove(ctx, native), 'seccomp_arch_remove')
        self._check(self.lib.seccomp_attr_set(ctx, ATTR_CTL_OPTIMIZE, optimize), 'seccomp_attr_set')
        return ctx

    def _add_rule(self, ctx, value, name, args):
        nr = self.lib.seccomp_syscall_resolve_name(name.encode())
        arr = (_ArgCmp * max(1, len(args)))()
        for i, a in enumerate(args):
            arr[i] = _ArgCmp(a['index'], OP_VALUES[a['op']], a['value'], a['value_two'])
        rc = self.lib.seccomp_rule_add_array(ctx, value, nr, len(args), arr)
        if rc < 0:
            raise LibseccompError(os.strerror(-rc))

    def _export(self, ctx):
        with tempfile.TemporaryFile() as fh:
            rc = self.lib.seccomp_export_bpf(ctx, fh.fileno())
            self._check(rc, 'seccomp_export_bpf')
            fh.seek(0)
            return fh.read()

    def _release(self, ctx):
        self.lib.seccomp_release(ctx)


def load(prefer=None):
    """Return a backend, or raise LibseccompError with one clear sentence."""
    errors = []
    if prefer in (None, 'binding'):
        try:
            import seccomp as binding  # pylint: disable=import-outside-toplevel
            return BindingBackend(binding)
        except ImportError as exc:
            errors.append('python binding: %s' % exc)
    if prefer in (None, 'ctypes'):
        for name in ('libseccomp.so.2', ctypes.util.find_library('seccomp')):
            if not name:
                continue
            try:
                return CtypesBackend(ctypes.CDLL(name, use_errno=True))
            except (OSError, AttributeError) as exc:
                errors.append('%s: %s' % (name, exc))
    raise LibseccompError('libseccomp is not available on this host (install libseccomp2, and python3-seccomp '
                          'for the binding): %s' % '; '.join(errors))
