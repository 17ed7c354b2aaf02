# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the kernel's AppArmor and seccomp audit records are on a host, and reading them.

Four sources, each read as a stream of lines in bounded memory (see ``_audit``):

- ``auditd``: ``/var/log/audit/audit.log`` and its rotated files, oldest first;
- ``journald``: ``journalctl -o json`` over the kernel and audit transports.  With
  ``systemd-journald-audit.socket`` active (Debian's default) journald receives every
  record over the audit netlink socket, while the kernel transport only has what
  the kernel printed, which the printk rate limit thins out to about 10 lines in 5 s.
  A record found in both is counted once;
- ``kmsg``: ``/dev/kmsg``, the kernel ring buffer, read without blocking;
- ``file``: any file of such lines (auditd's log, ``dmesg``, raw ``/dev/kmsg``
  records, ``journalctl -o cat`` or ``-o json`` output).

Records the kernel lost or did not print are reported: ``auditctl -s`` gives the
kernel's lost counter, and the kernel's own lines (``audit: backlog limit exceeded``,
``audit: audit_lost=N ...``, ``kauditd_printk_skb: N callbacks suppressed``) say so.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import collections
import datetime
import errno
import json
import math
import os
import re
import stat
import subprocess
import tempfile
import threading

from ansible_collections.confine.hardening.plugins.module_utils import _audit as audit
from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils import _libseccomp as libseccomp

SOURCES = ('auto', 'auditd', 'journald', 'kmsg', 'file')
AUDIT_LOG = '/var/log/audit/audit.log'
JOURNAL_RUN = '/run/systemd/journal'
KMSG = '/dev/kmsg'
PROC = '/proc'
TOOL_DIRS = ('/usr/sbin', '/sbin', '/usr/bin', '/bin')
JOURNAL_ARGS = ['--no-pager', '-o', 'json',
                '--output-fields=MESSAGE,_TRANSPORT,_AUDIT_TYPE,_AUDIT_TYPE_NAME,_AUDIT_ID,_SOURCE_REALTIME_TIMESTAMP',
                '_TRANSPORT=kernel', '_TRANSPORT=audit']
JOURNAL_WHERE = 'journalctl -o json _TRANSPORT=kernel _TRANSPORT=audit'
MAX_LINE = audit.MAX_LINE   # a longer line is skipped (counted malformed) without being held in memory
READ_SIZE = 1 << 16
JOURNAL_TIMEOUT = 600       # seconds journalctl may take before it is stopped
COMMAND_TIMEOUT = 60        # seconds for the short commands (systemctl is-active, auditctl -s)
DEDUPE_WINDOW = 16384       # records remembered to drop the second copy from the other transport

ACTIVE_STATES = ('active', 'activating', 'reloading')
INACTIVE_STATES = ('inactive', 'failed', 'deactivating', 'maintenance')


class SourceError(Exception):
    """One sentence naming the option and why the source cannot be read."""


# ---------------------------------------------------------------------------
# Times
# ---------------------------------------------------------------------------

NUMBER_RE = re.compile(r'^\d+(?:\.\d+)?$')
UNIT_SECONDS = (('d', 86400), ('h', 3600), ('m', 60), ('s', 1))
DURATION_RE = re.compile(r'^(?:(\d+(?:\.\d+)?)d)?\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*'
                         r'(?:(\d+(?:\.\d+)?)s)?$')
ISO_RE = re.compile(r'^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?'
                    r'\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$')
DURATION_HELP = 'give seconds (90) or amounts of d, h, m and s in that order (30s, 15m, 2h, 1d, 1h30m)'
MAX_EPOCH = 253402300799.0  # 9999-12-31T23:59:59Z: the last time a record, or time.gmtime, can name
MAX_TEXT = 64               # characters of a time or duration (a longer one is no time)


def _number(value):
    return not isinstance(value, bool) and isinstance(value, (int, float))


def parse_duration(value):
    """Seconds in ``value``: a number of seconds, or ``1d``, ``2h``, ``15m``, ``30s`` and sums
    of them written largest unit first (``1h30m``).  ValueError with one sentence otherwise."""
    if _number(value):
        if math.isnan(value) or math.isinf(value) or value < 0:
            raise ValueError('%r is not a duration: %s' % (value, DURATION_HELP))
        seconds = float(value)
    else:
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise ValueError('%s is not a duration: %s' % (shown(value), DURATION_HELP))
        text = value.strip().lower()
        match = None if NUMBER_RE.match(text) else DURATION_RE.match(text)
        if NUMBER_RE.match(text):
            seconds = float(text)
        elif not text or not match or not any(match.groups()):
            raise ValueError('%r is not a duration: %s' % (value, DURATION_HELP))
        else:
            seconds = float(sum(float(amount) * size for amount, (_u, size) in zip(match.groups(), UNIT_SECONDS)
                                if amount))
    if seconds > MAX_EPOCH:
        raise ValueError('%s is too long to be a duration (at most %d seconds, about 8000 years)'
                         % (shown(value), MAX_EPOCH))
    return seconds


def shown(value):
    """``value`` for a message: repr, cut to 80 characters."""
    text = repr(value)
    return text if len(text) <= 80 else text[:60] + '...' + text[-10:] + ' (%d characters)' % len(text)


def _iso(text):
    match = ISO_RE.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                                   int(second or 0))
    except ValueError as exc:
        raise ValueError('%r is not a valid time (%s)' % (text, exc))
    epoch = calendar.timegm(moment.timetuple()) + (float('0.' + fraction) if fraction else 0.0)
    if zone and zone not in ('Z', 'z', 'UTC'):
        digits = zone[1:].replace(':', '')
        offset = int(digits[:2]) * 3600 + int(digits[2:] or 0) * 60
        epoch -= offset if zone[0] == '+' else -offset
    return float(epoch)


