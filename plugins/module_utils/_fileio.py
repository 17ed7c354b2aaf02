# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded reads and atomic, all-or-nothing file changes for the modules.

JSON reading and checking is in ``_jsonio``, the short directory lock in ``_lock``.

A ``FileSet`` collects the files one profile wants (path -> bytes, mode) and the
files it wants gone, tells what would change, and applies the change: each file is
written to a temporary file in its own directory, fsynced, given its mode and
owner, then renamed over the old one.  If any step fails, every file already
changed is put back as it was, so a profile is never half installed.
"""

import errno
import hashlib
import json
import os
import re
import stat
import tempfile
import time

# The most the collection reads of one file it manages (profiles, records, daemon.json).
MAX_READ = 16 * 1024 * 1024


class NotRegularFile(OSError):
    """A FIFO, device, socket or directory where a regular file was expected."""

    def __init__(self, path, kind):
        OSError.__init__(self, errno.EINVAL, '%s is a %s, not a regular file' % (path, kind))
        self.path = path
        self.kind = kind


class UnsafePath(ValueError):
    """A path that lies outside every directory the caller manages."""


def _kind(mode):
    for test, name in ((stat.S_ISFIFO, 'FIFO'), (stat.S_ISCHR, 'character device'), (stat.S_ISBLK, 'block device'),
                       (stat.S_ISSOCK, 'socket'), (stat.S_ISDIR, 'directory')):
        if test(mode):
            return name
    return 'special file'


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def read_bytes(path, limit=MAX_READ):
    """The file's bytes, or None when it is missing or cannot be read.

    Never blocks and never reads without bound: a FIFO, device or socket raises
    NotRegularFile (it is opened non-blocking and looked at before any read), and so
    does a file longer than ``limit``."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NONBLOCK', 0) | getattr(os, 'O_NOCTTY', 0))
    except (IOError, OSError):
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(path, _kind(st.st_mode))
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            size += len(chunk)
            if limit is not None and size > limit:
                raise NotRegularFile(path, 'file longer than %d bytes' % limit)
            chunks.append(chunk)
        return b''.join(chunks)
    except NotRegularFile:
        raise
    except (IOError, OSError):
        return None
    finally:
        os.close(fd)


def check_regular_or_missing(path):
    """Raise NotRegularFile when ``path`` exists and is not a regular file (a symlink to one is fine)."""
    try:
        st = os.stat(path)
    except OSError:
        return
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(path, _kind(st.st_mode))


def why_not_written(path, what):
    """The sentence saying why ``what`` (the report, the metrics, ...) is never written at ``path``:
    a symlink there (never written through), or a FIFO, device, socket or directory (left alone);
    None when the path is missing or a regular file."""
    if os.path.islink(path):
        return '%s is a symlink; %s is never written through a link' % (path, what)
    try:
        check_regular_or_missing(path)
    except NotRegularFile as exc:
        return '%s; it was left alone' % exc.strerror
    return None


def _real(path):
    return os.path.realpath(path)


def within(path, roots):
    """True when ``path`` is an absolute path inside one of ``roots`` (a root itself does not count).

    The comparison is made on resolved parents, so neither ``..`` nor a symlinked
    directory leads outside; the last component itself may be a symlink (it is
    removed or replaced as a link, never followed)."""
    if not isinstance(path, str) or not path.startswith('/') or '\x00' in path:
        return False
    if '..' in path.split('/'):
        return False
    parent, base = os.path.split(os.path.normpath(path))
    if base in ('', '.'):
        return False
    real_parent = _real(parent)
    for root in roots:
        if not root or not isinstance(root, str) or not root.startswith('/'):
            continue
        real_root = _real(root)
        if real_root == '/':
            continue        # the whole file system is no directory a module manages
        if real_parent == real_root or real_parent.startswith(real_root.rstrip('/') + '/'):
            return True
    return False


