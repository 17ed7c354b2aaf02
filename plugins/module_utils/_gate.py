# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The promotion gate: may a host in observe go to enforce?

An event (a kernel audit record of what a profile in observe would have blocked) is
*explained* when the profile's spec now allows it, read as AppArmor reads the profile
(the event was accepted), or when it matches one of the user's ignore patterns.  A host
is promoted once it has been observed for long enough and every event since observation
began is explained.

Observed names are literal (issue 11 item 4): an event counts as accepted only when a rule
the spec really holds (its preset's rules included) matches the event's logged name as
AppArmor's glob compiler would, grants every permission the event asked for, and no deny
rule of the spec takes it away.  Nothing is compared with the suggestion the event would
give, so a name full of glob characters cannot make a broader rule count as accepted, and
an accepted suggestion explains only the names it really matches.  A rule the gate cannot
read (an unknown variable, a malformed glob, an ``owner`` rule, ``extra_rules``) explains
nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import re

from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_spec as apparmor_spec

PERM_ORDER = 'rwaklm'
ALLOWING = ('SCMP_ACT_ALLOW', 'SCMP_ACT_LOG')

# The values of the variables of AppArmor 3's tunables/global (Debian 12) that a spec may use.
# A rule with any other variable explains nothing (the gate cannot know its value).
PID = ('{[1-9],[1-9][0-9],[1-9][0-9][0-9],[1-9][0-9][0-9][0-9],[1-9][0-9][0-9][0-9][0-9],'
       '[1-9][0-9][0-9][0-9][0-9][0-9],[1-4][0-9][0-9][0-9][0-9][0-9][0-9]}')
UID = ('{[0-9],[1-9][0-9],[1-9][0-9][0-9],[1-9][0-9][0-9][0-9],[1-9][0-9][0-9][0-9][0-9],'
       '[1-9][0-9][0-9][0-9][0-9][0-9],[1-9][0-9][0-9][0-9][0-9][0-9][0-9],[1-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9],'
       '[1-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9],[1-4][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]}')
TUNABLES = {
    'PROC': ('/proc/',), 'sys': ('/sys/',), 'run': ('/run/', '/var/run/'), 'HOMEDIRS': ('/home/',),
    'HOME': ('@{HOMEDIRS}/*/', '/root/'), 'pid': (PID,), 'pids': ('@{pid}',), 'tid': ('@{pid}',),
    'uid': (UID,), 'uids': ('@{uid}',), 'securityfs': ('@{sys}/kernel/security/',),
    'apparmorfs': ('@{securityfs}/apparmor/',), 'etc_ro': ('/etc/', '/usr/etc/'), 'etc_rw': ('/etc/',),
    'multiarch': ('*-linux-gnu*',),
}
VARIABLE_RE = re.compile(r'@\{([A-Za-z_][A-Za-z0-9_]*)\}')
MAX_GLOB = 16384
MAX_GROUPING = 50           # apparmor_parser's limit of nested {}


class Unreadable(ValueError):
    """A rule path the gate cannot read as AppArmor would."""


def expand_variables(glob, depth=0):
    """``glob`` with each ``@{VAR}`` of TUNABLES replaced by ``{value,...}`` as apparmor_parser
    expands it (a value's trailing slash goes when a slash follows); ``\\@`` stays a literal @."""
    if depth > 4:
        raise Unreadable('variables nest too deep')
    out, i, n = [], 0, len(glob)
    while i < n:
        char = glob[i]
        if char == '\\':
            out.append(glob[i:i + 2])
            i += 2
            continue
        if char == '@' and glob.startswith('@{', i):
            match = VARIABLE_RE.match(glob, i)
            if not match or match.group(1) not in TUNABLES:
                raise Unreadable('unknown variable')
            follows = glob[match.end():match.end() + 1]
            values = [expand_variables(v, depth + 1) for v in TUNABLES[match.group(1)]]
            if follows == '/':
                values = [v[:-1] if v.endswith('/') and len(v) > 1 else v for v in values]
            out.append(values[0] if len(values) == 1 else '{%s}' % ','.join(values))
            i = match.end()
            continue
        out.append(char)
        i += 1
    return ''.join(out)


def _filter_slashes(glob):
    """apparmor_parser's filter_slashes: runs of / become one (a leading // stays)."""
    head = '//' if glob.startswith('//') and not glob.startswith('///') else ''
    return head + re.sub(r'/{2,}', '/', glob[len(head):])


def _class_char(char):
    return char if char in '-^' else re.escape(char)


ANY_BUT_SLASH = '[^/\\x00]'
ANY = '[^\\x00]'
MAX_NAME = 4096             # PATH_MAX: the kernel logs no longer name


def aare_tokens(glob):
    """The tokens of an AppArmor path glob as apparmor_parser's convert_aaregex_to_pcre reads
    it: ('lit', char), ('class', python class), ('star', python class), ('open',), ('alt',),
    ('close',).  ``*`` and ``?`` never match ``/``; ``/*`` and ``/**`` as a whole path
    component need one character; a backslash makes the next character literal; ``{a,b}``
    alternatives; ``[...]`` classes; variables of TUNABLES expanded.  Unreadable for what the
    parser refuses or the gate does not model."""
    if not isinstance(glob, str) or not glob or len(glob) > MAX_GLOB:
        raise Unreadable('not a path')
    glob = _filter_slashes(expand_variables(glob))
    tokens = []
    klass = None                # the parts of the [...] being read
    escape, grouping = False, 0
    items = [0] * (MAX_GROUPING + 1)
    i, n = 0, len(glob)
    while i < n:
        char = glob[i]
        if char == '\\' and not escape:
            escape = True
            i += 1
            continue
        if escape:
            if char in 'ntrae0123456789xdu':
                raise Unreadable('an escape sequence the gate does not read')
            if klass is not None:
                klass.append(_class_char(char))
            else:
                tokens.append(('lit', char))
        elif klass is not None:
            if char == ']':
                tokens.append(('class', '[%s]' % ''.join(klass)))
                klass = None
            elif char in '*?[':
                raise Unreadable('a glob character inside [...]')
            else:
                klass.append(_class_char(char))
        elif char == '*':
            run = i
            while run < n and glob[run] == '*':
                run += 1
            if tokens and tokens[-1] == ('lit', '/') and (run == n or glob[run] == '/'):
                tokens.append(('class', ANY_BUT_SLASH))
            if glob.startswith('**', i):
                tokens.append(('star', ANY))
                i += 1
            else:
                tokens.append(('star', ANY_BUT_SLASH))
        elif char == '?':
            tokens.append(('class', ANY_BUT_SLASH))
        elif char == '[':
            klass = []
        elif char == ']':
            raise Unreadable('a "]" without its "["')
        elif char == '{':
            grouping += 1
            if grouping > MAX_GROUPING:
                raise Unreadable('braces nest too deep')
            items[grouping] = 0
            tokens.append(('open',))
        elif char == '}':
            if grouping == 0 or items[grouping] == 0:
                raise Unreadable('a "}" without its "{" or alternatives')
            grouping -= 1
            tokens.append(('close',))
        elif char == ',' and grouping:
            items[grouping] += 1
            tokens.append(('alt',))
        else:
            tokens.append(('lit', char))
        escape = False
        i += 1
    if escape or klass is not None or grouping:
        raise Unreadable('an unclosed escape, class or group')
    for token in tokens:
        try:
            if token[0] in ('class', 'star'):
                re.compile(token[1])
        except re.error:
            raise Unreadable('a class that is no class')
    return tokens


def aare_regex(glob):
    """The Python regular expression of an AppArmor path glob (see ``aare_tokens``), for
    tests: the gate itself matches with ``GlobMatcher``, in time linear in the name."""
    parts = []
    for token in aare_tokens(glob):
        kind = token[0]
        parts.append(re.escape(token[1]) if kind == 'lit' else token[1] if kind == 'class' else
                     token[1] + '*' if kind == 'star' else {'open': '(?:', 'alt': '|', 'close': ')'}[kind])
    try:
        return re.compile('^(?:%s)$' % ''.join(parts), re.S)
    except (re.error, RecursionError, OverflowError):
        raise Unreadable('not a regular expression')


class GlobMatcher(object):
    """An AppArmor path glob as a Thompson NFA: ``match(name)`` takes time linear in the name
    (Python's backtracking re takes polynomial time on a glob of several ``*`` against a long
    name that nearly matches, and names are the workload's to choose)."""

    def __init__(self, glob):
        tokens = aare_tokens(glob)
        literal = next((i for i, t in enumerate(tokens) if t[0] != 'lit'), len(tokens))
        self.prefix = ''.join(t[1] for t in tokens[:literal])      # every match starts with it
        self.states = [('match',)]         # (kind, ...): ('char', test, out), ('split', outs), ('match',)
        self.classes = {}
        tree, rest = self._tree(tokens, 0)
        if rest != len(tokens):
            raise Unreadable('an unbalanced group')
        self.start = self._compile(tree, 0)

    def _tree(self, tokens, i):
        """(list of alternatives, each a list of items, index after them) from tokens[i:]."""
        alts, items = [], []
        while i < len(tokens):
            kind = tokens[i][0]
            if kind == 'open':
                sub, i = self._tree(tokens, i + 1)
                if i >= len(tokens) or tokens[i][0] != 'close':
                    raise Unreadable('an unclosed group')
                items.append(('group', sub))
            elif kind == 'alt':
                alts.append(items)
                items = []
            elif kind == 'close':
                break
            else:
                items.append(tokens[i])
            i += 1
        alts.append(items)
        return alts, i

    def _add(self, state):
        self.states.append(state)
        return len(self.states) - 1

    def _test(self, text):
        if text not in self.classes:
            self.classes[text] = re.compile(text, re.S).match
        return self.classes[text]

    def _compile(self, alts, out):
        starts = []
        for items in alts:
            at = out
            for item in reversed(items):
                kind = item[0]
                if kind == 'lit':
                    at = self._add(('char', item[1], at))
                elif kind == 'class':
                    at = self._add(('class', self._test(item[1]), at))
                elif kind == 'star':
                    split = self._add(None)
                    body = self._add(('class', self._test(item[1]), split))
                    self.states[split] = ('split', (body, at))
                    at = split
                else:
                    at = self._compile(item[1], at)
            starts.append(at)
        return starts[0] if len(starts) == 1 else self._add(('split', tuple(starts)))

    def _closure(self, states):
        seen, stack = set(), list(states)
        while stack:
            state = stack.pop()
            if state in seen:
                continue
            seen.add(state)
            if self.states[state][0] == 'split':
                stack.extend(self.states[state][1])
        return seen

    def match(self, name):
        if not isinstance(name, str) or len(name) > MAX_NAME or not name.startswith(self.prefix):
            return False
        current = self._closure([self.start])
        for char in name:
            following = []
            for state in current:
                node = self.states[state]
                if node[0] == 'char':
                    if node[1] == char:
                        following.append(node[2])
                elif node[0] == 'class' and node[1](char):
                    following.append(node[2])
            if not following:
                return False
            current = self._closure(following)
        return 0 in current


class _Nothing(object):
    """The matcher of a rule the gate cannot read: it explains nothing."""

    @staticmethod
    def match(_name):
        return False


def glob_matcher(pattern):
    """``GlobMatcher(pattern)``, or one that matches nothing when the gate cannot read the
    pattern (such a rule explains nothing)."""
    try:
        return GlobMatcher(pattern)
    except (Unreadable, RecursionError):
        return _Nothing()


def apparmor_glob_re(pattern):
    """A matcher of ``pattern`` (``.match(name)``), as ``glob_matcher``."""
    return glob_matcher(pattern)


# event masks: c(reate) and d(elete) need w, a(ppend) is covered by w; x is exec
MASK_NEEDS = {'r': 'r', 'w': 'w', 'a': 'a', 'c': 'w', 'd': 'w', 'l': 'l', 'k': 'k', 'm': 'm', 'x': 'x'}


def _needed(mask):
    """The permissions an event's mask asks for, or None when it has a letter the gate does
    not know (then nothing explains it)."""
    need = set()
    for char in mask:
        if char == ':':
            continue
        if char not in MASK_NEEDS:
            return None
        need.add(MASK_NEEDS[char])
    return need


def _rule_grants(rule, exec_list=False):
    """(path, set of permissions) an allow or deny rule of a spec names, or None for a rule
    the gate does not read (not a mapping, no string path, owner-only)."""
    if not isinstance(rule, dict) or not isinstance(rule.get('path'), str):
        return None
    if exec_list:
        mode = rule.get('mode', 'ix')
        return rule['path'], set('x') if isinstance(mode, str) and mode else set()
    perms = rule.get('perms') or ''
    if not isinstance(perms, str):
        return None
    grants = set(c for c in perms if c in PERM_ORDER)
    if 'w' in grants:
        grants.add('a')
    if rule.get('exec'):
        grants.add('x')
    return rule['path'], grants


class _Matcher(object):
    def __init__(self):
        self.cache = {}

    def matches(self, path, name):
        matcher = self.cache.get(path)
        if matcher is None:
            matcher = self.cache[path] = glob_matcher(path)
        return matcher.match(name)


def _full_spec(spec):
    """The spec with its preset merged in (the rules AppArmor will load); the spec as it is
    when it cannot be built (the profile module refuses such a spec anyway)."""
    try:
        return apparmor_spec.build_spec(spec)
    except (apparmor_spec.SpecError, TypeError, ValueError, AttributeError, KeyError):
        return spec


def _list(value):
    return value if isinstance(value, list) else []


def file_accepted(name, mask, spec, matcher=None):
    """Whether ``spec`` lets a process open the logged path ``name`` with ``mask``: the union
    of the allow rules that match it grants every permission asked for, and no deny rule that
    matches it takes one away.  ``owner`` allow rules are not counted (the gate cannot tell
    the file was the process's own); ``owner`` deny rules are."""
    matcher = matcher or _Matcher()
    need = _needed(mask)
    if not need or not isinstance(name, str) or not name.startswith('/'):
        return False
    granted, denied = set(), set()
    rules = [(r, False) for r in _list(spec.get('files'))] + [(r, True) for r in _list(spec.get('exec'))]
    for rule, exec_list in rules:
        got = _rule_grants(rule, exec_list)
        if got is None or not matcher.matches(got[0], name):
            continue
        if rule.get('deny'):
            denied |= got[1]
        elif not rule.get('owner'):
            granted |= got[1]
    if 'a' in need and 'w' in granted:
        granted.add('a')
    return need <= granted and not (need & (denied | (set('a') if 'w' in denied else set())))


def _capability_accepted(capname, spec):
    caps = spec.get('capabilities')
    if not isinstance(caps, dict):
        return False
    allow, deny = _list(caps.get('allow')), _list(caps.get('deny'))
    return (capname in allow or '*' in allow) and capname not in deny and '*' not in deny


def _network_accepted(family, sock_type, spec):
    allowed = False
    for rule in _list(spec.get('network')):
        if not isinstance(rule, dict):
            continue
        if rule.get('family') in (family, 'all', None) and rule.get('type') in (None, sock_type):
            if rule.get('deny'):
                return False
            allowed = True
    return allowed


def apparmor_accepted(event, spec, matcher=None):
    """Whether ``spec`` (a profile spec as the role takes it, its preset included) now allows
    what ``event`` did, as AppArmor would decide it."""
    if not isinstance(spec, dict):
        return False
    spec = _full_spec(spec)
    if event.get('capname'):
        return _capability_accepted(event['capname'], spec)
    if event.get('family'):
        return _network_accepted(event['family'], event.get('sock_type'), spec)
    name = event.get('name') or ''
    if not name.startswith('/') or not event.get('denied_mask'):
        return False
    return file_accepted(name, event['denied_mask'], spec, matcher)


def seccomp_accepted(event, specs):
    name = event.get('syscall')
    if not name:
        return False
    for spec in specs:
        if not isinstance(spec, dict):
            continue
        for rule in _list(spec.get('syscalls')):
            if not isinstance(rule, dict):
                continue
            names = rule.get('names') or ([rule['name']] if rule.get('name') else [])
            if isinstance(names, str):
                names = [names]
            action = rule.get('action')
            action = action.upper() if isinstance(action, str) else ''
            if isinstance(names, list) and name in names and action in ALLOWING and not rule.get('args'):
                return True
    return False


def ignored(event, patterns):
    """The first ignore pattern that matches the event (every key of it, by fnmatch), or None."""
    for pattern in patterns or []:
        if not pattern or not isinstance(pattern, dict):
            continue
        if all(fnmatch.fnmatchcase('' if event.get(k) is None else str(event.get(k)), str(v))
               for k, v in pattern.items()):
            return pattern
    return None


def sort_events(events, seccomp_specs, apparmor_specs, patterns):
    """(unexplained, accepted, ignored) lists of this run's events.

    Seccomp records of actions other than SCMP_ACT_LOG (another profile enforcing) and
    AppArmor records that are not a verdict, or name a profile this run does not
    manage, are not the gate's business and are left out."""
    by_name = dict((s.get('name'), s) for s in apparmor_specs or [] if isinstance(s, dict))
    unexplained, accepted, skipped = [], [], []
    for event in events:
        if event['kind'] == 'seccomp':
            if event.get('action') != 'SCMP_ACT_LOG':
                continue
            spec = None
        else:
            spec = by_name.get(event['profile'].split('//', 1)[0])
            if event.get('verdict') not in ('ALLOWED', 'DENIED') or spec is None:
                continue
        if ignored(event, patterns):
            skipped.append(event)
        elif seccomp_accepted(event, seccomp_specs or []) if spec is None else apparmor_accepted(event, spec):
            accepted.append(event)
        else:
            unexplained.append(event)
    return unexplained, accepted, skipped


def human_duration(seconds):
    seconds = int(max(0, seconds))
    parts = []
    for unit, size in (('d', 86400), ('h', 3600), ('m', 60)):
        if seconds >= size:
            parts.append('%d%s' % (seconds // size, unit))
            seconds %= size
    if seconds or not parts:
        parts.append('%ds' % seconds)
    return ''.join(parts[:2])


def describe(event):
    if event['kind'] == 'seccomp':
        return 'seccomp %s by %s (%d times)' % (event.get('syscall') or 'syscall %s' % event.get('nr'),
                                                event.get('exe') or event.get('comm'), event['count'])
    what = event.get('capname') and 'capability %s' % event['capname'] or \
        event.get('family') and 'network %s %s' % (event['family'], event.get('sock_type') or '') or \
        '%s %s %s' % (event['operation'], event.get('name') or '', event.get('denied_mask') or '')
    return '%s: %s by %s (%d times)' % (event['profile'], ' '.join(what.split()), event.get('comm'), event['count'])


def decide(record_stage, since, now, observe_min, unexplained, accepted, skipped):
    """(stage, promoted, reason) for a host whose configured stage is auto."""
    if record_stage == 'enforce':
        return 'enforce', False, 'already enforced (promoted earlier); the gate does not demote'
    if record_stage != 'observe' or since is None:
        return 'observe', False, 'observation starts now; promotion after %s without unexplained events' % (
            human_duration(observe_min))
    observed = now - since
    if unexplained:
        return 'observe', False, '%d unexplained event%s since observation began: %s' % (
            len(unexplained), '' if len(unexplained) == 1 else 's', '; '.join(describe(e) for e in unexplained[:5]))
    if observed < observe_min:
        return 'observe', False, 'observed for %s of %s; no unexplained events so far' % (
            human_duration(observed), human_duration(observe_min))
    return 'enforce', True, 'observed for %s with no unexplained events (%d accepted, %d ignored): promoted' % (
        human_duration(observed), len(accepted), len(skipped))
