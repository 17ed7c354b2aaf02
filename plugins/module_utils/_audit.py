# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel audit records of AppArmor and seccomp, read as a stream.

One parser for the three places the records end up:

- auditd's log:  ``type=AVC msg=audit(1795468675.652:237): apparmor="ALLOWED" ...``
  and ``type=SECCOMP msg=audit(...): ... arch=c000003e syscall=165 ... code=0x7ffc0000``
  (auditd appends the interpreted fields after a 0x1d byte; they are ignored);
- the kernel ring buffer and journald's kernel messages:
  ``[  12.3] audit: type=1400 audit(1795468675.652:237): apparmor="DENIED" ...`` and
  ``audit: type=1326 audit(...): ...``.

Lines are read one at a time, so a log of any size is parsed in bounded memory: only the
deduplicated events are kept.  A line that is not an AppArmor or seccomp record is
ignored; one that is, but is malformed or truncated, is skipped and counted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

RECORD_RE = re.compile(r'(?:^|\s)(?:type=(?P<name>AVC|SECCOMP)|audit: type=(?P<num>1400|1326))\s+'
                       r'(?:msg=)?audit\((?P<time>\d+\.\d+):(?P<serial>\d+)\):\s?(?P<body>.*)$')
FIELD_RE = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|[^\s"]+)')
HEX_RE = re.compile(r'^(?:[0-9A-F]{2})+$')
STRING_FIELDS = ('name', 'comm', 'exe', 'profile', 'peer', 'target', 'srcname', 'fstype', 'subj', 'label')
SECCOMP_ACTIONS = {
    0x80000000: 'SCMP_ACT_KILL_PROCESS', 0x00000000: 'SCMP_ACT_KILL_THREAD', 0x00030000: 'SCMP_ACT_TRAP',
    0x00050000: 'SCMP_ACT_ERRNO', 0x7fc00000: 'SCMP_ACT_NOTIFY', 0x7ff00000: 'SCMP_ACT_TRACE',
    0x7ffc0000: 'SCMP_ACT_LOG', 0x7fff0000: 'SCMP_ACT_ALLOW',
}


def fields(body):
    """``key=value`` pairs of a record body; quoted values unquoted, hex-encoded strings decoded."""
    out = {}
    body = body.split('\x1d', 1)[0]
    for key, value in FIELD_RE.findall(body):
        if value.startswith('"'):
            value = value[1:-1]
        elif key in STRING_FIELDS and HEX_RE.match(value):
            try:
                value = bytearray.fromhex(value).decode('utf-8', 'replace')
            except ValueError:
                pass
        out.setdefault(key, value)
    return out


def parse_line(line):
    """(event or None, malformed): the AppArmor or seccomp event on ``line``."""
    match = RECORD_RE.search(line.rstrip('\n'))
    if not match:
        return None, False
    kind = match.group('name') or match.group('num')
    f = fields(match.group('body'))
    when = float(match.group('time'))
    if kind in ('SECCOMP', '1326'):
        try:
            arch = int(f['arch'], 16)
            nr = int(f['syscall'])
            code = int(f['code'], 16)
        except (KeyError, ValueError):
            return None, True
        action = SECCOMP_ACTIONS.get(code & 0xffff0000, 'unknown')
        return {'kind': 'seccomp', 'time': when, 'arch': arch, 'nr': nr, 'action': action,
                'comm': f.get('comm'), 'exe': f.get('exe'), 'label': f.get('subj')}, False
    verdict = f.get('apparmor')
    if verdict is None:
        # an AVC record without apparmor= belongs to another LSM; a type=1400 one is broken
        return None, kind == '1400'
    if verdict == 'STATUS' or 'profile' not in f or 'operation' not in f:
        return None, verdict != 'STATUS'
    event = {'kind': 'apparmor', 'time': when, 'verdict': verdict, 'profile': f['profile'],
             'operation': f['operation'], 'comm': f.get('comm')}
    for key in ('name', 'requested_mask', 'denied_mask', 'capname', 'family', 'sock_type', 'peer', 'signal',
                'fstype', 'srcname', 'flags'):
        if key in f:
            event[key] = f[key]
    return event, False


def key_of(event):
    if event['kind'] == 'seccomp':
        return ('seccomp', event['action'], event['arch'], event['nr'], event.get('exe'))
    return ('apparmor', event['verdict'], event['profile'], event['operation'], event.get('name'),
            event.get('denied_mask'), event.get('capname'), event.get('family'), event.get('sock_type'),
            event.get('peer'), event.get('fstype'))


def profile_matches(profile, wanted):
    base = profile.split('//', 1)[0]
    return not wanted or profile in wanted or base in wanted


class Collector(object):
    """Deduplicated, counted events from a stream of lines."""

    def __init__(self, since=0.0, profiles=None):
        self.since = since
        self.profiles = set(profiles or [])
        self.events = {}
        self.lines = 0
        self.skipped = 0

    def feed(self, lines):
        for line in lines:
            self.lines += 1
            try:
                event, bad = parse_line(line)
            except (ValueError, IndexError, TypeError):
                event, bad = None, True
            if bad:
                self.skipped += 1
            if event is None or event['time'] < self.since:
                continue
            if event['kind'] == 'apparmor' and not profile_matches(event['profile'], self.profiles):
                continue
            key = key_of(event)
            have = self.events.get(key)
            if have is None:
                event['count'] = 1
                event['first'] = event['last'] = event.pop('time')
                self.events[key] = event
            else:
                have['count'] += 1
                have['first'] = min(have['first'], event['time'])
                have['last'] = max(have['last'], event['time'])
        return self

    def results(self, resolve=None):
        """The events, most frequent first; seccomp numbers named by ``resolve(arch, nr)``."""
        out = []
        names = {}      # one lookup per (arch, number): many events share them
        for event in self.events.values():
            event = dict(event)
            if event['kind'] == 'seccomp':
                key = (event['arch'], event['nr'])
                if key not in names:
                    names[key] = resolve(event['arch'], event['nr']) if resolve else None
                event['syscall'] = names[key]
                event['arch'] = '%x' % event['arch']
            out.append(event)
        out.sort(key=lambda e: (-e['count'], e['kind'], str(e.get('profile') or e.get('syscall'))))
        return out


# ---------------------------------------------------------------------------
# Suggestions, in the spec format of the profile modules
# ---------------------------------------------------------------------------

MASK_PERMS = {'r': 'r', 'w': 'w', 'a': 'a', 'c': 'w', 'd': 'w', 'l': 'l', 'k': 'k', 'm': 'm'}


def glob_path(path):
    """A path as a rule: process ids and numbered or hex-suffixed file names become globs;
    characters a rule cannot hold unquoted (spaces, quotes, commas) match as ``?``."""
    path = re.sub(r'[\s",]', '?', path)
    path = re.sub(r'^/proc/\d+/', '@{PROC}/@{pid}/', path)
    path = re.sub(r'/\d+(?=/|$)', '/[0-9]*', path)
    path = re.sub(r'([._-])[0-9a-fA-F]{6,}(?=$|[./])', r'\1*', path)
    return path


def suggestions(events):
    """{'apparmor': {profile: spec additions}, 'seccomp': {'syscalls': [...]}} for the observed events."""
    apparmor, syscalls = {}, set()
    for event in events:
        if event['kind'] == 'seccomp':
            if event.get('syscall'):
                syscalls.add(event['syscall'])
            continue
        if event['verdict'] not in ('ALLOWED', 'DENIED'):
            continue
        spec = apparmor.setdefault(event['profile'].split('//', 1)[0], {})
        if event.get('capname'):
            caps = spec.setdefault('capabilities', {'allow': []})['allow']
            if event['capname'] not in caps:
                caps.append(event['capname'])
        elif event.get('family'):
            rule = {'family': event['family']}
            if event.get('sock_type'):
                rule['type'] = event['sock_type']
            if rule not in spec.setdefault('network', []):
                spec['network'].append(rule)
        elif event.get('name', '').startswith('/') and event.get('denied_mask'):
            mask = event['denied_mask']
            perms = ''.join(sorted(set(MASK_PERMS[c] for c in mask if c in MASK_PERMS), key='rwaklm'.index))
            rule = {'path': glob_path(event['name'])}
            if 'w' in perms and 'a' in perms:
                perms = perms.replace('a', '')
            if perms:
                rule['perms'] = perms
            if 'x' in mask:
                rule['exec'] = 'ix'
            if 'perms' in rule or 'exec' in rule:
                merged = [r for r in spec.setdefault('files', []) if r['path'] == rule['path']]
                if merged:
                    have = merged[0].get('perms', '') + rule.get('perms', '')
                    merged[0]['perms'] = ''.join(sorted(set(have), key='rwaklm'.index))
                    if 'exec' in rule:
                        merged[0]['exec'] = 'ix'
                else:
                    spec['files'].append(rule)
    out = {'apparmor': apparmor}
    if syscalls:
        out['seccomp'] = {'syscalls': [{'names': sorted(syscalls), 'action': 'SCMP_ACT_ALLOW'}]}
    return out