def guard(path, roots, field):
    """``path`` when it lies inside ``roots``; UnsafePath naming ``field`` otherwise."""
    if not within(path, roots):
        raise UnsafePath('%s: %r is outside the directories this module manages (%s)'
                         % (field, path, ', '.join(r for r in roots if r)))
    return path


def remove_owned(path, roots, expected_sha256, field):
    """Remove ``path`` only when it lies in ``roots`` and still holds what was written.

    Returns ``(removed, reason)``: ``(True, None)`` when removed or already gone,
    ``(False, sentence)`` when kept (changed by hand, not a regular file).  Raises
    UnsafePath for a path outside ``roots``."""
    guard(path, roots, field)
    if not os.path.lexists(path):
        return True, None
    if os.path.islink(path):
        return False, '%s is a symlink, which this collection never writes; it was kept' % path
    try:
        data = read_bytes(path)
    except NotRegularFile as exc:
        return False, '%s; it was kept' % exc.strerror
    if data is not None and expected_sha256 is not None and sha256(data) != expected_sha256:
        return False, '%s was changed since it was written (its sha256 is not the recorded one); it was kept' % path
    os.unlink(path)
    return True, None


def read_text(path):
    """The file's text (undecodable bytes replaced), or None when it cannot be read."""
    data = read_bytes(path)
    return None if data is None else data.decode('utf-8', 'replace')


