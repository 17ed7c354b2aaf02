# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hardening_facts: what the host offers for seccomp, AppArmor and the container runtimes."""

import json
import os
import random
import subprocess
import sys

import pytest

from ansible_collections.confine.hardening.plugins.modules import hardening_facts as m

from conftest import FakeModule, run_main


@pytest.fixture
def host(tmp_path, monkeypatch):
    """A host with seccomp actions and AppArmor enabled but no securityfs mounted."""
    actions = tmp_path / 'actions_avail'
    actions.write_text('kill_process kill_thread trap errno user_notif trace log allow\n')
    enabled = tmp_path / 'enabled'
    enabled.write_text('Y\n')
    monkeypatch.setattr(m, 'ACTIONS', str(actions))
    monkeypatch.setattr(m.aa_host, 'ENABLED', str(enabled))
    monkeypatch.setattr(m.aa_host, 'SECURITYFS', str(tmp_path / 'security'))
    return tmp_path


def test_seccomp_facts_read_the_kernel(host):
    facts = m.seccomp_facts()
    assert facts['actions'][0] == 'kill_process' and len(facts['actions']) == 8
    assert facts['supported'] is True     # the test process itself has a Seccomp: line
    (host / 'actions_avail').write_text('')
    assert m.seccomp_facts() == {'supported': False, 'actions': []}


def test_a_runtime_is_present_and_active_when_systemctl_says_so():
    seen = []

    def systemctl(args):
        seen.append(args)
        return (0, '', '') if args[-1] == 'docker' else (3, '', '')
    module = FakeModule({}, bins={'dockerd': '/usr/bin/dockerd', 'containerd': '/usr/bin/containerd',
                                  'kubelet': None, 'systemctl': '/bin/systemctl'}, responder=systemctl)
    assert m.runtime(module, 'dockerd', 'docker') == {'present': True, 'active': True, 'path': '/usr/bin/dockerd'}
    assert m.runtime(module, 'containerd', 'containerd') == {'present': True, 'active': False,
                                                             'path': '/usr/bin/containerd'}
    assert m.runtime(module, 'kubelet', 'kubelet') == {'present': False, 'active': False, 'path': None}
    assert seen == [['/bin/systemctl', 'is-active', '--quiet', 'docker'],
                    ['/bin/systemctl', 'is-active', '--quiet', 'containerd']]


def test_run_reports_apparmor_and_the_kubelet_config(host):
    config = host / 'config.yaml'
    config.write_text('kind: KubeletConfiguration\n')
    module = FakeModule({'kubelet_config': str(config)}, bins={'kubelet': '/usr/bin/kubelet', 'systemctl': None})
    result = m.run(module)
    facts = result['ansible_facts']['confine_hardening_host']
    assert result['changed'] is False
    assert dict((k, facts['apparmor'][k]) for k in ('available', 'reason')) == {
        'available': False, 'reason': 'securityfs is not mounted at %s' % (host / 'security')}
    assert facts['runtimes']['kubelet'] == {'present': True, 'active': False, 'path': '/usr/bin/kubelet',
                                            'config': str(config), 'seccomp_default': False}


def test_main_gathers_the_facts_through_the_argument_spec(host):
    result = run_main(m, {'kubelet_config': str(host / 'missing.yaml')}, check_mode=True)
    facts = result['ansible_facts']['confine_hardening_host']
    assert result['changed'] is False and sorted(facts) == ['apparmor', 'host', 'runtimes', 'seccomp']
    assert facts['runtimes']['kubelet']['config'] is None and facts['apparmor']['available'] is False
    assert sorted(facts['runtimes']) == ['containerd', 'docker', 'kubelet', 'podman', 'runc']
    assert run_main(m, {'kubelet': '/x'})['msg'].startswith('Unsupported parameters for (')


def test_main_fails_in_one_sentence_not_a_traceback(host, monkeypatch):
    def broken():
        raise OSError(5, 'Input/output error')
    monkeypatch.setattr(m, 'seccomp_facts', broken)
    assert run_main(m, {}) == {'failed': True, 'msg': 'unexpected OSError: [Errno 5] Input/output error'}


