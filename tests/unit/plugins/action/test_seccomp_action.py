# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The seccomp_profile action plugin's run(), without a playbook: a real DataLoader and
Templar, the task's args validated on the controller against the module's own argument spec,
the collection's template and a user template found in the play's templates/ directory.
The module call is captured (the real runs are tests/integration/test_action_plugins.py)."""

import json

import pytest

import action_harness as harness

from ansible_collections.confine.hardening.plugins.action import seccomp_profile as action_mod
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_oci as oci
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_spec as spec_mod

FACTS = {'architecture': 'x86_64', 'kernel': '6.1.0'}
USER_TEMPLATE = '{{ dict(profile, defaultAction="SCMP_ACT_ERRNO", defaultErrnoRet=38) | to_json }}\n'


def make_action(play_dir, args):
    return harness.make_action(action_mod, play_dir, args, facts=FACTS)


@pytest.fixture
def play(tmp_path):
    (tmp_path / 'templates').mkdir()
    (tmp_path / 'templates' / 'enosys.seccomp.j2').write_text(USER_TEMPLATE)
    return tmp_path


def expected(spec):
    return oci.canonical_json(spec_mod.build_profile(spec, {'machine': 'x86_64', 'kernel': '6.1.0'})[0])


def test_the_collections_template_renders_the_resolved_profile(play):
    action, calls = make_action(play, {'name': 'web', 'preset': 'hardened', 'mode': 'log'})
    result = action.run(task_vars={'ansible_facts': dict(FACTS)})
    assert result['changed'] is True and [c[0] for c in calls] == [action_mod.MODULE]   # facts known: no gather
    args = calls[0][1]
    assert oci.canonical_json(json.loads(args['content'])) == expected({'preset': 'hardened', 'mode': 'log'})
    assert args['name'] == 'web' and 'ansible_facts' not in result


def test_a_user_template_from_the_plays_templates_dir_and_facts_gathered_once(play):
    action, calls = make_action(play, {'template': 'enosys.seccomp.j2', 'preset': 'allowlist',
                                       'profiles': [{'name': 'a'}, {'name': 'b', 'template': None},
                                                    {'name': 'c', 'state': 'absent'}]})
    result = action.run(task_vars={})
    assert [c[0] for c in calls] == ['ansible.legacy.setup', action_mod.MODULE]
    assert result['ansible_facts'] == FACTS
    items = calls[1][1]['profiles']
    assert json.loads(items[0]['content'])['defaultErrnoRet'] == 38
    assert oci.canonical_json(json.loads(items[1]['content'])) == expected({'preset': 'allowlist'})
    assert 'content' not in items[2]


def test_the_hardening_facts_uname_stands_in_for_fact_gathering(play):
    """harden.yml gathers no facts: the role's hardening_facts run gives the architecture and kernel,
    so rendering runs no setup module; what fact gathering found wins over it."""
    ours = {action_mod.FACTS_KEY: {'host': {'machine': 'aarch64', 'kernel': '6.12.0'}}}
    action, calls = make_action(play, {'name': 'web', 'preset': 'hardened'})
    result = action.run(task_vars={'ansible_facts': dict(ours)})
    assert [c[0] for c in calls] == [action_mod.MODULE] and 'ansible_facts' not in result
    content = json.loads(calls[0][1]['content'])
    assert oci.canonical_json(content) == oci.canonical_json(
        spec_mod.build_profile({'preset': 'hardened'}, {'machine': 'aarch64', 'kernel': '6.12.0'})[0])
    action, calls = make_action(play, {'name': 'web', 'preset': 'hardened'})
    action.run(task_vars={'ansible_facts': dict(FACTS, **ours)})
    assert oci.canonical_json(json.loads(calls[0][1]['content'])) == expected({'preset': 'hardened'})


@pytest.mark.parametrize('args,msg', [
    ({'name': 'web', 'mode': 'loud'}, 'value of mode must be one of: enforce, log, got: loud'),
    ({'name': 'web', 'bogus': 1}, 'Unsupported parameters for (confine.hardening.seccomp_profile) module: bogus.'),
    ({'preset': 'hardened'}, 'one of the following is required: name, profiles'),
    ({'name': 'web', 'preset': 'hardened', 'base': {}}, 'parameters are mutually exclusive: preset|base'),
])
def test_args_that_fail_the_modules_spec_fail_on_the_controller(play, args, msg):
    action, calls = make_action(play, args)
    result = action.run(task_vars={'ansible_facts': dict(FACTS)})
    assert result['failed'] is True and result['msg'].startswith(msg) and calls == []


@pytest.mark.parametrize('args,msg', [
    ({'name': 'web', 'content': '{}'}, "seccomp profile 'web': content: is set by the action plugin"),
    ({'name': 'web', 'template': 'missing.j2'}, "seccomp profile 'web': template: 'missing.j2' was not found"),
    ({'name': 'web', 'remove': ['chmod'], 'preset': 'hardened'},
     "seccomp profile 'web': remove[0]: 'chmod' is not named by any rule of the preset or base"),
    ({'profiles': [{'name': 'a'}, {'name': 'b', 'base': {'preset': 'loud'}}]},
     "seccomp profiles: profiles[1] (b): base.preset: unknown preset 'loud'"),
])
def test_render_errors_are_one_sentence_and_nothing_is_sent(play, args, msg):
    action, calls = make_action(play, args)
    result = action.run(task_vars={'ansible_facts': dict(FACTS)})
    assert result['failed'] is True and result['msg'].startswith(msg) and '\n' not in result['msg']
    assert calls == []


def runtime_facts(docker=None, containerd=None):
    return {'runtimes': {'docker': {'present': bool(docker), 'version': docker},
                         'containerd': {'present': bool(containerd), 'version': containerd}}}


def test_runtime_default_auto_follows_the_hardening_facts(play):
    """issue 19: Docker 26 in the facts renders Docker 26's default (no io_uring); no module runs to find out."""
    action, calls = make_action(play, {'name': 'web', 'preset': 'runtime-default'})
    facts = dict(FACTS, confine_hardening_host=runtime_facts(docker='26.1.5+dfsg1'))
    result = action.run(task_vars={'ansible_facts': facts})
    assert [c[0] for c in calls] == [action_mod.MODULE] and 'ansible_facts' not in result
    content = json.loads(calls[0][1]['content'])
    host = {'machine': 'x86_64', 'kernel': '6.1.0', 'runtime_default': 'docker-26'}
    assert oci.canonical_json(content) == oci.canonical_json(spec_mod.build_profile({'preset': 'runtime-default'}, host)[0])
    assert 'io_uring_setup' not in oci.profile_names(content)
    assert calls[0][1].get('runtime_default') is None       # the module reads the versions itself


