# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the kernel's AppArmor and seccomp audit records are on a host, and reading them.

Four sources, each read as a stream of lines in bounded memory (the readers are
``_audit_readers``, the parser ``_audit``):

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

import collections
import errno
import os
import re
import subprocess

from ansible_collections.confine.hardening.plugins.module_utils import _audit as audit
from ansible_collections.confine.hardening.plugins.module_utils import _audit_bookmark as bookmarks
from ansible_collections.confine.hardening.plugins.module_utils import _audit_readers as readers
from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils import _libseccomp as libseccomp

SOURCES = ('auto', 'auditd', 'journald', 'kmsg', 'file')
AUDIT_LOG = '/var/log/audit/audit.log'
JOURNAL_RUN = '/run/systemd/journal'
KMSG = '/dev/kmsg'
BOOT_ID = '/proc/sys/kernel/random/boot_id'
PROC = '/proc'
TOOL_DIRS = ('/usr/sbin', '/sbin', '/usr/bin', '/bin')
JOURNAL_WHERE = 'journalctl -o json _TRANSPORT=kernel _TRANSPORT=audit'
COMMAND_TIMEOUT = 60        # seconds for the short commands (systemctl is-active, auditctl -s)

ACTIVE_STATES = ('active', 'activating', 'reloading')
INACTIVE_STATES = ('inactive', 'failed', 'deactivating', 'maintenance')

SourceError = readers.SourceError


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


def _readable_file(path):
    """Why ``path`` cannot be read as a log (one phrase), or None."""
    try:
        readers.open_log(path).close()
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


def _read(name, since, log_path, info, state=None):
    """The lines of the source ``name`` (see detect), from where ``state`` (a bookmark) stopped."""
    if name == 'auditd':
        return readers.read_auditd(AUDIT_LOG, since, info, state['files'] if state else None)
    if name == 'journald':
        return readers.read_journald(since, info, journalctl=which('journalctl'),
                                     cursor=state.get('cursor') if state else None)
    if name == 'kmsg':
        after = state['kmsg']['seq'] if state and state['kmsg']['boot'] == boot_id() else None
        info['kmsg_after'] = after
        return readers.read_kmsg(KMSG, info, after)
    return readers.read_file(log_path, info)


def boot_id():
    """This boot's id (kmsg sequence numbers start again at each boot), or None."""
    text = (fileio.read_text(BOOT_ID) or '').strip()
    return text if bookmarks.BOOT_RE.match(text) else None


def _journald_warnings(info, lines, warnings):
    """Warnings of how journalctl ended; SourceError when it failed before giving a line."""
    if info.get('timed_out'):
        warnings.append('journalctl was stopped after %d seconds; the events may be incomplete (give a shorter '
                        'since, or read the journal with source: file)' % info['timed_out'])
    elif info.get('returncode'):
        if not lines:
            raise SourceError('source: journald: journalctl failed (exit %s): %s'
                              % (info['returncode'], info.get('stderr') or 'no message'))
        warnings.append('journalctl exited with %s (%s); the events may be incomplete'
                        % (info['returncode'], info.get('stderr') or 'no message'))
    elif info.get('stderr'):
        warnings.append('journalctl said: %s' % info['stderr'].split('\n')[0])


def _loss(name, info, watch, run_command, warnings):
    """(rate_limited, lost) from the kernel's counter, its own log lines and auditd's errors;
    the warnings they give are appended."""
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
    return rate_limited, lost


def _events(collector, resolve, max_events, warnings):
    """(events, counts, truncated) of the collector, seccomp numbers named by ``resolve``."""
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
    return events, counts, truncated


def _resume(path, what, collector, watch, warnings):
    """(identity, state) of the bookmark at ``path`` (None, None without one); its counts restored."""
    if not path:
        return None, None
    ident = bookmarks.identity(*what)
    state, problem = bookmarks.load(path, ident)
    if problem:
        warnings.append(problem)
    if state:
        bookmarks.restore(state, collector, watch)
    return ident, state


