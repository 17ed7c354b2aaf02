# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hardening_facts: what the host offers for seccomp, AppArmor and the container runtimes."""

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
    assert facts['apparmor'] == {'available': False, 'reason': 'securityfs is not mounted at %s' % (host / 'security')}
    assert facts['runtimes']['kubelet'] == {'present': True, 'active': False, 'path': '/usr/bin/kubelet',
                                            'config': str(config)}


def test_main_gathers_the_facts_through_the_argument_spec(host):
    result = run_main(m, {'kubelet_config': str(host / 'missing.yaml')}, check_mode=True)
    facts = result['ansible_facts']['confine_hardening_host']
    assert result['changed'] is False and sorted(facts) == ['apparmor', 'runtimes', 'seccomp']
    assert facts['runtimes']['kubelet']['config'] is None and facts['apparmor']['available'] is False
    assert sorted(facts['runtimes']) == ['containerd', 'docker', 'kubelet']
    assert run_main(m, {'kubelet': '/x'})['msg'].startswith('Unsupported parameters for (')


def test_main_fails_in_one_sentence_not_a_traceback(host, monkeypatch):
    def broken():
        raise OSError(5, 'Input/output error')
    monkeypatch.setattr(m, 'seccomp_facts', broken)
    assert run_main(m, {}) == {'failed': True, 'msg': 'unexpected OSError: [Errno 5] Input/output error'}
