# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AppArmor profile specs: presets, merging and rendering to profile text.

Pure Python, shared by the controller and the target.  A spec is the user's
mapping (name, preset, attach, files, capabilities, network, ...); ``render``
turns it into the text of ``/etc/apparmor.d/NAME`` for a mode.

Complain mode is a true dry run.  The kernel still enforces an explicit ``deny``
rule in complain mode when the rule is quiet, and a plain ``deny`` rule is quiet:
it blocks and logs nothing.  An ``audit deny`` rule is not quiet, and for a
profile in complain mode the kernel turns every logged denial into an allowed
access with an ``apparmor="ALLOWED"`` record.  So every deny rule is rendered as
``audit deny``: in complain mode the access goes through and is logged ALLOWED,
in enforce mode it is blocked and logged DENIED.  The two modes differ only by
the ``complain`` flag.  A deny rule may ask for ``quiet: true`` (a plain, unlogged
``deny``); that is honoured in enforce mode only, as it would block in complain.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

MARKER = '# Managed by confine.hardening.'
PRESETS = ('container-default', 'container-strict', 'service')
MODES = ('complain', 'enforce', 'disabled')
SPEC_KEYS = (
    'name', 'preset', 'attach', 'abi', 'includes', 'files', 'exec', 'capabilities', 'network', 'signal',
    'ptrace', 'mount', 'umount', 'pivot_root', 'userns', 'flags', 'extra_rules', 'local', 'mode',
)
NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$')
FILE_PERMS_RE = re.compile(r'^[rwaklm]+$')
EXEC_MODES = ('ix', 'px', 'Px', 'cx', 'Cx', 'ux', 'Ux', 'pix', 'Pix', 'cix', 'Cix', 'pux', 'PUx', 'cux', 'CUx')
FLAGS = ('attach_disconnected', 'mediate_deleted', 'chroot_relative', 'namespace_relative', 'no_attach_disconnected',
         'unconfined', 'audit')
CAPABILITIES = (
    'audit_control', 'audit_read', 'audit_write', 'block_suspend', 'bpf', 'checkpoint_restore', 'chown',
    'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'ipc_lock', 'ipc_owner', 'kill', 'lease',
    'linux_immutable', 'mac_admin', 'mac_override', 'mknod', 'net_admin', 'net_bind_service', 'net_broadcast',
    'net_raw', 'perfmon', 'setfcap', 'setgid', 'setpcap', 'setuid', 'sys_admin', 'sys_boot', 'sys_chroot',
    'sys_module', 'sys_nice', 'sys_pacct', 'sys_ptrace', 'sys_rawio', 'sys_resource', 'sys_time',
    'sys_tty_config', 'syslog', 'wake_alarm',
)
NETWORK_FAMILIES = ('inet', 'inet6', 'unix', 'netlink', 'packet', 'alg', 'vsock', 'bluetooth', 'key', 'can',
                    'x25', 'ax25', 'ipx', 'appletalk', 'rds', 'tipc', 'xdp', 'mctp', 'qipcrtr')
NETWORK_TYPES = ('stream', 'dgram', 'raw', 'seqpacket', 'rdm', 'packet')
SIGNAL_ACCESS = ('send', 'receive')
PTRACE_ACCESS = ('trace', 'read', 'tracedby', 'readby')
SIGNALS = ('hup', 'int', 'quit', 'ill', 'trap', 'abrt', 'bus', 'fpe', 'kill', 'usr1', 'segv', 'usr2', 'pipe',
           'alrm', 'term', 'stkflt', 'chld', 'cont', 'stop', 'stp', 'ttin', 'ttou', 'urg', 'xcpu', 'xfsz',
           'vtalrm', 'prof', 'winch', 'io', 'pwr', 'sys', 'emt', 'exists')
