# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Spec merging, presets, log mode, canonical output and every spec error path."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import random

import pytest

from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_layout as layout
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_oci as oci
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_presets as presets
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_spec as s

HOST = {'machine': 'x86_64', 'kernel': '6.1.0-25-amd64'}


def build(spec, host=None):
    spec = dict({'name': 'p'}, **spec)
    spec.pop('name')
    return s.build_profile(spec, host or HOST)[0]


def rules_for(profile, name):
    return [r for r in profile['syscalls'] if name in r['names']]


def action_of(profile, name):
    """Action of an unconditional rule for name, else the default."""
    for r in rules_for(profile, name):
        if not r.get('args'):
            return r['action'], r.get('errnoRet')
    return profile['defaultAction'], profile.get('defaultErrnoRet')


# --- presets -----------------------------------------------------------------

def test_hardened_denies_the_required_calls_with_eperm():
    p = build({'preset': 'hardened'})
    assert p['defaultAction'] == 'SCMP_ACT_ALLOW'
    for name in ('ptrace', 'process_vm_readv', 'process_vm_writev', 'keyctl', 'add_key', 'request_key', 'bpf',
                 'perf_event_open', 'userfaultfd', 'mount', 'umount2', 'pivot_root', 'unshare', 'setns',
                 'create_module', 'delete_module', 'init_module', 'finit_module', 'kexec_load',
                 'kexec_file_load', 'reboot', 'open_by_handle_at', 'io_uring_setup', 'fsopen'):
        assert action_of(p, name) == ('SCMP_ACT_ERRNO', 1), name
    assert action_of(p, 'clone3') == ('SCMP_ACT_ERRNO', 38)
    assert action_of(p, 'read') == ('SCMP_ACT_ALLOW', None)


def test_hardened_clone_rules_cover_each_namespace_flag_and_nothing_else():
    p = build({'preset': 'hardened'})
    clone = rules_for(p, 'clone')
    flags = sorted(r['args'][0]['value'] for r in clone)
    assert flags == sorted(f for _n, f in presets.CLONE_NS_FLAGS)
    for r in clone:
        (arg,) = r['args']
        assert arg['op'] == 'SCMP_CMP_MASKED_EQ' and arg['value'] == arg['valueTwo'] and arg['index'] == 0
        assert r['action'] == 'SCMP_ACT_ERRNO' and r['errnoRet'] == 1
    # the OR of the flags is Docker's namespace mask
    mask = 0
    for f in flags:
        mask |= f
    assert mask == presets.CLONE_NS_MASK


def test_s390_clone_flags_are_argument_one_and_mixing_families_fails():
    p = build({'preset': 'hardened', 'architectures': ['s390x', 's390']})
    assert set(r['args'][0]['index'] for r in rules_for(p, 'clone')) == {1}
    with pytest.raises(s.SpecError) as err:
        build({'preset': 'hardened', 'architectures': ['x86_64', 's390x']})
    assert err.value.field == 'architectures'


def test_no_exec_and_its_options():
    p = build({'preset': 'no-exec'})
    assert action_of(p, 'execve') == ('SCMP_ACT_ERRNO', 1)
    assert action_of(p, 'execveat') == ('SCMP_ACT_ERRNO', 1)
    assert action_of(p, 'fork') == ('SCMP_ACT_ALLOW', None)
    assert action_of(p, 'personality') == ('SCMP_ACT_ALLOW', None)
    p = build({'preset': 'no-exec', 'preset_options': {'deny_fork': True, 'deny_personality': True}})
    for name in ('fork', 'vfork', 'clone', 'clone3', 'uselib', 'personality'):
        assert action_of(p, name) == ('SCMP_ACT_ERRNO', 1), name
    assert not [r for r in rules_for(p, 'clone') if r.get('args')], 'conditional clone rules are subsumed'


def clone_thread_rule(profile):
    return [r for r in rules_for(profile, 'clone')
            if r.get('args') == [{'index': 0, 'value': presets.CLONE_THREAD, 'valueTwo': 0, 'op': 'SCMP_CMP_MASKED_EQ'}]]


