"""roles/host_hardening and the playbooks: one home for each piece (issue 12 item 4).

One rollout playbook, one dockerd wait, the stage's mode at task level, one record-path
variable, every module in meta/runtime.yml's groups, every role variable in the README."""

import glob
import os
import re

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..'))
ROLE = os.path.join(ROOT, 'roles', 'host_hardening')
RECORD_DEFAULT = '/etc/ansible/facts.d/confine_hardening.fact'


def load(*parts):
    with open(os.path.join(ROOT, *parts)) as fh:
        return yaml.safe_load(fh)


def text(path):
    with open(path) as fh:
        return fh.read()


def role_task_files():
    return sorted(glob.glob(os.path.join(ROLE, 'tasks', '*.yml')) + glob.glob(os.path.join(ROLE, 'handlers', '*.yml')))


def test_the_root_harden_yml_imports_the_one_rollout_playbook():
    (play,) = load('harden.yml')
    assert play['ansible.builtin.import_playbook'] == 'playbooks/harden.yml'
    assert set(play) == {'name', 'ansible.builtin.import_playbook'}
    (rollout,) = load('playbooks', 'harden.yml')
    assert rollout['roles'] == [{'role': 'confine.hardening.host_hardening'}]


def test_dockerd_is_waited_for_in_one_task():
    waits = [(os.path.basename(path), task) for path in role_task_files() for task in load(path) or []
             if 'docker info' in str(task.get('ansible.builtin.command', '')) and 'until' in task]
    assert [name for name, task in waits] == ['docker_wait.yml']
    assert load('roles', 'host_hardening', 'tasks', 'docker_restart.yml')[1]['ansible.builtin.import_tasks'] == 'docker_wait.yml'
    assert load('roles', 'host_hardening', 'tasks', 'docker_reload.yml')[2]['ansible.builtin.import_tasks'] == 'docker_wait.yml'


def test_the_stage_mode_is_passed_at_task_level_and_no_module_default_is_re_encoded():
    for kind in ('seccomp', 'apparmor'):
        (task,) = load('roles', 'host_hardening', 'tasks', '%s.yml' % kind)
        args = task['confine.hardening.%s_profile' % kind]
        assert args['profiles'] == '{{ host_hardening_%s_profiles }}' % kind
        assert '_host_hardening_stage' in args['mode']
    for path in role_task_files():
        assert 'product(' not in text(path), path


def test_the_record_path_default_is_written_once():
    holders = []
    for path in (role_task_files() + glob.glob(os.path.join(ROLE, '*', 'main.yml'))
                 + glob.glob(os.path.join(ROOT, 'playbooks', '*.yml')) + [os.path.join(ROOT, 'harden.yml')]):
        if RECORD_DEFAULT in text(path):
            holders.append(os.path.relpath(path, ROLE))
    # the default, and its description in the argument spec (a unit test keeps them equal)
    assert sorted(set(holders)) == ['defaults/main.yml']
    spec = load('roles', 'host_hardening', 'meta', 'argument_specs.yml')['argument_specs']['main']['options']
    assert spec['host_hardening_record_path']['default'] == RECORD_DEFAULT
    assert load('roles', 'host_hardening', 'tasks', 'verify_record.yml')[0]['confine.hardening.hardening_verify'][
        'record'] == '{{ host_hardening_record_path }}'


def test_every_module_is_in_the_action_groups():
    groups = load('meta', 'runtime.yml')['action_groups']
    modules = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, 'plugins', 'modules', '*.py')))
    assert sorted(groups['hardening']) == modules
    assert sorted(groups['profiles']) == ['apparmor_profile', 'seccomp_profile']


def shown(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if value == '':
        return "''"
    if isinstance(value, (list, dict)):
        return '[]' if isinstance(value, list) else '{}'
    return str(value)


def test_the_readme_lists_every_role_variable_with_its_default():
    rows = dict((m.group(1), m.group(2)) for m in
                re.finditer(r'^\| `(host_hardening_\w+)` \| `([^`]*)` \|', text(os.path.join(ROOT, 'README.md')), re.M))
    defaults = load('roles', 'host_hardening', 'defaults', 'main.yml')
    assert sorted(rows) == sorted(defaults)
    for name, value in defaults.items():
        assert rows[name] == shown(value), name
