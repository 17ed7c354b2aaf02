# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AppArmor path globs (AARE) as apparmor_parser reads them, matched in time linear in the name.

``aare_tokens`` reads a glob as the parser's ``convert_aaregex_to_pcre`` does (variables of
AppArmor's standard tunables expanded, runs of ``/`` folded); ``GlobMatcher`` compiles the
tokens to a Thompson NFA, whose ``match(name)`` takes time linear in the name whatever the
glob (names are the workload's to choose); ``aare_regex`` is the same glob as a Python
regular expression, for tests.  A glob the parser refuses or this module does not model is
``Unreadable``; ``glob_matcher`` turns it into a matcher that matches nothing.
"""

import re

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


class _Tokens(object):
    """The state of reading one glob into tokens (see ``aare_tokens``)."""

    def __init__(self, glob):
        self.glob, self.tokens = glob, []
        self.klass = None           # the parts of the [...] being read
        self.grouping = 0
        self.items = [0] * (MAX_GROUPING + 1)

    def read(self):
        glob, i, n, escape = self.glob, 0, len(self.glob), False
        while i < n:
            char = glob[i]
            if char == '\\' and not escape:
                escape = True
            elif escape:
                self._escaped(char)
                escape = False
            elif self.klass is not None:
                self._in_class(char)
            else:
                i = self._plain(char, i)
            i += 1
        if escape or self.klass is not None or self.grouping:
            raise Unreadable('an unclosed escape, class or group')
        return self.tokens

    def _escaped(self, char):
        if char in 'ntrae0123456789xdu':
            raise Unreadable('an escape sequence the gate does not read')
        if self.klass is not None:
            self.klass.append(_class_char(char))
        else:
            self.tokens.append(('lit', char))

    def _in_class(self, char):
        if char == ']':
            self.tokens.append(('class', '[%s]' % ''.join(self.klass)))
            self.klass = None
        elif char in '*?[':
            raise Unreadable('a glob character inside [...]')
        else:
            self.klass.append(_class_char(char))

    def _star(self, i):
        """The tokens of the ``*`` or ``**`` at ``i``; the index of its last character."""
        glob, n, tokens = self.glob, len(self.glob), self.tokens
        run = i
        while run < n and glob[run] == '*':
            run += 1
        if tokens and tokens[-1] == ('lit', '/') and (run == n or glob[run] == '/'):
            tokens.append(('class', ANY_BUT_SLASH))
        if glob.startswith('**', i):
            tokens.append(('star', ANY))
            return i + 1
        tokens.append(('star', ANY_BUT_SLASH))
        return i

    def _plain(self, char, i):
        """Read ``char`` (at ``i``) outside an escape and a class; the index of the last
        character read."""
        if char == '*':
            return self._star(i)
        if char == '?':
            self.tokens.append(('class', ANY_BUT_SLASH))
        elif char == '[':
            self.klass = []
        elif char == ']':
            raise Unreadable('a "]" without its "["')
        elif char == '{':
            self.grouping += 1
            if self.grouping > MAX_GROUPING:
                raise Unreadable('braces nest too deep')
            self.items[self.grouping] = 0
            self.tokens.append(('open',))
        elif char == '}':
            if self.grouping == 0 or self.items[self.grouping] == 0:
                raise Unreadable('a "}" without its "{" or alternatives')
            self.grouping -= 1
            self.tokens.append(('close',))
        elif char == ',' and self.grouping:
            self.items[self.grouping] += 1
            self.tokens.append(('alt',))
        else:
            self.tokens.append(('lit', char))
        return i


def aare_tokens(glob):
    """The tokens of an AppArmor path glob as apparmor_parser's convert_aaregex_to_pcre reads
    it: ('lit', char), ('class', python class), ('star', python class), ('open',), ('alt',),
    ('close',).  ``*`` and ``?`` never match ``/``; ``/*`` and ``/**`` as a whole path
    component need one character; a backslash makes the next character literal; ``{a,b}``
    alternatives; ``[...]`` classes; variables of TUNABLES expanded.  Unreadable for what the
    parser refuses or the gate does not model."""
    if not isinstance(glob, str) or not glob or len(glob) > MAX_GLOB:
        raise Unreadable('not a path')
    tokens = _Tokens(_filter_slashes(expand_variables(glob))).read()
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
