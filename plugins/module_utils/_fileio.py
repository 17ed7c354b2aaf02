# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Atomic, all-or-nothing file changes for the profile modules.

A ``FileSet`` collects the files one profile wants (path -> bytes, mode) and the
files it wants gone, tells what would change, and applies the change: each file is
written to a temporary file in its own directory, fsynced, given its mode and
owner, then renamed over the old one.  If any step fails, every file already
changed is put back as it was, so a profile is never half installed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import re
import stat
import tempfile
import time


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def read_bytes(path):
    try:
        with open(path, 'rb') as fh:
            return fh.read()
    except (IOError, OSError):
        return None


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
    except ValueError:
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


def write_atomic(path, data, mode=0o644):
    directory = os.path.dirname(path) or '.'
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
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
        os.rename(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


BACKUP_SUFFIX_RE = re.compile(r'\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~?$')


def backup_path(path):
    return '%s.%s~' % (path, time.strftime('%Y-%m-%d@%H:%M:%S'))


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
                    dest = backup_path(path)
                    write_atomic(dest, previous, attrs[0] if attrs else self.mode)
                    backups.append(dest)
                done.append((path, previous, attrs[0] if attrs else None))
                if action == 'write':
                    write_atomic(path, self.wanted[path], self.mode)
                else:
                    os.unlink(path)
        except BaseException:
            for path, previous, mode in reversed(done):
                try:
                    if previous is None:
                        if os.path.lexists(path):
                            os.unlink(path)
                    else:
                        write_atomic(path, previous, mode if mode is not None else self.mode)
                except (IOError, OSError):
                    pass
            for dest in backups:
                try:
                    os.unlink(dest)
                except OSError:
                    pass
            raise
        return backups
