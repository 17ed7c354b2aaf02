# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apparmor_profile action plugin's run(), without a playbook: a real DataLoader and
Templar, the task's args validated on the controller against the module's own argument spec
(_apparmor_args), the collection's template and a user template found in the play's
templates/ directory.  The module call is captured."""

import pytest

import action_harness as harness

from ansible_collections.confine.hardening.plugins.action import apparmor_profile as action_mod
from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_spec as spec_mod

# A user template: the collection's layout, plus a comment line after the marker.
USER_TEMPLATE = """{{ apparmor.header[0] }}
# site: {{ site }}
abi <{{ apparmor.abi }}>,
{% for inc in apparmor.tunables %}include <{{ inc }}>
{% endfor %}
profile {{ apparmor.name }} {
{% for rule in apparmor.rules %}  {{ rule }}
{% endfor %}}
"""


def make_action(play_dir, args):
    return harness.make_action(action_mod, play_dir, args)


@pytest.fixture
def play(tmp_path):
    (tmp_path / 'templates').mkdir()
    (tmp_path / 'templates' / 'site.apparmor.j2').write_text(USER_TEMPLATE)
    return tmp_path


def test_the_collections_template_renders_the_layout(play):
    action, calls = make_action(play, {'name': 'web', 'preset': 'container-default', 'mode': 'complain',
                                       'owner': 'platform-team'})
    result = action.run(task_vars={})
    assert result['changed'] is True and [c[0] for c in calls] == [action_mod.MODULE]
    args = calls[0][1]
    spec = {'name': 'web', 'preset': 'container-default', 'mode': 'complain'}
    assert args['content'] == spec_mod.join_layout(spec_mod.layout(spec, owner='platform-team'))
    assert args['name'] == 'web' and 'template' not in args


def test_a_user_template_from_the_plays_templates_dir_sees_task_vars_as_text(play):
    action, calls = make_action(play, {'template': 'site.apparmor.j2', 'preset': 'service', 'attach': '/usr/bin/web',
                                       'profiles': [{'name': 'a'}, {'name': 'b', 'template': None},
                                                    {'name': 'c', 'state': 'absent'}]})
    calls_result = action.run(task_vars={'site': "{{ lookup('pipe', 'id') }}"})
    assert not calls_result.get('failed'), calls_result
    items = calls[0][1]['profiles']
    assert spec_mod.is_ours(items[0]['content']) and "# site: {{ lookup('pipe', 'id') }}\n" in items[0]['content']
    assert 'profile a {\n' in items[0]['content']
    assert items[1]['content'] == spec_mod.join_layout(spec_mod.layout(
        {'name': 'b', 'preset': 'service', 'attach': '/usr/bin/web'}))
    assert 'content' not in items[2]


@pytest.mark.parametrize('args,msg', [
    ({'name': 'web', 'mode': 'loud'}, 'value of mode must be one of: complain, enforce, disabled, got: loud'),
    ({'name': 'web', 'bogus': 1}, 'Unsupported parameters for (confine.hardening.apparmor_profile) module: bogus.'),
    ({'preset': 'service'}, 'one of the following is required: name, profiles'),
    ({'name': 'web', 'profiles': []}, 'parameters are mutually exclusive: name|profiles'),
])
def test_args_that_fail_the_modules_spec_fail_on_the_controller(play, args, msg):
    action, calls = make_action(play, args)
    result = action.run(task_vars={})
    assert result['failed'] is True and result['msg'].startswith(msg) and calls == []


@pytest.mark.parametrize('args,msg', [
    ({'name': 'web', 'content': 'x'}, "AppArmor profile 'web': content: is set by the action plugin"),
    ({'name': 'web', 'template': 'missing.j2'}, "AppArmor profile 'web': template: 'missing.j2' was not found"),
    ({'name': 'web', 'files': [{'path': 'srv', 'perms': 'r'}]},
     "AppArmor profile 'web': files[0].path: 'srv' is not an absolute path"),
    ({'profiles': [{'name': 'a'}, {'name': 'b', 'preset': 'service'}]},
     "AppArmor profiles: profiles[1] (b): attach: the service preset needs the path"),
    ({'profiles': [{'name': 'a'}, {'name': 'b', 'extra_rules': ['include <x>']}]},
     "AppArmor profiles: profiles[1] (b): extra_rules[0]: 'include <x>' is not a rule"),
])
def test_render_errors_are_one_sentence_and_nothing_is_sent(play, args, msg):
    action, calls = make_action(play, args)
    result = action.run(task_vars={})
    assert result['failed'] is True and result['msg'].startswith(msg), result['msg']
    assert '\n' not in result['msg'] and calls == []
