# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The readers of the audit sources: each yields text lines, one record a line, in bounded
memory (a line longer than ``MAX_LINE`` is read past, never held, and given as
``_audit.OVERLONG``).

- ``read_auditd``: auditd's log and its rotated files, oldest first;
- ``read_journald``: ``journalctl -o json`` over the kernel and audit transports, a record
  found in both counted once, journalctl stopped after ``JOURNAL_TIMEOUT`` seconds;
- ``read_kmsg``: ``/dev/kmsg`` (or a file of its records), read without blocking;
- ``read_file``: any file of such lines.

Which source a host has, and what its records say about loss, is ``_audit_sources``.
"""

import collections
import errno
import json
import os
import re
import stat
import subprocess
import tempfile
import threading

from ansible_collections.confine.hardening.plugins.module_utils import _audit as audit
from ansible_collections.confine.hardening.plugins.module_utils import _audit_bookmark as bookmarks
from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio

JOURNAL_ARGS = ['--no-pager', '-o', 'json',
                '--output-fields=MESSAGE,_TRANSPORT,_AUDIT_TYPE,_AUDIT_TYPE_NAME,_AUDIT_ID,_SOURCE_REALTIME_TIMESTAMP',
                '_TRANSPORT=kernel', '_TRANSPORT=audit']
MAX_LINE = audit.MAX_LINE   # a longer line is skipped (counted malformed) without being held in memory
READ_SIZE = 1 << 16
JOURNAL_TIMEOUT = 600       # seconds journalctl may take before it is stopped
DEDUPE_WINDOW = 16384       # records remembered to drop the second copy from the other transport


class SourceError(Exception):
    """One sentence naming the option and why the source cannot be read."""


def open_log(path):
    """A binary file object of the regular file ``path``, opened without blocking (a FIFO
    opened for reading would wait for a writer) and looked at before any read.
    ``fileio.NotRegularFile`` for a FIFO, device, socket or directory (``/dev/zero`` would
    never end); OSError when it cannot be opened."""
    fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NONBLOCK', 0) | getattr(os, 'O_NOCTTY', 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            fileio.check_regular_or_missing(path)      # raises NotRegularFile naming the kind
            raise fileio.NotRegularFile(path, 'special file')
        return os.fdopen(fd, 'rb')
    except BaseException:
        os.close(fd)
        raise


KMSG_PREFIX_RE = re.compile(r'^\d+,\d+,\d+(?:,[^;]*)?;')
RECORD_ID_RE = re.compile(r'audit: type=(?:1400|1326) audit\((\d+\.\d+:\d+)\)')


def _decode(raw):
    return raw.decode('utf-8', 'replace').rstrip('\r\n')


def _binary_lines(fh):
    """Decoded lines of a binary stream; a line longer than MAX_LINE bytes is read past in
    pieces (never held whole) and given as ``_audit.OVERLONG``."""
    while True:
        line = fh.readline(MAX_LINE + 1)
        if not line:
            return
        if len(line) > MAX_LINE and not line.endswith(b'\n'):
            while line and not line.endswith(b'\n'):
                line = fh.readline(READ_SIZE)
            yield audit.OVERLONG
            continue
        yield _decode(line)


# What a line must hold to be an AppArmor or seccomp record, or evidence of lost records
# (``_audit_sources.LossWatch``): a line without any of these is passed over unparsed.
# auditd's own log holds the kernel's records as type=AVC / type=SECCOMP and its own errors as
# DAEMON_*; any other file may hold the kernel log's forms too, and journal JSON (every entry
# of which is read, as before: its fields are named in JOURNAL_ARGS, _TRANSPORT among them).
AUDITD_MARKERS = (b'apparmor=', b'type=SECCOMP', b'type=DAEMON_')
ANY_MARKERS = AUDITD_MARKERS + (b'type=1326', b'type=1400', b'suppressed', b'audit_lost=', b'exceeded',
                                b'audit_backlog=', b'overflow', b'out of memory', b'"_TRANSPORT"')
CHUNK = 1 << 19       # bytes read at a time: the reader holds about two of these


def _marked_spans(buf, stop, markers):
    """Sorted (start, end) of the lines of ``buf[:stop]`` (whole lines) that hold a marker."""
    spans = set()
    for marker in markers:
        at = buf.find(marker, 0, stop)
        while at >= 0:
            start = buf.rfind(b'\n', 0, at) + 1
            end = buf.find(b'\n', at, stop)
            end = stop if end < 0 else end
            spans.add((start, end))
            at = buf.find(marker, end, stop)
    return sorted(spans)


GREP = ('/usr/bin/grep', '/bin/grep')
USE_GREP = True


def _grep():
    for path in GREP:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def _ere(text):
    """``text`` as a POSIX extended regular expression that matches it literally."""
    return ''.join('\\' + c if c in '.[]()*+?{}|^$\\' else c for c in text)


def marked_lines(fh, markers, info, limit=None):
    """Decoded lines of a regular file (from its current offset) that hold one of ``markers``, in
    order; ``info['bytes_read']`` grows by the bytes read. A line without a marker cannot be a
    record this collection reads, so it is never decoded or parsed; one longer than MAX_LINE is
    never held whole, and is given as ``_audit.OVERLONG``. With ``limit``, only the lines that
    begin in the next ``limit`` bytes (the caller ends them at a newline).

    The scan is one pass of ``grep -E`` over the file (in another process) where grep is
    installed, else the same in Python (``scan_lines``)."""
    fd = fh.fileno()
    here = os.lseek(fd, 0, os.SEEK_CUR)
    size = os.fstat(fd).st_size
    info['bytes_read'] = info.get('bytes_read', 0) + max(0, (size - here) if limit is None else limit)
    grep = _grep() if USE_GREP else None
    if grep is None:
        yield from scan_lines(fh, markers, limit)
        return
    # one extended expression of the fixed strings: GNU grep scans for it faster than for
    # several -F patterns (measured on 1 GiB: 0.9 s against 1.4 s of CPU); -b gives each line's
    # offset from where grep began, so lines past ``limit`` (written during the read) are left
    args = [grep, '-a', '-b', '-E', '-e', '|'.join(_ere(m.decode('ascii')) for m in markers)]
    proc = subprocess.Popen(args, stdin=fd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env={'LC_ALL': 'C', 'PATH': '/usr/bin:/bin'})
    try:
        for line in _binary_lines(proc.stdout):
            if line is audit.OVERLONG:
                yield line
                continue
            offset, _colon, line = line.partition(':')
            if limit is not None and (not offset.isdigit() or int(offset) >= limit):
                break
            yield line
    finally:
        proc.stdout.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    if proc.returncode not in (0, 1, -9):
        raise SourceError('grep could not read %s (exit %s)' % (getattr(fh, 'name', 'the log'), proc.returncode))


def scan_lines(fh, markers, limit=None):
    """``marked_lines`` in Python: chunks of the file, each searched for each marker."""
    longest = max(len(m) for m in markers)
    tail = b''
    overlong = None     # inside a line longer than MAX_LINE: whether a marker was seen in it
    left = limit
    while True:
        data = fh.read(CHUNK if left is None else min(CHUNK, left))
        if left is not None:
            left -= len(data)
        if not data:
            break
        buf = tail + data if tail else data
        if overlong is not None:
            newline = buf.find(b'\n')
            overlong = overlong or any(m in (buf if newline < 0 else buf[:newline]) for m in markers)
            if newline < 0:
                tail = buf[-longest:]       # a marker may straddle the next read
                continue
            if overlong:
                yield audit.OVERLONG
            overlong, buf = None, buf[newline + 1:]
        cut = buf.rfind(b'\n') + 1
        if cut:
            for start, end in _marked_spans(buf, cut, markers):
                yield audit.OVERLONG if end - start > MAX_LINE else _decode(buf[start:end])
        tail = buf[cut:]
        buf = None
        if len(tail) > MAX_LINE:
            overlong, tail = any(m in tail for m in markers), tail[-longest:]
    if overlong or (overlong is None and tail and any(m in tail for m in markers)):
        yield audit.OVERLONG if overlong is not None or len(tail) > MAX_LINE else _decode(tail)


def kmsg_message(line):
    """The message of a ``/dev/kmsg`` record (``pri,seq,usec,flags;message``); None for a
    continuation line (it starts with a space); other lines unchanged."""
    if line.startswith(' '):
        return None
    match = KMSG_PREFIX_RE.match(line)
    return line[match.end():] if match else line


class _Recent(object):
    """The last ``size`` record ids seen, to drop a record's second copy."""

    def __init__(self, size=DEDUPE_WINDOW):
        self.size = size
        self.ids = collections.OrderedDict()

    def seen(self, key):
        if key in self.ids:
            return True
        self.ids[key] = True
        if len(self.ids) > self.size:
            self.ids.popitem(last=False)
        return False


