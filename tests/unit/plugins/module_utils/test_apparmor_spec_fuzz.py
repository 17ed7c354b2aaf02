# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property-based test of the AppArmor spec (issue 11, "How it is shown"): hostile strings in
every string field of a spec.  Each one is either refused with a SpecError whose message starts
with the field's name, or the real ``apparmor_parser -QK`` reads the rendered profile back with
exactly the meaning the spec gave: the profile's name and mode, the attachment, and each rule's
path, peer or target as the literal glob the spec wrote (variables expanded), with the rule
after it still there (nothing swallowed).  Budget: at most 75 s on the CI machine."""

import os
import re
import shutil

import pytest

hypothesis = pytest.importorskip('hypothesis')
from hypothesis import HealthCheck, event, given, settings, strategies as st  # noqa: E402

from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_spec as a  # noqa: E402
from test_apparmor_spec import PARSER, PATH_ATTACH, parser_reading, path_flags  # noqa: E402

pytestmark = pytest.mark.skipif(not shutil.which(PARSER) and not os.path.exists(PARSER),
                                reason='apparmor_parser is not installed')

EXAMPLES = 200
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
POLICY_DIR = '/etc/apparmor.d'
SENTINEL = '/zz-sentinel'

# The pieces hostile strings are made of: everything the lexer, the glob compiler or the
# variable expander treats specially, plus control characters, odd unicode and plain text.
FRAGMENTS = [
    '\\', '\\\\', '"', '\\"', "'", ' ', '\t', ',', '{', '}', '{a,b}', '[', ']', '[a-z]', '[^/]', '#', '^', '->', ' -> ',
    '(', ')', '=', '!', '<', '>', '+', ':', ';', '\n', '\r', '\x00', '\x1b', '\x7f', '\x85', '\u2028', 'é', '☃',
    '\U0001f600', '\ud800', '@', '@{', '@{PROC}', '\\@{PROC}', '..', '.', '/', '//', '*', '**', '?', 'a', 'Z', '0',
    '-', '_', 'x5c', '\\x41', '\\*', '\\{', '\\[', '\\]', '\\}', '\\^', 'flags=(complain)', ' r,', ' {', '}\n',
    'include', 'deny', 'audit', 'owner', 'abstractions', 'base', 'tunables', 'global', 'abi', '3.0',
]
HOSTILE = st.one_of(
    st.lists(st.sampled_from(FRAGMENTS), max_size=10).map(''.join),
    st.text(max_size=12),
    st.integers(min_value=4000, max_value=5000).map(lambda n: '/' + 'a' * n),
)
# Strings a profile can hold but that the lexer, the glob compiler or the variable expander
# would read differently if they were copied in unquoted: most of them must be accepted.
SOFT_FRAGMENTS = [
    ' ', '  ', '"', '\\"', ',', '#', '^', '->', ' -> ', '(', ')', '=', '!', '<', '>', "'", '+', ':', ';', 'é', '☃',
    '\U0001f600', '\\\\', '\\*', '\\{', '\\}', '\\[', '\\]', '\\^', '\\@', '\\?', '{a,b}', '{,x}', '{a,,b}', '{a,{b,c}}',
    '[a-z]', '[^/]', '[{]', '[,]', '@{PROC}', '..', '.', '/', '//', '*', '**', '?', 'a', 'Z', '0', 'x5c', 'flags=(complain)',
    ' r,', ' {', '}', 'deny ', ' peer=x', 'include <abstractions/base>',
]
SOFT = st.lists(st.sampled_from(SOFT_FRAGMENTS), min_size=1, max_size=10).map(''.join)
HOSTILE = st.one_of(HOSTILE, SOFT)
PREFIXES = st.sampled_from(['/', '/', '/', '@{PROC}/', '', 'abstractions/', 'abi/', '/usr/bin/'])
VALUES = st.builds(lambda p, h: p + h, PREFIXES, HOSTILE)
MODES = st.sampled_from(['complain', 'enforce'])

VARIABLE_USE_RE = re.compile(r'(\\.)|@\{PROC\}')


def expand(glob):
    """``glob`` as the parser prints it: @{PROC} (the only variable the fragments define) expanded."""
    return VARIABLE_USE_RE.sub(lambda m: m.group(1) or '/proc/', glob)


def normal_path(glob):
    """``glob`` as the parser prints an attachment or a mount, umount or pivot_root point: variables expanded and
    runs of "/" made one, except a leading "//" of exactly two (it does so for these rules, not
    for file rules; the kernel's paths have no empty components, so the meaning is the same)."""
    text = expand(glob)
    lead = '//' if re.match('//(?!/)', text) else ''
    return lead + re.sub('/+', '/', text[len(lead):])


def undeclared(reading):
    """The parser refused an undeclared variable (a spec may name any variable; the module reports
    the parser's sentence): not a change of meaning."""
    return reading['rc'] != 0 and 'but is never declared' in reading['err']


def base_spec(mode):
    return {'name': 'fz', 'mode': mode, 'local': False, 'flags': ['attach_disconnected'],
            'files': [{'path': SENTINEL, 'perms': 'w'}]}


def check(spec, field, tmp_path, meaning, owner=None, source=None):
    """Refused naming ``field``, or parsed with the name, mode and sentinel intact and
    ``meaning(reading)`` true."""
    try:
        text = a.render(spec, owner=owner, source=source)
    except a.SpecError as err:
        assert str(err).startswith(field + ': '), str(err)
        assert err.field == field
        event('refused')
        return
    reading = parser_reading(text, tmp_path)
    if undeclared(reading):
        event('undeclared variable')
        return
    event('parsed')
    assert reading['rc'] == 0, (text, reading['err'])
    assert (reading['name'], reading['mode']) == (spec['name'], spec['mode']), text
    assert path_flags(reading) == PATH_ATTACH, text        # the flags were not swallowed
    assert ('wa:wa', SENTINEL) in reading['entries'], text
    assert meaning(reading, text), (text, reading)


@SETTINGS
@given(value=st.one_of(HOSTILE, st.from_regex(r'\A[A-Za-z0-9][A-Za-z0-9_.-]{0,20}\Z')), mode=MODES)
def test_fuzz_name(value, mode, tmp_path):
    spec = dict(base_spec(mode), name=value)
    check(spec, 'name', tmp_path, lambda r, t: r['name'] == value and not a.name_problem(value))


@SETTINGS
@given(value=VALUES, mode=MODES)
def test_fuzz_attach(value, mode, tmp_path):
    spec = dict(base_spec(mode), attach=value)
    # the attachment is the first glob the parser compiles; check() also finds attach_disconnected
    # in the binary policy's path_flags and the mode intact (issue 11 item 1)
    check(spec, 'attach', tmp_path, lambda r, t: r['aare'][0].startswith(normal_path(value) + '   ->   '))


@SETTINGS
@given(value=VALUES, mode=MODES, deny=st.booleans())
def test_fuzz_files_path(value, mode, deny, tmp_path):
    spec = base_spec(mode)
    spec['files'] = [{'path': value, 'perms': 'r', 'deny': deny}] + spec['files']
    check(spec, 'files[0].path', tmp_path, lambda r, t: ('r:r', expand(value)) in r['entries'])


@SETTINGS
@given(value=VALUES, mode=MODES)
def test_fuzz_exec_path(value, mode, tmp_path):
    spec = dict(base_spec(mode), exec=[{'path': value, 'mode': 'ix'}])
    check(spec, 'exec[0].path', tmp_path, lambda r, t: expand(value) in [entry[1] for entry in r['entries']])


@SETTINGS
@given(value=HOSTILE, mode=MODES)
def test_fuzz_exec_target(value, mode, tmp_path):
    spec = dict(base_spec(mode), exec=[{'path': '/usr/bin/helper', 'mode': 'Px', 'target': value}])
    # the binary policy holds the transition's target as a NUL-terminated string (as written:
    # apparmor_parser 3.0 does not expand variables in a target)
    check(spec, 'exec[0].target', tmp_path,
          lambda r, t: value.encode('utf-8') + b'\x00' in r['binary'])


@SETTINGS
@given(value=HOSTILE, mode=MODES)
def test_fuzz_signal_peer(value, mode, tmp_path):
    spec = dict(base_spec(mode), signal=[{'access': ['send'], 'peer': value}])
    check(spec, 'signal[0].peer', tmp_path, lambda r, t: 'signal (send ) %s,' % expand(value) in r['rules'])


@SETTINGS
@given(value=HOSTILE, mode=MODES)
def test_fuzz_ptrace_peer(value, mode, tmp_path):
    spec = dict(base_spec(mode), ptrace=[{'access': ['read'], 'peer': value}])
    check(spec, 'ptrace[0].peer', tmp_path, lambda r, t: 'ptrace (read ) %s,' % expand(value) in r['rules'])


MOUNT_LINE = 'mount (0x1bffcff - 0x1bffcff)  %s -> %s (0x2/0x0),'


@SETTINGS
@given(value=VALUES, mode=MODES)
def test_fuzz_mount_source(value, mode, tmp_path):
    spec = dict(base_spec(mode), mount=[{'source': value, 'target': '/mnt'}])
    check(spec, 'mount[0].source', tmp_path, lambda r, t: MOUNT_LINE % (normal_path(value), '/mnt') in r['rules'])


@SETTINGS
@given(value=VALUES, mode=MODES)
def test_fuzz_mount_target(value, mode, tmp_path):
    spec = dict(base_spec(mode), mount=[{'source': '/dev/sda1', 'target': value}])
    check(spec, 'mount[0].target', tmp_path, lambda r, t: MOUNT_LINE % ('/dev/sda1', normal_path(value)) in r['rules'])


@SETTINGS
@given(value=st.one_of(HOSTILE, st.sampled_from(['ext4', 'tmpfs', 'proc', 'fuse.sshfs'])), mode=MODES)
def test_fuzz_mount_fstype(value, mode, tmp_path):
    spec = dict(base_spec(mode), mount=[{'fstype': value, 'target': '/mnt'}])
    # the parser prints a mount rule's fstype on stderr
    check(spec, 'mount[0].fstype', tmp_path, lambda r, t: value in r['err'] and any(
        line.startswith('mount ') and line.endswith(' -> /mnt (0x2/0x0),') for line in r['rules']))


@SETTINGS
@given(value=st.one_of(HOSTILE, st.sampled_from(a.MOUNT_OPTIONS)), mode=MODES)
def test_fuzz_mount_options(value, mode, tmp_path):
    spec = dict(base_spec(mode), mount=[{'options': [value], 'target': '/mnt'}])
    check(spec, 'mount[0].options[0]', tmp_path,
          lambda r, t: any(line.startswith('mount ') and line.endswith(' -> /mnt (0x2/0x0),') for line in r['rules']))


@SETTINGS
@given(value=VALUES, mode=MODES)
def test_fuzz_umount_target(value, mode, tmp_path):
    spec = dict(base_spec(mode), umount=[{'target': value}])
    check(spec, 'umount[0].target', tmp_path,
          lambda r, t: 'umount (0x1bffcff - 0x1bffcff)  -> %s (0x4/0x0),' % normal_path(value) in r['rules'])


PIVOT_LINE = 'pivotroot (0x1bffcff - 0x1bffcff)  %s -> %s (0x1/0x0),'


@SETTINGS
@given(value=VALUES, mode=MODES)
def test_fuzz_pivot_root_put_old(value, mode, tmp_path):
    # issue 11 item 2: put_old must not swallow new_root
    spec = dict(base_spec(mode), pivot_root=[{'put_old': value, 'new_root': '/new'}])
    check(spec, 'pivot_root[0].put_old', tmp_path, lambda r, t: PIVOT_LINE % (normal_path(value), '/new') in r['rules'])


@SETTINGS
@given(value=VALUES, mode=MODES)
def test_fuzz_pivot_root_new_root(value, mode, tmp_path):
    spec = dict(base_spec(mode), pivot_root=[{'put_old': '/old', 'new_root': value}])
    check(spec, 'pivot_root[0].new_root', tmp_path, lambda r, t: PIVOT_LINE % ('/old', normal_path(value)) in r['rules'])


def inside_policy_dir(name):
    path = os.path.realpath(os.path.join(POLICY_DIR, name))
    return path.startswith(POLICY_DIR + '/')


@SETTINGS
@given(value=st.one_of(VALUES, st.sampled_from(['abstractions/base', 'tunables/global', 'abstractions/../x'])),
       mode=MODES)
def test_fuzz_includes(value, mode, tmp_path):
    # issue 11 item 3: an accepted include names a file inside the policy directory
    spec = dict(base_spec(mode), includes=['tunables/global', value])
    try:
        text = a.render(spec)
    except a.SpecError as err:
        assert str(err).startswith('includes[1]: '), str(err)
        return
    assert inside_policy_dir(value) and '..' not in value.split('/')
    if os.path.isdir(os.path.join(POLICY_DIR, value)):
        return      # a whole directory of policy: inside, but too slow to parse here
    reading = parser_reading(text, tmp_path)
    if not os.path.exists(os.path.join(POLICY_DIR, value)):
        assert reading['rc'] != 0 and 'Could not open' in reading['err']
        return
    if reading['rc'] == 0:
        assert (reading['name'], reading['mode']) == ('fz', mode)
        assert ('wa:wa', SENTINEL) in reading['entries']


@SETTINGS
@given(value=st.one_of(VALUES, st.sampled_from(['abi/3.0', 'abi/../abi/3.0'])), mode=MODES)
def test_fuzz_abi(value, mode, tmp_path):
    spec = dict(base_spec(mode), abi=value)
    try:
        text = a.render(spec)
    except a.SpecError as err:
        assert str(err).startswith('abi: '), str(err)
        return
    assert inside_policy_dir(value) and '..' not in value.split('/')
    reading = parser_reading(text, tmp_path)
    if value != 'abi/3.0':
        assert reading['rc'] != 0
        return
    assert reading['rc'] == 0 and ('wa:wa', SENTINEL) in reading['entries']


RULE_FRAGMENTS = FRAGMENTS + ['deny ', 'audit ', 'owner ', 'allow ', '/etc/a r,', ' deny /etc/b r,', 'capability ',
                              'chown', 'signal (send, receive) ', 'peer=x', '"/a b"', ' rw', ',']
RULES = st.one_of(
    st.lists(st.sampled_from(RULE_FRAGMENTS), max_size=8).map(''.join),
    st.lists(st.sampled_from(['deny ', 'audit ', 'owner ', 'allow ']), max_size=3).map(
        lambda q: ''.join(q) + '/etc/a r,'),
)
PREFIX_WORDS = ('audit', 'allow', 'deny', 'owner')


@SETTINGS
@given(value=RULES, mode=MODES)
def test_fuzz_extra_rules(value, mode, tmp_path):
    # issue 11 item 5: one rule per item, every deny audited in complain mode, nothing swallowed
    spec = dict(base_spec(mode), extra_rules=[value, '/zz-after r,'])
    try:
        text = a.render(spec)
    except a.SpecError as err:
        assert str(err).startswith('extra_rules[0]: '), str(err)
        return
    lines = text.split('\n')
    index = [i for i, line in enumerate(lines) if line == '  /zz-after r,'][0]
    rule = lines[index - 1].strip()
    words = []
    for word in rule.split():
        if word not in PREFIX_WORDS:
            break
        words.append(word)
    if mode == 'complain' and 'deny' in words:
        assert 'audit' in words, rule
    reading = parser_reading(text, tmp_path)
    if undeclared(reading):
        return
    if reading['rc'] != 0:
        # the parser refuses the rule itself, on its own line: it did not run into the next one
        match = re.search(r'at line (\d+)', reading['err'])
        assert match and int(match.group(1)) == index, (text, reading['err'])
        return
    assert (reading['name'], reading['mode']) == ('fz', mode) and path_flags(reading) == PATH_ATTACH
    assert ('r:r', '/zz-after') in reading['entries'] and ('wa:wa', SENTINEL) in reading['entries']


@SETTINGS
@given(value=st.one_of(HOSTILE, st.text(min_size=1000, max_size=1100)), field=st.sampled_from(['owner', 'source']),
       mode=MODES)
def test_fuzz_owner_and_source(value, field, mode, tmp_path):
    # issue 11 item 21: one bounded comment line, or a sentence naming the field
    spec = base_spec(mode)
    try:
        text = a.render(spec, **{field: value})
    except a.SpecError as err:
        assert str(err).startswith(field + ': '), str(err)
        return
    plain = a.render(spec)
    extra = [line for line in text.split('\n') if line not in plain.split('\n')]
    assert len(text.split('\n')) == len(plain.split('\n')) + (1 if value.split() else 0)
    assert all(line.startswith('# %s: ' % field) for line in extra)
    reading = parser_reading(text, tmp_path)
    assert reading['rc'] == 0, reading['err']
    assert (reading['name'], reading['mode']) == ('fz', mode) and path_flags(reading) == PATH_ATTACH
    assert reading['entries'] == [('wa:wa', SENTINEL)]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | HOSTILE,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(['path', 'perms', 'exec', 'mode', 'target', 'peer', 'access', 'set', 'source', 'target',
                         'fstype', 'options', 'new_root', 'put_old', 'deny', 'audit', 'quiet', 'owner', 'family',
                         'type', 'allow', 'x']), children, max_size=4),
    max_leaves=8)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(key=st.sampled_from(a.SPEC_KEYS), value=JSON, preset=st.sampled_from([None, 'container-strict', 'service']))