def test_run_reports_the_runtimes_and_libseccomp_versions(host, monkeypatch):
    """issue 19: the versions seccomp_profile's runtime_default: auto follows, read from --version."""
    outputs = {
        '/usr/sbin/dockerd': 'Docker version 26.1.5+dfsg1, build 411e817\n',
        '/usr/bin/containerd': 'containerd github.com/containerd/containerd 1.7.24~ds1 1.7.24~ds1-6+b2\n',
        '/usr/bin/podman': 'podman version 5.4.2\n',
        '/usr/sbin/runc': 'runc version 1.1.15+ds1\ncommit: 1.1.15+ds1-2\nlibseccomp: 2.6.0\n',
    }

    def answer(args):
        return (0, outputs[args[0]], '') if args[0] in outputs else (3, '', '')
    monkeypatch.setattr(m.runtime_versions.libseccomp, 'load', _no_libseccomp)
    bins = {'dockerd': '/usr/sbin/dockerd', 'containerd': '/usr/bin/containerd', 'podman': '/usr/bin/podman',
            'runc': '/usr/sbin/runc', 'kubelet': None, 'systemctl': None}
    facts = m.run(FakeModule({'kubelet_config': str(host / 'none')}, bins=bins, responder=answer))
    facts = facts['ansible_facts']['confine_hardening_host']
    assert dict((k, v.get('version')) for k, v in facts['runtimes'].items()) == {
        'docker': '26.1.5+dfsg1', 'containerd': '1.7.24~ds1', 'podman': '5.4.2', 'runc': '1.1.15+ds1', 'kubelet': None}
    assert facts['seccomp']['libseccomp'] == '2.6.0'       # from runc, as the library did not load
    bins.update(podman=None)
    facts = m.run(FakeModule({'kubelet_config': str(host / 'none')}, bins=bins, responder=lambda args: (1, '', 'no')))
    podman = facts['ansible_facts']['confine_hardening_host']['runtimes']['podman']
    assert podman == {'present': False, 'active': False, 'path': None, 'version': None}
    assert facts['ansible_facts']['confine_hardening_host']['runtimes']['docker']['version'] is None


def _no_libseccomp():
    raise m.runtime_versions.libseccomp.LibseccompError('libseccomp.so.2 cannot be loaded')


def test_run_reports_the_apparmor_parser_version_and_abi(host, monkeypatch):
    """issue 19: the parser's version, its ABI files and the kernel's features (AppArmor 4.1 on a 6.12 kernel)."""
    features = host / 'security' / 'apparmor' / 'features'
    for path in ('namespaces', 'io_uring', 'network_v8', 'policy/versions/v8'):
        (features / path).mkdir(parents=True)
    (features / 'namespaces' / 'mask').write_text('userns_create\n')
    (host / 'security' / 'apparmor' / 'profiles').write_text('')
    (host / 'abi').mkdir()
    for name in ('3.0', '4.0', 'kernel-5.4-vanilla'):
        (host / 'abi' / name).write_text('')
    monkeypatch.setattr(m.aa_host, 'ABI_DIR', str(host / 'abi'))
    monkeypatch.setattr(m.aa_host, '_USERNS', {})

    def parser(args):
        return (0, 'AppArmor parser version 4.1.0\n', '') if args == ['/sbin/apparmor_parser', '--version'] else None

    module = FakeModule({'kubelet_config': str(host / 'none')},
                        bins={'apparmor_parser': '/sbin/apparmor_parser', 'systemctl': None}, responder=parser)
    apparmor = m.run(module)['ansible_facts']['confine_hardening_host']['apparmor']
    assert apparmor == {'available': True, 'reason': None, 'parser_version': '4.1.0',
                        'abi': {'files': ['abi/3.0', 'abi/4.0'],
                                'kernel': {'userns': True, 'mqueue': False, 'io_uring': True, 'network_v8': True,
                                           'af_unix': False, 'policy': ['v8']}}}