@pytest.mark.parametrize('preset', ['hardened', 'no-exec'])
def test_deny_processes_denies_fork_and_vfork_and_clone_without_clone_thread(preset):
    """Issue 13 item 2: new processes denied, threads kept - fork/vfork EPERM, clone denied
    only when (flags & CLONE_THREAD) == 0, clone3 ENOSYS so libc falls back to clone."""
    p = build({'preset': preset, 'preset_options': {'deny_processes': True}})
    assert action_of(p, 'fork') == action_of(p, 'vfork') == ('SCMP_ACT_ERRNO', 1)
    assert action_of(p, 'clone') == ('SCMP_ACT_ALLOW', None)       # no unconditional clone rule
    (rule,) = clone_thread_rule(p)
    assert rule['action'] == 'SCMP_ACT_ERRNO' and rule['errnoRet'] == 1
    assert action_of(p, 'clone3') == ('SCMP_ACT_ERRNO', 38)
    plain = build({'preset': preset})
    assert not clone_thread_rule(plain) and action_of(plain, 'fork') == ('SCMP_ACT_ALLOW', None)


def test_deny_processes_reads_clones_flags_from_argument_1_on_s390x():
    p = build({'preset': 'hardened', 'preset_options': {'deny_processes': True}},
              host={'machine': 's390x', 'kernel': '6.1.0'})
    (rule,) = [r for r in rules_for(p, 'clone') if r['args'][0]['value'] == presets.CLONE_THREAD]
    assert rule['args'] == [{'index': 1, 'value': presets.CLONE_THREAD, 'valueTwo': 0, 'op': 'SCMP_CMP_MASKED_EQ'}]


def test_allowlist_denies_by_default_and_allows_exactly_the_list():
    p = build({'preset': 'allowlist', 'syscalls': [{'names': ['read', 'write', 'exit_group'],
                                                    'action': 'SCMP_ACT_ALLOW'}]})
    assert p['defaultAction'] == 'SCMP_ACT_ERRNO' and p['defaultErrnoRet'] == 1
    assert p['syscalls'] == [{'action': 'SCMP_ACT_ALLOW', 'names': ['exit_group', 'read', 'write']}]


def test_runtime_default_resolves_docker_gates_for_the_host():
    p = build({'preset': 'runtime-default'})
    assert p['defaultAction'] == 'SCMP_ACT_ERRNO' and p['defaultErrnoRet'] == 1
    assert p['architectures'] == ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']
    text = oci.canonical_json(p)
    for key in ('includes', 'excludes', 'archMap', 'comment'):
        assert key not in text
    assert action_of(p, 'read')[0] == 'SCMP_ACT_ALLOW'
    assert action_of(p, 'arch_prctl')[0] == 'SCMP_ACT_ALLOW'          # amd64 only
    assert action_of(p, 'ptrace')[0] == 'SCMP_ACT_ALLOW'              # minKernel 4.8
    assert action_of(p, 'chroot')[0] == 'SCMP_ACT_ALLOW'              # CAP_SYS_CHROOT is a default cap
    for name in ('mount', 'bpf', 'unshare', 'setns', 'keyctl', 'reboot', 'init_module', 'open_by_handle_at'):
        assert action_of(p, name) == ('SCMP_ACT_ERRNO', 1), name      # CAP_SYS_ADMIN & co. not granted
    assert action_of(p, 'clone3') == ('SCMP_ACT_ERRNO', 38)
    (clone,) = rules_for(p, 'clone')
    assert clone['args'] == [{'index': 0, 'op': 'SCMP_CMP_MASKED_EQ', 'value': 2114060288, 'valueTwo': 0}]
    assert clone['action'] == 'SCMP_ACT_ALLOW'


def test_runtime_default_kernel_and_arch_gates():
    old = build({'preset': 'runtime-default'}, {'machine': 'x86_64', 'kernel': '4.4.0'})
    assert action_of(old, 'ptrace') == ('SCMP_ACT_ERRNO', 1)
    arm = build({'preset': 'runtime-default'}, {'machine': 'aarch64', 'kernel': '6.1'})
    assert arm['architectures'] == ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']
    assert action_of(arm, 'arch_prctl') == ('SCMP_ACT_ERRNO', 1)
    assert action_of(arm, 'arm_fadvise64_64')[0] == 'SCMP_ACT_ALLOW'


# --- merging -----------------------------------------------------------------