# The mount options apparmor_parser 3.0 knows (4.x adds symfollow, lazytime, ...).
MOUNT_OPTIONS = ('ro', 'r', 'read-only', 'rw', 'w', 'suid', 'nosuid', 'dev', 'nodev', 'exec', 'noexec', 'sync', 'async',
                 'remount', 'mand', 'nomand', 'dirsync', 'atime', 'noatime', 'diratime', 'nodiratime', 'bind', 'move',
                 'rbind', 'verbose', 'silent', 'loud', 'acl', 'noacl', 'unbindable', 'runbindable', 'private',
                 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'relatime', 'norelatime', 'iversion',
                 'noiversion', 'strictatime', 'user', 'nouser', 'make-private')
RULE_QUALIFIERS = ('deny', 'audit', 'quiet')


class SpecError(ValueError):
    """One sentence naming the field."""

    def __init__(self, field, message):
        self.field = field
        super(SpecError, self).__init__('%s: %s' % (field, message))


# ---------------------------------------------------------------------------
# Quoting: the one way a string from a spec becomes a token of the profile
# ---------------------------------------------------------------------------
#
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


def _glob_problem(value):
    """Why ``value`` is not a well-formed AppArmor glob of this collection, or None.

    The parser fails to compile (or reads differently) an unbalanced brace or bracket, an
    empty ``[]`` or ``[^]``, a ``{...}`` group without a comma of its own (``{a}``, ``{}``,
    ``{a{b,c}}``), and a ``-`` at the edge of a class; a backslash escapes
    only a glob character; ``@{`` starts a variable ``@{NAME}``."""
    depth, bracket, members, alternatives, i = 0, False, [], [], 0
    while i < len(value):
        char = value[i]
        if char == '\\':
            if i + 1 >= len(value):
                return ('%r ends in a lone backslash (a backslash escapes the next character; '
                        'write \\\\ for a backslash)' % (value,))
            if value[i + 1] not in GLOB_CHARS:
                return ('%r has a backslash before %r (a backslash may only escape one of %s)'
                        % (value, value[i + 1], ' '.join(GLOB_CHARS)))
            members.append('\\' + value[i + 1])
            i += 2
            continue
        if char == '@' and value[i + 1:i + 2] == '{':
            match = VARIABLE_RE.match(value, i)
            if not match:
                return ('%r has "@{" that does not start a variable such as @{HOME} (write \\@ for a literal @)'
                        % (value,))
            members.append(match.group(0))
            i = match.end()
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


# The boot-time loader (and apparmor.service) skips files in /etc/apparmor.d with these
# endings: a profile so named loads now and is gone after a reboot.
SKIPPED_SUFFIXES = ('.dpkg-new', '.dpkg-old', '.dpkg-dist', '.dpkg-bak', '.dpkg-remove', '.pacsave', '.pacnew',
                    '.rpmnew', '.rpmsave', '.orig', '.rej', '~')
RESERVED_NAMES = ('unconfined', 'README')


