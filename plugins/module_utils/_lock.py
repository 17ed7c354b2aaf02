# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Short locks around a read-modify-write (the record, an undo of the record).

The run-long lease is the hardening_lock module; this is the lock of one read, merge and
write: an exclusive ``flock`` on the directory, which creates nothing.
"""

import errno
import fcntl
import os
import time


class LockTimeout(OSError):
    """Another process held a lock for longer than the caller would wait."""


class dir_lock(object):
    """An exclusive flock on a directory for the length of a ``with`` block.

    Nothing is created (the directory's own descriptor is locked), so it is also safe in
    check mode; a missing directory has nothing to protect and is not locked.  Waits up to
    ``timeout`` seconds, then raises LockTimeout naming the directory."""

    def __init__(self, directory, timeout=60.0, what='the collection state'):
        self.directory = directory
        self.timeout = timeout
        self.what = what
        self.fd = None

    def __enter__(self):
        try:
            self.fd = os.open(self.directory, os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0))
        except OSError:
            self.fd = None
            return self
        deadline = time.time() + self.timeout
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except (IOError, OSError) as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    os.close(self.fd)
                    self.fd = None
                    raise
            if time.time() >= deadline:
                os.close(self.fd)
                self.fd = None
                raise LockTimeout(errno.ETIMEDOUT, '%s: another process kept %s locked for more than %d seconds'
                                  % (self.directory, self.what, self.timeout))
            time.sleep(0.05)

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)       # closing the descriptor releases the flock
            self.fd = None
        return False
