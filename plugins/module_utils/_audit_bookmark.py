# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the last reading of auditd's log stopped, and what it had counted, so that the next
reads only what is new.

A bookmark (JSON, 0600, written whole and renamed into place) holds:
- what it is a bookmark of: the source, its path, the time reading began (``since``: the stage's
  start) and the AppArmor profiles asked for. Another stage or another set of profiles starts
  over, with no warning: nothing was lost;
- where reading stopped: auditd, for each log file (device, inode, the sha256 of its head) the
  offset read to (the end of its last whole line); journald, the last entry's cursor; the kernel
  ring buffer, the boot and the last sequence number read;
- the counts so far: the distinct events with their counts and times, the malformed and parsed
  lines, and the evidence of lost records (``_audit_sources.LossWatch``).

The file is on the host, so it is read as untrusted input: every field is checked for its form,
and a bookmark that is not a regular file, not JSON, or has one field of another form is not
used (the run reads from the stage's start, and says so in one sentence). Nothing in it can
name a file to read: the files read are auditd's, found by their device and inode.
"""

import json
import math
import os
import re

from ansible_collections.confine.hardening.plugins.module_utils import _audit as audit
from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio

VERSION = 1
MAX_EVENTS = 20000      # more distinct events than this: no bookmark is written (the next run reads all)
MAX_FILES = 1000
APPARMOR_TEXT = ('verdict', 'profile', 'operation')
APPARMOR_OPTIONAL = ('comm', 'name', 'requested_mask', 'denied_mask', 'capname', 'family', 'sock_type', 'peer',
                     'signal', 'fstype', 'srcname', 'flags')
SECCOMP_OPTIONAL = ('comm', 'exe', 'label')
ACTIONS = frozenset(audit.SECCOMP_ACTIONS.values()) | {'unknown'}


class Unusable(ValueError):
    """The field of a bookmark that is not of its form."""


def identity(source, where, since, profiles):
    return {'source': source, 'where': where, 'since': float(since), 'profiles': sorted(set(profiles or []))}


def _count(value, field, low=0):
    if isinstance(value, bool) or not isinstance(value, int) or value < low or value > 1 << 62:
        raise Unusable(field)
    return value


def _time(value, field):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise Unusable(field)
    return float(value)


def _text(value, field, optional=True):
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > audit.MAX_LINE:
        raise Unusable(field)
    return value


def _event(entry, i):
    field = 'events[%d]' % i
    if not isinstance(entry, dict):
        raise Unusable(field)
    kind = entry.get('kind')
    out = {'kind': kind, 'count': _count(entry.get('count'), field + '.count', 1),
           'first': _time(entry.get('first'), field + '.first'), 'last': _time(entry.get('last'), field + '.last')}
    if kind == 'seccomp':
        out['arch'] = _count(entry.get('arch'), field + '.arch')
        out['nr'] = _count(entry.get('nr'), field + '.nr')
        if entry.get('action') not in ACTIONS:
            raise Unusable(field + '.action')
        out['action'] = entry['action']
        for key in SECCOMP_OPTIONAL:
            out[key] = _text(entry.get(key), '%s.%s' % (field, key))
    elif kind == 'apparmor':
        for key in APPARMOR_TEXT:
            out[key] = _text(entry.get(key), '%s.%s' % (field, key), optional=False)
        for key in APPARMOR_OPTIONAL:
            if key in entry:
                out[key] = _text(entry[key], '%s.%s' % (field, key))
    else:
        raise Unusable(field + '.kind')
    unknown = set(entry) - set(out)
    if unknown:
        raise Unusable('%s.%s' % (field, sorted(unknown)[0]))
    return out


def _files(value):
    if not isinstance(value, list) or len(value) > MAX_FILES:
        raise Unusable('files')
    out = []
    for i, entry in enumerate(value):
        if not isinstance(entry, dict) or set(entry) != {'dev', 'ino', 'offset', 'head'}:
            raise Unusable('files[%d]' % i)
        item = dict((k, _count(entry[k], 'files[%d].%s' % (i, k))) for k in ('dev', 'ino', 'offset'))
        if not isinstance(entry['head'], str) or len(entry['head']) != 64:
            raise Unusable('files[%d].head' % i)
        item['head'] = entry['head']
        out.append(item)
    return out


def _watch(value):
    if not isinstance(value, dict):
        raise Unusable('loss')
    lost = value.get('audit_lost')
    limits = value.get('limits')
    daemon = value.get('daemon')
    if not isinstance(limits, dict) or not isinstance(daemon, list) or len(daemon) > 10:
        raise Unusable('loss')
    return {'audit_lost': None if lost is None else _count(lost, 'loss.audit_lost'),
            'suppressed': _count(value.get('suppressed'), 'loss.suppressed'),
            'limits': dict((_text(k, 'loss.limits', False), _count(v, 'loss.limits')) for k, v in limits.items()),
            'daemon': [_text(d, 'loss.daemon', False) for d in daemon]}


BOOT_RE = re.compile(r'^[0-9a-f-]{36}\Z')
# a journal cursor as journalctl prints it (s=...;i=...;b=...;m=...;t=...;x=...)
CURSOR_RE = re.compile(r'^[a-z]=[0-9a-f]{1,64}(?:;[a-z]=[0-9a-f]{1,64}){0,9}\Z')


def _position(source, state):
    """Where the reading stopped, by source, checked for its form."""
    if source == 'auditd':
        return {'files': _files(state.get('files'))}
    if source == 'journald':
        cursor = state.get('cursor')
        if cursor is not None and (not isinstance(cursor, str) or not CURSOR_RE.match(cursor)):
            raise Unusable('cursor')
        return {'cursor': cursor}
    kmsg = state.get('kmsg')
    if not isinstance(kmsg, dict) or set(kmsg) != {'boot', 'seq'} or not isinstance(kmsg['boot'], str) \
            or not BOOT_RE.match(kmsg['boot']):
        raise Unusable('kmsg')
    return {'kmsg': {'boot': kmsg['boot'], 'seq': _count(kmsg['seq'], 'kmsg.seq')}}


def load(path, ident):
    """(state or None, warning or None): the bookmark at ``path`` when it is of ``ident``."""
    try:
        data = fileio.read_bytes(path, limit=64 * 1024 * 1024)
    except fileio.NotRegularFile as exc:
        return None, 'bookmark: %s; read from the start of the stage' % exc.strerror
    if data is None:
        return None, None
    try:
        state = json.loads(data.decode('utf-8'))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, 'bookmark: %s is not JSON; read from the start of the stage' % path
    if not isinstance(state, dict) or state.get('version') != VERSION or state.get('of') != ident:
        return None, None       # another stage, source or set of profiles: start over
    try:
        events = state.get('events')
        if not isinstance(events, list) or len(events) > MAX_EVENTS:
            raise Unusable('events')
        return dict(_position(ident['source'], state), events=[_event(e, i) for i, e in enumerate(events)],
                    malformed=_count(state.get('malformed'), 'malformed'), lines=_count(state.get('lines'), 'lines'),
                    loss=_watch(state.get('loss'))), None
    except Unusable as exc:
        return None, 'bookmark: %s has a field of another form (%s); read from the start of the stage' % (path, exc)


def restore(state, collector, watch):
    """Put the counts of a loaded bookmark into a fresh Collector and LossWatch."""
    for event in state['events']:
        event = dict(event)
        collector.events[audit.key_of(event)] = event
    collector.malformed = state['malformed']
    collector.lines = state['lines']
    loss = state['loss']
    watch.audit_lost = loss['audit_lost']
    watch.suppressed = loss['suppressed']
    watch.limits.update(loss['limits'])
    watch.daemon = list(loss['daemon'])


def save(path, ident, position, collector, watch):
    """Write the bookmark (``position``: {'files': ...}, {'cursor': ...} or {'kmsg': ...}); a warning
    (or None) when it was not written."""
    if len(collector.events) > MAX_EVENTS:
        return 'bookmark: more than %d distinct events, so none was written; the next run reads from the start ' \
               'of the stage' % MAX_EVENTS
    loss = {'audit_lost': watch.audit_lost, 'suppressed': watch.suppressed, 'limits': dict(watch.limits),
            'daemon': list(watch.daemon)}
    state = dict(position, version=VERSION, of=ident, events=list(collector.events.values()),
                 malformed=collector.malformed, lines=collector.lines, loss=loss)
    try:
        fileio.write_atomic(path, json.dumps(state, sort_keys=True).encode('utf-8'), mode=0o600)
    except (IOError, OSError) as exc:
        return 'bookmark: %s could not be written (%s); the next run reads from the start of the stage' % (
            path, getattr(exc, 'strerror', None) or exc)
    return None


HEAD = 4096


def head_of(path, upto):
    """sha256 of the first min(HEAD, upto) bytes of ``path`` (its first lines: auditd's records begin
    with their time and serial, so a new file with a reused inode has another head)."""
    try:
        with open(path, 'rb') as fh:
            return fileio.sha256(fh.read(min(HEAD, upto)))
    except (IOError, OSError):
        return None


def plan(paths, resume):
    """([(path, start offset)] of auditd's log files to read, oldest first; [(path, stat)] of those
    an earlier run read whole; warnings), for a read that resumes where ``resume`` (the bookmark's
    files) stopped; every file from 0 when ``resume`` is None."""
    stats, warnings = [], []
    for path in paths:
        try:
            stats.append((path, os.stat(path)))
        except OSError:
            continue
    if resume is None:
        return [(p, 0) for p, _st in stats], [], warnings
    offsets = dict(((f['dev'], f['ino']), f['offset']) for f in resume)
    heads = dict(((f['dev'], f['ino']), f['head']) for f in resume)
    found = [i for i, (p, st) in enumerate(stats) if (st.st_dev, st.st_ino) in offsets
             and head_of(p, offsets[(st.st_dev, st.st_ino)]) == heads[(st.st_dev, st.st_ino)]]
    if not found:
        warnings.append('none of the log files the last run read is here any more (rotated away, or truncated): '
                        'what was written to them after that run is not counted; every file here is read')
        return [(p, 0) for p, _st in stats], [], warnings
    newest = found[-1]
    todo, whole = [], []
    for i, (path, st) in enumerate(stats):
        if i < newest:
            whole.append((path, st))        # read whole by an earlier run
            continue
        start = offsets[(st.st_dev, st.st_ino)] if i == newest else 0
        if start > st.st_size:
            warnings.append('%s is shorter than where the last run stopped (it was truncated): read from its start; '
                            'records written to it before may be missing' % path)
            start = 0
        todo.append((path, start))
    return todo, whole, warnings