def read_json_object(path):
    """The JSON object in a file, or None when the file is missing, is not JSON or holds no object."""
    data = read_bytes(path)
    if data is None:
        return None
    try:
        value = json.loads(data.decode('utf-8'))
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def file_mode(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid


def _owner():
    """Root-owned when we are root; otherwise files keep the caller's ids."""
    if os.geteuid() == 0:
        return 0, 0
    return None


def _write_temp(path, data, mode):
    """``data`` in a new temporary file beside ``path`` (its directory made if needed), fsynced,
    with its mode and owner set; returns the temporary file's path."""
    directory = os.path.dirname(path) or '.'
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        owner = _owner()
        if owner is not None:
            os.chown(tmp, owner[0], owner[1])
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return tmp


def _unlink_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def write_atomic(path, data, mode=0o644):
    tmp = _write_temp(path, data, mode)
    try:
        os.rename(tmp, path)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    try:
        dfd = os.open(os.path.dirname(path) or '.', os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


BACKUP_SUFFIX_RE = re.compile(r'\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d(\.\d{6}(-\d+)?)?~?$')


def backup_path(path):
    """A backup name for ``path``: the time to the microsecond (write_backup makes it unique)."""
    now = time.time()
    return '%s.%s.%06d~' % (path, time.strftime('%Y-%m-%d@%H:%M:%S', time.localtime(now)),
                            int((now % 1) * 1000000))


def backup_name(path, tilde=True):
    """``backup_path`` with or without its trailing ``~`` (docker_daemon and the record drop it)."""
    base = backup_path(path)
    return base if tilde else base.rstrip('~')


def write_backup(path, data, mode=0o644, tilde=True):
    """Write ``data`` to a new backup file named after ``path``; never replaces an existing file.

    The copy is written to a temporary file, fsynced, then hard-linked to its name,
    which fails if the name is taken; the next free name is tried instead.  Returns
    the backup's path."""
    base = backup_name(path, tilde)
    tmp = _write_temp(path, data, mode)
    try:
        for n in range(1000):
            name = base if n == 0 else ('%s-%d~' % (base[:-1], n) if tilde else '%s-%d' % (base, n))
            try:
                os.link(tmp, name)
                return name
            except OSError as exc:
                if exc.errno != errno.EEXIST:
                    raise
        raise OSError(errno.EEXIST, 'no free backup name for %s' % path)
    finally:
        _unlink_quietly(tmp)


class IncompleteUndo(OSError):
    """A failed change whose undo could not put every file back."""

    def __init__(self, cause, not_restored):
        self.cause = cause
        self.not_restored = not_restored      # [(path, reason)]
        OSError.__init__(self, getattr(cause, 'errno', None) or errno.EIO, '%s; the change was undone except for '
                         '%s, which could not be put back' % (cause, ', '.join('%s (%s)' % pr for pr in not_restored)))


def original_of(backup):
    """The path a backup_path() copy was taken of (the ``~`` may have been dropped)."""
    return BACKUP_SUFFIX_RE.sub('', backup)


class FileSet(object):
    def __init__(self, mode=0o644):
        self.mode = mode
        self.wanted = {}     # path -> bytes
        self.unwanted = []   # paths to remove

    def want(self, path, data):
        self.wanted[path] = data

    def drop(self, path):
        if path not in self.wanted and path not in self.unwanted:
            self.unwanted.append(path)

    def _needs_write(self, path, data):
        if read_bytes(path) != data:
            return True
        attrs = file_mode(path)
        owner = _owner()
        if attrs is None or attrs[0] != self.mode:
            return True
        return owner is not None and (attrs[1], attrs[2]) != owner

    def plan(self):
        """[(action, path)] with action in write|remove, in a stable order."""
        steps = [('write', p) for p in sorted(self.wanted) if self._needs_write(p, self.wanted[p])]
        steps += [('remove', p) for p in sorted(self.unwanted) if os.path.lexists(p)]
        return steps

    def apply(self, backup=False):
        """Apply the plan; return the backup files made.  All or nothing."""
        done = []      # (path, previous bytes or None, previous mode)
        backups = []
        try:
            for action, path in self.plan():
                previous = read_bytes(path)
                attrs = file_mode(path)
                if backup and previous is not None:
                    backups.append(write_backup(path, previous, attrs[0] if attrs else self.mode))
                done.append((path, previous, attrs[0] if attrs else None))
                if action == 'write':
                    write_atomic(path, self.wanted[path], self.mode)
                else:
                    os.unlink(path)
        except BaseException as exc:
            failed = []
            for path, previous, mode in reversed(done):
                try:
                    if previous is None:
                        if os.path.lexists(path):
                            os.unlink(path)
                    else:
                        write_atomic(path, previous, mode if mode is not None else self.mode)
                except (IOError, OSError) as undo_exc:
                    failed.append((path, str(undo_exc)))
            kept = set(item[0] for item in failed)
            for dest in backups:
                # a backup whose original could not be put back is all that is left of it
                if original_of(dest) in kept:
                    continue
                try:
                    os.unlink(dest)
                except OSError:
                    pass
            if failed and isinstance(exc, Exception):
                raise IncompleteUndo(exc, failed)
            raise
        return backups


# ---------------------------------------------------------------------------
# Files the collection rewrites in place (daemon.json, the kubelet config, the record)
# ---------------------------------------------------------------------------

def resolve_in_place(path, field='path'):
    """The file to write when rewriting ``path`` in place, keeping a symlink (issue 11 item 10).

    A regular file or a missing one: ``path`` itself.  A symlink whose final target is a
    regular file: that target, so the write goes through the link (atomically, in the
    target's own directory) and the link stays a link.  A dangling link, or a link to
    anything but a regular file, raises NotRegularFile naming ``field``: the collection
    neither replaces an administrator's link with a file nor creates files where a link
    points."""
    if not os.path.islink(path):
        check_regular_or_missing(path)
        return path
    target = os.path.realpath(path)
    try:
        st = os.stat(target)
    except OSError:
        raise NotRegularFile(path, 'symlink to %s, which does not exist (%s is not replaced by a regular file)'
                             % (target, field))
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(path, 'symlink to %s (a %s)' % (target, _kind(st.st_mode)))
    return target


def write_in_place(path, data, mode=0o644, field='path'):
    """``write_atomic`` for a file that may be a symlink: written through the link; returns the file written."""
    real = resolve_in_place(path, field)
    write_atomic(real, data, mode)
    return real