DIGITS_RE = re.compile(r'^[0-9]{1,20}$')


def _digits(value):
    return isinstance(value, str) and bool(DIGITS_RE.match(value))


def _journal_text(value):
    if isinstance(value, list):
        try:
            return bytes(bytearray(value)).decode('utf-8', 'replace')
        except (TypeError, ValueError):
            return None
    return value if isinstance(value, str) else None


def journal_entry_line(entry):
    """(line, record id or None) for one journal entry of ``journalctl -o json``.  A kernel
    transport entry's MESSAGE is already a kernel audit line; an audit transport entry
    (``AVC apparmor=...``) gets its type, time and serial back from its fields."""
    message = _journal_text(entry.get('MESSAGE'))
    if message is None:
        return None, None
    if entry.get('_TRANSPORT') != 'audit':
        match = RECORD_ID_RE.search(message)
        return message, match.group(1) if match else None
    kind, serial = entry.get('_AUDIT_TYPE'), entry.get('_AUDIT_ID')
    usec = entry.get('_SOURCE_REALTIME_TIMESTAMP') or entry.get('__REALTIME_TIMESTAMP')
    if not (_digits(kind) and _digits(serial) and _digits(usec)):
        return message, None
    name = entry.get('_AUDIT_TYPE_NAME')
    body = message
    if isinstance(name, str) and body.startswith(name + ' '):
        body = body[len(name) + 1:]
    usec = int(usec)
    ident = '%d.%03d:%s' % (usec // 1000000, (usec % 1000000) // 1000, serial)
    return 'audit: type=%s audit(%s): %s' % (kind, ident, body), ident if kind in ('1400', '1326') else None


def _normalized(lines, info):
    """Kernel and journal JSON lines as parser lines; a record seen twice (kernel and audit
    transport) is passed once."""
    recent = _Recent()
    for line in lines:
        if line is audit.OVERLONG:
            yield line
            continue
        if line.startswith('{'):
            try:
                entry = json.loads(line)
            except (ValueError, RecursionError):     # not JSON, or nested too deep to read
                entry = None
            if isinstance(entry, dict):
                cursor = entry.get('__CURSOR')
                if isinstance(cursor, str) and bookmarks.CURSOR_RE.match(cursor):
                    info['cursor'] = cursor
                line, ident = journal_entry_line(entry)
                if line is None:
                    continue
                if entry.get('_TRANSPORT') == 'audit':
                    info['audit_transport'] = info.get('audit_transport', 0) + 1
                if ident is not None:
                    if recent.seen(ident):
                        info['duplicates'] = info.get('duplicates', 0) + 1
                        continue
                yield line
                continue
        message = kmsg_message(line)
        if message is not None:
            yield message


def rotated_logs(log, since=0.0):
    """``log.N`` files beside ``log``, oldest (highest N) first, without those last written
    before ``since``; then ``log``."""
    directory, base = os.path.split(log)
    pattern = re.compile(re.escape(base) + r'\.(\d+)$')
    found = []
    try:
        names = os.listdir(directory or '.')
    except OSError:
        names = []
    for name in names:
        match = pattern.match(name)
        if not match:
            continue
        path = os.path.join(directory, name)
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            continue
        if since and mtime < since:
            continue
        found.append((int(match.group(1)), path))
    return [path for _n, path in sorted(found, reverse=True)] + [log]


def whole_lines_end(fh, start, size):
    """The offset after the last newline of ``fh`` in [start, size): where its whole lines end (a
    record auditd is still writing is left for the next read). ``size`` when the last line is longer
    than MAX_LINE (it is skipped as overlong either way)."""
    window = min(size - start, MAX_LINE + 1)
    if window <= 0:
        return start
    tail = os.pread(fh.fileno(), window, size - window)     # moves neither the file offset nor fh's buffer
    newline = tail.rfind(b'\n')
    if newline >= 0:
        return size - window + newline + 1
    return size if window > MAX_LINE else start


def read_auditd(log, since=0.0, info=None, resume=None):
    """Lines of auditd's log and its rotated files, oldest first. With ``resume`` (a bookmark's
    files), each file from where the last run stopped; ``info['positions']`` says where this one
    stopped (device, inode, offset, head), ``info['bookmark_warnings']`` what it could not resume."""
    info = info if info is not None else {}
    info.setdefault('files', [])
    info.setdefault('unreadable', [])
    info['positions'] = []
    todo, whole, info['bookmark_warnings'] = bookmarks.plan(rotated_logs(log, since), resume)
    for path, st in whole:
        info['positions'].append({'dev': st.st_dev, 'ino': st.st_ino, 'offset': st.st_size,
                                  'head': bookmarks.head_of(path, st.st_size)})
    for path, start in todo:
        try:
            fh = open_log(path)
        except fileio.NotRegularFile as exc:
            info['unreadable'].append('%s (a %s, not a regular file)' % (path, exc.kind))
            continue
        except (IOError, OSError) as exc:
            info['unreadable'].append('%s (%s)' % (path, exc.strerror or exc))
            continue
        info['files'].append(path)
        with fh:
            st = os.fstat(fh.fileno())
            end = whole_lines_end(fh, start, st.st_size)
            info['positions'].append({'dev': st.st_dev, 'ino': st.st_ino, 'offset': end,
                                      'head': bookmarks.head_of(path, end)})
            fh.seek(start)
            yield from marked_lines(fh, AUDITD_MARKERS, info, end - start)


def read_file(path, info=None):
    """Lines of any log file: auditd, kernel (dmesg, raw /dev/kmsg records) or journal
    (``journalctl -o cat`` or ``-o json``) lines."""
    info = info if info is not None else {}
    with open_log(path) as fh:
        yield from _normalized(marked_lines(fh, ANY_MARKERS, info), info)


KMSG_SEQ_RE = re.compile(rb'^\d{1,3},(\d{1,19}),')


def _kmsg_seen(raw, after, info):
    """Whether the record ``raw`` was read by the run that stopped at sequence ``after``; notes
    the first and last sequence numbers read in ``info``."""
    match = KMSG_SEQ_RE.match(raw)
    if not match:
        return False
    seq = int(match.group(1))
    if 'kmsg_first' not in info:
        info['kmsg_first'] = seq
    info['kmsg_seq'] = max(seq, info.get('kmsg_seq', seq))
    return after is not None and seq <= after


def read_kmsg(path, info=None, after=None):
    """Messages of ``/dev/kmsg`` records (or of a file of such records), read without
    blocking until the ring buffer has no more; those up to sequence number ``after`` (a
    bookmark's) passed over. ``info['kmsg_first']`` and ``info['kmsg_seq']`` are the first and
    last sequence numbers read."""
    info = info if info is not None else {}
    info.setdefault('wrapped', 0)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        pending = b''
        dropping = False        # inside a line longer than MAX_LINE: read past it
        while True:
            try:
                chunk = os.read(fd, READ_SIZE)
            except OSError as exc:
                if exc.errno == errno.EAGAIN:
                    break
                if exc.errno == errno.EPIPE:      # the ring buffer overwrote records not yet read
                    info['wrapped'] += 1
                    continue
                if exc.errno == errno.EINTR:
                    continue
                raise
            if not chunk:
                break
            pending += chunk
            parts = pending.split(b'\n')
            pending = parts.pop()
            if dropping and parts:
                parts.pop(0)            # the rest of the long line
                dropping = False
                yield audit.OVERLONG
            elif dropping:
                pending = b''
                continue
            for raw in parts:
                if _kmsg_seen(raw, after, info):
                    continue
                if len(raw) > MAX_LINE:
                    yield audit.OVERLONG
                    continue
                message = kmsg_message(_decode(raw))
                if message is not None:
                    yield message
            if len(pending) > MAX_LINE:
                pending, dropping = b'', True
        if dropping:
            yield audit.OVERLONG
        elif pending and not _kmsg_seen(pending, after, info):
            message = kmsg_message(_decode(pending))
            if message is not None:
                yield message
    finally:
        os.close(fd)


def journal_command(since=0.0, journalctl='journalctl', cursor=None):
    """journalctl's arguments: from ``since``, or after ``cursor`` (a bookmark's, of its form)."""
    args = [journalctl] + JOURNAL_ARGS
    if cursor is not None:
        args.append('--after-cursor=%s' % cursor)
    elif since > 0:
        args += ['--since', '@%d' % int(since)]
    return args


def read_journald(since=0.0, info=None, journalctl=None, timeout=None, cursor=None):
    """Lines of the kernel and audit transports of the journal, streamed from journalctl (after
    ``cursor`` when given; ``info['cursor']`` is the last entry's). journalctl is stopped after
    ``timeout`` seconds (JOURNAL_TIMEOUT), and ``info['timed_out']`` says so: a journal that never
    ends cannot hang the run."""
    info = info if info is not None else {}
    args = journal_command(since, journalctl or 'journalctl', cursor)
    errors = tempfile.TemporaryFile()
    try:
        try:
            proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors)
        except (IOError, OSError) as exc:
            raise SourceError('source: journald: journalctl cannot be run (%s)' % (exc.strerror or exc))
        timed_out = []

        def stop():
            if proc.poll() is None:
                timed_out.append(True)
                proc.kill()

        watchdog = threading.Timer(JOURNAL_TIMEOUT if timeout is None else timeout, stop)
        watchdog.daemon = True
        watchdog.start()
        finished = False
        try:
            yield from _normalized(_binary_lines(proc.stdout), info)
            finished = True
        finally:
            watchdog.cancel()
            proc.stdout.close()
            if not finished and proc.poll() is None:     # the reader stopped early
                proc.kill()
            proc.wait()
        if timed_out:
            info['timed_out'] = JOURNAL_TIMEOUT if timeout is None else timeout
        errors.seek(0)
        info['returncode'] = proc.returncode
        info['stderr'] = errors.read(4096).decode('utf-8', 'replace').strip()
    finally:
        errors.close()