def test_the_record_gives_back_only_the_two_settings_in_their_form(tmp_path):
    """The role reads what an earlier run set host-wide from the record (no fact gathering). The
    record is on the host, so it is untrusted: only a profile name and a sha256 are taken."""
    record = tmp_path / 'record.fact'
    sha = 'a' * 64
    record.write_text(json.dumps({'runtime': {'docker_default_seccomp': 'web', 'podman_containers_conf_sha256': sha,
                                              'docker_daemon_json': '/etc/passwd'}}))
    assert m.recorded_runtime(str(record)) == {'present': True, 'docker_default_seccomp': 'web',
                                               'podman_containers_conf_sha256': sha}
    assert m.recorded_runtime(str(tmp_path / 'missing')) == {
        'present': False, 'docker_default_seccomp': '', 'podman_containers_conf_sha256': ''}
    for hostile in ('../../etc/shadow', 'a/b', '', ' web', 'web\n', 7, None, ['web'], {'x': 1}, 'x' * 129):
        record.write_text(json.dumps({'runtime': {'docker_default_seccomp': hostile,
                                                  'podman_containers_conf_sha256': hostile}}))
        got = m.recorded_runtime(str(record))
        assert got['docker_default_seccomp'] == '' and got['podman_containers_conf_sha256'] == '', hostile
    for text in ('not json', '[1, 2]', '{"runtime": [1]}', '{"runtime": "web"}'):
        record.write_text(text)
        assert m.recorded_runtime(str(record))['docker_default_seccomp'] == ''


def test_a_fifo_where_the_record_should_be_fails_in_one_sentence_without_blocking(host, tmp_path):
    fifo = tmp_path / 'record.fifo'
    os.mkfifo(str(fifo))
    result = run_main(m, {'record': str(fifo), 'kubelet_config': str(tmp_path / 'none.yaml')})
    assert result['failed'] and result['msg'] == (
        'record: %s is a FIFO, not a regular file; nothing was changed' % fifo)
    result = run_main(m, {'record': str(tmp_path), 'kubelet_config': str(tmp_path / 'none.yaml')})
    assert result['failed'] and 'is a directory, not a regular file' in result['msg']


# The role takes the host's lease in the module run that looks at the host (one module run, not two).
def test_the_lock_option_takes_the_lease_before_reading_and_gives_it_back_when_the_facts_fail(host, tmp_path):
    lease = tmp_path / 'state' / 'lock.json'
    spec = {'path': str(lease), 'run_id': 'run-a', 'host': 'web1', 'timeout': 1}
    result = run_main(m, {'kubelet_config': str(tmp_path / 'none.yaml'), 'lock': spec})
    assert result['acquired'] is True and result['lock_file'] == str(lease) and not result['changed']
    assert json.loads(lease.read_text())['run_id'] == 'run-a'
    assert 'confine_hardening_host' in result['ansible_facts']
    # the same run again holds it already; another run waits (timeout 1 s), then fails naming the holder
    assert run_main(m, {'kubelet_config': str(tmp_path / 'none.yaml'), 'lock': spec})['acquired'] is True
    other = run_main(m, {'kubelet_config': str(tmp_path / 'none.yaml'), 'lock': dict(spec, run_id='run-b')})
    assert other['failed'] and other['msg'].startswith('lock: %s is held by run run-a' % lease), other['msg']
    assert 'ansible_facts' not in other and json.loads(lease.read_text())['run_id'] == 'run-a'
    lease.unlink()
    # facts that cannot be read fail the task, and the lease this run took is given back
    fifo = tmp_path / 'record.fifo'
    os.mkfifo(str(fifo))
    failed = run_main(m, {'record': str(fifo), 'kubelet_config': str(tmp_path / 'none.yaml'), 'lock': spec})
    assert failed['failed'] and failed['msg'].startswith('record: ') and not lease.exists()
    # a lease an earlier task of the same run took stays with that run when the facts fail
    assert run_main(m, {'kubelet_config': str(tmp_path / 'none.yaml'), 'lock': spec})['acquired'] is True
    failed = run_main(m, {'record': str(fifo), 'kubelet_config': str(tmp_path / 'none.yaml'), 'lock': spec})
    assert failed['failed'] and failed['msg'].startswith('record: ') and lease.exists()
    assert 'already' not in run_main(m, {'kubelet_config': str(tmp_path / 'none.yaml'), 'lock': spec})
    lease.unlink()
    # check mode looks at the lease but does not take it; a bad suboption is named
    looked = run_main(m, {'kubelet_config': str(tmp_path / 'none.yaml'), 'lock': spec}, check_mode=True)
    assert looked['acquired'] is False and not lease.exists()
    bad = run_main(m, {'kubelet_config': str(tmp_path / 'none.yaml'), 'lock': dict(spec, timeout=-1)})
    assert bad['failed'] and bad['msg'] == 'lock.timeout must be 0 or more seconds, not -1'
    # a symlink where the lease should be is refused, and nothing is read or written through it
    lease.parent.mkdir(exist_ok=True)
    os.symlink(str(tmp_path / 'elsewhere'), str(lease))
    linked = run_main(m, {'kubelet_config': str(tmp_path / 'none.yaml'), 'lock': spec})
    assert linked['failed'] and linked['msg'].startswith('lock.path: %s is a symlink' % lease), linked['msg']
    assert not (tmp_path / 'elsewhere').exists()


