# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shipped seccomp presets (runtime-default, hardened, no-exec, allowlist) as rules in
the internal form of _seccomp_spec (``{'names', 'action', 'errno', 'args'}``).

docs/seccomp-presets.md explains what each blocks and what breaks.
"""

import re

from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_defaults as defaults
from ansible_collections.confine.hardening.plugins.module_utils._common import SpecError

# clone(2) namespace flags.  CLONE_NEWTIME (0x80) overlaps the exit-signal byte of
# clone(2) and exists only for clone3(2) and unshare(2), which the presets deny whole.
CLONE_NS_FLAGS = (
    ('CLONE_NEWNS', 0x00020000),
    ('CLONE_NEWCGROUP', 0x02000000),
    ('CLONE_NEWUTS', 0x04000000),
    ('CLONE_NEWIPC', 0x08000000),
    ('CLONE_NEWUSER', 0x10000000),
    ('CLONE_NEWPID', 0x20000000),
    ('CLONE_NEWNET', 0x40000000),
)
CLONE_NS_MASK = 0x7E020000
EPERM = 1
ENOSYS = 38
AF_ALG = 38
AF_VSOCK = 40

# The hardened deny list: (names, errno, why).  docs/seccomp-presets.md explains each.
HARDENED_DENY = (
    (('ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'pidfd_getfd', 'process_madvise'),
     EPERM, 'inspect or alter another process'),
    (('keyctl', 'add_key', 'request_key'), EPERM, 'kernel keyrings are not namespaced'),
    (('bpf', 'perf_event_open', 'userfaultfd', 'io_uring_setup', 'io_uring_enter',
      'io_uring_register', 'lookup_dcookie'), EPERM, 'large kernel attack surfaces used by exploits'),
    (('mount', 'umount', 'umount2', 'pivot_root', 'fsopen', 'fsconfig', 'fsmount', 'fspick',
      'move_mount', 'open_tree', 'mount_setattr'), EPERM, 'mount table changes and the new mount API'),
    (('unshare', 'setns'), EPERM, 'new or foreign namespaces'),
    (('open_by_handle_at',), EPERM, 'file handles bypass the container root (the "shocker" escape)'),
    (('create_module', 'init_module', 'finit_module', 'delete_module', 'get_kernel_syms',
      'query_module'), EPERM, 'kernel modules'),
    (('kexec_load', 'kexec_file_load', 'reboot'), EPERM, 'replacing or stopping the kernel'),
    (('iopl', 'ioperm', 'modify_ldt', 'vm86', 'vm86old'), EPERM, 'raw port I/O and legacy x86 surfaces'),
    (('swapon', 'swapoff', 'acct', 'quotactl', 'quotactl_fd', 'syslog', 'vhangup', 'nfsservctl',
      'settimeofday', 'clock_settime', 'stime', 'fanotify_init', 'move_pages', 'migrate_pages'),
     EPERM, 'host-wide state: swap, accounting, quotas, kernel log, clocks, other processes\' memory'),
)
NO_EXEC_DENY = ('execve', 'execveat')
NO_EXEC_FORK = ('fork', 'vfork', 'clone', 'clone3')
# deny_processes: no new process, threads kept. fork and vfork whole; clone unless its
# flags carry CLONE_THREAD (a thread of this process); clone3 keeps its ENOSYS, so libc
# falls back to clone, where the rule applies.
NEW_PROCESS_DENY = ('fork', 'vfork')
CLONE_THREAD = 0x00010000
NO_EXEC_PERSONALITY = ('uselib', 'personality')


def _rule(names, action, errno=None, args=None):
    return {'names': list(names), 'action': action, 'errno': errno, 'args': list(args or [])}


def _clone_flag_index(arches):
    s390 = set(a for a in arches if a in ('SCMP_ARCH_S390', 'SCMP_ARCH_S390X'))
    if s390 and len(s390) != len(arches):
        raise SpecError('architectures', 'clone argument rules cannot mix s390/s390x (flags in argument 1) '
                                         'with other architectures (flags in argument 0); render one profile per family')
    return 1 if s390 else 0


def _hardened_rules(arches):
    rules = [_rule(names, 'SCMP_ACT_ERRNO', errno) for names, errno, _why in HARDENED_DENY]
    index = _clone_flag_index(arches)
    # One rule per namespace flag: deny when (flags & FLAG) == FLAG.  The rules are
    # ORed, so any namespace flag is denied while plain fork() and threads pass.
    for _name, flag in CLONE_NS_FLAGS:
        rules.append(_rule(['clone'], 'SCMP_ACT_ERRNO', EPERM,
                           [{'index': index, 'value': flag, 'value_two': flag, 'op': 'SCMP_CMP_MASKED_EQ'}]))
    # clone3 passes its flags in memory, out of seccomp's reach: ENOSYS makes libc
    # fall back to clone(2), where the rules above apply.
    rules.append(_rule(['clone3'], 'SCMP_ACT_ERRNO', ENOSYS))
    for family in (AF_ALG, AF_VSOCK):
        rules.append(_rule(['socket'], 'SCMP_ACT_ERRNO', EPERM,
                           [{'index': 0, 'value': family, 'value_two': 0, 'op': 'SCMP_CMP_EQ'}]))
    return rules


def _process_rules(arches, options):
    """deny_processes: fork and vfork denied, clone denied when (flags & CLONE_THREAD) == 0."""
    if not options.get('deny_processes'):
        return []
    return [_rule(NEW_PROCESS_DENY, 'SCMP_ACT_ERRNO', EPERM),
            _rule(['clone'], 'SCMP_ACT_ERRNO', EPERM,
                  [{'index': _clone_flag_index(arches), 'value': CLONE_THREAD, 'value_two': 0,
                    'op': 'SCMP_CMP_MASKED_EQ'}])]


def _kernel_tuple(text):
    parts = re.findall(r'\d+', text or '')[:2]
    return tuple(int(p) for p in parts) if parts else None


def _runtime_default_rules(native, kernel, default=defaults.FALLBACK):
    """Resolve a runtime default's includes/excludes (``default``, a _seccomp_defaults name) for a
    container with that runtime's default caps."""
    caps = set(defaults.caps(default))
    running = _kernel_tuple(kernel)
    rules = []
    for group in defaults.groups(default):
        if group['caps_include'] and not all(c in caps for c in group['caps_include']):
            continue
        if group['caps_exclude'] and any(c in caps for c in group['caps_exclude']):
            continue
        if group['arches_include'] and native not in group['arches_include']:
            continue
        if group['arches_exclude'] and native in group['arches_exclude']:
            continue
        if group['min_kernel']:
            wanted = _kernel_tuple(group['min_kernel'])
            # Unknown kernel: be strict and leave the gated allowance out.
            if running is None or running < wanted:
                continue
        rules.append(_rule(group['names'], group['action'], group['errno'],
                           [dict(a) for a in group['args']]))
    return rules