def name_problem(name):
    """Why ``name`` cannot be a profile (and file) name of this collection, or None."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        return '%r is not a valid profile name (letters, digits, ".", "_", "-", at most 128)' % (name,)
    if name in RESERVED_NAMES:
        return '%r is reserved by AppArmor' % (name,)
    for suffix in SKIPPED_SUFFIXES:
        if name.endswith(suffix):
            return ('%r ends in %r: AppArmor skips such files when it loads profiles at boot, so the profile '
                    'would be gone after a reboot' % (name, suffix))
    return None


def check_name(field, name):
    """``name`` when it is a usable profile name; SpecError naming ``field`` otherwise."""
    problem = name_problem(name)
    if problem:
        raise SpecError(field, problem)
    return name


# ---------------------------------------------------------------------------
# Presets (as specs, so users extend them with the same keys)
# ---------------------------------------------------------------------------

def _deny(path, perms):
    return {'path': path, 'perms': perms, 'deny': True}


# The protections of Docker's docker-default profile: no writes to /proc outside
# the process's own entries and /proc/sys/kernel/shm*, none to /sys outside
# /sys/fs/cgroup, nothing at all on /proc/kcore, /proc/sysrq-trigger,
# /sys/firmware, powercap and /sys/kernel/security; no mount; ptrace and signals
# only within the profile.
CONTAINER_DEFAULT = {
    'includes': ['tunables/global', 'abstractions/base'],
    'flags': ['attach_disconnected', 'mediate_deleted'],
    'network': [{}],
    'capabilities': {'allow': ['*']},
    'files': [
        {'path': '/**', 'perms': 'rwlkm'},
        {'path': '/**', 'exec': 'ix'},
        _deny('@{PROC}/*', 'w'),
        _deny('@{PROC}/{[^1-9],[^1-9][^0-9],[^1-9s][^0-9y][^0-9s],[^1-9][^0-9][^0-9][^0-9/]*}/**', 'w'),
        _deny('@{PROC}/sys/[^k]**', 'w'),
        _deny('@{PROC}/sys/kernel/{?,??,[^s][^h][^m]**}', 'w'),
        _deny('@{PROC}/sysrq-trigger', 'rwkl'),
        _deny('@{PROC}/kcore', 'rwkl'),
        _deny('/sys/[^f]*/**', 'wkl'),
        _deny('/sys/f[^s]*/**', 'wkl'),
        _deny('/sys/fs/[^c]*/**', 'wkl'),
        _deny('/sys/fs/c[^g]*/**', 'wkl'),
        _deny('/sys/fs/cg[^r]*/**', 'wkl'),
        _deny('/sys/firmware/**', 'rwkl'),
        _deny('/sys/devices/virtual/powercap/**', 'rwkl'),
        _deny('/sys/kernel/security/**', 'rwkl'),
    ],
    'mount': [{'deny': True}],
    'umount': [{}],
    'signal': [{'access': ['receive'], 'peer': 'unconfined'}, {'access': ['send', 'receive'], 'peer': '@{profile_name}'}],
    'ptrace': [{'access': ['trace', 'read', 'tracedby', 'readby'], 'peer': '@{profile_name}'}],
}

CONTAINER_STRICT_EXTRA = {
    'network': [{'type': 'raw', 'deny': True}, {'type': 'packet', 'deny': True}],
    'capabilities': {'deny': ['sys_module', 'sys_rawio', 'sys_boot', 'sys_time', 'sys_ptrace', 'sys_admin',
                              'mac_admin', 'mac_override', 'syslog', 'net_admin', 'bpf', 'perfmon']},
    'ptrace': [{'access': ['trace', 'read'], 'deny': True}],
    'pivot_root': [{'deny': True}],
    'userns': [{'deny': True}],
}

SERVICE = {
    'includes': ['tunables/global', 'abstractions/base'],
    'flags': [],
}


def preset_spec(preset):
    if preset == 'container-default':
        return copy.deepcopy(CONTAINER_DEFAULT)
    if preset == 'container-strict':
        spec = copy.deepcopy(CONTAINER_DEFAULT)
        # Writes only where the spec declares them: the broad write rule goes.
        spec['files'][0] = {'path': '/**', 'perms': 'rlkm'}
        spec['ptrace'] = []
        return merge(spec, copy.deepcopy(CONTAINER_STRICT_EXTRA))
    if preset == 'service':
        return copy.deepcopy(SERVICE)
    raise SpecError('preset', 'unknown preset %r (expected one of %s)' % (preset, ', '.join(PRESETS)))


LIST_KEYS = ('includes', 'files', 'exec', 'network', 'signal', 'ptrace', 'mount', 'umount', 'pivot_root',
             'userns', 'flags', 'extra_rules')


def merge(base, extra):
    """Lists append (flags and includes without repeats), capabilities merge, scalars override."""
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if value is None:
            continue
        if key in LIST_KEYS:
            merged = list(out.get(key) or [])
            for item in value:
                if key in ('flags', 'includes') and item in merged:
                    continue
                merged.append(copy.deepcopy(item))
            out[key] = merged
        elif key == 'capabilities':
            caps = dict(out.get('capabilities') or {})
            for kind in ('allow', 'deny'):
                have = list(caps.get(kind) or [])
                caps[kind] = have + [c for c in (value.get(kind) or []) if c not in have]
            out['capabilities'] = caps
        else:
            out[key] = copy.deepcopy(value)
    return out


def _clean(value):
    """Drop the None values AnsibleModule fills in for unset suboptions."""
    if isinstance(value, dict):
        return dict((k, _clean(v)) for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def user_spec(options):
    """The spec the task's options give (the action plugin's args or the module's params):
    the spec keys that are set, without unset suboptions and without options left at
    their defaults (abi/3.0, local true), so both sides render the same text."""
    spec = {}
    for key in SPEC_KEYS:
        value = options.get(key)
        if value is None or (key != 'local' and value in ([], {})):
            continue
        spec[key] = _clean(value)
    if spec.get('abi') == 'abi/3.0':
        del spec['abi']
    if spec.get('local') is True:
        del spec['local']
    return spec


def build_spec(spec):
    """The preset (if any) with the user's spec merged over it."""
    user = dict((k, v) for k, v in spec.items() if k != 'preset')
    base = preset_spec(spec['preset']) if spec.get('preset') else {'includes': ['tunables/global']}
    return merge(base, user)