def test_remove_drops_names_from_the_preset():
    p = build({'preset': 'hardened', 'remove': ['ptrace', 'bpf']})
    assert action_of(p, 'ptrace') == ('SCMP_ACT_ALLOW', None)
    assert action_of(p, 'bpf') == ('SCMP_ACT_ALLOW', None)
    assert action_of(p, 'keyctl') == ('SCMP_ACT_ERRNO', 1)


def test_user_rule_wins_over_preset_rules_for_the_same_name():
    p = build({'preset': 'hardened', 'syscalls': [{'names': ['clone'], 'action': 'SCMP_ACT_ALLOW'},
                                                  {'names': ['ptrace'], 'action': 'SCMP_ACT_KILL_PROCESS'}]})
    assert rules_for(p, 'clone') == []                      # allow == default, conditionals gone
    assert action_of(p, 'ptrace') == ('SCMP_ACT_KILL_PROCESS', None)


def test_errno_names_and_default_errno():
    p = build({'preset': 'allowlist', 'default_errno': 'EACCES',
               'syscalls': [{'names': ['read'], 'action': 'SCMP_ACT_ALLOW'},
                            {'names': ['chmod'], 'action': 'SCMP_ACT_ERRNO'},
                            {'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO', 'errno': 'ENOSYS'}]})
    assert p['defaultErrnoRet'] == 13
    assert action_of(p, 'chmod') == ('SCMP_ACT_ERRNO', 13)
    assert action_of(p, 'mkdir') == ('SCMP_ACT_ERRNO', 38)


def test_base_spec_is_extended():
    base = {'preset': 'hardened', 'syscalls': [{'names': ['chmod'], 'errno': 13}]}
    p = build({'base': base, 'remove': ['chmod', 'ptrace'], 'syscalls': [{'names': ['mkdir']}]})
    assert action_of(p, 'chmod') == ('SCMP_ACT_ALLOW', None)
    assert action_of(p, 'ptrace') == ('SCMP_ACT_ALLOW', None)
    assert action_of(p, 'mkdir') == ('SCMP_ACT_ERRNO', 1)
    assert action_of(p, 'bpf') == ('SCMP_ACT_ERRNO', 1)


def test_argument_rules_and_hex_values():
    p = build({'preset': 'hardened', 'syscalls': [
        {'names': ['socket'], 'args': [{'index': 0, 'value': '0x1', 'op': 'SCMP_CMP_NE'}]}]})
    rule = [r for r in rules_for(p, 'socket') if r['args'][0]['op'] == 'SCMP_CMP_NE']
    assert rule == [{'action': 'SCMP_ACT_ERRNO', 'errnoRet': 1, 'names': ['socket'],
                     'args': [{'index': 0, 'value': 1, 'valueTwo': 0, 'op': 'SCMP_CMP_NE'}]}]


# --- log mode ----------------------------------------------------------------

@pytest.mark.parametrize('preset', ['runtime-default', 'hardened', 'no-exec', 'allowlist'])
def test_log_mode_turns_every_denying_action_into_log(preset):
    extra = {'syscalls': [{'names': ['read'], 'action': 'SCMP_ACT_ALLOW'},
                          {'names': ['chmod'], 'action': 'SCMP_ACT_KILL_PROCESS'}]}
    p = build(dict({'preset': preset, 'mode': 'log'}, **extra))
    assert p['defaultAction'] in ('SCMP_ACT_ALLOW', 'SCMP_ACT_LOG')
    assert 'defaultErrnoRet' not in p
    for rule in p['syscalls']:
        assert rule['action'] in ('SCMP_ACT_ALLOW', 'SCMP_ACT_LOG'), rule
        assert 'errnoRet' not in rule
    enforce = build(dict({'preset': preset}, **extra))
    denied = set(n for r in enforce['syscalls'] if r['action'] != 'SCMP_ACT_ALLOW' for n in r['names'])
    logged = set(n for r in p['syscalls'] if r['action'] == 'SCMP_ACT_LOG' for n in r['names'])
    if p['defaultAction'] == 'SCMP_ACT_ALLOW':
        assert denied == logged
    else:
        assert enforce['defaultAction'] == 'SCMP_ACT_ERRNO' and p['defaultAction'] == 'SCMP_ACT_LOG'


