"""roles/host_hardening: meta/argument_specs.yml and defaults/main.yml stay in sync."""

import os

import yaml

ROLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'roles', 'host_hardening')


def load(*parts):
    with open(os.path.join(ROLE, *parts)) as fh:
        return yaml.safe_load(fh)


def test_every_default_is_specified_with_the_same_default_and_type():
    defaults = load('defaults', 'main.yml')
    options = load('meta', 'argument_specs.yml')['argument_specs']['main']['options']
    assert sorted(defaults) == sorted(options)
    python_types = {'bool': bool, 'list': list, 'dict': dict, 'str': str, 'path': str, 'int': int}
    for name, value in defaults.items():
        spec = options[name]
        assert name.startswith('host_hardening_'), name
        assert spec.get('default') == value, name
        assert isinstance(value, python_types[spec['type']]), name
        assert spec.get('description'), name


def test_recorded_collection_version_is_galaxy_yml_version():
    with open(os.path.join(ROLE, '..', '..', 'galaxy.yml')) as fh:
        galaxy = yaml.safe_load(fh)
    assert load('vars', 'main.yml')['_host_hardening_collection_version'] == galaxy['version']


# issue 11 item 13: the lock is held across the whole role run and given back whatever happens
def test_the_role_run_and_the_rollback_hold_the_lock_and_give_it_back_in_always():
    for tasks in ('main.yml', 'rollback.yml'):
        (outer,) = load('tasks', tasks)
        assert outer['block'][0]['ansible.builtin.import_tasks'] == 'lock.yml', tasks
        assert [t['ansible.builtin.import_tasks'] for t in outer['always']] == ['unlock.yml'], tasks
    (name_run, forget, take) = load('tasks', 'lock.yml')
    # a second role run in one playbook (the rollback after harden.yml) reads none of the first's results
    assert forget['ansible.builtin.set_fact'] == {'_host_hardening_report_written': {},
                                                  '_host_hardening_docker_restart': {},
                                                  '_host_hardening_docker_daemon': {}}
    # taken by the module run that looks at the host, before it reads anything
    assert take['confine.hardening.hardening_facts']['lock'] == '{{ __host_hardening_lock }}'
    assert take['register'] == '_host_hardening_lock'
    options = load('vars', 'main.yml')['__host_hardening_lock']
    assert options['timeout'] == '{{ host_hardening_lock_timeout }}'
    assert options['max_age'] == '{{ host_hardening_lock_max_age }}'
    assert options['run_id'] == '{{ _host_hardening_run_id }}'
    assert name_run['when'] == '_host_hardening_run_id is not defined'
    # given back by the report's module run, and else in always: (a failure before the report, the rollback)
    write = [t for t in load('tasks', 'report.yml') if 'confine.hardening.hardening_report' in t][0]
    assert write['confine.hardening.hardening_report']['lock'] == (
        '{{ __host_hardening_lock if _host_hardening_lock.acquired | default(false) else omit }}')
    assert write['register'] == '_host_hardening_report_written'
    (give,) = load('tasks', 'unlock.yml')
    assert give['confine.hardening.hardening_lock']['state'] == 'released'
    assert give['when'] == ['_host_hardening_lock.acquired | default(false)',
                            'not (_host_hardening_report_written.lock_released | default(false))']


# issue 11 item 8: the restore and the rollback are told every directory the role writes
def test_the_restore_and_the_rollback_are_told_the_role_directories():
    (outer,) = load('tasks', 'rollback.yml')
    rollback = outer['block'][1]['confine.hardening.hardening_restore']
    rescue = load('tasks', 'restore.yml')[1]['confine.hardening.hardening_restore']
    for args in (rollback, rescue):
        assert args['seccomp_dirs'] == '{{ __host_hardening_seccomp_dirs }}'
        assert args['apparmor_dir'] == '{{ host_hardening_apparmor_dir }}'
        assert args['state_dir'] == '{{ host_hardening_state_dir }}'
        assert args['kubelet_config'] == '{{ host_hardening_kubelet_config }}'
