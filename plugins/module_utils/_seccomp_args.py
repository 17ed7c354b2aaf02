# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one argument spec of confine.hardening.seccomp_profile, used twice: by the module
on the target (AnsibleModule) and by its action plugin on the controller (the task's args
are validated against it before anything is rendered).

An option lives here and in the module's DOCUMENTATION, nowhere else by hand
(tests/unit/test_code_shape.py holds the two equal): the spec model (``_seccomp_spec``)
takes its vocabulary and key lists from here (``SPEC_KEYS``, ``RULE_KEYS``, ``ARG_KEYS``,
``PRESET_OPTION_KEYS``), so a spec given as a plain mapping (``base``, a unit test) is
checked against the same keys.  ``spec_from_params`` is the one spec extractor: the spec
options a task set, as ``_seccomp_spec.build_profile`` takes them.
"""

from ansible_collections.confine.hardening.plugins.module_utils._seccomp_defaults import CHOICES as RUNTIME_DEFAULTS

ACTIONS = (
    'SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS',
    'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY', 'SCMP_ACT_TRACE',
    'SCMP_ACT_TRAP',
)
OPS = (
    'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE',
    'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ',
)
PRESETS = ('runtime-default', 'hardened', 'no-exec', 'allowlist')
MODES = ('enforce', 'log')
TARGETS = ('docker', 'kubelet', 'containerd', 'bwrap', 'podman')
# Task options that are not part of a profile's spec (where and how it is installed).
TASK_KEYS = ('profiles', 'targets', 'runtime_default', 'docker_dir', 'kubelet_root', 'containerd_dir', 'bwrap_dir',
             'podman_dir', 'state_dir', 'state', 'backup', 'owner', 'source', 'template', 'content')

MUTUALLY_EXCLUSIVE = [('preset', 'base'), ('name', 'profiles')]
REQUIRED_ONE_OF = [('name', 'profiles')]


def argument_spec():
    """The module's options (a new dict on each call)."""
    return dict(
        name=dict(type='str'),
        profiles=dict(type='list', elements='dict'),
        preset=dict(type='str', choices=list(PRESETS)),
        preset_options=dict(type='dict', options=dict(
            deny_processes=dict(type='bool', default=False),
            deny_fork=dict(type='bool', default=False),
            deny_personality=dict(type='bool', default=False),
        )),
        base=dict(type='dict'),
        syscalls=dict(type='list', elements='dict', default=[], options=dict(
            names=dict(type='list', elements='str', required=True),
            action=dict(type='str', default='SCMP_ACT_ERRNO', choices=list(ACTIONS)),
            errno=dict(type='raw'),
            args=dict(type='list', elements='dict', options=dict(
                index=dict(type='int', required=True),
                value=dict(type='raw', default=0),
                value_two=dict(type='raw', default=0),
                op=dict(type='str', required=True, choices=list(OPS)),
            )),
        )),
        remove=dict(type='list', elements='str', default=[]),
        default_action=dict(type='str', choices=[a for a in ACTIONS if a != 'SCMP_ACT_NOTIFY']),
        default_errno=dict(type='raw'),
        architectures=dict(type='list', elements='str'),
        mode=dict(type='str', default='enforce', choices=list(MODES)),
        targets=dict(type='list', elements='str', default=['docker'], choices=list(TARGETS)),
        runtime_default=dict(type='str', default='auto', choices=list(RUNTIME_DEFAULTS)),
        docker_dir=dict(type='path', default='/etc/docker/seccomp'),
        kubelet_root=dict(type='path', default='/var/lib/kubelet'),
        containerd_dir=dict(type='path', default='/etc/containerd/seccomp'),
        bwrap_dir=dict(type='path', default='/etc/confine/seccomp'),
        podman_dir=dict(type='path', default='/etc/containers/seccomp'),
        state_dir=dict(type='path', default='/var/lib/confine/seccomp'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        backup=dict(type='bool', default=False),
        owner=dict(type='str'),
        source=dict(type='str'),
        template=dict(type='path'),
        content=dict(type='str'),
    )


# The options that make up a profile's spec, in the order of the argument spec, and the
# keys of a syscall rule, of one of its argument conditions and of preset_options.
SPEC_KEYS = tuple(key for key in argument_spec() if key not in TASK_KEYS)
RULE_KEYS = tuple(argument_spec()['syscalls']['options'])
ARG_KEYS = tuple(argument_spec()['syscalls']['options']['args']['options'])
PRESET_OPTION_KEYS = tuple(argument_spec()['preset_options']['options'])


def _set(mapping):
    return dict((k, v) for k, v in mapping.items() if v is not None)


def spec_from_params(params):
    """The user's spec: the spec keys the task set (None and empty defaults dropped, and the
    unset suboptions of ``syscalls`` and ``preset_options``); ``base`` is taken as written."""
    spec = {}
    for key in SPEC_KEYS:
        value = params.get(key)
        if value in (None, [], {}):
            continue
        if key == 'syscalls':
            value = [_set(rule) for rule in value]
            for rule in value:
                if rule.get('args'):
                    rule['args'] = [_set(a) for a in rule['args']]
        if key == 'preset_options':
            value = _set(value)
        spec[key] = value
    return spec