def _read_all(name, since, log_path, profiles, bookmark, warnings):
    """(collector, watch, info, ident, state, lines before): the source read, from where its
    bookmark stopped. A journal that no longer takes the bookmark's cursor is read again from
    ``since``, the counts anew; a ring buffer that overwrote records since the bookmark says so."""
    watch = LossWatch(since)
    collector = audit.Collector(since, profiles)
    info = {}
    ident, state = _resume(bookmark if name != 'file' else None, (name, JOURNAL_WHERE if name == 'journald' else
                                                                  (KMSG if name == 'kmsg' else AUDIT_LOG), since,
                                                                  profiles), collector, watch, warnings)
    before = collector.lines
    collector.feed(watch.scan(_read(name, since, log_path, info, state)))
    if state and name == 'journald' and info.get('returncode') and 'cursor' in (info.get('stderr') or '').lower():
        warnings.append('journalctl did not take the cursor the last run stopped at (%s): read again from the start '
                        'of the stage, the counts anew' % (info.get('stderr') or '').split('\n')[0][:200])
        watch, collector, info, state, before = LossWatch(since), audit.Collector(since, profiles), {}, None, 0
        collector.feed(watch.scan(_read(name, since, log_path, info)))
    after = info.get('kmsg_after')
    if after is not None and info.get('kmsg_first', after + 1) > after + 1:
        warnings.append('the kernel ring buffer no longer holds records %d to %d (overwritten since the last run): '
                        'they are not counted' % (after + 1, info['kmsg_first'] - 1))
    return collector, watch, info, ident, state, before


def _position(name, info, state):
    """Where this reading stopped, for the bookmark; None when it cannot be said."""
    if name == 'auditd':
        return {'files': [p for p in info.get('positions', []) if p['head']]}
    if name == 'journald':
        cursor = info.get('cursor') or (state or {}).get('cursor')
        return {'cursor': cursor}
    boot = boot_id()
    if boot is None:
        return None
    return {'kmsg': {'boot': boot, 'seq': info.get('kmsg_seq', info.get('kmsg_after') or 0)}}


def _bookmark(path, ident, state, info, collector, watch, before, save, warnings, name):
    """What the reading resumed from and read; the new bookmark written when ``save``."""
    if ident is None:
        return None
    position = _position(name, info, state)
    if save and position is not None and not info.get('unreadable') and not info.get('timed_out'):
        problem = bookmarks.save(path, ident, position, collector, watch)
        if problem:
            warnings.append(problem)
    return {'path': path, 'resumed': state is not None, 'bytes_read': info.get('bytes_read', 0),
            'records_read': collector.lines - before}


def collect(source, since=0.0, profiles=None, log_path=None, run_command=None, resolve=None, max_events=None,
            bookmark=None, save_bookmark=True):
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
    - ``warnings``: sentences for the user;
    - ``bookmark``: with ``bookmark`` (a path; not for ``file``), what the reading resumed from
      and read (``resumed``, ``bytes_read``, ``records_read``): the counts are those since ``since``,
      the earlier runs' included, but only what was written since the last run is read. It is
      written (``save_bookmark``) after the read; see ``_audit_bookmark``.

    SourceError (one sentence naming the option) when the source cannot be read."""
    run_command = run_command or _run
    since = float(since or 0.0)
    name, where = detect(source, log_path, run_command)
    warnings = []
    if name == 'auditd' and source == 'auditd' and not auditd_active(run_command):
        warnings.append('auditd is not running, so records since it stopped are in journald or /dev/kmsg, '
                        'not in %s' % AUDIT_LOG)
    collector, watch, info, ident, state, before = _read_all(name, since, log_path, profiles, bookmark, warnings)
    warnings.extend(info.get('bookmark_warnings') or [])
    if name == 'journald':
        where = JOURNAL_WHERE + (' --since @%d' % int(since) if since > 0 else '')
        _journald_warnings(info, collector.lines, warnings)
    for path in info.get('unreadable', []):
        warnings.append('%s was skipped: it cannot be read' % path)
    if info.get('wrapped'):
        warnings.append('the kernel ring buffer overwrote records while %s was read' % KMSG)
    rate_limited, lost = _loss(name, info, watch, run_command, warnings)
    events, counts, truncated = _events(collector, resolve, max_events, warnings)
    if collector.malformed:
        warnings.append('%d lines were malformed (AppArmor or seccomp records cut short or broken, or lines longer '
                        'than %d bytes) and were skipped' % (collector.malformed, audit.MAX_LINE))
    marks = _bookmark(bookmark, ident, state, info, collector, watch, before, save_bookmark, warnings, name)
    return {'source': name, 'where': where, 'events': events, 'truncated': truncated, 'lines': collector.lines,
            'bytes': info.get('bytes_read'), 'bookmark': marks,
            'malformed': collector.malformed, 'rate_limited': rate_limited, 'lost': lost, 'warnings': warnings,
            'counts': counts}