def preset_profile(preset, options, arches, native, kernel, runtime_default=None):
    """Return (default_action, default_errno, rules) for a preset; ``runtime_default`` is the
    _seccomp_defaults name runtime-default follows (None: the fallback, docker-20.10)."""
    options = options or {}
    if preset == 'runtime-default':
        name = runtime_default or defaults.FALLBACK
        return 'SCMP_ACT_ERRNO', defaults.default_errno(name), _runtime_default_rules(native, kernel, name)
    if preset == 'hardened':
        return 'SCMP_ACT_ALLOW', None, _hardened_rules(arches) + _process_rules(arches, options)
    if preset == 'no-exec':
        rules = _hardened_rules(arches) + [_rule(NO_EXEC_DENY, 'SCMP_ACT_ERRNO', EPERM)] + _process_rules(arches, options)
        if options.get('deny_fork'):
            rules = [r for r in rules if not (set(r['names']) & set(NO_EXEC_FORK))]
            rules.append(_rule(NO_EXEC_FORK, 'SCMP_ACT_ERRNO', EPERM))
        if options.get('deny_personality'):
            rules.append(_rule(NO_EXEC_PERSONALITY, 'SCMP_ACT_ERRNO', EPERM))
        return 'SCMP_ACT_ALLOW', None, rules
    if preset == 'allowlist':
        return 'SCMP_ACT_ERRNO', EPERM, []
    raise SpecError('preset', 'unknown preset %r' % (preset,))


def spec_preset(spec):
    """The preset a spec starts from, directly or through ``base`` (None)."""
    while isinstance(spec, dict) and isinstance(spec.get('base'), dict) and spec.get('preset') is None:
        spec = spec['base']
    return spec.get('preset') if isinstance(spec, dict) else None


def preset_names(spec, runtime_default=None):
    """Every syscall name the spec's preset (directly or through base) can name,
    across all architectures and gates (runtime-default: of the default it follows)."""
    preset = spec_preset(spec)
    if preset == 'runtime-default':
        return set(n for g in defaults.groups(runtime_default or defaults.FALLBACK) for n in g['names'])
    if preset in ('hardened', 'no-exec'):
        names = set(n for names, _e, _w in HARDENED_DENY for n in names)
        names.update(('clone', 'clone3', 'socket') + NO_EXEC_DENY + NO_EXEC_FORK + NO_EXEC_PERSONALITY)
        return names
    return set()