# --- canonical output ----------------------------------------------------------

def test_canonical_json_is_stable_and_order_independent():
    rules = [{'names': ['mkdir', 'chmod'], 'errno': 13}, {'names': ['rmdir']},
             {'names': ['socket'], 'args': [{'index': 0, 'value': 16, 'op': 'SCMP_CMP_EQ'}]}]
    texts = set()
    for seed in range(5):
        shuffled = list(rules)
        random.Random(seed).shuffle(shuffled)
        texts.add(oci.canonical_json(build({'preset': 'hardened', 'syscalls': shuffled})))
    assert len(texts) == 1
    text = texts.pop()
    assert text.endswith('}\n') and not text.endswith('\n\n')
    assert '\n  "architectures": [\n    "SCMP_ARCH_X86_64"' in text
    # written laid out for runc (_seccomp_layout), read back as built
    assert json.loads(text) == layout.lay_out(oci.parse_rendered(text)) != oci.parse_rendered(text)
    assert json.loads(oci.canonical_json(oci.parse_rendered(text), laid_out=False)) == oci.parse_rendered(text)


def test_parse_rendered_round_trips_and_rejects_docker_only_keys():
    p = build({'preset': 'runtime-default'})
    assert oci.parse_rendered(json.dumps(p)) == p
    bad = dict(p, syscalls=[dict(p['syscalls'][0], includes={'caps': ['CAP_SYS_ADMIN']})])
    with pytest.raises(s.SpecError) as err:
        oci.parse_rendered(json.dumps(bad))
    assert err.value.field == 'profile.syscalls[0].includes' and 'containerd' in str(err.value)
    with pytest.raises(s.SpecError) as err:
        oci.parse_rendered('{"defaultAction": "SCMP_ACT_ALLOW", ')
    assert err.value.field == 'template'


