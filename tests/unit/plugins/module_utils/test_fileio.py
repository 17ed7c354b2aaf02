# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""All-or-nothing file writes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio


def test_writes_only_what_differs_and_fixes_modes(tmp_path):
    a, b = str(tmp_path / 'd' / 'a.json'), str(tmp_path / 'b.json')
    fs = fileio.FileSet()
    fs.want(a, b'A\n')
    fs.want(b, b'B\n')
    assert fs.plan() == sorted([('write', a), ('write', b)])
    fs.apply()
    assert open(a, 'rb').read() == b'A\n' and stat.S_IMODE(os.stat(a).st_mode) == 0o644
    assert fs.plan() == []
    os.chmod(b, 0o600)
    assert fs.plan() == [('write', b)]
    fs.apply()
    assert stat.S_IMODE(os.stat(b).st_mode) == 0o644
    assert [n for n in os.listdir(str(tmp_path / 'd')) if n.endswith('.tmp')] == []


def test_backup_keeps_the_previous_file(tmp_path):
    a = str(tmp_path / 'a.json')
    open(a, 'wb').write(b'old\n')
    fs = fileio.FileSet()
    fs.want(a, b'new\n')
    (backup,) = fs.apply(backup=True)
    assert open(backup, 'rb').read() == b'old\n' and open(a, 'rb').read() == b'new\n'
    assert backup.startswith(a + '.') and backup.endswith('~')


def test_failure_puts_every_file_back(tmp_path, monkeypatch):
    a, b, c = (str(tmp_path / n) for n in ('a', 'b', 'c'))
    open(a, 'wb').write(b'old-a')
    open(c, 'wb').write(b'old-c')
    fs = fileio.FileSet()
    fs.want(a, b'new-a')
    fs.want(b, b'new-b')
    fs.drop(c)
    real = fileio.write_atomic
    calls = []

    def flaky(path, data, mode=0o644):
        calls.append(path)
        if path == b:
            raise OSError(28, 'No space left on device')
        return real(path, data, mode)

    monkeypatch.setattr(fileio, 'write_atomic', flaky)
    with pytest.raises(OSError):
        fs.apply()
    monkeypatch.setattr(fileio, 'write_atomic', real)
    assert open(a, 'rb').read() == b'old-a'
    assert not os.path.exists(b)
    assert open(c, 'rb').read() == b'old-c'
    assert calls[:2] == [a, b]


def test_original_of_reads_back_what_backup_path_made():
    made = fileio.backup_path('/etc/docker/seccomp/web.json')
    assert made != '/etc/docker/seccomp/web.json' and made.endswith('~')
    assert fileio.original_of(made) == '/etc/docker/seccomp/web.json'
    assert fileio.original_of(made.rstrip('~')) == '/etc/docker/seccomp/web.json'
    assert fileio.original_of('/etc/docker/seccomp/web.json') == '/etc/docker/seccomp/web.json'