def test_fuzz_any_value_of_any_key_is_rendered_or_refused_naming_it(key, value, preset):
    # issue 11 item 21: no traceback for any input, one sentence naming the field
    spec = {'name': 'fz', 'attach': '/usr/bin/x'}
    if preset:
        spec['preset'] = preset
    spec[key] = value
    try:
        a.render(spec, owner=value if key == 'mode' else None)
    except a.SpecError as err:
        assert str(err).startswith(err.field + ': ')
        assert err.field.split('[')[0].split('.')[0] in (key, 'owner', 'attach'), str(err)


@SETTINGS
@given(value=VALUES, mode=MODES)
def test_fuzz_literal_path(value, mode, tmp_path):
    # issue 11 item 4: literal_path (used for observed names) returns a glob that the module takes
    # and that the parser reads with every glob character escaped
    try:
        glob = a.literal_path(value)
    except a.SpecError as err:
        assert str(err).startswith('path: '), str(err)
        event('refused')
        return
    assert a.literal_glob(value) == glob
    a.quote('files[0].path', glob)      # never refused
    spec = base_spec(mode)
    spec['files'] = [{'path': glob, 'perms': 'r'}] + spec['files']
    check(spec, 'files[0].path', tmp_path, lambda r, t: ('r:r', glob) in r['entries'])