# The role leaves its kubelet edit out where lineinfile would change nothing: the last
# ^seccompDefault: line is "seccompDefault: true" and a newline, byte for byte (as lineinfile compares).
def test_the_kubelet_seccomp_default_is_seen_exactly_where_lineinfile_would_change_nothing(tmp_path):
    config = tmp_path / 'config.yaml'
    cases = {
        b'kind: KubeletConfiguration\nseccompDefault: true\n': True,
        b'seccompDefault: true\r\n': False,                   # lineinfile rewrites it with \n
        b'seccompDefault: true': False,                       # and adds the newline
        b'seccompDefault: false\nseccompDefault: true\n': True,     # lineinfile edits the last match
        b'seccompDefault: true\nseccompDefault: false\n': False,
        b'seccompDefault: true \n': False,
        b'seccompDefault:  true\n': False,
        b' seccompDefault: true\n': False,
        b'# seccompDefault: true\n': False,
        b'seccompdefault: true\n': False,
        b'kind: KubeletConfiguration\n': False,
        b'': False,
    }
    for text, want in cases.items():
        config.write_bytes(text)
        assert m.kubelet_seccomp_default(str(config)) is want, text
    # what cannot be read as a small regular file reads as not set (the edit then decides)
    config.write_bytes(b'seccompDefault: true\n' + b'#' * (1024 * 1024))
    assert m.kubelet_seccomp_default(str(config)) is False
    fifo = tmp_path / 'fifo.yaml'
    os.mkfifo(str(fifo))
    assert m.kubelet_seccomp_default(str(fifo)) is False
    assert m.kubelet_seccomp_default(str(tmp_path / 'missing.yaml')) is False


# The same prediction against the real lineinfile: every generated config, in one playbook run
# (check mode), changes exactly where the facts say the line is not there yet.
def test_the_prediction_matches_lineinfile_on_generated_configs(tmp_path):
    ansible = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    if not os.path.exists(ansible):
        pytest.skip('ansible-playbook is not installed beside this python')
    rng = random.Random(20261207)
    parts = [b'seccompDefault: true', b'seccompDefault: false', b'seccompDefault:true', b'seccompDefault: true ',
             b' seccompDefault: true', b'#seccompDefault: true', b'kind: KubeletConfiguration', b'',
             b'seccompDefault: true\r', b'xseccompDefault: true', b'seccompDefault: "true"']
    configs = []
    for i in range(30):
        lines = [rng.choice(parts) for _n in range(rng.randint(0, 4))]
        text = b'\n'.join(lines) + rng.choice([b'', b'\n', b'\r\n'])
        path = tmp_path / ('c%02d.yaml' % i)
        path.write_bytes(text)
        configs.append(str(path))
    play = tmp_path / 'play.yml'
    play.write_text("""
- hosts: localhost
  gather_facts: false
  connection: local
  tasks:
    - ansible.builtin.lineinfile: {path: "{{ item }}", regexp: '^seccompDefault:', line: 'seccompDefault: true'}
      loop: "{{ configs }}"
      check_mode: true
      register: edits
    - ansible.builtin.copy: {content: "{{ edits.results | map(attribute='changed') | list | to_json }}", dest: "{{ out }}"}
""")
    out = tmp_path / 'changed.json'
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_NOCOLOR='1')
    proc = subprocess.run([ansible, '-i', 'localhost,', str(play), '-e', json.dumps({'configs': configs, 'out': str(out)})],
                          capture_output=True, text=True, env=env, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    changed = json.loads(out.read_text())
    predicted = [not m.kubelet_seccomp_default(path) for path in configs]
    assert changed == predicted, [(open(p, 'rb').read(), c) for p, c, w in zip(configs, changed, predicted) if c != w]
    assert True in changed and False in changed     # both outcomes were generated