# ---------------------------------------------------------------------------
# Validation and rendering
# ---------------------------------------------------------------------------

def _qualifiers(field, rule, mode):
    for key in RULE_QUALIFIERS:
        if key in rule and not isinstance(rule[key], bool):
            raise SpecError('%s.%s' % (field, key), 'must be true or false')
    deny, audit, quiet = rule.get('deny', False), rule.get('audit', False), rule.get('quiet', False)
    if quiet and not deny:
        raise SpecError('%s.quiet' % field, 'only a deny rule can be quiet')
    if quiet and audit:
        raise SpecError('%s.quiet' % field, 'a rule cannot be both audit and quiet')
    if deny:
        # A quiet deny blocks even in complain mode and logs nothing; an audited
        # deny is logged, and in complain mode the kernel lets it through.
        return 'deny ' if quiet and mode != 'complain' else 'audit deny '
    return 'audit ' if audit else ''


def _keys(field, rule, allowed):
    if not isinstance(rule, dict):
        raise SpecError(field, 'must be a mapping')
    for key in rule:
        if key not in allowed + RULE_QUALIFIERS:
            raise SpecError('%s.%s' % (field, key), 'unknown key (expected one of %s)' % ', '.join(allowed + RULE_QUALIFIERS))


def _choice_list(field, values, choices):
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not values:
        raise SpecError(field, 'must be a non-empty list')
    for i, value in enumerate(values):
        if value not in choices:
            raise SpecError('%s[%d]' % (field, i), 'unknown value %r (expected one of %s)' % (value, ', '.join(choices)))
    return values


def _path(field, value):
    """The token of a path glob (files, exec, attach, mount points, pivot_root)."""
    return quote(field, value)


def _peer(field, value):
    """The token of a profile-name glob (signal and ptrace peers, exec targets)."""
    if isinstance(value, str) and value.startswith(':'):
        raise SpecError(field, '%r starts with ":", which names a policy namespace (:NS:NAME); this collection '
                               'manages profiles of the root namespace only' % (value,))
    return quote(field, value, path=False)


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


