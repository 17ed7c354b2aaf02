# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""All-or-nothing file writes."""

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


def test_read_bytes_refuses_fifos_and_devices_without_blocking(tmp_path):
    fifo = str(tmp_path / 'fifo')
    os.mkfifo(fifo)
    for path in (fifo, '/dev/zero', '/dev/urandom', str(tmp_path)):
        with pytest.raises(fileio.NotRegularFile) as exc:
            fileio.read_bytes(path)
        assert 'not a regular file' in str(exc.value)
    assert fileio.read_bytes(str(tmp_path / 'missing')) is None


def test_read_bytes_is_bounded(tmp_path):
    big = tmp_path / 'big'
    big.write_bytes(b'x' * 100)
    assert fileio.read_bytes(str(big), limit=100) == b'x' * 100
    with pytest.raises(fileio.NotRegularFile):
        fileio.read_bytes(str(big), limit=99)


def test_backups_within_one_second_never_share_a_name(tmp_path, monkeypatch):
    a = str(tmp_path / 'a')
    monkeypatch.setattr(fileio.time, 'time', lambda: 1700000000.5)
    names = [fileio.write_backup(a, ('v%d' % i).encode()) for i in range(3)]
    assert len(set(names)) == 3
    assert [open(n, 'rb').read() for n in names] == [b'v0', b'v1', b'v2']
    assert all(fileio.original_of(n) == a for n in names)
    assert fileio.original_of(a + '.2026-11-24@10:00:00~') == a     # names of earlier versions


def test_within_and_guard(tmp_path):
    root = tmp_path / 'root'
    (root / 'sub').mkdir(parents=True)
    os.symlink('/etc', str(root / 'link'))
    assert fileio.within(str(root / 'a.json'), [str(root)])
    assert fileio.within(str(root / 'sub' / 'a.json'), [str(root)])
    for bad in (str(root), str(root / '..' / 'x'), str(root / 'link' / 'passwd'), 'relative', '/etc/passwd',
                str(root / 'a\x00b'), str(tmp_path / 'rootx' / 'a')):
        assert not fileio.within(bad, [str(root)]), bad
    assert not fileio.within('/etc/passwd', ['/', '/etc/..', '', 'etc'])     # no root covers the whole system
    with pytest.raises(fileio.UnsafePath) as exc:
        fileio.guard('/etc/passwd', [str(root)], 'files[0]')
    assert str(exc.value).startswith("files[0]: '/etc/passwd' is outside")


def test_remove_owned_keeps_changed_files_and_links(tmp_path):
    root = str(tmp_path)
    a = os.path.join(root, 'a')
    open(a, 'wb').write(b'mine')
    assert fileio.remove_owned(a, [root], fileio.sha256(b'other'), 'f')[0] is False
    assert os.path.exists(a)
    assert fileio.remove_owned(a, [root], fileio.sha256(b'mine'), 'f') == (True, None)
    assert not os.path.exists(a)
    os.symlink('/etc/passwd', a)
    assert fileio.remove_owned(a, [root], None, 'f')[0] is False and os.path.islink(a)
    with pytest.raises(fileio.UnsafePath):
        fileio.remove_owned('/etc/passwd', [root], None, 'f')


def test_an_undo_that_cannot_put_a_file_back_says_which(tmp_path, monkeypatch):
    a, b = str(tmp_path / 'a'), str(tmp_path / 'b')
    open(a, 'wb').write(b'old-a')
    fs = fileio.FileSet()
    fs.want(a, b'new-a')
    fs.want(b, b'new-b')
    real = fileio.write_atomic
    state = {'n': 0}

    def flaky(path, data, mode=0o644):
        state['n'] += 1
        if state['n'] >= 2:          # the write of b and the undo of a both fail: disk full
            raise OSError(28, 'No space left on device')
        return real(path, data, mode)

    monkeypatch.setattr(fileio, 'write_atomic', flaky)
    with pytest.raises(fileio.IncompleteUndo) as exc:
        fs.apply(backup=True)
    assert exc.value.not_restored == [(a, '[Errno 28] No space left on device')]
    assert a in str(exc.value) and 'could not be put back' in str(exc.value)
    # the backup of the file that could not be put back is kept
    assert [n for n in os.listdir(str(tmp_path)) if n.startswith('a.') and n.endswith('~')]


# issue 11 item 10: files rewritten in place keep an administrator's symlink
def test_resolve_in_place_follows_a_link_to_a_regular_file_and_refuses_the_rest(tmp_path):
    real = tmp_path / 'real.json'
    real.write_text('{}')
    link = tmp_path / 'link.json'
    os.symlink(str(real), str(link))
    assert fileio.resolve_in_place(str(link)) == str(real)
    assert fileio.write_in_place(str(link), b'new', 0o644) == str(real)
    assert os.path.islink(str(link)) and real.read_bytes() == b'new'
    assert fileio.resolve_in_place(str(tmp_path / 'missing')) == str(tmp_path / 'missing')
    os.symlink(str(tmp_path / 'nowhere'), str(tmp_path / 'dangling'))
    with pytest.raises(fileio.NotRegularFile, match=r'dangling is a symlink to .*nowhere, which does not exist'):
        fileio.resolve_in_place(str(tmp_path / 'dangling'), 'path')
    os.symlink(str(tmp_path), str(tmp_path / 'to-dir'))
    with pytest.raises(fileio.NotRegularFile, match=r'to-dir is a symlink to .* \(a directory\)'):
        fileio.resolve_in_place(str(tmp_path / 'to-dir'))


# issue 11 item 21
def test_read_json_object_of_deep_nesting_is_none(tmp_path):
    path = tmp_path / 'deep.json'
    path.write_text('[' * 200000)
    assert fileio.read_json_object(str(path)) is None


def test_backup_name_with_or_without_the_tilde(monkeypatch):
    monkeypatch.setattr(fileio, 'backup_path', lambda p: p + '.2026-01-01@00:00:00.000000~')
    assert fileio.backup_name('/r/x.fact') == '/r/x.fact.2026-01-01@00:00:00.000000~'
    assert fileio.backup_name('/r/x.fact', tilde=False) == '/r/x.fact.2026-01-01@00:00:00.000000'
    assert fileio.original_of(fileio.backup_name('/r/x.fact', tilde=False)) == '/r/x.fact'
