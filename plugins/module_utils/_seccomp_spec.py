# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Seccomp profile specs: the vocabulary (actions, ops, arches, errnos), the checks an
argument spec cannot express (values, ranges, names, ``base`` as written), merging and
resolving into plain OCI.

Pure Python, no Ansible imports, so the controller (action plugin), the target
(module) and the unit tests share one implementation.

A *spec* is the user's mapping (name, preset or base, syscalls, remove, ...).
A *profile* is the resolved, plain OCI ``LinuxSeccomp`` mapping that Docker,
containerd and the kubelet load.  ``build_profile(spec, host)`` turns the first
into the second; ``_seccomp_oci.canonical_json(profile)`` gives the text that is
written.  The presets are in _seccomp_presets, rendered profiles are parsed in
_seccomp_oci, the module's options in _seccomp_args.
"""

import copy
import re

from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_docker_default as docker_default
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_defaults as defaults
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_presets as presets
from ansible_collections.confine.hardening.plugins.module_utils._common import NAME_RE, SpecError
from ansible_collections.confine.hardening.plugins.module_utils._seccomp_args import (  # noqa: F401 (the vocabulary)
    ACTIONS, ARG_KEYS, MODES, OPS, PRESET_OPTION_KEYS, PRESETS, RULE_KEYS, SPEC_KEYS)


# Actions that stop a call; ``mode: log`` turns each of them into SCMP_ACT_LOG.
DENYING_ACTIONS = (
    'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD',
    'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP',
)
ARCHES = (
    'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64',
    'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL',
    'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64',
    'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC',
    'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_LOONGARCH64',
)

# Host machine names (``uname -m`` / ansible_facts.architecture) -> native SCMP arch.
MACHINE_TO_ARCH = {
    'x86_64': 'SCMP_ARCH_X86_64', 'amd64': 'SCMP_ARCH_X86_64',
    'i386': 'SCMP_ARCH_X86', 'i486': 'SCMP_ARCH_X86', 'i586': 'SCMP_ARCH_X86', 'i686': 'SCMP_ARCH_X86',
    'aarch64': 'SCMP_ARCH_AARCH64', 'arm64': 'SCMP_ARCH_AARCH64',
    'armv6l': 'SCMP_ARCH_ARM', 'armv7l': 'SCMP_ARCH_ARM', 'armv8l': 'SCMP_ARCH_ARM', 'arm': 'SCMP_ARCH_ARM',
    'ppc64le': 'SCMP_ARCH_PPC64LE', 'ppc64': 'SCMP_ARCH_PPC64', 'ppc': 'SCMP_ARCH_PPC',
    's390x': 'SCMP_ARCH_S390X', 's390': 'SCMP_ARCH_S390',
    'mips': 'SCMP_ARCH_MIPS', 'mipsel': 'SCMP_ARCH_MIPSEL', 'mips64': 'SCMP_ARCH_MIPS64',
    'mips64el': 'SCMP_ARCH_MIPSEL64', 'riscv64': 'SCMP_ARCH_RISCV64',
    'loongarch64': 'SCMP_ARCH_LOONGARCH64', 'parisc': 'SCMP_ARCH_PARISC', 'parisc64': 'SCMP_ARCH_PARISC64',
}

# Linux errno values by name (fixed by the Linux ABI on the architectures we support,
# independent of the controller's own platform).
ERRNO_NAMES = {
    'EPERM': 1, 'ENOENT': 2, 'ESRCH': 3, 'EINTR': 4, 'EIO': 5, 'ENXIO': 6, 'E2BIG': 7,
    'ENOEXEC': 8, 'EBADF': 9, 'ECHILD': 10, 'EAGAIN': 11, 'ENOMEM': 12, 'EACCES': 13,
    'EFAULT': 14, 'EBUSY': 16, 'EEXIST': 17, 'EXDEV': 18, 'ENODEV': 19, 'ENOTDIR': 20,
    'EISDIR': 21, 'EINVAL': 22, 'ENFILE': 23, 'EMFILE': 24, 'ENOTTY': 25, 'EFBIG': 27,
    'ENOSPC': 28, 'ESPIPE': 29, 'EROFS': 30, 'EMLINK': 31, 'EPIPE': 32, 'ERANGE': 34,
    'ENOSYS': 38, 'ENOTSUP': 95, 'EOPNOTSUPP': 95, 'EAFNOSUPPORT': 97, 'EADDRINUSE': 98,
    'ECONNREFUSED': 111,
}
# libseccomp (2.5 and 2.6, and so runc and crun, which build their filters with it)
# refuses an errno of 4095 or more: seccomp_rule_add and seccomp_init fail with EINVAL
# (measured on the lab machine with both backends).  The kernel would clamp to 4095.
MAX_ERRNO = 4094
# Free text recorded beside a profile (owner, source): one line, bounded.
MAX_TEXT = 1024
MAX_U64 = (1 << 64) - 1
EPERM = presets.EPERM
SYSCALL_RE = re.compile(r'^[a-z_][a-z0-9_]{0,63}\Z')


# Calls that some architectures do not have (arm64 and the other newer tables dropped them),
# with the calls that do the same work there. A deny of one of the first is skipped where it
# does not exist; what it was meant to stop then still goes through the others on that
# architecture unless they are denied too, so the module says so (seccomp_profile,
# check_with_libseccomp). For fork and vfork, clone is only the same when its flags lack
# CLONE_THREAD (an argument rule on flags can deny just that); clone3 takes its flags in
# memory, which seccomp cannot read, so it can only be refused whole (ENOSYS makes glibc
# fall back to clone).
SAME_WORK = {
    'fork': ('clone', 'clone3'), 'vfork': ('clone', 'clone3'),
    'open': ('openat', 'openat2'), 'creat': ('openat', 'openat2'),
    'stat': ('newfstatat', 'fstatat64', 'statx'), 'lstat': ('newfstatat', 'fstatat64', 'statx'),
    'access': ('faccessat', 'faccessat2'), 'chmod': ('fchmodat', 'fchmodat2'),
    'chown': ('fchownat',), 'lchown': ('fchownat',), 'mkdir': ('mkdirat',), 'mknod': ('mknodat',),
    'rmdir': ('unlinkat',), 'unlink': ('unlinkat',), 'rename': ('renameat', 'renameat2'),
    'link': ('linkat',), 'symlink': ('symlinkat',), 'readlink': ('readlinkat',),
    'utime': ('utimensat',), 'utimes': ('utimensat',), 'futimesat': ('utimensat',),
    'poll': ('ppoll',), 'select': ('pselect6',), 'epoll_wait': ('epoll_pwait', 'epoll_pwait2'),
    'epoll_create': ('epoll_create1',), 'pipe': ('pipe2',), 'dup2': ('dup3',),
    'inotify_init': ('inotify_init1',), 'eventfd': ('eventfd2',), 'signalfd': ('signalfd4',),
    'getdents': ('getdents64',), 'umount': ('umount2',),
}


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def as_int(field, value, low, high):
    """Accept ints and decimal/hex strings; range-check; name the field on error."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text, 0)
        except ValueError:
            raise SpecError(field, '%r is not an integer' % (text,))
    if not is_int(value):
        raise SpecError(field, '%r is not an integer' % (value,))
    if value < low or value > high:
        raise SpecError(field, '%d is out of range (%d-%d)' % (value, low, high))
    return value


