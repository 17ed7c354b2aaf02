# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shipped AppArmor presets, as specs (so users extend them with the same keys), and
how a user's spec is merged over one."""

import copy

from ansible_collections.confine.hardening.plugins.module_utils._apparmor_args import PRESETS
from ansible_collections.confine.hardening.plugins.module_utils._common import SpecError


def _deny(path, perms):
    return {'path': path, 'perms': perms, 'deny': True}


# The protections of Docker's docker-default profile: no writes to /proc outside
# the process's own entries and /proc/sys/kernel/shm*, none to /sys outside
# /sys/fs/cgroup, nothing at all on /proc/kcore, /proc/sysrq-trigger,
# /sys/firmware, powercap and /sys/kernel/security; no mount; ptrace and signals
# only within the profile, signals received from the host (unconfined) and the runtimes.
CONTAINER_DEFAULT = {
    'includes': ['tunables/global', 'abstractions/base'],
    'flags': ['attach_disconnected', 'mediate_deleted'],
    'network': [{}],
    'capabilities': {'allow': ['*']},
    'files': [
        {'path': '/**', 'perms': 'rwlkm'},
        {'path': '/**', 'exec': 'ix'},
        _deny('@{PROC}/*', 'w'),
        _deny('@{PROC}/{[^1-9],[^1-9][^0-9],[^1-9s][^0-9y][^0-9s],[^1-9][^0-9][^0-9][^0-9/]*}/**', 'w'),
        _deny('@{PROC}/sys/[^k]**', 'w'),
        _deny('@{PROC}/sys/kernel/{?,??,[^s][^h][^m]**}', 'w'),
        _deny('@{PROC}/sysrq-trigger', 'rwkl'),
        _deny('@{PROC}/kcore', 'rwkl'),
        _deny('/sys/[^f]*/**', 'wkl'),
        _deny('/sys/f[^s]*/**', 'wkl'),
        _deny('/sys/fs/[^c]*/**', 'wkl'),
        _deny('/sys/fs/c[^g]*/**', 'wkl'),
        _deny('/sys/fs/cg[^r]*/**', 'wkl'),
        _deny('/sys/firmware/**', 'rwkl'),
        _deny('/sys/devices/virtual/powercap/**', 'rwkl'),
        _deny('/sys/kernel/security/**', 'rwkl'),
    ],
    'mount': [{'deny': True}],
    'umount': [{}],
    # runc and crun have profiles of their own on AppArmor 4 hosts (Debian 13 ships both in
    # unconfined mode): without these two, `docker stop` and `ctr task kill` are refused
    'signal': [{'access': ['receive'], 'peer': 'unconfined'}, {'access': ['receive'], 'peer': 'runc'},
               {'access': ['receive'], 'peer': 'crun'}, {'access': ['send', 'receive'], 'peer': '@{profile_name}'}],
    'ptrace': [{'access': ['trace', 'read', 'tracedby', 'readby'], 'peer': '@{profile_name}'}],
}

CONTAINER_STRICT_EXTRA = {
    'network': [{'type': 'raw', 'deny': True}, {'type': 'packet', 'deny': True}],
    'capabilities': {'deny': ['sys_module', 'sys_rawio', 'sys_boot', 'sys_time', 'sys_ptrace', 'sys_admin',
                              'mac_admin', 'mac_override', 'syslog', 'net_admin', 'bpf', 'perfmon']},
    'ptrace': [{'access': ['trace', 'read'], 'deny': True}],
    'pivot_root': [{'deny': True}],
    'userns': [{'deny': True}],
}

SERVICE = {
    'includes': ['tunables/global', 'abstractions/base'],
    'flags': [],
}


def preset_spec(preset):
    if preset == 'container-default':
        return copy.deepcopy(CONTAINER_DEFAULT)
    if preset == 'container-strict':
        spec = copy.deepcopy(CONTAINER_DEFAULT)
        # Writes only where the spec declares them: the broad write rule goes.
        spec['files'][0] = {'path': '/**', 'perms': 'rlkm'}
        spec['ptrace'] = []
        return merge(spec, copy.deepcopy(CONTAINER_STRICT_EXTRA))
    if preset == 'service':
        return copy.deepcopy(SERVICE)
    raise SpecError('preset', 'unknown preset %r (expected one of %s)' % (preset, ', '.join(PRESETS)))


LIST_KEYS = ('includes', 'files', 'exec', 'network', 'signal', 'ptrace', 'mount', 'umount', 'pivot_root',
             'userns', 'flags', 'extra_rules')


def merge(base, extra):
    """Lists append (flags and includes without repeats), capabilities merge, scalars override."""
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if value is None:
            continue
        if key in LIST_KEYS:
            merged = list(out.get(key) or [])
            for item in value:
                if key in ('flags', 'includes') and item in merged:
                    continue
                merged.append(copy.deepcopy(item))
            out[key] = merged
        elif key == 'capabilities':
            caps = dict(out.get('capabilities') or {})
            for kind in ('allow', 'deny'):
                have = list(caps.get(kind) or [])
                caps[kind] = have + [c for c in (value.get(kind) or []) if c not in have]
            out['capabilities'] = caps
        else:
            out[key] = copy.deepcopy(value)
    return out


def build_spec(spec):
    """The preset (if any) with the user's spec merged over it.

    With ``confine_exec`` the preset's own exec grants (the container presets' ``/** ix``)
    are left out: the program the runtime starts under the profile runs, and it can start
    only what the user's ``exec`` and ``files[].exec`` rules name (nothing, without them)."""
    user = dict((k, v) for k, v in spec.items() if k != 'preset')
    base = preset_spec(spec['preset']) if spec.get('preset') else {'includes': ['tunables/global']}
    if spec.get('confine_exec') is True:
        base['files'] = [rule for rule in base.get('files') or [] if not rule.get('exec') or rule.get('deny')]
        base['exec'] = []
    return merge(base, user)