def test_bpf_groups_one_program_per_native_family():
    assert oci.bpf_groups(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']) == [
        ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']]
    assert oci.bpf_groups(['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']) == [
        ['SCMP_ARCH_X86_64'], ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']]


# --- errors: one sentence, naming the field ------------------------------------

@pytest.mark.parametrize('spec,field,words', [
    ({'preset': 'paranoid'}, 'preset', 'unknown preset'),
    ({'preset': 'hardened', 'base': {'preset': 'hardened'}}, 'base', 'either preset or base'),
    ({'preset': 'hardened', 'colour': 'red'}, 'colour', 'unknown key'),
    ({'syscalls': [{'names': ['read'], 'action': 'SCMP_ACT_MAYBE'}]}, 'syscalls[0].action', 'unknown action'),
    ({'syscalls': [{'names': ['read'], 'action': 'errno'}]}, 'syscalls[0].action', 'unknown action'),
    ({'syscalls': [{'names': ['read'], 'args': [{'index': 7, 'op': 'SCMP_CMP_EQ'}]}]},
     'syscalls[0].args[0].index', 'out of range (0-5)'),
    ({'syscalls': [{'names': ['read'], 'args': [{'index': 0, 'op': 'SCMP_CMP_ABOUT'}]}]},
     'syscalls[0].args[0].op', 'unknown comparison op'),
    ({'syscalls': [{'names': ['read'], 'args': [{'index': 0}]}]}, 'syscalls[0].args[0].op', 'required'),
    ({'syscalls': [{'names': ['read'], 'args': [{'index': 0, 'value': -1, 'op': 'SCMP_CMP_EQ'}]}]},
     'syscalls[0].args[0].value', 'out of range'),
    ({'syscalls': [{'names': ['read'], 'errno': 'EWHATEVER'}]}, 'syscalls[0].errno', 'not a known errno'),
    ({'syscalls': [{'names': ['read'], 'errno': 5000}]}, 'syscalls[0].errno', 'out of range'),
    ({'syscalls': [{'names': ['read'], 'action': 'SCMP_ACT_ALLOW', 'errno': 1}]}, 'syscalls[0].errno',
     'only applies'),
    ({'syscalls': [{'names': []}]}, 'syscalls[0].names', 'non-empty'),
    ({'syscalls': [{'names': ['Read Me']}]}, 'syscalls[0].names[0]', 'not a syscall name'),
    ({'architectures': ['SCMP_ARCH_Z80']}, 'architectures[0]', 'unknown architecture'),
    ({'architectures': []}, 'architectures', 'non-empty'),
    ({'preset': 'hardened', 'remove': ['chmod']}, 'remove[0]', 'not named by any rule'),
    ({'preset': 'hardened', 'preset_options': {'deny_fork': True}}, 'preset_options.deny_fork', 'no-exec preset only'),
    ({'preset': 'allowlist', 'preset_options': {'deny_processes': True}}, 'preset_options.deny_processes',
     'hardened and no-exec presets only'),
    ({'preset': 'no-exec', 'preset_options': {'deny_processes': True, 'deny_fork': True}}, 'preset_options',
     'give one of them'),
    ({'default_action': 'SCMP_ACT_NOTIFY'}, 'default_action', 'cannot be the default'),
    ({'mode': 'audit'}, 'mode', 'unknown mode'),
    ({'base': {'preset': 'hardened', 'remove': ['nope']}}, 'base.remove[0]', 'not named'),
])
def test_spec_errors_name_the_field(spec, field, words):
    with pytest.raises(s.SpecError) as err:
        build(spec)
    assert err.value.field == field
    assert words in str(err.value)
    assert str(err.value).startswith(field + ': ')
    assert '%s' not in str(err.value) and '\n' not in str(err.value)


def test_no_default_arch_for_unknown_machine():
    with pytest.raises(s.SpecError) as err:
        build({'preset': 'hardened'}, {'machine': 'z80', 'kernel': '6.1'})
    assert err.value.field == 'architectures'


def test_presets_doc_lists_every_hardened_denial():
    import os
    import re
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
    with open(os.path.join(root, 'docs', 'seccomp-presets.md')) as fh:
        doc = fh.read()
    section = doc[doc.index('## `hardened`'):doc.index('## `no-exec`')]
    documented = set(re.findall(r'`([a-z0-9_]+)`', section))
    for names, _errno, _why in presets.HARDENED_DENY:
        for name in names:
            assert name in documented, name


# --- issue 11 item 21: one sentence naming the field, or a documented normalisation ----

OCI = {'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_X86_64']}


@pytest.mark.parametrize('extra,field,words', [
    ({'flags': 5}, 'profile.flags', 'must be a list'),
    ({'flags': [5]}, 'profile.flags[0]', 'unknown flag'),
    ({'flags': ['SECCOMP_FILTER_FLAG_NOPE']}, 'profile.flags[0]', 'unknown flag'),
    ({'syscalls': {'names': ['read']}}, 'profile.syscalls', 'must be a list'),
    ({'syscalls': [5]}, 'profile.syscalls[0]', 'must be a JSON object'),
    ({'syscalls': [{'names': 'read', 'action': 'SCMP_ACT_ERRNO', 'args': 7}]}, 'profile.syscalls[0].args', 'must be a list'),
    ({'syscalls': [{'names': ['read'], 'action': 5}]}, 'profile.syscalls[0].action', 'not an action'),
    ({'syscalls': [{'names': [None], 'action': 'SCMP_ACT_ERRNO'}]}, 'profile.syscalls[0].names[0]', 'not a syscall name'),
    ({'syscalls': [{'names': ['read'], 'action': 'SCMP_ACT_ALLOW', 'args': [{'index': 0, 'value': 1, 'op': 'SCMP_CMP_EQ'}]}]},
     'profile.syscalls[0].action', 'same action as the default action'),
    ({'syscalls': [{'names': ['read'], 'action': 'SCMP_ACT_NOTIFY'}]}, 'profile.syscalls[0].action', 'needs a listener'),
    ({'listenerPath': 5}, 'profile.listenerPath', 'absolute socket path'),
    ({'listenerPath': 'relative.sock'}, 'profile.listenerPath', 'absolute socket path'),
    ({'listenerMetadata': 'x'}, 'profile.listenerMetadata', 'listenerPath is not set'),
    ({'defaultErrnoRet': 4095}, 'profile.defaultErrnoRet', 'only applies'),
    ({'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 4095}, 'profile.defaultErrnoRet', '1-4094'),
    ({'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': True}, 'profile.defaultErrnoRet', 'not an integer'),
    ({'architectures': 'SCMP_ARCH_X86_64'}, 'profile.architectures', 'non-empty list'),
    ({'architectures': [['x']]}, 'profile.architectures[0]', 'not an architecture'),
])
def test_rendered_content_errors_name_the_field(extra, field, words):
    with pytest.raises(s.SpecError) as err:
        oci.parse_rendered(json.dumps(dict(OCI, **extra)))
    assert err.value.field == field and words in str(err.value), str(err.value)


def test_rendered_content_nested_too_deeply_is_one_sentence():
    with pytest.raises(s.SpecError) as err:
        oci.parse_rendered('[' * 100000 + ']' * 100000)
    assert err.value.field == 'template'


def test_notify_with_a_listener_is_kept():
    p = oci.parse_rendered(json.dumps(dict(OCI, listenerPath='/run/seccomp.sock', listenerMetadata='m',
                                           syscalls=[{'names': ['mkdir'], 'action': 'SCMP_ACT_NOTIFY'}])))
    assert p['listenerPath'] == '/run/seccomp.sock' and p['syscalls'][0]['action'] == 'SCMP_ACT_NOTIFY'


@pytest.mark.parametrize('spec,field,words', [
    ({'syscalls': [{'names': ['mkdir'], 'errno': 4095}]}, 'syscalls[0].errno', '4095 is out of range (1-4094'),
    ({'default_action': 'SCMP_ACT_ERRNO', 'default_errno': 4095}, 'default_errno', '1-4094'),
    ({'preset': 'hardened', 'syscalls': [{'names': ['socket'], 'action': 'SCMP_ACT_ALLOW',
                                          'args': [{'index': 0, 'value': 1, 'op': 'SCMP_CMP_EQ'}]}]},
     'syscalls[0].action', 'same action as the default action (SCMP_ACT_ALLOW)'),
    ({'base': {'preset': 'hardened', 'syscalls': [{'names': ['socket'], 'args': [{'index': 0, 'op': 'SCMP_CMP_EQ'}]}]},
      'default_action': 'SCMP_ACT_ERRNO'}, 'base.syscalls[0].action', 'same action as the default'),
    ({'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_NOTIFY'}]}, 'syscalls[0].action', 'needs a listener'),
    ({'base': 'hardened'}, 'base', 'must be a mapping, got str'),
    ({'base': ['hardened']}, 'base', 'must be a mapping, got list'),
    ({'preset': ['hardened']}, 'preset', 'unknown preset'),
    ({'syscalls': 'read'}, 'syscalls', 'must be a list'),
    ({'preset': 'no-exec', 'preset_options': {'deny_fork': 'yes'}}, 'preset_options.deny_fork', 'true or false'),
    ({'name': '../x'}, 'name', 'not a valid profile name'),
    ({'name': 'x\n'}, 'name', 'not a valid profile name'),
])
def test_more_spec_errors_name_the_field(spec, field, words):
    with pytest.raises(s.SpecError) as err:
        s.build_profile(spec, HOST)
    assert err.value.field == field and words in str(err.value), str(err.value)


def test_conditional_rule_equal_to_default_in_log_mode_is_dropped_not_refused():
    # log mode makes a conditional ERRNO rule equal to the LOG default; the rule is dropped
    p = build({'preset': 'runtime-default', 'mode': 'log'})
    assert all(r['action'] != 'SCMP_ACT_LOG' or not r.get('args') for r in p['syscalls'])


def test_log_mode_turns_notify_into_log():
    p = build({'mode': 'log', 'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_NOTIFY'}]})
    assert p['syscalls'] == [{'action': 'SCMP_ACT_LOG', 'names': ['mkdir']}]


@pytest.mark.parametrize('arches,expected', [
    (['x86', 'x86_64'], ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']),
    (['x32', 'x86', 'x86_64', 'x86_64'], ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']),
    (['arm', 'x86', 'aarch64'], ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM', 'SCMP_ARCH_X86']),
    (['x86'], ['SCMP_ARCH_X86']),
    (['mips64n32', 'mips64', 'mips'], ['SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64N32']),
])
def test_architectures_are_put_in_canonical_order(arches, expected):
    assert build({'preset': 'allowlist', 'architectures': arches})['architectures'] == expected
    assert oci.parse_rendered(json.dumps(dict(OCI, architectures=arches)))['architectures'] == expected