def parse_errno(field, value):
    if isinstance(value, str) and value.strip().upper() in ERRNO_NAMES:
        return ERRNO_NAMES[value.strip().upper()]
    if isinstance(value, str) and value.strip().upper().startswith('E') and not value.strip()[1:].isdigit():
        raise SpecError(field, '%r is not a known errno name; give the number instead' % (value,))
    number = as_int(field, value, 1, 1 << 16)
    if number > MAX_ERRNO:
        raise SpecError(field, '%d is out of range (1-%d: libseccomp, which runc and crun build their filters '
                               'with, refuses larger values)' % (number, MAX_ERRNO))
    return number


def check_text(field, value):
    """owner / source: None, or one line of at most MAX_TEXT printable characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise SpecError(field, 'must be a string, got %s' % type(value).__name__)
    if len(value) > MAX_TEXT:
        raise SpecError(field, 'is %d characters long; at most %d are recorded' % (len(value), MAX_TEXT))
    for ch in value:
        if not ch.isprintable():
            raise SpecError(field, 'contains the unprintable character %r; give one line of text' % (ch,))
    return value


def check_name(field, value):
    """A profile name: files are named after it, so it cannot hold a path."""
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise SpecError(field, '%r is not a valid profile name (letters, digits, ".", "_", "-", starting with a '
                               'letter or digit, at most 128)' % (value,))
    return value


def parse_arch(field, value):
    if not isinstance(value, str):
        raise SpecError(field, '%r is not an architecture name' % (value,))
    text = value.strip()
    upper = text.upper()
    if upper in ARCHES:
        return upper
    if 'SCMP_ARCH_' + upper in ARCHES:
        return 'SCMP_ARCH_' + upper
    if text.lower() in MACHINE_TO_ARCH:
        return MACHINE_TO_ARCH[text.lower()]
    raise SpecError(field, 'unknown architecture %r (expected one of %s)' % (text, ', '.join(ARCHES)))


def canonical_arches(arches):
    """The declared architectures in one canonical order, duplicates dropped: each native
    architecture (in ARCHES order) followed by its declared compat architectures (in
    Docker's archMap order), then the lone ones.  ``[x86, x86_64]`` and ``[x86_64, x86]``
    are one profile and one program."""
    remaining = list(dict.fromkeys(arches))
    out = []
    for native in ARCHES:
        if native in remaining and native in docker_default.ARCH_MAP:
            family = [native] + [a for a in docker_default.ARCH_MAP[native] if a in remaining and a != native]
            for a in family:
                remaining.remove(a)
            out.extend(family)
    out.extend(sorted(remaining, key=ARCHES.index))
    return out


def arch_family(native):
    """The native arch and its compat arches, as Docker's archMap pairs them."""
    return [native] + [a for a in docker_default.ARCH_MAP.get(native, []) if a != native]


def _check_preset_options(prefix, preset, options):
    on = [key for key in PRESET_OPTION_KEYS if options.get(key)]
    if 'deny_processes' in on and preset not in ('hardened', 'no-exec'):
        raise SpecError(prefix + 'preset_options.deny_processes', 'applies to the hardened and no-exec presets only, '
                        'not to %s' % (repr(preset) if preset else 'a spec without a preset'))
    wrong = [key for key in on if key != 'deny_processes' and preset != 'no-exec']
    if wrong:
        raise SpecError(prefix + 'preset_options.' + wrong[0], 'applies to the no-exec preset only')
    if 'deny_processes' in on and 'deny_fork' in on:
        raise SpecError(prefix + 'preset_options', 'deny_fork (no clone at all: threads break too) already denies '
                        'what deny_processes (new processes, threads kept) does; give one of them')


def default_architectures(machine):
    native = MACHINE_TO_ARCH.get((machine or '').lower())
    if native is None:
        raise SpecError('architectures', 'no default for host architecture %r; list the architectures explicitly' % (machine,))
    return arch_family(native)


# ---------------------------------------------------------------------------
# Spec validation (structure only; libseccomp checks names on the target)
# ---------------------------------------------------------------------------

KEY_RE = re.compile(r'^[A-Za-z0-9_]{1,64}\Z')


def key_field(field, key):
    """The field name of ``key`` inside ``field``: plain when it is a plain word, else quoted."""
    if isinstance(key, str) and KEY_RE.match(key):
        return '%s.%s' % (field, key) if field else key
    return '%s[%s]' % (field, repr(key)[:80])


def _check_keys(field, mapping, allowed):
    if not isinstance(mapping, dict):
        raise SpecError(field, 'must be a mapping, got %s' % type(mapping).__name__)
    for key in mapping:
        if key not in allowed:
            raise SpecError(key_field(field, key), 'unknown key (expected one of %s)' % ', '.join(allowed))


def normalise_action(field, value):
    if not isinstance(value, str):
        raise SpecError(field, '%r is not an action' % (value,))
    action = value.strip()
    if action not in ACTIONS:
        raise SpecError(field, 'unknown action %r (expected one of %s)' % (value, ', '.join(ACTIONS)))
    return action


def normalise_op(field, value):
    if not isinstance(value, str):
        raise SpecError(field, '%r is not a comparison op' % (value,))
    op = value.strip()
    if op not in OPS:
        raise SpecError(field, 'unknown comparison op %r (expected one of %s)' % (value, ', '.join(OPS)))
    return op


def normalise_rule(field, rule, default_errno=EPERM):
    """Validate one user rule and return it in internal form.

    Internal form: {'names': [...], 'action': 'SCMP_ACT_*', 'errno': int|None,
    'args': [{'index', 'value', 'value_two', 'op'}]}.
    """
    _check_keys(field, rule, RULE_KEYS)
    names = rule.get('names')
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not names:
        raise SpecError('%s.names' % field, 'must be a non-empty list of syscall names')
    clean = []
    for i, name in enumerate(names):
        if not isinstance(name, str) or not SYSCALL_RE.match(name.strip()):
            raise SpecError('%s.names[%d]' % (field, i), '%r is not a syscall name' % (name,))
        clean.append(name.strip())
    action = rule.get('action')
    action = normalise_action('%s.action' % field, 'SCMP_ACT_ERRNO' if action is None else action)
    errno = rule.get('errno')
    if errno is not None:
        if action not in ('SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE'):
            raise SpecError('%s.errno' % field, 'only applies to SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not %s' % action)
        errno = parse_errno('%s.errno' % field, errno)
    elif action == 'SCMP_ACT_ERRNO':
        errno = default_errno
    args = rule.get('args') or []
    if not isinstance(args, list):
        raise SpecError('%s.args' % field, 'must be a list of argument conditions')
    clean_args = []
    for j, arg in enumerate(args):
        afield = '%s.args[%d]' % (field, j)
        _check_keys(afield, arg, ARG_KEYS + ('valueTwo',))
        if 'index' not in arg:
            raise SpecError('%s.index' % afield, 'is required (0-5)')
        if 'op' not in arg:
            raise SpecError('%s.op' % afield, 'is required (one of %s)' % ', '.join(OPS))
        two = arg.get('value_two', arg.get('valueTwo', 0))
        clean_args.append({
            'index': as_int('%s.index' % afield, arg['index'], 0, 5),
            'value': as_int('%s.value' % afield, arg.get('value', 0), 0, MAX_U64),
            'value_two': as_int('%s.value_two' % afield, two if two is not None else 0, 0, MAX_U64),
            'op': normalise_op('%s.op' % afield, arg['op']),
        })
    return {'names': clean, 'action': action, 'errno': errno, 'args': clean_args}


def validate_spec(spec, field=''):
    """Structural checks of a spec (recursing into ``base``).  Returns nothing."""
    prefix = (field + '.') if field else ''
    if not isinstance(spec, dict):
        raise SpecError(field or 'spec', 'must be a mapping, got %s' % type(spec).__name__)
    _check_keys(field, spec, SPEC_KEYS)
    if spec.get('name') is not None:
        check_name(prefix + 'name', spec['name'])
    if spec.get('preset') is not None and spec.get('base') is not None:
        raise SpecError(prefix + 'base', 'give either preset or base, not both')
    if spec.get('preset') is not None and (not isinstance(spec['preset'], str) or spec['preset'] not in PRESETS):
        raise SpecError(prefix + 'preset', 'unknown preset %r (expected one of %s)' % (spec['preset'], ', '.join(PRESETS)))
    if spec.get('base') is not None:
        validate_spec(spec['base'], prefix + 'base')
    if spec.get('preset_options') is not None:
        _check_keys(prefix + 'preset_options', spec['preset_options'], PRESET_OPTION_KEYS)
        for key, value in spec['preset_options'].items():
            if not isinstance(value, bool):
                raise SpecError('%spreset_options.%s' % (prefix, key), 'must be true or false, got %r' % (value,))
        _check_preset_options(prefix, spec.get('preset'), spec['preset_options'])
    if spec.get('mode') is not None and (not isinstance(spec['mode'], str) or spec['mode'] not in MODES):
        raise SpecError(prefix + 'mode', 'unknown mode %r (expected enforce or log)' % (spec['mode'],))
    if spec.get('default_action') is not None:
        action = normalise_action(prefix + 'default_action', spec['default_action'])
        if action == 'SCMP_ACT_NOTIFY':
            raise SpecError(prefix + 'default_action', 'SCMP_ACT_NOTIFY cannot be the default action')
    if spec.get('default_errno') is not None:
        parse_errno(prefix + 'default_errno', spec['default_errno'])
    rules = spec.get('syscalls') or []
    if not isinstance(rules, list):
        raise SpecError(prefix + 'syscalls', 'must be a list of rules')
    for i, rule in enumerate(rules):
        normalise_rule('%ssyscalls[%d]' % (prefix, i), rule)
    remove = spec.get('remove') or []
    if not isinstance(remove, list):
        raise SpecError(prefix + 'remove', 'must be a list of syscall names')
    for i, name in enumerate(remove):
        if not isinstance(name, str) or not SYSCALL_RE.match(name.strip()):
            raise SpecError('%sremove[%d]' % (prefix, i), '%r is not a syscall name' % (name,))
    archs = spec.get('architectures')
    if archs is not None:
        if not isinstance(archs, list) or not archs:
            raise SpecError(prefix + 'architectures', 'must be a non-empty list')
        for i, arch in enumerate(archs):
            parse_arch('%sarchitectures[%d]' % (prefix, i), arch)

# ---------------------------------------------------------------------------
# Merging
# ---------------------------------------------------------------------------


def _unconditional(rule):
    return not rule['args']


def _drop_names(rules, names):
    out = []
    for rule in rules:
        kept = [n for n in rule['names'] if n not in names]
        if kept:
            rule = dict(rule, names=kept)
            out.append(rule)
    return out


def _merge(spec, host, prefix):
    """Return a dict: default_action, default_errno, architectures, mode, rules, user_names."""
    if spec.get('base') is not None:
        state = _merge(spec['base'], host, prefix + 'base.')
    else:
        state = {'default_action': 'SCMP_ACT_ALLOW', 'default_errno': None, 'architectures': None,
                 'mode': 'enforce', 'rules': [], 'user_names': set(), 'preset': None,
                 'preset_options': {}, 'user_rules': []}
    if spec.get('architectures'):
        state['architectures'] = canonical_arches([parse_arch('%sarchitectures[%d]' % (prefix, i), a)
                                                   for i, a in enumerate(spec['architectures'])])
    if state['architectures'] is None:
        state['architectures'] = canonical_arches(default_architectures(host.get('machine')))
    arches = state['architectures']
    native = MACHINE_TO_ARCH.get((host.get('machine') or '').lower()) or arches[0]
    if spec.get('preset') is not None:
        action, errno, rules = presets.preset_profile(spec['preset'], spec.get('preset_options'), arches, native,
                                                      host.get('kernel'), host.get('runtime_default_name'))
        state.update(default_action=action, default_errno=errno, rules=rules, preset=spec['preset'],
                     preset_options=dict(spec.get('preset_options') or {}))
    if spec.get('default_action') is not None:
        state['default_action'] = normalise_action(prefix + 'default_action', spec['default_action'])
        if state['default_action'] != 'SCMP_ACT_ERRNO':
            state['default_errno'] = None
    if spec.get('default_errno') is not None:
        state['default_errno'] = parse_errno(prefix + 'default_errno', spec['default_errno'])
    if state['default_action'] == 'SCMP_ACT_ERRNO' and state['default_errno'] is None:
        state['default_errno'] = EPERM
    if spec.get('mode') is not None:
        state['mode'] = spec['mode']
    remove = [n.strip() for n in spec.get('remove') or []]
    if remove:
        present = set(n for r in state['rules'] for n in r['names'])
        for i, name in enumerate(remove):
            if name not in present:
                raise SpecError('%sremove[%d]' % (prefix, i),
                                '%r is not named by any rule of the preset or base' % (name,))
        state['rules'] = _drop_names(state['rules'], set(remove))
    for i, raw in enumerate(spec.get('syscalls') or []):
        rule = normalise_rule('%ssyscalls[%d]' % (prefix, i), raw, state['default_errno'] or EPERM)
        state['user_rules'].append(('%ssyscalls[%d]' % (prefix, i), rule))
        if _unconditional(rule):
            # The user's word wins: every earlier rule for these names goes, conditional
            # ones included, so one syscall never carries two contradicting rules.
            state['rules'] = _drop_names(state['rules'], set(rule['names']))
        state['rules'].append(rule)
        state['user_names'].update(rule['names'])
    return state


def apply_log_mode(default_action, default_errno, rules):
    """Every denying action, the default included, becomes SCMP_ACT_LOG.  So does
    SCMP_ACT_NOTIFY: log mode is a dry run, and without a listener the kernel fails a
    notified call with ENOSYS (runc refuses the profile outright)."""
    if default_action in DENYING_ACTIONS:
        default_action, default_errno = 'SCMP_ACT_LOG', None
    out = []
    for rule in rules:
        if rule['action'] in DENYING_ACTIONS or rule['action'] == 'SCMP_ACT_NOTIFY':
            rule = dict(rule, action='SCMP_ACT_LOG', errno=None)
        out.append(rule)
    return default_action, default_errno, out


def _verdict(action, errno):
    """What the kernel returns: the action, with its data for ERRNO and TRACE."""
    return (action, (errno or 0) if action in ('SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE') else 0)


def same_as_default(rule, default_action, default_errno):
    return _verdict(rule['action'], rule['errno']) == _verdict(default_action, default_errno)


NO_LISTENER = ('SCMP_ACT_NOTIFY needs a listener (the profile\'s listenerPath); without one runc refuses the '
               'profile ("listenerPath is not set") and the kernel fails the call with ENOSYS')
DEFAULT_TWIN = ('has args and the same action as the default action (%s), so it has no effect: runc skips such a '
                'rule and libseccomp refuses it; drop the rule or change its action')


def _rule_key(rule):
    args = tuple((a['index'], a['value'], a['value_two'], a['op']) for a in rule['args'])
    return (rule['action'], rule['errno'] if rule['errno'] is not None else -1, args)


def to_oci(default_action, default_errno, arches, rules):
    """Canonical plain-OCI mapping: rules grouped by (action, errno, args), names sorted,
    rules equal to the default dropped (runc skips them, libseccomp refuses them)."""
    groups = {}
    for rule in rules:
        if same_as_default(rule, default_action, default_errno):
            continue
        groups.setdefault(_rule_key(rule), set()).update(rule['names'])
    syscalls = []
    for key in sorted(groups, key=lambda k: (ACTIONS.index(k[0]), k[1], k[2])):
        action, errno, args = key
        entry = {'names': sorted(groups[key]), 'action': action}
        if errno >= 0:
            entry['errnoRet'] = errno
        if args:
            entry['args'] = [{'index': a[0], 'value': a[1], 'valueTwo': a[2], 'op': a[3]} for a in args]
        syscalls.append(entry)
    profile = {'defaultAction': default_action, 'architectures': list(arches), 'syscalls': syscalls}
    if default_action == 'SCMP_ACT_ERRNO' and default_errno is not None:
        profile['defaultErrnoRet'] = default_errno
    return profile


def build_profile(spec, host):
    """Resolve a spec into (profile, info).

    ``host``: {'machine': 'x86_64', 'kernel': '6.1.0-...'} from the target's facts, and for
    runtime-default 'runtime_default' ('auto' or a name), 'targets', 'runtimes' ({runtime:
    version}); see _seccomp_defaults.choose.
    ``info``: preset, mode, user_names (names the user wrote, for arch warnings) and
    runtime_default (the choice, None unless the spec starts from runtime-default).
    """
    spec = copy.deepcopy(spec)
    validate_spec(spec)
    choice = runtime_default_choice(spec, host)
    if choice:
        host = dict(host, runtime_default_name=choice['name'])
    state = _merge(spec, host, '')
    action, errno, rules = state['default_action'], state['default_errno'], state['rules']
    for field, rule in state['user_rules']:
        if rule['args'] and same_as_default(rule, action, errno):
            raise SpecError(field + '.action', DEFAULT_TWIN % action)
        if rule['action'] == 'SCMP_ACT_NOTIFY' and state['mode'] != 'log':
            raise SpecError(field + '.action', NO_LISTENER + '; a spec cannot set one: use SCMP_ACT_ERRNO or '
                                                             'SCMP_ACT_LOG, or a template that renders listenerPath')
    if state['mode'] == 'log':
        action, errno, rules = apply_log_mode(action, errno, rules)
    if action == 'SCMP_ACT_NOTIFY':
        raise SpecError('default_action', 'SCMP_ACT_NOTIFY cannot be the default action')
    profile = to_oci(action, errno, state['architectures'], rules)
    info = {'preset': state['preset'], 'mode': state['mode'], 'user_names': sorted(state['user_names']),
            'runtime_default': choice}
    return profile, info


def runtime_default_choice(spec, host):
    """The runtime default the spec follows (_seccomp_defaults.choose), None unless it starts
    from runtime-default; SpecError for a name that is not one."""
    if presets.spec_preset(spec) != 'runtime-default':
        return None
    pinned = host.get('runtime_default') or 'auto'
    if pinned not in defaults.CHOICES:
        raise SpecError('runtime_default', 'unknown runtime default %r (expected one of %s)'
                        % (pinned, ', '.join(defaults.CHOICES)))
    return defaults.choose(host)
