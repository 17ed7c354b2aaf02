# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""issue 19 through the module's main(): runtime_default (pinned, auto from the versions read
on the target, nearest earlier, fallback) in the result and the record, every default through
this host's libseccomp, and the podman target (check mode, diff, absent, idempotence)."""

import json
import os

import pytest
from conftest import run_main

from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_defaults as defaults
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_oci as oci
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_spec as spec_mod
from ansible_collections.confine.hardening.plugins.modules import seccomp_profile as m


def main_args(root, **kw):
    args = dict(docker_dir=str(root / 'docker'), kubelet_root=str(root / 'kubelet'),
                containerd_dir=str(root / 'containerd'), bwrap_dir=str(root / 'bwrap'),
                podman_dir=str(root / 'podman'), state_dir=str(root / 'state'), name='web', preset='runtime-default')
    args.update(kw)
    return args


@pytest.fixture
def versions(monkeypatch):
    """The runtimes' versions the module reads on the target (no binary is run)."""
    found = {'docker': None, 'containerd': None, 'podman': None}
    monkeypatch.setattr(m.runtime_versions, 'versions', lambda get_bin_path, run_command: dict(found))
    return found


def record(root, name='web'):
    with open(str(root / 'state' / (name + '.json'))) as fh:
        return json.load(fh)


@pytest.mark.parametrize('name', defaults.NAMES)
def test_every_default_passes_this_hosts_libseccomp(tmp_path, versions, name):
    """Names the host's libseccomp does not know (listmount, mseal, lsm_* on 2.5) are dropped as
    preset names, as for docker-20.10's other-arch names; the rest compiles."""
    result = run_main(m, main_args(tmp_path, runtime_default=name, targets=['docker', 'bwrap']))
    assert not result.get('failed'), result.get('msg')
    assert [f['target'] for f in result['files']] == ['docker', 'bwrap']      # the BPF compiled too
    assert result['runtime_default'] == name
    assert result['runtime_default_source'] == {'runtime': defaults.DEFAULTS[name][0], 'version': None,
                                                'how': 'pinned', 'note': None}
    assert record(tmp_path)['runtime_default'] == name


def test_auto_follows_the_docker_version_read_on_the_target(tmp_path, versions):
    versions.update(docker='26.1.5+dfsg1', containerd='1.7.24~ds1')
    result = run_main(m, main_args(tmp_path))
    assert result['runtime_default'] == 'docker-26'
    source = {'runtime': 'docker', 'version': '26.1.5+dfsg1', 'how': 'auto', 'note': None}
    assert result['runtime_default_source'] == source
    assert record(tmp_path)['runtime_default'] == 'docker-26' and record(tmp_path)['runtime_default_source'] == source
    assert 'io_uring_setup' not in oci.profile_names(result['profile'])
    kubelet = run_main(m, main_args(tmp_path, name='k8s', targets=['kubelet']))
    assert kubelet['runtime_default'] == 'containerd-1.7.13' and 'io_uring_setup' in oci.profile_names(kubelet['profile'])
    # containerd 1.7.24 (Debian 13) does not block AF_ALG: no socket rule for domain < 38
    assert [a['op'] for e in kubelet['profile']['syscalls'] if e['names'] == ['socket'] for a in e.get('args', ())] == [
        'SCMP_CMP_NE']


def test_an_unlisted_version_says_which_it_follows_and_no_runtime_falls_back(tmp_path, versions):
    versions.update(docker='29.8.0')
    result = run_main(m, main_args(tmp_path))
    assert result['runtime_default'] == 'docker-29.4.3'
    assert result['runtime_default_source']['note'] == ('Docker 29.8.0 is not listed; following docker-29.4.3, the '
                                                        'nearest earlier listed default')
    absent = run_main(m, main_args(tmp_path, name='pod', targets=['podman']))
    assert absent['runtime_default'] == 'docker-20.10' and absent['runtime_default_source']['how'] == 'fallback'


def test_other_presets_record_no_runtime_default(tmp_path, versions):
    result = run_main(m, main_args(tmp_path, preset='hardened'))
    assert result['runtime_default'] is None and 'runtime_default_source' not in result
    assert 'runtime_default' not in record(tmp_path)


def test_rendered_content_reports_the_default_it_was_rendered_for(tmp_path, versions):
    versions.update(podman='5.4.2')
    host = {'machine': os.uname()[4], 'kernel': os.uname()[2], 'runtime_default': 'podman-5'}
    content = oci.canonical_json(spec_mod.build_profile({'preset': 'runtime-default'}, host)[0])
    result = run_main(m, main_args(tmp_path, targets=['podman'], runtime_default='podman-5', content=content))
    assert result['runtime_default'] == 'podman-5' and result['runtime_default_source']['version'] == '5.4.2'
    assert result['profile']['defaultErrnoRet'] == 38


def test_podman_target_check_diff_install_idempotent_absent(tmp_path, versions):
    versions.update(podman='5.4.2')
    args = main_args(tmp_path, targets=['podman'])
    path = tmp_path / 'podman' / 'web.json'
    check = run_main(m, args, check_mode=True, diff=True)
    assert check['changed'] is True and not path.exists() and not (tmp_path / 'state').exists()
    assert [d['after_header'] for d in check['diff']][0] == str(path)
    first = run_main(m, args)
    assert first['changed'] is True and first['paths'] == [str(path)]
    assert first['files'][0]['target'] == 'podman' and first['created'] == [str(path), str(tmp_path / 'state' / 'web.json')]
    assert path.read_text() == oci.canonical_json(first['profile']) and oct(path.stat().st_mode & 0o777) == '0o644'
    assert first['runtime_default'] == 'podman-5'
    again = run_main(m, args, check_mode=True, diff=True)
    assert again['changed'] is False and 'diff' not in again
    gone = run_main(m, main_args(tmp_path, targets=['podman'], state='absent'), diff=True)
    assert gone['changed'] is True and gone['paths'] == [str(path)] and not path.exists()
    assert run_main(m, main_args(tmp_path, targets=['podman'], state='absent'))['changed'] is False


def test_the_state_dir_may_not_overlap_podman_dir(tmp_path, versions):
    result = run_main(m, main_args(tmp_path, targets=['podman'], state_dir=str(tmp_path / 'podman')))
    assert result['failed'] is True and 'state_dir' in result['msg'] and 'podman_dir' in result['msg']
