# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host's lease for one run of confine.hardening at a time: taken and given back by
hardening_lock, and taken by hardening_facts and given back by hardening_report, so a role run
holds it without two module runs of its own (each costs about 1.5 s on a small host)."""

from __future__ import annotations

import datetime
import errno
import json
import math
import os
import re
import tempfile
import time

from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils import _jsonio as jsonio
from ansible_collections.confine.hardening.plugins.module_utils import _lock as lock
from ansible_collections.confine.hardening.plugins.module_utils._common import ModuleError, json_bytes

POLL = 0.2


LockError = ModuleError


def iso(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).replace(microsecond=0).isoformat()


def read_lease(path):
    """(exists, lease dict or None): a lease that cannot be read as one counts as held by someone unknown."""
    if os.path.islink(path):
        raise LockError('path: %s is a symlink, which this module never makes; remove it by hand' % path)
    try:
        data = fileio.read_bytes(path, limit=64 * 1024)
    except fileio.NotRegularFile as exc:
        raise LockError('path: %s; remove it by hand' % exc.strerror)
    if data is None:
        return os.path.lexists(path), None
    try:
        lease = json.loads(data.decode('utf-8'))
    except (ValueError, RecursionError):
        lease = None
    if not isinstance(lease, dict) or jsonio.json_problem(lease, 'lease') is not None:
        lease = None
    return True, lease


def lease_age(path, lease, now):
    since = lease.get('since_epoch') if lease else None
    if isinstance(since, (int, float)) and not isinstance(since, bool) and not math.isnan(since):
        return now - since
    try:
        return now - os.stat(path).st_mtime
    except OSError:
        return 0.0


def describe(path, lease, now):
    if not lease:
        return 'an unreadable lease (%s, last written %d s ago)' % (path, lease_age(path, None, now))
    return 'run %s from controller %s (host %s) since %s, %d s ago' % (
        lease.get('run_id') or '?', lease.get('controller') or '?', lease.get('host') or '?',
        lease.get('since') or '?', lease_age(path, lease, now))


def write_new(path, lease, replace=False):
    """The lease made whole in a temporary file, then linked into place (fails if taken) or renamed over a stale one."""
    directory = os.path.dirname(path) or '.'
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as fh:
            fh.write(json_bytes(lease))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        if replace:
            os.rename(tmp, path)
            tmp = None
        else:
            os.link(tmp, path)       # EEXIST when another run holds it
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def acquire(params, check_mode, warn, clock=time.time, sleep=time.sleep):
    path = params['path']
    directory = os.path.dirname(path) or '.'
    mine = {'run_id': params['run_id'], 'controller': params['controller'], 'host': params['host']}
    # A directory the lease made is taken away with it (when empty), so a run that stops
    # before changing anything leaves the host as it was.
    made_dir = not os.path.isdir(directory)
    start = clock()
    while True:
        now = clock()
        if not check_mode:
            os.makedirs(directory, 0o755, exist_ok=True)     # two runs may make it at once
        with lock.dir_lock(directory, max(params['timeout'], 1), 'the lease %s' % path):
            exists, lease = read_lease(path)
            if not exists:
                if check_mode:
                    return dict(acquired=False, holder=None, took_over=None, waited=round(now - start, 3),
                                msg='the lock %s is free (check mode: not taken)' % path)
                lease = dict(mine, since=iso(now), since_epoch=round(now, 6), made_dir=made_dir)
                try:
                    write_new(path, lease)
                except OSError as exc:
                    if exc.errno != errno.EEXIST:
                        raise
                else:
                    return dict(acquired=True, holder=lease, took_over=None, waited=round(now - start, 3),
                                msg='took the lock %s for run %s' % (path, params['run_id']))
                continue
            if lease and lease.get('run_id') == params['run_id']:
                return dict(acquired=not check_mode, already=True, holder=lease, took_over=None,
                            waited=round(now - start, 3), msg='run %s already holds the lock %s' % (params['run_id'], path))
            age = lease_age(path, lease, now)
            if age > params['max_age']:
                text = ('the lock %s was held by %s, longer than max_age (%d s): that run is taken to have crashed'
                        % (path, describe(path, lease, now), params['max_age']))
                if check_mode:
                    warn(text + '; a real run would take it over (check mode: not taken)')
                    return dict(acquired=False, holder=lease, took_over=lease, waited=round(now - start, 3),
                                msg='the lock %s is stale and would be taken over' % path)
                warn(text + ', and its lease was taken over')
                new = dict(mine, since=iso(now), since_epoch=round(now, 6))
                write_new(path, new, replace=True)
                return dict(acquired=True, holder=new, took_over=lease, waited=round(now - start, 3),
                            msg='took over the stale lock %s for run %s' % (path, params['run_id']))
        if now - start >= params['timeout']:
            raise LockError('%s is held by %s, and this run (%s) waited %d s (timeout) for it: another run of '
                            'confine.hardening is changing this host; wait for it to finish, or remove the lease '
                            'file if that run is gone' % (path, describe(path, lease, now), params['run_id'],
                                                          params['timeout']))
        sleep(POLL)


def release(params, check_mode, warn):
    path = params['path']
    directory = os.path.dirname(path) or '.'
    with lock.dir_lock(directory, max(params['timeout'], 1), 'the lease %s' % path):
        exists, lease = read_lease(path)
        if not exists:
            return dict(acquired=False, released=False, holder=None, took_over=None, waited=0.0,
                        msg='the lock %s is not held' % path)
        if not lease or lease.get('run_id') != params['run_id']:
            warn('the lock %s is held by %s, not by this run (%s); it was left as it is'
                 % (path, describe(path, lease, time.time()), params['run_id']))
            return dict(acquired=False, released=False, holder=lease, took_over=None, waited=0.0,
                        msg='the lock %s belongs to another run and was left as it is' % path)
        if check_mode:
            return dict(acquired=False, released=False, holder=lease, took_over=None, waited=0.0,
                        msg='the lock %s would be released (check mode)' % path)
        os.unlink(path)
    if lease.get('made_dir') is True:
        try:
            os.rmdir(directory)      # only when the run left nothing else there
        except OSError:
            pass
    return dict(acquired=False, released=True, holder=None, took_over=None, waited=0.0,
                msg='released the lock %s of run %s' % (path, params['run_id']))


def run(params, check_mode, warn, field=''):
    """Take (state acquired) or give back (state released) the lease of ``params`` (the options of
    hardening_lock): the result; a ModuleError naming the option on failure (``field`` is the
    option that holds these, ``lock`` in hardening_facts and hardening_report: its messages
    then read ``lock.path: ...``, or ``lock: ...`` where no one suboption is at fault)."""
    try:
        return _run(params, check_mode, warn)
    except ModuleError as exc:
        if not field:
            raise
        first = re.match(r'(\w+)[: ]', exc.msg)
        named = first is not None and first.group(1) in options()
        raise ModuleError('%s%s%s' % (field, '.' if named else ': ', exc.msg), **exc.extra)


def _run(params, check_mode, warn):
    for key in ('timeout', 'max_age'):
        if params[key] < 0:
            raise LockError('%s must be 0 or more seconds, not %d' % (key, params[key]))
    if not params['run_id'].strip():
        raise LockError('run_id must not be empty')
    try:
        if params['state'] == 'acquired':
            result = acquire(params, check_mode, warn)
        else:
            result = release(params, check_mode, warn)
    except lock.LockTimeout as exc:
        raise LockError('timeout: %s' % exc.strerror)
    except (IOError, OSError) as exc:
        raise LockError('path: %s could not be %s: %s' % (
            params['path'], 'taken' if params['state'] == 'acquired' else 'released', exc))
    result.update(changed=False, lock_file=params['path'])
    return result


def options():
    """The lease's options, as hardening_lock takes them (hardening_facts and hardening_report
    take the same ones as the suboptions of their ``lock`` option)."""
    return dict(
        path=dict(type='path', default='/var/lib/confine/lock.json'),
        run_id=dict(type='str', required=True),
        controller=dict(type='str', default=''),
        host=dict(type='str', default=''),
        timeout=dict(type='int', default=300),
        max_age=dict(type='int', default=3600),
    )
