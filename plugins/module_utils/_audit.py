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
ignored; one that is, but is malformed or truncated, is counted in ``malformed`` and
skipped, and so is every line longer than ``MAX_LINE`` (the readers in ``_audit_readers``
never hold more of such a line in memory).  Parsing a line takes time linear in its
length, whatever it holds (issue 11 item 17): no input makes the parser raise.

Observed names are literal (issue 11 item 4): a suggestion's path is the glob that
matches exactly the logged name (every AppArmor glob character escaped, by
``_apparmor_quote.literal_path``), with only the generalisations documented in
``glob_path`` and docs/events.md.
"""

import re

from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_quote as quote
from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_spec as apparmor_spec
from ansible_collections.confine.hardening.plugins.module_utils import _common as common

# The longest line read, in bytes (a record the kernel writes is at most about 9 KiB).
MAX_LINE = 64 * 1024
# Stands for a longer line, which the readers skip without reading it into memory.
OVERLONG = str('\x00overlong line\x00')
MAX_TIME_DIGITS = 20        # audit(SECONDS.MILLIS:SERIAL) of a real record has 10.3:N digits
RECORD_RE = re.compile(r'(?:^|\s)(?:type=(?P<name>AVC|SECCOMP)|audit: type=(?P<num>1400|1326))\s+'
                       r'(?:msg=)?audit\((?P<time>\d+\.\d+):(?P<serial>\d+)\):\s?(?P<body>.*)$')
HEX_RE = re.compile(r'^(?:[0-9A-F]{2})+$')
STRING_FIELDS = ('name', 'comm', 'exe', 'profile', 'peer', 'target', 'srcname', 'fstype', 'subj', 'label')
SECCOMP_ACTIONS = {
    0x80000000: 'SCMP_ACT_KILL_PROCESS', 0x00000000: 'SCMP_ACT_KILL_THREAD', 0x00030000: 'SCMP_ACT_TRAP',
    0x00050000: 'SCMP_ACT_ERRNO', 0x7fc00000: 'SCMP_ACT_NOTIFY', 0x7ff00000: 'SCMP_ACT_TRACE',
    0x7ffc0000: 'SCMP_ACT_LOG', 0x7fff0000: 'SCMP_ACT_ALLOW',
}


KEY_CHARS = frozenset('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_')
SPACE = frozenset(' \t\n\r\x0b\x0c')


class Unterminated(ValueError):
    """A quoted value without its closing quote: the record was cut short."""


def _hex_text(value):
    """A hex-encoded string field as text; bytes that are not UTF-8 become U+FFFD."""
    return bytearray.fromhex(value).decode('utf-8', 'replace')


# One token of a record body: a quoted string that is no value (passed over as one word), or
# key=value. The look-behind starts a key only where a word starts, so every position is tried
# once and the time stays linear in the body's length, whatever it holds.
TOKEN_RE = re.compile(r'"[^"]*"|(?<![A-Za-z0-9_])([A-Za-z0-9_]+)=(?:("[^"]*")|([^ \t\n\r\x0b\x0c"]*))')
DIGITS = '0123456789'


def fields(body):
    """``key=value`` pairs of a record body; quoted values unquoted, hex-encoded strings decoded.

    The kernel writes a string in quotes only when it holds no quote (else as hex), so a quoted
    value runs to the next quote and every quote opens or closes one: an odd number of quotes
    means one is never closed, which raises ``Unterminated`` (the record was cut short). Words
    that are not ``key=value`` are passed over; a key's leading digits are dropped; the first
    value of a key wins. ``fields_reference`` is the same, one character at a time (the
    definition the tests compare this against)."""
    body = body.split('\x1d', 1)[0]
    if body.count('"') % 2:
        raise Unterminated('a quoted string is not closed')
    out = {}
    for key, quoted, value in TOKEN_RE.findall(body):
        if not key:
            continue        # a quoted word that is no value
        if key[0] in DIGITS:
            key = key.lstrip(DIGITS)
            if not key:
                continue
        if key in out:
            continue
        if quoted:
            out[key] = quoted[1:-1]
        elif value:
            out[key] = _hex_text(value) if key in STRING_FIELDS and HEX_RE.match(value) else value
    return out


def fields_reference(body):
    """``key=value`` pairs of a record body; quoted values unquoted, hex-encoded strings decoded.

    One pass over the body, so the time is linear in its length (a regular expression that
    looked for ``key=`` inside a long unterminated quoted value took quadratic time).  The
    kernel writes a string in quotes only when it holds no quote (else as hex), so a quoted
    value runs to the next quote; a quote that is never closed raises ``Unterminated``.
    Words that are not ``key=value`` are passed over."""
    out = {}
    body = body.split('\x1d', 1)[0]
    n = len(body)
    i = 0
    while i < n:
        char = body[i]
        if char in SPACE:
            i += 1
            continue
        start = i
        while i < n and body[i] in KEY_CHARS:
            i += 1
        if i == start or i >= n or body[i] != '=':
            # not a key: pass over this word (a quoted string as one word)
            if i < n and body[i] == '"':
                end = body.find('"', i + 1)
                if end < 0:
                    raise Unterminated('a quoted string is not closed')
                i = end + 1
            elif i == start:
                i += 1
            continue
        key = body[start:i].lstrip('0123456789')
        i += 1
        if i < n and body[i] == '"':
            end = body.find('"', i + 1)
            if end < 0:
                raise Unterminated('the value of %s is not closed' % (key or 'a field'))
            value = body[i + 1:end]
            i = end + 1
            if key:
                out.setdefault(key, value)
        else:
            end = i
            while end < n and body[end] not in SPACE and body[end] != '"':
                end += 1
            value = body[i:end]
            i = end
            if key and value:
                if key in STRING_FIELDS and HEX_RE.match(value):
                    value = _hex_text(value)
                out.setdefault(key, value)
    return out


SECCOMP_NUMBER_RE = {'arch': re.compile(r'^[0-9a-fA-F]{1,8}$'), 'syscall': re.compile(r'^[0-9]{1,10}$'),
                     'code': re.compile(r'^(?:0[xX])?[0-9a-fA-F]{1,8}$')}


def parse_line(line, cache=None):
    """(event or None, malformed): the AppArmor or seccomp event on ``line``.

    Never raises for a string: a record that is cut short, has a field out of range or
    is longer than ``MAX_LINE`` is malformed. ``cache`` (a dict, or None) keeps the parse of
    each distinct record body: a record whose body is byte for byte one seen before (a
    process repeating itself) is not parsed again; only its time is read."""
    if line is OVERLONG or len(line) > MAX_LINE:
        return None, True
    match = RECORD_RE.search(line.rstrip('\n'))
    if not match:
        return None, False
    kind = match.group('name') or match.group('num')
    if len(match.group('time')) > MAX_TIME_DIGITS:
        return None, True
    body = match.group('body')
    if cache is None or len(body) > CACHE_BODY:
        parsed = parse_body(kind, body)
    else:
        parsed = cache.get((kind, body))
        if parsed is None:
            parsed = parse_body(kind, body)
            if len(cache) >= CACHE_SIZE:
                cache.clear()
            cache[(kind, body)] = parsed
    event, bad = parsed
    if event is None:
        return None, bad
    event = dict(event)
    event['time'] = float(match.group('time'))
    return event, False


# The parse cache holds at most CACHE_SIZE bodies of at most CACHE_BODY characters (a few MiB
# at most, whatever the log holds); a body seen again is not parsed again.
CACHE_SIZE = 4096
CACHE_BODY = 2048


def parse_body(kind, body):
    """(event without its time, or None; malformed) of a record body."""
    try:
        f = fields(body)
    except Unterminated:
        return None, True
    if kind in ('SECCOMP', '1326'):
        if not all(SECCOMP_NUMBER_RE[key].match(f.get(key) or '') for key in SECCOMP_NUMBER_RE):
            return None, True
        arch = int(f['arch'], 16)
        nr = int(f['syscall'])
        code = int(f['code'], 16)
        action = SECCOMP_ACTIONS.get(code & 0xffff0000, 'unknown')
        return {'kind': 'seccomp', 'arch': arch, 'nr': nr, 'action': action,
                'comm': f.get('comm'), 'exe': f.get('exe'), 'label': f.get('subj')}, False
    verdict = f.get('apparmor')
    if verdict is None:
        # an AVC record without apparmor= belongs to another LSM; a type=1400 one is broken
        return None, kind == '1400'
    if verdict == 'STATUS' or 'profile' not in f or 'operation' not in f:
        return None, verdict != 'STATUS'
    event = {'kind': 'apparmor', 'verdict': verdict, 'profile': f['profile'],
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
        self.malformed = 0      # record lines cut short or broken, and lines over MAX_LINE
        self.cache = {}         # the parse of each distinct record body (bounded: CACHE_SIZE)

    def feed(self, lines):
        for line in lines:
            self.lines += 1
            try:
                event, bad = parse_line(line, self.cache)
            except (ValueError, IndexError, TypeError, KeyError, OverflowError, RecursionError):
                event, bad = None, True     # a defect of this parser: the line still only counts
            if bad:
                self.malformed += 1
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

# The file permissions of a rule, in the order a profile writes them
PERM_ORDER = 'rwaklm'
# What each letter of an event's mask needs: c(reate) and d(elete) need w, a(ppend) is covered by w
MASK_PERMS = {'r': 'r', 'w': 'w', 'a': 'a', 'c': 'w', 'd': 'w', 'l': 'l', 'k': 'k', 'm': 'm'}

# The only generalisations a suggestion makes (docs/events.md, "What a suggestion generalises");
# every other character of a logged name is matched literally.
PROC_PID_RE = re.compile(r'^/proc/([1-9][0-9]{0,5}|[1-4][0-9]{6})(?=/|$)')     # what @{pid} matches
DIGITS_RE = re.compile(r'^[0-9]+$')
HEX_SUFFIX_RE = re.compile(r'(?<=[._-])[0-9a-fA-F]{6,}(?=\.|$)')


def _component(text):
    """One path component as a glob: all digits -> one [0-9] per digit; a hex run of six or
    more after '.', '_' or '-' and before a '.' or the end -> one [0-9a-fA-F] per character;
    everything else literal."""
    if DIGITS_RE.match(text):
        return '[0-9]' * len(text)
    out, at = [], 0
    for match in HEX_SUFFIX_RE.finditer(text):
        out.append(quote.literal_glob(text[at:match.start()]))
        out.append('[0-9a-fA-F]' * (match.end() - match.start()))
        at = match.end()
    out.append(quote.literal_glob(text[at:]))
    return ''.join(out)


def glob_path(path):
    """The path of a suggested rule for the logged name ``path``, or None when no rule can
    name it (not absolute, a control character, bytes that were not UTF-8 - shown as U+FFFD -,
    longer than a profile token may be, or not canonical: ``//``, ``.`` or ``..`` components,
    which the kernel never logs and apparmor_parser would fold).

    The name is literal: every AppArmor glob character in it is escaped
    (``_apparmor_quote.literal_path``), so a file named ``/srv/**`` gives ``/srv/\\*\\*``,
    which matches that file only.  The collection's generalisations, each matching a
    number where the log had one: ``/proc/PID/`` -> ``@{PROC}/@{pid}/``; a component of
    digits -> ``[0-9]`` per digit; a hex suffix of six or more characters -> ``[0-9a-fA-F]``
    per character.  The result always matches ``path`` itself."""
    if not isinstance(path, str) or '\ufffd' in path or '//' in path or \
            any(part in ('.', '..') for part in path.split('/')):
        return None         # the kernel logs canonical names: no rule is made for another
    try:
        quote.literal_path(path)
    except common.SpecError:
        return None
    prefix = ''
    match = PROC_PID_RE.match(path)
    if match:
        prefix, path = '@{PROC}/@{pid}', path[match.end():]
    return prefix + '/'.join(_component(part) if part else '' for part in path.split('/'))


def _perms(mask):
    perms = ''.join(sorted(set(MASK_PERMS[c] for c in mask if c in MASK_PERMS), key=PERM_ORDER.index))
    if 'w' in perms and 'a' in perms:
        perms = perms.replace('a', '')
    return perms


def _capability_rule(event, apparmor, profile):
    if event['capname'] not in apparmor_spec.CAPABILITIES:
        return False
    caps = apparmor.setdefault(profile, {}).setdefault('capabilities', {'allow': []})['allow']
    if event['capname'] not in caps:
        caps.append(event['capname'])
    return True


def _network_rule(event, apparmor, profile):
    rule = {'family': event['family']}
    if event.get('sock_type'):
        rule['type'] = event['sock_type']
    if rule['family'] not in apparmor_spec.NETWORK_FAMILIES or \
            rule.get('type', 'stream') not in apparmor_spec.NETWORK_TYPES:
        return False
    spec = apparmor.setdefault(profile, {})
    if rule not in spec.setdefault('network', []):
        spec['network'].append(rule)
    return True


def _file_rule(event, apparmor, profile):
    mask = event['denied_mask']
    path = glob_path(event['name'])
    perms = _perms(mask)
    if path is None or not (perms or 'x' in mask):
        return False
    rule = {'path': path}
    if perms:
        rule['perms'] = perms
    if 'x' in mask:
        rule['exec'] = 'ix'
    spec = apparmor.setdefault(profile, {})
    merged = [r for r in spec.setdefault('files', []) if r['path'] == rule['path']]
    if merged:
        have = _perms(merged[0].get('perms', '') + rule.get('perms', ''))
        if have:
            merged[0]['perms'] = have
        if 'exec' in rule:
            merged[0]['exec'] = 'ix'
    else:
        spec['files'].append(rule)
    return True


def _apparmor_rule(event, apparmor):
    """Add the rule that would allow an AppArmor event to ``apparmor``; whether one was made."""
    profile = event['profile'].split('//', 1)[0]
    if event.get('capname'):
        return _capability_rule(event, apparmor, profile)
    if event.get('family'):
        return _network_rule(event, apparmor, profile)
    if event.get('name', '').startswith('/') and event.get('denied_mask'):
        return _file_rule(event, apparmor, profile)
    return False


def suggestions(events, unsuggested=None):
    """{'apparmor': {profile: spec additions}, 'seccomp': {'syscalls': [...]}} for the observed events.

    Only values the profile modules accept are suggested (known capabilities, network
    families and types; paths as ``glob_path`` writes them); events that give none are
    appended to ``unsuggested`` when it is a list."""
    apparmor, syscalls = {}, set()
    for event in events:
        if event['kind'] == 'seccomp':
            if event.get('syscall'):
                syscalls.add(event['syscall'])
            continue
        if event['verdict'] not in ('ALLOWED', 'DENIED'):
            continue
        made = _apparmor_rule(event, apparmor)
        named = event.get('capname') or event.get('family') or event.get('name')
        if not made and named and isinstance(unsuggested, list):
            unsuggested.append(event)
    out = {'apparmor': apparmor}
    if syscalls:
        out['seccomp'] = {'syscalls': [{'names': sorted(syscalls), 'action': 'SCMP_ACT_ALLOW'}]}
    return out