def _file_rules(spec, mode):
    lines = []
    for i, rule in enumerate(spec.get('files') or []):
        field = 'files[%d]' % i
        _keys(field, rule, ('path', 'perms', 'owner', 'exec'))
        path = _path(field + '.path', rule.get('path'))
        perms = rule.get('perms', '')
        if perms and (not isinstance(perms, str) or not FILE_PERMS_RE.match(perms)):
            raise SpecError(field + '.perms', '%r is not a set of r, w, a, k, l, m' % (perms,))
        if 'w' in perms and 'a' in perms:
            raise SpecError(field + '.perms', 'w and a cannot be combined')
        execm = rule.get('exec')
        if execm is not None and execm not in EXEC_MODES:
            raise SpecError(field + '.exec', 'unknown exec mode %r (expected one of %s)' % (execm, ', '.join(EXEC_MODES)))
        if not perms and not execm:
            raise SpecError(field, 'give perms, exec or both')
        if rule.get('owner') is not None and not isinstance(rule['owner'], bool):
            raise SpecError(field + '.owner', 'must be true or false')
        if execm and rule.get('deny'):
            execm = 'x'     # deny rules name no exec transition
        text = ''.join(sorted(set(perms), key='rwaklm'.index)) + (execm or '')
        lines.append('%s%s%s %s,' % (_qualifiers(field, rule, mode), 'owner ' if rule.get('owner') else '', path, text))
    for i, rule in enumerate(spec.get('exec') or []):
        field = 'exec[%d]' % i
        _keys(field, rule, ('path', 'mode', 'target'))
        path = _path(field + '.path', rule.get('path'))
        execm = rule.get('mode', 'ix')
        if execm not in EXEC_MODES:
            raise SpecError(field + '.mode', 'unknown exec mode %r (expected one of %s)' % (execm, ', '.join(EXEC_MODES)))
        target = ''
        if rule.get('target') is not None:
            if execm[0].lower() not in ('p', 'c'):
                raise SpecError(field + '.target', 'only px and cx transitions name a target profile')
            target = ' -> %s' % _peer(field + '.target', rule['target'])
        lines.append('%s%s %s%s,' % (_qualifiers(field, rule, mode), path, execm, target))
    return lines


def _capability_rules(spec, mode):
    caps = spec.get('capabilities')
    caps = {} if caps is None else caps
    if not isinstance(caps, dict):
        raise SpecError('capabilities', 'must be a mapping with allow and/or deny lists')
    for key in caps:
        if key not in ('allow', 'deny'):
            raise SpecError('capabilities.%s' % key, 'unknown key (expected allow or deny)')
    lines = []
    for kind in ('allow', 'deny'):
        names = caps.get(kind) or []
        if not isinstance(names, list):
            raise SpecError('capabilities.%s' % kind, 'must be a list of capability names')
        for i, name in enumerate(names):
            if name != '*' and name not in CAPABILITIES:
                raise SpecError('capabilities.%s[%d]' % (kind, i), 'unknown capability %r' % (name,))
        if '*' in names:
            lines.append(_qualifiers('capabilities', {'deny': kind == 'deny'}, mode) + 'capability,')
        elif names:
            lines.append(_qualifiers('capabilities', {'deny': kind == 'deny'}, mode)
                         + 'capability %s,' % ' '.join(sorted(set(names))))
    return lines


def _network_rules(spec, mode):
    lines = []
    for i, rule in enumerate(spec.get('network') or []):
        field = 'network[%d]' % i
        _keys(field, rule, ('family', 'type'))
        parts = []
        if rule.get('family') is not None:
            _choice_list(field + '.family', [rule['family']], NETWORK_FAMILIES)
            parts.append(rule['family'])
        if rule.get('type') is not None:
            _choice_list(field + '.type', [rule['type']], NETWORK_TYPES)
            parts.append(rule['type'])
        lines.append('%snetwork%s,' % (_qualifiers(field, rule, mode), ''.join(' ' + p for p in parts)))
    return lines


def _access(field, rule, choices):
    if rule.get('access') is None:
        return ''
    values = _choice_list(field + '.access', rule['access'], choices)
    return ' (%s)' % ','.join(sorted(set(values), key=choices.index))


def _peer_rules(spec, mode, kind, access_choices, signal_set=False):
    """signal and ptrace rules: [access] [set=(...)] [peer=...]."""
    lines = []
    for i, rule in enumerate(spec.get(kind) or []):
        field = '%s[%d]' % (kind, i)
        _keys(field, rule, ('access', 'set', 'peer') if signal_set else ('access', 'peer'))
        text = kind + _access(field, rule, access_choices)
        if rule.get('set') is not None:
            sigs = _choice_list(field + '.set', rule['set'], SIGNALS)
            text += ' set=(%s)' % ','.join(sorted(set(sigs), key=SIGNALS.index))
        if rule.get('peer') is not None:
            text += ' peer=%s' % _peer(field + '.peer', rule['peer'])
        lines.append(_qualifiers(field, rule, mode) + text + ',')
    return lines