def test_runtime_default_without_facts_runs_hardening_facts_once(play):
    action, calls = make_action(play, {'preset': 'runtime-default', 'targets': ['containerd'],
                                       'profiles': [{'name': 'a'}, {'name': 'b'}, {'name': 'c', 'preset': 'hardened'}]})
    sent = action._execute_module

    def execute_module(module_name=None, module_args=None, task_vars=None, **kwargs):
        if module_name == action_mod.FACTS_MODULE:
            calls.append((module_name, module_args))
            return {'ansible_facts': {action_mod.FACTS_KEY: runtime_facts(containerd='2.0.5')}}
        return sent(module_name=module_name, module_args=module_args, task_vars=task_vars)
    action._execute_module = execute_module
    result = action.run(task_vars={'ansible_facts': dict(FACTS)})
    assert [c[0] for c in calls] == [action_mod.FACTS_MODULE, action_mod.MODULE]
    assert result['ansible_facts'][action_mod.FACTS_KEY]['runtimes']['containerd']['version'] == '2.0.5'
    items = calls[1][1]['profiles']
    assert 'io_uring_setup' not in oci.profile_names(json.loads(items[0]['content']))
    host = {'machine': 'x86_64', 'kernel': '6.1.0', 'runtime_default': 'containerd-2.0'}
    assert items[1]['content'] and oci.canonical_json(json.loads(items[1]['content'])) == oci.canonical_json(
        spec_mod.build_profile({'preset': 'runtime-default'}, host)[0])


def test_a_pinned_runtime_default_needs_no_facts(play):
    action, calls = make_action(play, {'name': 'web', 'preset': 'runtime-default', 'runtime_default': 'docker-25'})
    action.run(task_vars={'ansible_facts': dict(FACTS)})
    assert [c[0] for c in calls] == [action_mod.MODULE]
    assert 'io_uring_setup' not in oci.profile_names(json.loads(calls[0][1]['content']))