def parse_since(value, now):
    """Epoch seconds from which records are wanted: 0.0 (everything) for None or '';
    an epoch number; an ISO 8601 time (UTC unless it has an offset); or a duration,
    meaning that long before ``now``.  ValueError with one sentence otherwise."""
    if value is None:
        return 0.0
    if _number(value):
        if math.isnan(value) or math.isinf(value) or value < 0:
            raise ValueError('%r is not a time: an epoch time cannot be negative' % (value,))
        return _in_range(value, value)
    if not isinstance(value, str):
        raise ValueError('%s is not a time: give epoch seconds, an ISO 8601 time or a duration ago' % shown(value))
    text = value.strip()
    if not text:
        return 0.0
    if len(text) <= MAX_TEXT:
        if NUMBER_RE.match(text):
            return _in_range(float(text), value)
        epoch = _iso(text)
        if epoch is not None:
            return _in_range(epoch, value)
        try:
            # a duration longer than the time since 1970 means every record
            return max(0.0, float(now) - parse_duration(text))
        except ValueError:
            pass
    raise ValueError('%s is not a time: give epoch seconds (1795468675), an ISO 8601 time '
                     '(2026-11-24T10:00:00Z, UTC when no offset is given) or a duration ago '
                     '(30s, 15m, 2h, 1d, 1h30m)' % shown(value))


def _in_range(epoch, value):
    if epoch > MAX_EPOCH:
        raise ValueError('%s is not a time: it is after the year 9999 (epoch seconds go up to %d)'
                         % (shown(value), MAX_EPOCH))
    return max(0.0, float(epoch))


# ---------------------------------------------------------------------------
# Finding the source
# ---------------------------------------------------------------------------

