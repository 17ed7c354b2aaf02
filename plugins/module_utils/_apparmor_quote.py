# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way a string of an AppArmor spec becomes text of the profile: path and
name globs quoted as tokens (``quote``, ``literal_path``), policy file names (includes, abi),
comment lines (owner, source) and the user's raw ``extra_rules``.  Every check raises
``SpecError`` naming the field."""

import re

from ansible_collections.confine.hardening.plugins.module_utils._common import SpecError


# Measured with apparmor_parser 3.0.8 (-QK --debug and -D rule-exprs print what it read):
# - an unquoted token ends at a space, tab, newline, '"', '!' or a ',' at its end; inside
#   one, '\ ' and '\,' continue it, so a token ending in a backslash swallows what follows
#   (issue 11 items 1 and 2);
# - a quoted token is '"' (any character but NUL and '"', or '\"')* '"', longest match:
#   a backslash just before the closing quote makes that quote an escaped one, and the
#   token runs on to the next quote in the file (even on a later line);
# - inside a token the lexer turns \" into ", \n \t \a \e \r ... into control
#   characters, \NNN, \dNNN and \xHH into the character (\x5c and \x2a into the escaped
#   glob characters \\ and \*), and passes every other backslash pair (\\ \* \? \[ \] \{
#   \} \^ \@ ...) through to the glob compiler, where it means the character itself;
# - @{NAME} is a variable (expanded before globbing); \@ is a literal @.
# So a spec glob reaches the parser unchanged when it is written in double quotes with
# only '"' escaped and a final backslash pair written \x5c; a backslash in a spec glob
# must escape one of the glob characters below, and control characters cannot be written.

GLOB_CHARS = '\\*?[]{}^@'
MAX_TOKEN = 4096
# Invisible characters that reorder how text is shown (a spec would read differently in review).
BIDI_CONTROLS = u'\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069'
SAFE_TOKEN_RE = re.compile(r'^[A-Za-z0-9_./*?\[\]{}^@,-]+$')
VARIABLE_RE = re.compile(r'@\{[A-Za-z_][A-Za-z0-9_]*\}')


def literal_glob(value):
    """``value`` with every AppArmor glob character escaped: a glob that matches
    exactly the string ``value`` (no check; see ``literal_path``)."""
    return ''.join('\\' + char if char in GLOB_CHARS else char for char in value)


def _text_problem(value):
    if not isinstance(value, str):
        return '%r is not a string' % (value,)
    if not value:
        return 'must not be empty'
    try:
        size = len(value.encode('utf-8'))
    except UnicodeError:
        return '%r is not valid Unicode text (it holds a lone surrogate)' % (value,)
    if size > MAX_TOKEN:
        return 'is %d bytes long; at most %d are allowed' % (size, MAX_TOKEN)
    for char in value:
        if ord(char) < 0x20 or 0x7f <= ord(char) < 0xa0:
            return '%r contains the control character %r, which a profile cannot express' % (value, char)
        if char in BIDI_CONTROLS:
            return ('%r contains the invisible bidirectional control %r, which makes the text read differently '
                    'from what it is' % (value, char))
    return None


def _escape_or_variable(value, i):
    """At a backslash or a ``@{`` at ``value[i]``: (problem or None, the member it makes, the
    index after it); None at any other character."""
    if value[i] == '\\':
        if i + 1 >= len(value):
            return ('%r ends in a lone backslash (a backslash escapes the next character; '
                    'write \\\\ for a backslash)' % (value,)), None, i
        if value[i + 1] not in GLOB_CHARS:
            return ('%r has a backslash before %r (a backslash may only escape one of %s)'
                    % (value, value[i + 1], ' '.join(GLOB_CHARS))), None, i
        return None, '\\' + value[i + 1], i + 2
    if value[i] == '@' and value[i + 1:i + 2] == '{':
        match = VARIABLE_RE.match(value, i)
        if not match:
            return ('%r has "@{" that does not start a variable such as @{HOME} (write \\@ for a literal @)'
                    % (value,)), None, i
        return None, match.group(0), match.end()
    return None


def _glob_problem(value):
    """Why ``value`` is not a well-formed AppArmor glob of this collection, or None.

    The parser fails to compile (or reads differently) an unbalanced brace or bracket, an
    empty ``[]`` or ``[^]``, a ``{...}`` group without a comma of its own (``{a}``, ``{}``,
    ``{a{b,c}}``), and a ``-`` at the edge of a class; a backslash escapes
    only a glob character; ``@{`` starts a variable ``@{NAME}``."""
    depth, bracket, members, alternatives, i = 0, False, [], [], 0
    while i < len(value):
        char = value[i]
        special = _escape_or_variable(value, i)
        if special:
            problem, member, i = special
            if problem:
                return problem
            members.append(member)
            continue
        if bracket:
            if char == ']':
                bracket = False
                if not members:
                    return '%r has an empty [] class' % (value,)
                if members[0] == '-' or members[-1] == '-':
                    return '%r has a "-" at the edge of a [...] class (a "-" only joins the ends of a range)' % (value,)
            else:
                members.append(char)
        elif char == '[':
            bracket, members = True, []
            if value[i + 1:i + 2] == '^':
                i += 1
        elif char == ']':
            return '%r has a "]" without its "[" (write \\] for a literal bracket)' % (value,)
        elif char == '{':
            depth += 1
            alternatives.append(False)
        elif char == '}':
            depth -= 1
            if depth < 0:
                return '%r has a "}" without its "{" (write \\} for a literal brace)' % (value,)
            if not alternatives.pop():
                return ('%r has a {...} group without a "," of its own (a group lists alternatives, {a,b}; '
                        'the parser cannot compile {a} or {})' % (value,))
        elif char == ',' and alternatives:
            alternatives[-1] = True
        i += 1
    if bracket:
        return '%r has a "[" without its "]" (write \\[ for a literal bracket)' % (value,)
    if depth:
        return '%r has a "{" without its "}" (write \\{ for a literal brace)' % (value,)
    return None


def _token(glob):
    """The profile token the parser reads back as exactly ``glob``."""
    # unquoted, a comma continues a token only when a token character follows it
    if SAFE_TOKEN_RE.match(glob) and ',,' not in glob and _commas_in_braces(glob):
        return glob
    body = glob.replace('"', '\\"')
    if body.endswith('\\'):
        # the glob ends in the pair \\: a backslash before the closing quote would escape it
        body = body[:-2] + '\\x5c'
    return '"%s"' % body


def _commas_in_braces(value):
    """Every comma of ``value`` separates alternatives of a {...} group (not inside a [...]
    class, where it is a character and could end an unquoted token)."""
    depth, bracket = 0, False
    for char in value:
        if bracket:
            if char == ']':
                bracket = False
            elif char == ',':
                return False
        elif char == '[':
            bracket = True
        elif char == '{':
            depth += 1
        elif char == '}':
            depth -= 1
        elif char == ',' and depth <= 0:
            return False
    return True


def quote(field, value, literal=False, path=True):
    """The profile token for the spec string ``value`` of ``field``; SpecError naming the field
    when the string cannot be a profile token.

    ``value`` is an AppArmor glob (``*``, ``**``, ``?``, ``[...]``, ``{a,b}``, ``@{VAR}``; a
    backslash escapes a glob character) unless ``literal`` is true, in which case every
    character means itself.  ``path`` asks for an absolute path: it starts with ``/`` (or, for
    a glob, with a variable such as ``@{PROC}``).  The token is double-quoted when it needs to
    be (spaces, quotes, commas outside braces, backslashes, non-ASCII letters)."""
    problem = _text_problem(value)
    if problem is None:
        glob = literal_glob(value) if literal else value
        problem = None if literal else _glob_problem(value)
        if problem is None and len(glob.encode('utf-8')) > MAX_TOKEN:
            # so that what literal_path returns is always a spec path this module takes
            problem = 'is %d bytes long once its glob characters are escaped; at most %d are allowed' % (
                len(glob.encode('utf-8')), MAX_TOKEN)
        if problem is None and path and not (value.startswith('/') or
                                             (not literal and VARIABLE_RE.match(value))):
            problem = '%r is not an absolute path (it must start with / or a variable such as @{HOME})' % (value,)
        if problem is None:
            return _token(glob)
    raise SpecError(field, problem)


def literal_path(path):
    """The spec glob that matches exactly the absolute path ``path`` and nothing else: every
    AppArmor glob character (``\\ * ? [ ] { } ^ @``) escaped with a backslash.  For
    suggestions made from observed file names.  SpecError (field ``path``) when ``path``
    is not absolute, is empty or too long (escaped: more than MAX_TOKEN bytes), or holds a
    control character.  What it returns is accepted by ``quote`` as a path glob."""
    quote('path', path, literal=True)
    return literal_glob(path)


POLICY_NAME_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.+-]*$')
MAX_POLICY_NAME = 255


def policy_name(field, value, example='abstractions/base'):
    """``value`` when it names a file inside the AppArmor policy directory (an include or
    an abi): relative, components of letters, digits, ``_ . + -``, none empty, ``.`` or
    ``..``.  SpecError naming ``field`` otherwise.  (issue 11 item 3)"""
    if not isinstance(value, str) or not value or len(value) > MAX_POLICY_NAME or not all(
            POLICY_NAME_RE.match(part) for part in value.split('/')):
        raise SpecError(field, '%r is not a file of the AppArmor policy directory such as %s (a relative path: '
                               'names of letters, digits, "_", ".", "+" and "-" separated by "/", no empty, "." or '
                               '".." parts, at most %d characters)' % (value, example, MAX_POLICY_NAME))
    return value


MAX_COMMENT = 1024


def comment_text(field, value):
    """``value`` (owner, source) as the text of one comment line: runs of white space
    (newlines too) become one space; other control characters and more than
    MAX_COMMENT characters are refused with a SpecError naming ``field``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)      # owner: 1234 in YAML
    if not isinstance(value, str):
        raise SpecError(field, 'must be a string, not %s' % type(value).__name__)
    text = ' '.join(value.split())
    if len(text) > MAX_COMMENT:
        raise SpecError(field, 'is %d characters long; at most %d are allowed (it is written into a comment '
                               'line of the profile)' % (len(text), MAX_COMMENT))
    problem = _text_problem(text) if text else None
    if problem:
        raise SpecError(field, problem)
    return text


RULE_PREFIXES = ('audit', 'allow', 'deny', 'owner')
EXTRA_REFUSED_WORDS = ('include', '#include', 'abi', 'profile', 'hat')


def _rule_ends(field, line):
    """The places of the commas of ``line`` that end a rule (outside quotes and parentheses);
    SpecError for a brace, a comment, a backslash outside quotes, an open quote or parenthesis."""
    depth, quoted, j, ends = 0, False, 0, []
    while j < len(line):
        char = line[j]
        if quoted:
            if char == '\\' and line[j + 1:j + 2] == '"':
                j += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char in '{}':
            raise SpecError(field, 'must be one rule without braces (no blocks or {alternatives}); write such '
                                   'rules with the spec keys')
        elif char == '#':
            raise SpecError(field, 'must not hold a comment ("#" outside quotes)')
        elif char == '\\':
            # outside quotes "\," and "\ " continue a token: the rule would run into the next line
            raise SpecError(field, '%r has a backslash outside double quotes (write such a path in double '
                                   'quotes)' % (line,))
        elif char == '(':
            depth += 1
        elif char == ')':
            depth -= 1
        elif char == ',' and depth == 0:
            ends.append(j)
        j += 1
    if quoted:
        raise SpecError(field, '%r has a quoted string that does not end' % (line,))
    if depth:
        raise SpecError(field, '%r has unbalanced parentheses' % (line,))
    return ends


def extra_rule(i, line, mode):
    """One rule of ``extra_rules``, passed through as written after these checks: one rule
    (a comma only at its end, or inside quotes or parentheses), on one line, no braces
    (no blocks, no alternations), no comment, no backslash outside double quotes, no control
    characters, no include/abi (they
    would reach outside the policy directory: use ``includes``).  In complain mode a
    ``deny`` rule without ``audit`` gets ``audit``, so it does not block (issue 11 item 5)."""
    field = 'extra_rules[%d]' % i
    if not isinstance(line, str):
        raise SpecError(field, 'must be a string holding one rule')
    problem = _text_problem(line.strip() or ' ')
    if problem:
        raise SpecError(field, problem)
    line = line.strip()
    first = line.split()[0] if line.split() else ''
    if first.startswith('#') or first.split('<')[0] in EXTRA_REFUSED_WORDS:
        raise SpecError(field, '%r is not a rule this collection passes through (includes and abi are '
                               'separate keys)' % (line,))
    ends = _rule_ends(field, line)
    if ends != [len(line) - 1]:
        raise SpecError(field, '%r must be exactly one rule ending in its only "," (outside quotes and '
                               'parentheses); give each rule its own item' % (line,))
    words = line[:-1].split()
    prefix = []
    for word in words:
        if word not in RULE_PREFIXES:
            break
        prefix.append(word)
    if not words[len(prefix):]:
        raise SpecError(field, '%r has qualifiers but no rule' % (line,))
    if mode == 'complain' and 'deny' in prefix and 'audit' not in prefix:
        # Passed through as written, except that complain must not block.
        line = 'audit ' + line
    return line