def _mount_rules(spec, mode):
    lines = []
    for i, rule in enumerate(spec.get('mount') or []):
        field = 'mount[%d]' % i
        _keys(field, rule, ('fstype', 'options', 'source', 'target'))
        text = 'mount'
        if rule.get('fstype') is not None:
            if not re.match(r'^[a-z0-9_.]+$', str(rule['fstype'])):
                raise SpecError(field + '.fstype', '%r is not a file system type' % (rule['fstype'],))
            text += ' fstype=%s' % rule['fstype']
        if rule.get('options') is not None:
            opts = rule['options'] if isinstance(rule['options'], list) else [rule['options']]
            if not opts:
                raise SpecError(field + '.options', 'must not be empty (leave it out to allow any options)')
            for j, opt in enumerate(opts):
                if opt not in MOUNT_OPTIONS:
                    raise SpecError('%s.options[%d]' % (field, j),
                                    '%r is not a mount option apparmor_parser knows (expected one of %s)'
                                    % (opt, ', '.join(MOUNT_OPTIONS)))
            text += ' options=(%s)' % ','.join(opts)
        if rule.get('source') is not None:
            text += ' %s' % _path(field + '.source', rule['source'])
        if rule.get('target') is not None:
            text += ' -> %s' % _path(field + '.target', rule['target'])
        lines.append(_qualifiers(field, rule, mode) + text + ',')
    for i, rule in enumerate(spec.get('umount') or []):
        field = 'umount[%d]' % i
        _keys(field, rule, ('target',))
        text = 'umount' + (' %s' % _path(field + '.target', rule['target']) if rule.get('target') is not None else '')
        lines.append(_qualifiers(field, rule, mode) + text + ',')
    for i, rule in enumerate(spec.get('pivot_root') or []):
        field = 'pivot_root[%d]' % i
        _keys(field, rule, ('new_root', 'put_old'))
        text = 'pivot_root'
        if rule.get('put_old') is not None:
            text += ' oldroot=%s' % _path(field + '.put_old', rule['put_old'])
        if rule.get('new_root') is not None:
            text += ' %s' % _path(field + '.new_root', rule['new_root'])
        lines.append(_qualifiers(field, rule, mode) + text + ',')
    return lines


USERNS_NOTE = '# userns rules left out: this AppArmor has no user-namespace mediation'
USERNS_RE = re.compile(r'^\s*(audit\s+)?(deny\s+)?userns\b[^\n]*,\s*$')


def _userns_rules(spec, mode):
    lines = []
    for i, rule in enumerate(spec.get('userns') or []):
        _keys('userns[%d]' % i, rule, ())
        lines.append(_qualifiers('userns[%d]' % i, rule, mode) + 'userns,')
    return lines


def apply_features(text, features):
    """Drop userns rules where the parser does not know them.

    AppArmor before 4.0 neither parses nor mediates userns rules, so the profile
    for such a host says so in a comment instead.  The module calls this on the
    target, where the parser's features are known."""
    if (features or {}).get('userns'):
        return text
    out, noted = [], False
    for line in text.split('\n'):
        if USERNS_RE.match(line):
            if not noted:
                out.append(line[:len(line) - len(line.lstrip())] + USERNS_NOTE)
                noted = True
            continue
        out.append(line)
    return '\n'.join(out)


def validate_header(spec):
    if not isinstance(spec, dict):
        raise SpecError('spec', 'must be a mapping')
    for key in spec:
        if key not in SPEC_KEYS:
            raise SpecError(key, 'unknown key (expected one of %s)' % ', '.join(SPEC_KEYS))
    check_name('name', spec.get('name'))
    if spec.get('preset') is not None and spec['preset'] not in PRESETS:
        raise SpecError('preset', 'unknown preset %r (expected one of %s)' % (spec['preset'], ', '.join(PRESETS)))
    if spec.get('mode', 'enforce') not in MODES:
        raise SpecError('mode', 'unknown mode %r (expected one of %s)' % (spec['mode'], ', '.join(MODES)))
    for key in LIST_KEYS:
        if spec.get(key) is not None and not isinstance(spec[key], list):
            raise SpecError(key, 'must be a list')


