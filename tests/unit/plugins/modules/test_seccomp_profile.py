# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module's target half: validation with libseccomp, files, check/diff mode, absent."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_spec as s
from ansible_collections.confine.hardening.plugins.modules import seccomp_profile as m


class FakeModule(object):
    def __init__(self, params, check_mode=False, diff=False):
        self.params = params
        self.check_mode = check_mode
        self._diff = diff
        self.warnings = []

    def warn(self, text):
        self.warnings.append(text)


def defaults(spec):
    out = {}
    for key, opt in spec.items():
        out[key] = opt.get('default')
    return out


@pytest.fixture
def root(tmp_path):
    return tmp_path


def params(root, **kw):
    p = defaults(m.argument_spec())
    p.update(docker_dir=str(root / 'docker'), kubelet_root=str(root / 'kubelet'),
             containerd_dir=str(root / 'containerd'), bwrap_dir=str(root / 'bwrap'),
             state_dir=str(root / 'state'), name='web', preset='hardened')
    p.update(kw)
    return p


def snapshot(root):
    out = {}
    for dirpath, _dirs, files in os.walk(str(root)):
        for name in files:
            path = os.path.join(dirpath, name)
            out[path] = open(path, 'rb').read()
    return out


def test_install_every_target_then_no_change(root):
    mod = FakeModule(params(root, targets=['docker', 'kubelet', 'containerd', 'bwrap']))
    result = m.run(mod)
    assert result['changed'] is True
    paths = sorted(f['path'] for f in result['files'])
    assert paths == sorted([str(root / 'docker/web.json'), str(root / 'kubelet/seccomp/profiles/web.json'),
                            str(root / 'containerd/web.json'), str(root / 'bwrap/web.x86_64.bpf')])
    text = open(str(root / 'docker/web.json')).read()
    assert text == s.canonical_json(result['profile'])
    assert result['sha256'][str(root / 'docker/web.json')] == __import__('hashlib').sha256(text.encode()).hexdigest()
    manifest = json.load(open(str(root / 'state/web.json')))
    assert sorted(manifest['files']) == paths and manifest['preset'] == 'hardened'
    again = m.run(FakeModule(params(root, targets=['docker', 'kubelet', 'containerd', 'bwrap'])))
    assert again['changed'] is False


def test_check_mode_and_diff_write_nothing(root):
    result = m.run(FakeModule(params(root), check_mode=True, diff=True))
    assert result['changed'] is True
    assert snapshot(root) == {}
    (diff,) = [d for d in result['diff'] if d['after_header'].endswith('docker/web.json')]
    assert diff['before'] == '' and '"defaultAction": "SCMP_ACT_ALLOW"' in diff['after']


@pytest.mark.parametrize('kw,words', [
    ({'syscalls': [{'names': ['definitely_not_a_call'], 'action': 'SCMP_ACT_ERRNO'}]},
     "syscalls[0].names[0]: 'definitely_not_a_call' is not a syscall on any declared architecture"),
    ({'architectures': ['SCMP_ARCH_LOONGARCH64']}, 'SCMP_ARCH_LOONGARCH64'),
    ({'name': '../evil'}, "name: '../evil' is not a valid profile name"),
])
def test_bad_input_changes_nothing(root, kw, words):
    first = m.run(FakeModule(params(root, targets=['docker', 'bwrap'])))
    assert first['changed']
    before = snapshot(root)
    with pytest.raises(m.ProfileError) as err:
        m.run(FakeModule(params(root, targets=['docker', 'bwrap'], **kw)))
    assert words in str(err.value)
    assert snapshot(root) == before


def test_content_from_a_template_is_checked_and_canonicalised(root):
    content = json.dumps({'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_X86_64'],
                          'syscalls': [{'names': ['ptrace'], 'action': 'SCMP_ACT_ERRNO'}]})
    result = m.run(FakeModule(params(root, content=content)))
    assert open(str(root / 'docker/web.json')).read() == s.canonical_json(result['profile'])
    with pytest.raises(m.ProfileError) as err:
        m.run(FakeModule(params(root, content=content.replace('ptrace', 'ptrace_me'))))
    assert "'ptrace_me'" in str(err.value)


def test_partial_arch_gap_is_a_warning_naming_the_field(root):
    mod = FakeModule(params(root, syscalls=[{'names': ['chmod', 'vm86'], 'action': 'SCMP_ACT_ERRNO'}]))
    result = m.run(mod)
    assert result['changed']
    assert any(w.startswith('syscalls[0].names[1]') and "'vm86'" in w for w in mod.warnings), mod.warnings
    assert 'vm86' in result['missing_on_arch']['SCMP_ARCH_X86_64']


def test_dropping_a_target_removes_its_file_and_absent_removes_all(root):
    m.run(FakeModule(params(root, targets=['docker', 'containerd'])))
    result = m.run(FakeModule(params(root, targets=['docker'])))
    assert result['changed'] and not os.path.exists(str(root / 'containerd/web.json'))
    result = m.run(FakeModule(params(root, state='absent', targets=['kubelet'])))
    assert result['changed'] and result['paths'] == [str(root / 'docker/web.json')]
    assert snapshot(root) == {}
    assert m.run(FakeModule(params(root, state='absent')))['changed'] is False


def test_log_mode_file(root):
    result = m.run(FakeModule(params(root, mode='log', preset='runtime-default')))
    profile = json.load(open(str(root / 'docker/web.json')))
    assert profile['defaultAction'] == 'SCMP_ACT_LOG' and result['mode'] == 'log'


def batch(root, profiles, check_mode=False):
    p = params(root, name=None, preset=None, profiles=profiles)
    mod = FakeModule(p, check_mode=check_mode)
    return m.batch.run_batch(mod, m.argument_spec(), m.run, m.ProfileError)


def test_batch_installs_many_then_no_change(root):
    profiles = [{'name': 'a', 'preset': 'hardened'}, {'name': 'b', 'preset': 'runtime-default', 'mode': 'log',
                                                      'targets': ['docker', 'kubelet']}]
    result = batch(root, profiles)
    assert result['changed'] is True and [r['name'] for r in result['profiles']] == ['a', 'b']
    assert (root / 'docker/a.json').exists() and (root / 'kubelet/seccomp/profiles/b.json').exists()
    assert '"SCMP_ACT_LOG"' in (root / 'docker/b.json').read_text()
    assert batch(root, profiles)['changed'] is False


def test_batch_with_one_bad_profile_writes_nothing(root):
    profiles = [{'name': 'a', 'preset': 'hardened'},
                {'name': 'b', 'preset': 'allowlist', 'syscalls': [{'names': ['fooo'], 'action': 'SCMP_ACT_ALLOW'}]}]
    with pytest.raises(m.ProfileError) as err:
        batch(root, profiles)
    assert str(err.value).startswith("profiles[1] (b): syscalls[0].names[0]: 'fooo' is not a syscall")
    assert snapshot(root) == {}