def _run(args):
    """(rc, stdout, stderr) of a command, like AnsibleModule.run_command."""
    try:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except (IOError, OSError) as exc:
        return 127, '', str(exc)
    try:
        out, err = proc.communicate(timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return 124, '', '%s did not finish within %d seconds' % (args[0], COMMAND_TIMEOUT)
    return proc.returncode, out.decode('utf-8', 'replace'), err.decode('utf-8', 'replace')


def which(name):
    """Full path of an executable on PATH or in TOOL_DIRS, else None."""
    dirs = [d for d in os.environ.get('PATH', '').split(os.pathsep) if d] + list(TOOL_DIRS)
    for directory in dirs:
        path = os.path.join(directory, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def process_running(name):
    """Whether a process whose comm is ``name`` runs (read from PROC/*/comm)."""
    try:
        entries = os.listdir(PROC)
    except OSError:
        return False
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            comm = fileio.read_bytes(os.path.join(PROC, entry, 'comm'), limit=4096)
        except (IOError, OSError):
            continue
        if comm is not None and comm.strip() == name.encode():
            return True
    return False


def auditd_active(run_command):
    """auditd runs: asked of systemd when systemctl is there and systemd answers, else
    looked for among the processes."""
    if which('systemctl'):
        rc, out, _err = run_command(['systemctl', 'is-active', 'auditd'])
        state = (out or '').strip().split('\n')[0].strip()
        if rc == 0 or state in ACTIVE_STATES:
            return True
        if state in INACTIVE_STATES:
            return False
    return process_running('auditd')


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


def _readable_file(path):
    """Why ``path`` cannot be read as a log (one phrase), or None."""
    try:
        open_log(path).close()
    except fileio.NotRegularFile as exc:
        return 'it is a %s, not a regular file' % exc.kind
    except (IOError, OSError, ValueError) as exc:
        return getattr(exc, 'strerror', None) or str(exc)
    return None


def _auditd_problem(run_command, need_active):
    why = _readable_file(AUDIT_LOG)
    if why:
        return '%s is not readable (%s)' % (AUDIT_LOG, why)
    if need_active and not auditd_active(run_command):
        return 'auditd is not running'
    return None


def _journald_problem():
    if not which('journalctl'):
        return 'journalctl is not installed'
    if not os.path.exists(JOURNAL_RUN):
        return 'systemd-journald is not running (%s is missing)' % JOURNAL_RUN
    return None


def _kmsg_problem():
    try:
        fd = os.open(KMSG, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        why = exc.strerror or str(exc)
        if exc.errno in (errno.EPERM, errno.EACCES):
            why += '; reading it needs root, or CAP_SYSLOG with kernel.dmesg_restrict=1'
        return '%s cannot be opened (%s)' % (KMSG, why)
    os.close(fd)
    return None


def detect(source, log_path=None, run_command=None):
    """(name, where) of the source to read: name is auditd, journald, kmsg or file, where
    the path or command read.  ``auto`` takes auditd when its log is readable and it runs,
    else journald when journalctl and a running journald are there, else /dev/kmsg.
    SourceError with one sentence naming the option when the source cannot be read."""
    run_command = run_command or _run
    if source not in SOURCES:
        raise SourceError('source: %r is not one of %s' % (source, ', '.join(SOURCES)))
    if log_path and source != 'file':
        raise SourceError('log_path: it is read only with source: file, not with source: %s; drop log_path or '
                          'set source: file' % source)
    if source == 'file':
        if not log_path:
            raise SourceError('source: file needs log_path, the log file to read')
        why = _readable_file(log_path)
        if why:
            raise SourceError('log_path: %s cannot be read (%s)' % (log_path, why))
        return 'file', log_path
    if source == 'auditd':
        why = _auditd_problem(run_command, need_active=False)
        if why:
            raise SourceError('source: auditd was asked for but %s' % why)
        return 'auditd', AUDIT_LOG
    if source == 'journald':
        why = _journald_problem()
        if why:
            raise SourceError('source: journald was asked for but %s' % why)
        return 'journald', JOURNAL_WHERE
    if source == 'kmsg':
        why = _kmsg_problem()
        if why:
            raise SourceError('source: kmsg was asked for but %s' % why)
        return 'kmsg', KMSG
    reasons = []
    why = _auditd_problem(run_command, need_active=True)
    if why is None:
        return 'auditd', AUDIT_LOG
    reasons.append('auditd: %s' % why)
    why = _journald_problem()
    if why is None:
        return 'journald', JOURNAL_WHERE
    reasons.append('journald: %s' % why)
    why = _kmsg_problem()
    if why is None:
        return 'kmsg', KMSG
    reasons.append('kmsg: %s' % why)
    raise SourceError('source: auto found no audit records to read (%s)' % '; '.join(reasons))


# ---------------------------------------------------------------------------
# Readers: each yields text lines, one record a line
# ---------------------------------------------------------------------------

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


def read_auditd(log=None, since=0.0, info=None):
    """Lines of auditd's log and its rotated files, oldest first."""
    info = info if info is not None else {}
    info.setdefault('files', [])
    info.setdefault('unreadable', [])
    for path in rotated_logs(log or AUDIT_LOG, since):
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
            yield from _binary_lines(fh)


def read_file(path, info=None):
    """Lines of any log file: auditd, kernel (dmesg, raw /dev/kmsg records) or journal
    (``journalctl -o cat`` or ``-o json``) lines."""
    info = info if info is not None else {}
    with open_log(path) as fh:
        yield from _normalized(_binary_lines(fh), info)


def read_kmsg(path=None, info=None):
    """Messages of ``/dev/kmsg`` records (or of a file of such records), read without
    blocking until the ring buffer has no more."""
    info = info if info is not None else {}
    info.setdefault('wrapped', 0)
    fd = os.open(path or KMSG, os.O_RDONLY | os.O_NONBLOCK)
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
        elif pending:
            message = kmsg_message(_decode(pending))
            if message is not None:
                yield message
    finally:
        os.close(fd)


def journal_command(since=0.0, journalctl='journalctl'):
    args = [journalctl] + JOURNAL_ARGS
    if since > 0:
        args += ['--since', '@%d' % int(since)]
    return args


def read_journald(since=0.0, info=None, journalctl=None, timeout=None):
    """Lines of the kernel and audit transports of the journal, streamed from journalctl.
    journalctl is stopped after ``timeout`` seconds (JOURNAL_TIMEOUT), and ``info['timed_out']``
    says so: a journal that never ends cannot hang the run."""
    info = info if info is not None else {}
    args = journal_command(since, journalctl or which('journalctl') or 'journalctl')
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


# ---------------------------------------------------------------------------
# Records the kernel lost or did not print
# ---------------------------------------------------------------------------

AUDIT_LOST_RE = re.compile(r'(?:^|\s)audit: audit_lost=(\d{1,19})(?!\d)')
SUPPRESSED_RE = re.compile(r'(?:^|\s)(kauditd_printk_skb|audit_log_lost|audit_panic|printk|audit): '
                           r'(\d{1,19}) (?:callbacks|messages) suppressed')
LIMITS = (
    (re.compile(r'(?:^|\s)audit: rate limit exceeded'), 'rate limit exceeded'),
    (re.compile(r'(?:^|\s)audit: (?:backlog limit exceeded|audit_backlog=\d+ > audit_backlog_limit=\d+)'),
     'backlog limit exceeded'),
    (re.compile(r'(?:^|\s)audit: kauditd (?:hold|retry) queue overflow'), 'kauditd queue overflow'),
    (re.compile(r'(?:^|\s)audit: out of memory in audit_'), 'out of memory'),
)
DAEMON_RE = re.compile(r'(?:^|\s)type=(DAEMON_ERR|DAEMON_ABORT) msg=audit\((\d{1,20}\.\d{1,20}):\d+\):\s*(.*)')
AUDITCTL_LOST_RE = re.compile(r'^lost\s+(\d{1,19})\s*$', re.M)
EVIDENCE = ('suppressed', 'audit_lost=', 'exceeded', 'audit_backlog=', 'overflow', 'out of memory', 'DAEMON_')


class LossWatch(object):
    """Evidence of lost records in a stream of lines, passed on unchanged."""

    def __init__(self, since=0.0):
        self.since = since
        self.audit_lost = None      # the kernel's audit_lost counter, the highest seen
        self.suppressed = 0         # kernel log lines the printk rate limit dropped
        self.limits = collections.Counter()
        self.daemon = []            # auditd's own error records

    def scan(self, lines):
        for line in lines:
            if any(word in line for word in EVIDENCE) and 'apparmor=' not in line and 'type=1326' not in line \
                    and 'type=SECCOMP' not in line:
                self.look(line)
            yield line

    def look(self, line):
        match = AUDIT_LOST_RE.search(line)
        if match:
            self.audit_lost = max(self.audit_lost or 0, int(match.group(1)))
        match = SUPPRESSED_RE.search(line)
        if match:
            self.suppressed += int(match.group(2))
        for pattern, what in LIMITS:
            if pattern.search(line):
                self.limits[what] += 1
        match = DAEMON_RE.search(line)
        if match and float(match.group(2)) >= self.since and len(self.daemon) < 10:
            self.daemon.append('%s: %s' % (match.group(1), match.group(3).split('\x1d')[0].strip()[:200]))


def auditctl_lost(run_command):
    """(the kernel's lost counter from ``auditctl -s`` or None, a warning or None)."""
    path = which('auditctl')
    if not path:
        return None, None
    rc, out, err = run_command([path, '-s'])
    match = AUDITCTL_LOST_RE.search(out or '')
    if rc != 0 or not match:
        why = (err or out or '').strip().split('\n')[0] or 'exit %s' % rc
        return None, ('auditctl -s failed (%s), so records the kernel lost are not counted' % why)
    return int(match.group(1)), None


# ---------------------------------------------------------------------------
# Everything together
# ---------------------------------------------------------------------------

def count_events(events):
    """{'apparmor': occurrences, 'seccomp': occurrences, 'by_profile': {profile: occurrences}}."""
    counts = {'apparmor': 0, 'seccomp': 0, 'by_profile': {}}
    for event in events:
        counts[event['kind']] += event['count']
        if event['kind'] == 'apparmor':
            counts['by_profile'][event['profile']] = counts['by_profile'].get(event['profile'], 0) + event['count']
    return counts


def _loss_warning(lost, parts, printk):
    text = ('the kernel reported %d audit records lost or not logged' % lost if lost
            else 'the kernel reported that audit records were lost')
    text += ' (%s), so learning and gate results may be incomplete' % ', '.join(parts)
    if printk:
        text += '; auditd, or journald with its audit socket, keeps the records the printk rate limit drops'
    return text + '; see docs/events.md on rate limiting'


def collect(source, since=0.0, profiles=None, log_path=None, run_command=None, resolve=None, max_events=None):
    """Read a source (see detect) from ``since`` (epoch seconds) on and return a dict:

    - ``source``, ``where``: the source read and its path or command;
    - ``events``: the distinct AppArmor (of ``profiles`` only, when given) and seccomp
      events, sorted as ``_audit.Collector.results`` sorts them, seccomp numbers named by
      ``resolve(audit_arch, nr)`` (default: the host's libseccomp); at most ``max_events``,
      ``truncated`` saying how many were left out;
    - ``counts``: ``{'apparmor': n, 'seccomp': n, 'by_profile': {profile: n}}``, occurrences
      over all events (also those left out);
    - ``lines`` read, ``malformed`` record lines (cut short or broken) and lines longer
      than MAX_LINE, which were skipped;
    - ``rate_limited``, ``lost``: whether and how many records the kernel reported lost or
      not logged (``lost`` None when nothing tells);
    - ``warnings``: sentences for the user.

    SourceError (one sentence naming the option) when the source cannot be read."""
    run_command = run_command or _run
    since = float(since or 0.0)
    name, where = detect(source, log_path, run_command)
    warnings = []
    info = {}
    if name == 'auditd':
        if source == 'auditd' and not auditd_active(run_command):
            warnings.append('auditd is not running, so records since it stopped are in journald or /dev/kmsg, '
                            'not in %s' % AUDIT_LOG)
        lines = read_auditd(AUDIT_LOG, since, info)
    elif name == 'journald':
        lines = read_journald(since, info)
    elif name == 'kmsg':
        lines = read_kmsg(KMSG, info)
    else:
        lines = read_file(log_path, info)

    watch = LossWatch(since)
    collector = audit.Collector(since, profiles).feed(watch.scan(lines))

    if name == 'journald':
        where = JOURNAL_WHERE + (' --since @%d' % int(since) if since > 0 else '')
        if info.get('timed_out'):
            warnings.append('journalctl was stopped after %d seconds; the events may be incomplete (give a shorter '
                            'since, or read the journal with source: file)' % info['timed_out'])
        elif info.get('returncode'):
            if not collector.lines:
                raise SourceError('source: journald: journalctl failed (exit %s): %s'
                                  % (info['returncode'], info.get('stderr') or 'no message'))
            warnings.append('journalctl exited with %s (%s); the events may be incomplete'
                            % (info['returncode'], info.get('stderr') or 'no message'))
        elif info.get('stderr'):
            warnings.append('journalctl said: %s' % info['stderr'].split('\n')[0])
    for path in info.get('unreadable', []):
        warnings.append('%s was skipped: it cannot be read' % path)
    if info.get('wrapped'):
        warnings.append('the kernel ring buffer overwrote records while %s was read' % KMSG)

    # Loss: the kernel's counter, its own log lines, auditd's errors
    kernel_lost = None
    if name != 'file':
        kernel_lost, note = auditctl_lost(run_command)
        if note:
            warnings.append(note)
    printk_matters = not (name == 'auditd' or info.get('audit_transport'))
    suppressed = watch.suppressed if printk_matters else 0
    parts = []
    if kernel_lost:
        parts.append('auditctl -s: lost %d since boot' % kernel_lost)
    logged = ['audit_lost=%d' % watch.audit_lost] if watch.audit_lost else []
    logged += ['"%s"' % what for what in sorted(watch.limits)]
    if logged:
        parts.append('the kernel logged %s' % ' and '.join(logged))
    if suppressed:
        parts.append('%d kernel log lines dropped by the printk rate limit' % suppressed)
    if watch.daemon:
        parts.append('auditd reported %s' % '; '.join(watch.daemon[:3]))
    known = [v for v in (kernel_lost, watch.audit_lost) if v is not None]
    lost = None
    if known or suppressed:
        lost = (max(known) if known else 0) + suppressed
    rate_limited = bool(lost) or bool(watch.limits) or bool(watch.daemon)
    if rate_limited:
        warnings.append(_loss_warning(lost, parts, bool(suppressed)))

    if resolve is None and any(key[0] == 'seccomp' for key in collector.events):
        try:
            resolve = libseccomp.load().syscall_name
        except libseccomp.LibseccompError as exc:
            warnings.append('%s; seccomp events keep their syscall numbers, without names, and no seccomp '
                            'suggestion is made' % exc)
    events = collector.results(resolve)
    counts = count_events(events)
    truncated = 0
    if max_events is not None and len(events) > max_events:
        truncated = len(events) - max_events
        warnings.append('%d of %d events are left out (max_events=%d); the counts cover all of them'
                        % (truncated, len(events), max_events))
        events = events[:max_events]
    if collector.malformed:
        warnings.append('%d lines were malformed (AppArmor or seccomp records cut short or broken, or lines longer '
                        'than %d bytes) and were skipped' % (collector.malformed, MAX_LINE))
    return {'source': name, 'where': where, 'events': events, 'truncated': truncated, 'lines': collector.lines,
            'malformed': collector.malformed, 'rate_limited': rate_limited, 'lost': lost, 'warnings': warnings,
            'counts': counts}