def _body(full, mode):
    return (_capability_rules(full, mode) + _network_rules(full, mode) + _file_rules(full, mode)
            + _peer_rules(full, mode, 'signal', SIGNAL_ACCESS, signal_set=True)
            + _peer_rules(full, mode, 'ptrace', PTRACE_ACCESS) + _mount_rules(full, mode)
            + _userns_rules(full, mode))


def _includes(field_spec):
    tunables, inner = [], []
    for i, inc in enumerate(field_spec.get('includes') or []):
        policy_name('includes[%d]' % i, inc)
        (tunables if inc.startswith('tunables/') else inner).append(inc)
    return tunables, inner


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


def _extra_rule(i, line, mode):
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


def layout(spec, owner=None, source=None):
    """The parts of the profile text for ``spec`` in ``spec['mode']`` (default enforce).

    Returns a mapping with ``header`` (comment lines), ``abi``, ``tunables``,
    ``name``, ``attach``, ``flags`` and ``rules`` (body lines); the template joins
    them.  Every rule is validated here, so an error names the user's field."""
    validate_header(spec)
    mode = spec.get('mode') or 'enforce'
    # The user's own rules are checked before the preset is merged in, so an error
    # names the field as the user wrote it (files[0], not its place after the preset's).
    _includes(spec)
    _body(spec, 'enforce')
    full = build_spec(spec)
    abi = full.get('abi', 'abi/3.0')
    policy_name('abi', abi, example='abi/3.0')
    tunables, inner = _includes(full)
    flags = list(full.get('flags') or [])
    for i, flag in enumerate(flags):
        if flag not in FLAGS:
            raise SpecError('flags[%d]' % i, 'unknown flag %r (expected one of %s; the mode sets complain)'
                            % (flag, ', '.join(FLAGS)))
    if mode == 'complain':
        flags.append('complain')
    if spec.get('preset') == 'service' and full.get('attach') is None:
        raise SpecError('attach', 'the service preset needs the path (or glob) of the executable it confines')
    attach = _path('attach', full['attach']) if full.get('attach') is not None else ''
    if full.get('local', True) not in (True, False):
        raise SpecError('local', 'must be true or false')
    header = [MARKER + ' Do not edit: changes are overwritten on the next run.']
    for field, value in (('owner', owner), ('source', source)):
        text = comment_text(field, value) if value else ''
        if text:
            header.append('# %s: %s' % (field, text))
    header.append('# mode: %s' % mode)
    rules = ['include <%s>' % inc for inc in inner] + _body(full, mode)
    rules += [_extra_rule(i, line, mode) for i, line in enumerate(full.get('extra_rules') or [])]
    if full.get('local', True):
        rules.append('include if exists <local/%s>' % spec['name'])
    return {'header': header, 'abi': abi, 'tunables': tunables, 'name': spec['name'], 'attach': attach,
            'flags': flags, 'rules': rules, 'mode': mode}


def join(parts):
    """The profile text from ``layout``; the default template writes the same."""
    lines = list(parts['header']) + ['', 'abi <%s>,' % parts['abi'], '']
    lines += ['include <%s>' % inc for inc in parts['tunables']]
    lines += ['', 'profile %s%s%s {' % (parts['name'], ' ' + parts['attach'] if parts['attach'] else '',
                                        ' flags=(%s)' % ','.join(parts['flags']) if parts['flags'] else '')]
    lines += ['  ' + line for line in parts['rules']]
    lines += ['}']
    return '\n'.join(lines) + '\n'


def render(spec, features=None, owner=None, source=None):
    """The profile text for ``spec``, for a target with ``features``."""
    return apply_features(join(layout(spec, owner=owner, source=source)), features)


def is_ours(text):
    return text.startswith(MARKER)
