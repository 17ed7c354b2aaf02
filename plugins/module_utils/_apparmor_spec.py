# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AppArmor profile specs: validation and rendering to profile text.

Pure Python, shared by the controller and the target.  A spec is the user's
mapping (name, preset, attach, files, capabilities, network, ...); ``render``
turns it into the text of ``/etc/apparmor.d/NAME`` for a mode (``layout`` gives the
parts a template writes, ``join_layout`` joins them as the default template does).
The keys and choices come from ``_apparmor_args`` (the module's argument spec), the
presets from ``_apparmor_presets``, the quoting of every string from ``_apparmor_quote``;
their public names are importable from here too.

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

import re

from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_abi as abi_mod
from ansible_collections.confine.hardening.plugins.module_utils._apparmor_args import (
    FLAGS, MODES, PRESETS, RULE_KEYS, RULE_QUALIFIERS, SPEC_KEYS)
from ansible_collections.confine.hardening.plugins.module_utils._apparmor_presets import LIST_KEYS, build_spec
from ansible_collections.confine.hardening.plugins.module_utils._apparmor_quote import comment_text, extra_rule, policy_name, quote
# re-exported: the spec model's public names for callers (_audit, profile_events, tests)
from ansible_collections.confine.hardening.plugins.module_utils._apparmor_quote import (  # noqa: F401 pylint: disable=unused-import
    literal_glob, literal_path)
from ansible_collections.confine.hardening.plugins.module_utils._common import NAME_RE, SpecError

MARKER = '# Managed by confine.hardening.'
FILE_PERMS_RE = re.compile(r'^[rwaklm]+$')
EXEC_MODES = ('ix', 'px', 'Px', 'cx', 'Cx', 'ux', 'Ux', 'pix', 'Pix', 'cix', 'Cix', 'pux', 'PUx', 'cux', 'CUx')
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
    their defaults (local true), so both sides render the same text.  An ``abi`` the user
    wrote stays: it pins the profile's ABI (``_apparmor_abi.choose_abi``)."""
    spec = {}
    for key in SPEC_KEYS:
        value = options.get(key)
        if value is None or (key != 'local' and value in ([], {})):
            continue
        spec[key] = _clean(value)
    if spec.get('local') is True:
        del spec['local']
    return spec


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


def _file_rules(spec, mode):
    lines = []
    for i, rule in enumerate(spec.get('files') or []):
        field = 'files[%d]' % i
        _keys(field, rule, RULE_KEYS['files'])
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
        _keys(field, rule, RULE_KEYS['exec'])
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
        _keys(field, rule, RULE_KEYS['network'])
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


def _peer_rules(spec, mode, kind, access_choices):
    """signal and ptrace rules: [access] [set=(...)] [peer=...]."""
    lines = []
    for i, rule in enumerate(spec.get(kind) or []):
        field = '%s[%d]' % (kind, i)
        _keys(field, rule, RULE_KEYS[kind])
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
        _keys(field, rule, RULE_KEYS['mount'])
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
        _keys(field, rule, RULE_KEYS['umount'])
        text = 'umount' + (' %s' % _path(field + '.target', rule['target']) if rule.get('target') is not None else '')
        lines.append(_qualifiers(field, rule, mode) + text + ',')
    for i, rule in enumerate(spec.get('pivot_root') or []):
        field = 'pivot_root[%d]' % i
        _keys(field, rule, RULE_KEYS['pivot_root'])
        text = 'pivot_root'
        if rule.get('put_old') is not None:
            text += ' oldroot=%s' % _path(field + '.put_old', rule['put_old'])
        if rule.get('new_root') is not None:
            text += ' %s' % _path(field + '.new_root', rule['new_root'])
        lines.append(_qualifiers(field, rule, mode) + text + ',')
    return lines


USERNS_NOTE = '# userns rules left out: this AppArmor has no user-namespace mediation'
USERNS_ABI_NOTE = '# userns rules left out: the profile\'s %s does not enforce them (abi/4.0 does)'
ABI_LINE_RE = re.compile(r'^\s*abi\s+<([^>\n]*)>\s*,', re.M)
USERNS_RE = re.compile(r'^\s*(audit\s+)?(deny\s+)?userns\b[^\n]*,\s*$')


def _userns_rules(spec, mode):
    lines = []
    for i, rule in enumerate(spec.get('userns') or []):
        _keys('userns[%d]' % i, rule, RULE_KEYS['userns'])
        lines.append(_qualifiers('userns[%d]' % i, rule, mode) + 'userns,')
    return lines


def text_abi(text):
    """The ABI an ``abi <...>,`` line of profile text names, or None."""
    match = ABI_LINE_RE.search(text)
    return match.group(1).strip() if match else None


def apply_features(text, features):
    """Drop userns rules where they would not be enforced.

    AppArmor before 4.0 neither parses nor mediates userns rules, and AppArmor 4 parses
    them under abi/3.0 but does not enforce them; in both cases the profile says so in a
    comment instead (a rule the user asked for raised the ABI to 4.0 in ``layout``, so only
    a preset's rule is left out here).  The module calls this on the target, where the
    parser's features are known."""
    abi = text_abi(text) or abi_mod.DEFAULT_ABI
    version = abi_mod.abi_version(abi)
    if not (features or {}).get('userns'):
        note = USERNS_NOTE
    elif version is not None and version < (4, 0):
        note = USERNS_ABI_NOTE % abi
    else:
        return text
    out, noted = [], False
    for line in text.split('\n'):
        if USERNS_RE.match(line):
            if not noted:
                out.append(line[:len(line) - len(line.lstrip())] + note)
                noted = True
            continue
        out.append(line)
    return '\n'.join(out)


def validate_header(spec):
    """The top level of a spec: a mapping of known keys, a usable name, a known preset and mode,
    lists where lists belong.

    For the module these repeat its argument spec (the keys and choices come from
    ``_apparmor_args``), but the spec model also takes plain mappings that no argument spec
    checked (profile_events' suggestions, the promotion gate, tests), so it checks its own
    input; the rule checks (``_keys``, ``_choice_list``) likewise."""
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


def _body(full, mode, abi=abi_mod.DEFAULT_ABI):
    network = _network_rules(full, mode)
    network += abi_mod.network_unix_rules(network, abi)
    return (_capability_rules(full, mode) + network + _file_rules(full, mode)
            + _peer_rules(full, mode, 'signal', SIGNAL_ACCESS)
            + _peer_rules(full, mode, 'ptrace', PTRACE_ACCESS) + _mount_rules(full, mode)
            + _userns_rules(full, mode))


def _includes(field_spec):
    tunables, inner = [], []
    for i, inc in enumerate(field_spec.get('includes') or []):
        policy_name('includes[%d]' % i, inc)
        (tunables if inc.startswith('tunables/') else inner).append(inc)
    return tunables, inner


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
    if spec.get('abi') is not None:
        policy_name('abi', spec['abi'], example='abi/3.0')
    abi = abi_mod.choose_abi(spec)
    full = build_spec(spec)
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
    for key, default in (('local', True), ('confine_exec', False)):
        if full.get(key, default) is not True and full.get(key, default) is not False:
            raise SpecError(key, 'must be true or false')
    header = [MARKER + ' Do not edit: changes are overwritten on the next run.']
    for field, value in (('owner', owner), ('source', source)):
        text = comment_text(field, value) if value else ''
        if text:
            header.append('# %s: %s' % (field, text))
    header.append('# mode: %s' % mode)
    rules = ['include <%s>' % inc for inc in inner] + _body(full, mode, abi)
    rules += [extra_rule(i, line, mode) for i, line in enumerate(full.get('extra_rules') or [])]
    if full.get('local', True):
        rules.append('include if exists <local/%s>' % spec['name'])
    return {'header': header, 'abi': abi, 'tunables': tunables, 'name': spec['name'], 'attach': attach,
            'flags': flags, 'rules': rules, 'mode': mode}


def join_layout(parts):
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
    return apply_features(join_layout(layout(spec, owner=owner, source=source)), features)


def is_ours(text):
    return text.startswith(MARKER)
