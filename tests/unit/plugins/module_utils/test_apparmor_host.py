# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_apparmor_host: the one home of the AppArmor host code (issue 12 item 2), on scratch paths:
whether AppArmor is usable, the parser's command lines, what is loaded, disable/ links, the
parser cache and who declares a profile."""

import os

import pytest
from conftest import FakeModule

from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_host as aa_host
from ansible_collections.confine.hardening.plugins.module_utils._common import ModuleError


@pytest.fixture
def host(tmp_path, monkeypatch):
    fs = tmp_path / 'securityfs'
    (fs / 'apparmor').mkdir(parents=True)
    (fs / 'apparmor' / 'profiles').write_text('docker-default (enforce)\n/usr/bin/man (complain)\nweb//child (enforce)\n')
    enabled = tmp_path / 'enabled'
    enabled.write_text('Y\n')
    monkeypatch.setattr(aa_host, 'SECURITYFS', str(fs))
    monkeypatch.setattr(aa_host, 'ENABLED', str(enabled))
    monkeypatch.setattr(aa_host, 'CACHE_GLOB', str(tmp_path / 'cache' / '*' / '%s'))
    monkeypatch.setattr(aa_host, '_USERNS', {})
    return tmp_path


def test_the_paths_are_read_at_call_time(host):
    assert aa_host.loaded_profiles() == {'docker-default': 'enforce', '/usr/bin/man': 'complain',
                                         'web//child': 'enforce'}
    aa_host.unload('web')
    assert (host / 'securityfs' / 'apparmor' / '.remove').read_text() == 'web'


@pytest.mark.parametrize('change,words', [
    (lambda root: (root / 'enabled').unlink(), 'the kernel has no AppArmor'),
    (lambda root: (root / 'enabled').write_text('N\n'), 'AppArmor is built into the kernel but disabled'),
    (lambda root: (root / 'securityfs' / 'apparmor' / 'profiles').unlink(), 'securityfs is not mounted'),
    (lambda root: None, None),
])
def test_unavailable_reason(host, change, words):
    change(host)
    reason = aa_host.unavailable_reason(FakeModule(bins={'apparmor_parser': '/sbin/apparmor_parser'}).get_bin_path)
    assert reason is None if words is None else words in reason


def test_no_parser_is_a_reason_and_the_lookup_is_one_call(host):
    asked = []

    def get_bin_path(name, required=False, opt_dirs=None):
        asked.append((name, required, tuple(opt_dirs or ())))

    assert aa_host.unavailable_reason(get_bin_path) == 'apparmor_parser is not installed (Debian package apparmor)'
    assert asked == [('apparmor_parser', False, ('/sbin', '/usr/sbin'))]


@pytest.mark.parametrize('complain,flags', [(False, []), (True, ['-C'])])
def test_load_is_replace_with_the_boot_cache_refreshed(complain, flags):
    mod = FakeModule(responder=lambda args: (0, '', ''))
    assert aa_host.load(mod, '/sbin/apparmor_parser', '/etc/apparmor.d/web', complain=complain) == (0, '', '')
    assert mod.commands == [['/sbin/apparmor_parser', '-r', '-T', '-W'] + flags + ['/etc/apparmor.d/web']]


def test_load_or_fail_is_one_sentence_without_the_parser_noise():
    mod = FakeModule(responder=lambda args: (1, '', 'Cache read/write disabled: x\nPermission\x1b denied\n\n'))
    with pytest.raises(ModuleError) as err:
        aa_host.load_or_fail(mod, '/sbin/apparmor_parser', '/etc/apparmor.d/web')
    assert err.value.msg == 'apparmor_parser -r failed: Permission  denied' and err.value.extra == {'parser_rc': 1}


def test_userns_support_is_asked_once_per_parser(host):
    mod = FakeModule(responder=lambda args: (0, 'AppArmor parser version 4.0.1\n', ''))
    (host / 'securityfs' / 'apparmor' / 'features' / 'namespaces').mkdir(parents=True)
    (host / 'securityfs' / 'apparmor' / 'features' / 'namespaces' / 'mask').write_text('userns_create\n')
    assert aa_host.userns_supported(mod, '/p') is True and aa_host.userns_supported(mod, '/p') is True
    assert mod.commands == [['/p', '--version']]
    old = FakeModule(responder=lambda args: (0, 'AppArmor parser version 3.0.8\n', ''))
    assert aa_host.userns_supported(old, '/old') is False


def test_disable_links(tmp_path):
    target = str(tmp_path / 'web')
    link = aa_host.disable_link(str(tmp_path), 'web')
    assert link == str(tmp_path / 'disable' / 'web') and aa_host.link_ok(link, target, False)
    aa_host.ensure_link(link, target, True)
    assert os.readlink(link) == target and aa_host.link_ok(link, target, True)
    aa_host.ensure_link(link, target, False)
    assert not os.path.lexists(link)


def test_cache_entries_are_files_and_links_only(host):
    for sub in ('a', 'b', 'c'):
        (host / 'cache' / sub).mkdir(parents=True)
    (host / 'cache' / 'a' / 'web').write_text('x')
    os.symlink('/nonexistent', str(host / 'cache' / 'b' / 'web'))
    (host / 'cache' / 'c' / 'web').mkdir()
    warnings = []
    assert aa_host.cache_entries('web', warnings.append) == [str(host / 'cache' / n / 'web') for n in ('a', 'b')]
    assert len(warnings) == 1 and 'is not a regular file' in warnings[0]
    assert len(aa_host.cache_paths('web')) == 3


def test_declarations_in_other_files(tmp_path):
    (tmp_path / 'web').write_text('profile web {\n}\n')
    (tmp_path / 'other').write_text('profile web flags=(complain) {\n}\n')
    (tmp_path / 'other.dpkg-old').write_text('profile web {\n}\n')
    (tmp_path / 'webapp').write_text('profile webapp {\n}\n')
    os.mkfifo(str(tmp_path / 'fifo'))
    assert aa_host.other_declarations(str(tmp_path), 'web') == [str(tmp_path / 'other')]
    assert aa_host.other_declarations(str(tmp_path / 'missing'), 'web') == []


def test_a_file_of_no_package():
    mod = FakeModule(responder=lambda args: (1, '', 'no path found'))
    assert aa_host.whose(mod, '/etc/apparmor.d/web') == 'no package (a file written by hand or by another tool)'


def test_kernel_features_as_a_6_12_kernel_announces_them(host, monkeypatch):
    features = host / 'securityfs' / 'apparmor' / 'features'
    assert aa_host.kernel_features() is None
    for path in ('namespaces', 'io_uring', 'network_v8', 'policy/versions/v8', 'policy/versions/v9'):
        (features / path).mkdir(parents=True)
    (features / 'namespaces' / 'mask').write_text('userns_create\n')
    assert aa_host.kernel_features() == {'userns': True, 'mqueue': False, 'io_uring': True, 'network_v8': True,
                                         'af_unix': False, 'policy': ['v8', 'v9']}
    (features / 'namespaces' / 'mask').write_text('\n')
    assert aa_host.kernel_features()['userns'] is False


def test_abi_facts_read_the_parser_version_and_the_numbered_abi_files(host, monkeypatch):
    abi = host / 'abi'
    abi.mkdir()
    for name in ('4.0', '3.0', 'kernel-5.4-vanilla', '10.0'):
        (abi / name).write_text('')
    monkeypatch.setattr(aa_host, 'ABI_DIR', str(abi))
    mod = FakeModule(responder=lambda args: (0, 'AppArmor parser version 4.1.0\nCopyright\n', ''))
    assert aa_host.abi_facts(mod, '/p') == {'parser_version': '4.1.0', 'abis': ['3.0', '4.0', '10.0'], 'kernel': None}
    assert aa_host.abi_facts(mod, '/p', version=False)['parser_version'] is None
    assert aa_host.abi_facts(mod, None)['parser_version'] is None and mod.commands == [['/p', '--version']]
