# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AppArmor rendering: presets (golden files, checked by the real apparmor_parser), every
rule kind, the complain-mode transform, merging and every spec error path."""

import os
import re
import shutil
import subprocess

import pytest

from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_spec as a

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'golden', 'apparmor')
PARSER = shutil.which('apparmor_parser') or '/usr/sbin/apparmor_parser'
SERVICE = dict(
    attach='/usr/local/bin/web',
    files=[{'path': '/srv/www/**', 'perms': 'r'}, {'path': '/var/log/web/*', 'perms': 'w', 'owner': True},
           {'path': '/etc/shadow', 'perms': 'r', 'deny': True}],
    exec=[{'path': '/usr/bin/curl', 'mode': 'Px', 'target': 'web-curl'}],
    network=[{'family': 'inet', 'type': 'stream'}, {'family': 'inet6', 'type': 'stream'}])


def preset_spec(preset, mode):
    spec = {'name': 'golden-' + preset, 'preset': preset, 'mode': mode}
    if preset == 'service':
        spec.update(SERVICE)
    return spec


def parse(text, tmp_path):
    path = tmp_path / 'profile'
    path.write_text(text)
    proc = subprocess.run([PARSER, '-QK', str(path)], capture_output=True, text=True, check=False, timeout=60)
    return proc.returncode, proc.stderr


ENTRY_RE = re.compile(r'^Mode:\t(.*)\tName:\t\((.*)\)$')


def parser_reading(text, tmp_path):
    """What the real apparmor_parser read from ``text``.

    ``--debug`` prints the profile name, its mode (on stderr), the file entries (``Mode:\tPERMS\tName:\t(GLOB)``,
    GLOB as the lexer left it: quotes removed, escapes of glob characters kept, variables
    expanded) and one line per other rule; ``-D rule-exprs`` prints every glob it compiles,
    the attachment first (``aare: GLOB   ->   REGEX``); ``-S`` writes the binary policy,
    which holds exec targets as strings.  Returns a dict (rc, err, name, mode, entries,
    rules, aare, binary)."""
    path = tmp_path / 'profile'
    path.write_bytes(text.encode('utf-8'))

    def run(*args):
        proc = subprocess.run([PARSER, '-QK'] + list(args) + [str(path)], capture_output=True, check=False,
                              timeout=60)
        out = proc.stdout if '-S' in args else proc.stdout.decode('utf-8', 'surrogateescape')
        return proc.returncode, out, proc.stderr.decode('utf-8', 'surrogateescape')

    rc, out, err = run('--debug')
    reading = {'rc': rc, 'err': err, 'name': None, 'mode': None, 'entries': [], 'rules': [], 'aare': [],
               'binary': b'', 'debug': out}
    if rc:
        return reading
    seen_name = False
    for line in out.split('\n'):
        if line.startswith('Name:\t\t') and not seen_name:
            reading['name'], seen_name = line[len('Name:\t\t'):], True
        elif seen_name and line and line != '--- Entries ---':
            match = ENTRY_RE.match(line)
            if match:
                reading['entries'].append((match.group(1).strip(), match.group(2)))
            else:
                reading['rules'].append(line)
    # the mode (and a mount rule's fstype) go to stderr
    match = re.search(r'^Mode: (\S*)$', err, re.M)
    reading['mode'] = (match.group(1) or 'enforce') if match else None     # 'Mode: ' for enforce
    rc, out, err = run('-D', 'rule-exprs')
    reading['aare'] = [line[len('aare: '):] for line in (out + '\n' + err).split('\n') if line.startswith('aare: ')]
    rc, out, err = run('-S')
    reading['binary'] = out
    return reading


PATH_ATTACH = 0x4          # attach_disconnected in the binary policy's path_flags (PATH_CONNECT_PATH)
PATH_MEDIATE_DELETED = 0x20000


def path_flags(reading):
    """The profile's path_flags from the binary policy (0 when it has none)."""
    at = reading['binary'].find(b'path_flags\x00\x02')
    if at < 0:
        return 0
    start = at + len(b'path_flags\x00\x02')
    return int.from_bytes(reading['binary'][start:start + 4], 'little')


def aare_of(reading, glob):
    """True when the parser compiled exactly ``glob`` (its first aare for the attachment)."""
    return any(line.startswith(glob + '   ->   ') for line in reading['aare'])


@pytest.mark.parametrize('mode', ['enforce', 'complain'])
@pytest.mark.parametrize('preset', a.PRESETS)
def test_preset_matches_golden_file_and_parses(preset, mode, tmp_path):
    text = a.render(preset_spec(preset, mode), owner='platform-team', source='tests/unit')
    with open(os.path.join(GOLDEN, '%s.%s' % (preset, mode))) as fh:
        assert text == fh.read()
    rc, err = parse(text, tmp_path)
    assert rc == 0, err


def test_container_default_keeps_dockers_protections():
    text = a.render({'name': 'c', 'preset': 'container-default'})
    for line in ('audit deny @{PROC}/sysrq-trigger rwkl,', 'audit deny @{PROC}/kcore rwkl,',
                 'audit deny /sys/firmware/** rwkl,', 'audit deny /sys/kernel/security/** rwkl,', 'audit deny mount,',
                 'audit deny @{PROC}/* w,',
                 'ptrace (trace,read,tracedby,readby) peer=@{profile_name},',
                 'signal (send,receive) peer=@{profile_name},'):
        assert '  %s\n' % line in text, line
    assert 'profile c flags=(attach_disconnected,mediate_deleted) {' in text


@pytest.mark.parametrize('preset', ['container-default', 'container-strict', 'service'])
def test_confine_exec_leaves_out_the_presets_exec_grants_and_keeps_the_users(preset, tmp_path):
    """Issue 13 item 1: with confine_exec the parser reads no exec permission but the ones the
    user listed; everything else of the preset is unchanged."""
    spec = preset_spec(preset, 'enforce')
    plain = parser_reading(a.render(spec), tmp_path)
    confined = parser_reading(a.render(dict(spec, confine_exec=True)), tmp_path)
    listed = parser_reading(a.render(dict(spec, confine_exec=True, exec=[{'path': '/usr/bin/tool', 'mode': 'ix'}])),
                            tmp_path)
    assert plain['rc'] == confined['rc'] == listed['rc'] == 0, (confined['err'], listed['err'])

    def execs(reading):
        return sorted((perms, glob) for perms, glob in reading['entries'] if 'x' in perms.lower().replace('m', ''))
    # (abstractions/base's deny rules for ecryptfs name x too, in every reading)
    if preset == 'service':
        assert execs(confined) == execs(plain)
        assert '/usr/bin/curl' in [g for _p, g in execs(confined)]       # the user's own Px rule stays
    else:
        broad = [e for e in execs(plain) if e[1] == '/**']
        assert len(broad) == 1 and 'x' in broad[0][0]       # rwalkmx (default) or rlkmx (strict)
        assert [e for e in execs(confined) if e not in execs(plain)] == []
        assert [e for e in execs(plain) if e not in execs(confined)] == broad
        assert [e for e in execs(listed) if e not in execs(confined)] == [('x:x', '/usr/bin/tool')]

    # the rest is the same: each glob keeps its permissions, less the exec ones
    def no_exec(reading):
        return sorted((glob, perms.split(':')[0].replace('x', '').replace('i', '')) for perms, glob in reading['entries'])
    assert no_exec(confined) == no_exec(plain)


@pytest.mark.parametrize('value', ['yes', 1, 0, 'false'])
def test_confine_exec_must_be_a_boolean(value):
    with pytest.raises(a.SpecError) as err:
        a.render({'name': 'c', 'preset': 'container-default', 'confine_exec': value})
    assert err.value.field == 'confine_exec' and 'true or false' in str(err.value)


def test_container_strict_adds_denials_and_drops_broad_writes():
    text = a.render({'name': 'c', 'preset': 'container-strict'})
    for line in ('audit deny network raw,', 'audit deny network packet,', 'audit deny ptrace (trace,read),',
                 'audit deny pivot_root,', 'audit deny capability bpf mac_admin mac_override net_admin perfmon sys_admin sys_boot sys_module '
                 'sys_ptrace sys_rawio sys_time syslog,', '/** rklm,'):
        assert '  %s\n' % line in text, line
    assert '/** rwklm,' not in text


def test_complain_and_enforce_differ_only_by_the_flag_and_every_deny_is_logged():
    # A quiet deny would block in complain mode; an audited deny is let through
    # (and logged ALLOWED) by a complain-mode profile, and blocked (logged DENIED)
    # by an enforcing one.  The lab verify proves both against the kernel.
    enforce = a.render({'name': 'c', 'preset': 'container-strict'})
    complain = a.render({'name': 'c', 'preset': 'container-strict', 'mode': 'complain'})
    denies = [line.strip() for line in enforce.splitlines() if 'deny ' in line]
    assert len(denies) == 20 and all(line.startswith('audit deny ') for line in denies)
    assert 'flags=(attach_disconnected,mediate_deleted,complain)' in complain
    assert complain.replace(',complain)', ')').replace('# mode: complain', '# mode: enforce') == enforce


def test_quiet_deny_only_in_enforce_and_extra_deny_rules_are_audited_in_complain():
    spec = {'name': 'q', 'files': [{'path': '/secret', 'perms': 'r', 'deny': True, 'quiet': True}],
            'extra_rules': ['deny /other w,', 'audit deny /third w,', '/fourth r,']}
    enforce = a.render(spec)
    complain = a.render(dict(spec, mode='complain'))
    assert '  deny /secret r,\n' in enforce and '  deny /other w,\n' in enforce
    assert '  audit deny /secret r,\n' in complain and '  audit deny /other w,\n' in complain
    assert '  audit deny /third w,\n' in complain and '  /fourth r,\n' in complain


def test_default_template_writes_what_join_writes():
    jinja2 = pytest.importorskip('jinja2')
    path = os.path.join(os.path.dirname(GOLDEN), '..', '..', '..', '..', '..', 'templates', 'apparmor', 'profile.j2')
    with open(path) as fh:
        template = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True).from_string(fh.read())
    for preset in a.PRESETS:
        for mode in ('enforce', 'complain'):
            parts = a.layout(preset_spec(preset, mode), owner='o', source='s')
            assert template.render(apparmor=parts) == a.join_layout(parts)


def test_userns_rules_only_where_the_parser_mediates_userns():
    # the preset's rule stays only where the host mediates userns and the profile's ABI enforces it
    spec = {'name': 'c', 'preset': 'container-strict'}
    assert '  audit deny userns,\n' in a.render(dict(spec, abi='abi/4.0'), features={'userns': True})
    text = a.render(spec, features={'userns': True})
    assert 'userns,' not in text and a.USERNS_ABI_NOTE % 'abi/3.0' in text and 'abi <abi/3.0>,' in text
    text = a.render(spec, features={'userns': False})
    assert 'userns,' not in text and a.USERNS_NOTE in text


def test_every_rule_kind_renders():
    text = a.render({
        'name': 'all-kinds', 'attach': '/opt/app/bin/*', 'abi': 'abi/3.0',
        'includes': ['tunables/global', 'abstractions/base', 'abstractions/nameservice'],
        'files': [{'path': '/data/{a,b}/**', 'perms': 'rw', 'audit': True}, {'path': '/bin/sh', 'exec': 'ix'}],
        'exec': [{'path': '/usr/bin/helper', 'mode': 'Cx', 'target': 'helper'}],
        'capabilities': {'allow': ['net_bind_service', 'chown'], 'deny': ['sys_admin']},
        'network': [{'family': 'unix'}, {'family': 'inet', 'type': 'dgram', 'deny': True}],
        'signal': [{'access': ['send'], 'set': ['term', 'kill'], 'peer': 'other'}],
        'ptrace': [{'access': ['read'], 'peer': 'all-kinds'}],
        'mount': [{'fstype': 'tmpfs', 'options': ['ro', 'nosuid'], 'source': '/dev/shm', 'target': '/mnt/**'}],
        'umount': [{'target': '/mnt/**'}], 'pivot_root': [{'put_old': '/old/', 'new_root': '/new/'}],
        'flags': ['attach_disconnected'], 'extra_rules': ['dbus send bus=session,'], 'local': False,
    })
    body = [line.strip() for line in text.split('{', 1)[1].splitlines()]
    for line in ('include <abstractions/base>', 'include <abstractions/nameservice>',
                 'capability chown net_bind_service,', 'audit deny capability sys_admin,', 'network unix,',
                 'audit deny network inet dgram,', 'audit /data/{a,b}/** rw,', '/bin/sh ix,', '/usr/bin/helper Cx -> helper,',
                 'signal (send) set=(kill,term) peer=other,', 'ptrace (read) peer=all-kinds,',
                 'mount fstype=tmpfs options=(ro,nosuid) /dev/shm -> /mnt/**,', 'umount /mnt/**,',
                 'pivot_root oldroot=/old/ /new/,', 'dbus send bus=session,'):
        assert line in body, line
    assert 'profile all-kinds /opt/app/bin/* flags=(attach_disconnected) {' in text
    assert 'include if exists' not in text
    assert text.startswith(a.MARKER) and a.is_ours(text)


def test_merge_appends_and_overrides():
    merged = a.build_spec({'name': 'c', 'preset': 'container-default', 'flags': ['mediate_deleted', 'audit'],
                           'capabilities': {'deny': ['sys_admin']}, 'files': [{'path': '/x', 'perms': 'r'}]})
    assert merged['flags'] == ['attach_disconnected', 'mediate_deleted', 'audit']
    assert merged['capabilities'] == {'allow': ['*'], 'deny': ['sys_admin']}
    assert merged['files'][-1] == {'path': '/x', 'perms': 'r'}


@pytest.mark.parametrize('spec,field,words', [
    ({'name': 'bad name'}, 'name', 'not a valid profile name'),
    ({'name': 'p', 'preset': 'docker'}, 'preset', 'unknown preset'),
    ({'name': 'p', 'mode': 'learn'}, 'mode', 'unknown mode'),
    ({'name': 'p', 'colour': 1}, 'colour', 'unknown key'),
    ({'name': 'p', 'files': {'path': '/x'}}, 'files', 'must be a list'),
    ({'name': 'p', 'files': [{'path': 'relative', 'perms': 'r'}]}, 'files[0].path', 'not an absolute path'),
    ({'name': 'p', 'files': [{'path': '/a/{b', 'perms': 'r'}]}, 'files[0].path', 'without its "}"'),
    ({'name': 'p', 'files': [{'path': '/x', 'perms': 'rz'}]}, 'files[0].perms', 'not a set of'),
    ({'name': 'p', 'files': [{'path': '/x', 'perms': 'wa'}]}, 'files[0].perms', 'cannot be combined'),
    ({'name': 'p', 'files': [{'path': '/x'}]}, 'files[0]', 'give perms, exec or both'),
    ({'name': 'p', 'files': [{'path': '/x', 'perms': 'r', 'deny': 'yes'}]}, 'files[0].deny', 'true or false'),
    ({'name': 'p', 'exec': [{'path': '/x', 'mode': 'zx'}]}, 'exec[0].mode', 'unknown exec mode'),
    ({'name': 'p', 'exec': [{'path': '/x', 'mode': 'ix', 'target': 'y'}]}, 'exec[0].target', 'only px and cx'),
    ({'name': 'p', 'capabilities': {'allow': ['sys_everything']}}, 'capabilities.allow[0]', 'unknown capability'),
    ({'name': 'p', 'capabilities': {'grant': []}}, 'capabilities.grant', 'unknown key'),
    ({'name': 'p', 'network': [{'family': 'carrier-pigeon'}]}, 'network[0].family[0]', 'unknown value'),
    ({'name': 'p', 'signal': [{'access': ['shout']}]}, 'signal[0].access[0]', 'unknown value'),
    ({'name': 'p', 'signal': [{'set': ['sigfoo']}]}, 'signal[0].set[0]', 'unknown value'),
    ({'name': 'p', 'ptrace': [{'peer': 'a\tb'}]}, 'ptrace[0].peer', 'control character'),
    ({'name': 'p', 'mount': [{'options': ['ro;rm']}]}, 'mount[0].options[0]', 'not a mount option'),
    ({'name': 'p', 'flags': ['complain']}, 'flags[0]', 'the mode sets complain'),
    ({'name': 'p', 'includes': ['../etc/passwd']}, 'includes[0]', 'not a file of the AppArmor policy directory'),
    ({'name': 'p', 'extra_rules': ['} evil {']}, 'extra_rules[0]', 'without braces'),
    ({'name': 'p', 'files': [{'path': '/x', 'perms': 'r', 'quiet': True}]}, 'files[0].quiet', 'only a deny rule'),
    ({'name': 'p', 'network': [{'deny': True, 'quiet': True, 'audit': True}]}, 'network[0].quiet', 'both audit'),
    ({'name': 'p', 'abi': 'abi 3'}, 'abi', 'not a file of the AppArmor policy directory such as abi/3.0'),
    ({'name': 'p', 'attach': 'bin/x'}, 'attach', 'not an absolute path'),
    ({'name': 'p', 'preset': 'service'}, 'attach', 'needs the path'),
    ({'name': 'p', 'local': 'yes'}, 'local', 'true or false'),
    ({'name': 'p', 'userns': [{'allow': True}]}, 'userns[0].allow', 'unknown key'),
    ({'name': 'p', 'umount': [{'target': 'mnt'}]}, 'umount[0].target', 'not an absolute path'),
    ({'name': 'p', 'pivot_root': [{'put_old': 'x'}]}, 'pivot_root[0].put_old', 'not an absolute path'),
    ({'name': 'p', 'mount': [{'fstype': 'ext4;'}]}, 'mount[0].fstype', 'not a file system type'),
])
def test_errors_name_the_field(spec, field, words):
    with pytest.raises(a.SpecError) as err:
        a.render(spec)
    assert err.value.field == field
    assert words in str(err.value) and str(err.value).startswith(field + ': ')


@pytest.mark.parametrize('preset', ['container-default', 'container-strict'])
def test_presets_doc_lists_every_deny_rule_the_preset_renders(preset):
    path = os.path.join(os.path.dirname(GOLDEN), '..', '..', '..', '..', '..', 'docs', 'apparmor-presets.md')
    with open(path) as fh:
        doc = fh.read()
    section = doc.split('## `%s`' % preset, 1)[1].split('\n## ', 1)[0]
    block = section.split('```\n', 2)[1].rstrip('\n').splitlines()
    # as on an AppArmor 4 host under abi/4.0, where the userns rule is enforced
    text = a.render({'name': 'x', 'preset': preset, 'abi': 'abi/4.0'}, features={'userns': True})
    assert block == [line.strip() for line in text.splitlines() if 'deny' in line]


# ---------------------------------------------------------------------------
# issue 11: the one quoting function, checked against the real parser
# ---------------------------------------------------------------------------

def test_attach_ending_in_a_backslash_is_refused_and_an_escaped_one_keeps_the_flags(tmp_path):
    # issue 11 item 1: "/usr/bin/foo\" rendered unquoted swallowed flags=(...), so the
    # profile lost complain and attach_disconnected.
    with pytest.raises(a.SpecError) as err:
        a.render({'name': 'a1', 'attach': '/usr/bin/foo\\', 'mode': 'complain'})
    assert str(err.value).startswith('attach: ') and 'lone backslash' in str(err.value)
    text = a.render({'name': 'a1', 'attach': '/usr/bin/foo\\\\', 'mode': 'complain',
                     'flags': ['attach_disconnected'], 'files': [{'path': '/after', 'perms': 'r'}]})
    assert 'profile a1 "/usr/bin/foo\\x5c" flags=(attach_disconnected,complain) {' in text
    reading = parser_reading(text, tmp_path)
    assert reading['rc'] == 0, reading['err']
    assert (reading['name'], reading['mode']) == ('a1', 'complain')
    assert reading['aare'][0].startswith('/usr/bin/foo\\\\   ->   ')
    assert path_flags(reading) == PATH_ATTACH
    assert ('r:r', '/after') in reading['entries']


def test_put_old_ending_in_a_backslash_is_refused_and_cannot_swallow_new_root(tmp_path):
    # issue 11 item 2
    with pytest.raises(a.SpecError) as err:
        a.render({'name': 'p', 'pivot_root': [{'put_old': '/old\\', 'new_root': '/new'}]})
    assert str(err.value).startswith('pivot_root[0].put_old: ')
    text = a.render({'name': 'p', 'pivot_root': [{'put_old': '/old\\\\', 'new_root': '/new root'}],
                     'local': False})
    reading = parser_reading(text, tmp_path)
    assert reading['rc'] == 0, reading['err']
    assert [r for r in reading['rules'] if r.startswith('pivotroot')] == [
        'pivotroot (0x1bffcff - 0x1bffcff)  /old\\\\ -> /new root (0x1/0x0),']


@pytest.mark.parametrize('field,value', [
    ('includes', 'abstractions/../../../some/file'), ('includes', '/etc/passwd'), ('includes', 'abstractions//base'),
    ('includes', './abstractions/base'), ('includes', 'abstractions/base/'), ('includes', 'local/..'),
    ('includes', ''), ('includes', 'abstractions/base>'), ('abi', '../abi/3.0'), ('abi', '/usr/share/abi'),
])
def test_includes_and_abi_stay_inside_the_policy_directory(field, value):
    # issue 11 item 3
    spec = {'name': 'p', field: [value] if field == 'includes' else value}
    with pytest.raises(a.SpecError) as err:
        a.render(spec)
    assert str(err.value).startswith('includes[0]: ' if field == 'includes' else 'abi: ')
    assert 'AppArmor policy directory' in str(err.value)


def test_local_include_uses_the_checked_name():
    # issue 11 items 3 and 6: include if exists <local/NAME> only ever names a checked name
    assert '  include if exists <local/web-1.2>\n' in a.render({'name': 'web-1.2'})
    for name in ('../x', 'a/b', 'web.orig'):
        with pytest.raises(a.SpecError) as err:
            a.render({'name': name})
        assert str(err.value).startswith('name: ')


@pytest.mark.parametrize('line', [
    'deny /etc/a r, deny /etc/b r,', 'deny /etc/a r, /etc/b r,', '/a r, /b w,', 'deny /etc/a r',
    'capability chown, deny capability sys_admin,', 'deny "/a, b" r, deny /c r,',
])
def test_extra_rules_hold_exactly_one_rule(line):
    # issue 11 item 5: a second rule on one item escaped the complain-mode audit
    with pytest.raises(a.SpecError) as err:
        a.render({'name': 'p', 'mode': 'complain', 'extra_rules': [line]})
    assert str(err.value).startswith('extra_rules[0]: ')


@pytest.mark.parametrize('line,complain', [
    ('deny /etc/a r,', 'audit deny /etc/a r,'),
    ('owner deny /etc/a r,', 'audit owner deny /etc/a r,'),
    ('deny owner /etc/a r,', 'audit deny owner /etc/a r,'),
    ('audit deny /etc/a r,', 'audit deny /etc/a r,'),
    ('deny "/a, b" r,', 'audit deny "/a, b" r,'),
    ('deny signal (send, receive) peer=x,', 'audit deny signal (send, receive) peer=x,'),
    ('  deny   capability sys_admin,  ', 'audit deny   capability sys_admin,'),
    ('allow /x r,', 'allow /x r,'),
])
def test_every_deny_among_extra_rules_is_audited_in_complain_mode(line, complain):
    # issue 11 item 5
    text = a.render({'name': 'p', 'mode': 'complain', 'extra_rules': [line]})
    assert '\n  %s\n' % complain in text


@pytest.mark.parametrize('line,words', [
    ('include <../../etc/x>', 'includes and abi'), ('#include <abstractions/base>', 'passes through'),
    ('/a r, # deny /b r,', 'comment'), ('/a{,b} r,', 'braces'), ('"/a r,', 'quoted string'),
    ('signal (send peer=x,', 'parentheses'), ('deny,', 'qualifiers but no rule'), ('/a\x00 r,', 'control'),
    ('deny /etc/a\\,', 'backslash outside'), ('/a\\ b r,', 'backslash outside'),
])
def test_extra_rules_refusals_name_the_item(line, words):
    with pytest.raises(a.SpecError) as err:
        a.render({'name': 'p', 'extra_rules': ['/ok r,', line]})
    assert str(err.value).startswith('extra_rules[1]: ') and words in str(err.value)


@pytest.mark.parametrize('name', ['web.orig', 'web.dpkg-old', 'web.dpkg-new', 'web.rpmsave', 'web.rpmnew', 'web.rej',
                                  'web.pacsave', 'unconfined', 'README'])
def test_names_the_boot_loader_skips_are_refused(name):
    # issue 11 item 6
    with pytest.raises(a.SpecError) as err:
        a.render({'name': name})
    assert str(err.value).startswith('name: ')
    assert a.name_problem(name)


def test_paths_with_spaces_are_quoted_and_read_back_exactly(tmp_path):
    # issue 11 item 22
    spec = {'name': 'sp', 'mode': 'complain', 'attach': '/opt/My App/bin/run',
            'files': [{'path': '/srv/My Files/**', 'perms': 'r'}, {'path': '/srv/a "q", b', 'perms': 'w'},
                      {'path': '/srv/é/x', 'perms': 'r'}],
            'exec': [{'path': '/opt/My App/bin/helper', 'mode': 'Px', 'target': 'my helper'}],
            'signal': [{'access': ['send'], 'peer': 'other one'}],
            'mount': [{'source': '/dev/my disk', 'target': '/mnt/my disk'}], 'umount': [{'target': '/mnt/my disk'}]}
    text = a.render(spec)
    assert '"/srv/My Files/**" r,' in text and '"/srv/a \\"q\\", b" w,' in text
    reading = parser_reading(text, tmp_path)
    assert reading['rc'] == 0, reading['err']
    assert (reading['name'], reading['mode']) == ('sp', 'complain')
    assert aare_of(reading, '/opt/My App/bin/run') and reading['aare'][0].startswith('/opt/My App/bin/run ')
    assert set(reading['entries']) >= {('r:r', '/srv/My Files/**'), ('wa:wa', '/srv/a "q", b'),
                                       ('r:r', '/srv/é/x'), ('x:x', '/opt/My App/bin/helper')}
    assert b'my helper\x00' in reading['binary']
    assert 'signal (send ) other one,' in reading['rules']
    assert any(' /dev/my disk -> /mnt/my disk (' in r for r in reading['rules'])
    assert any(r.startswith('umount ') and '  -> /mnt/my disk (' in r for r in reading['rules'])


@pytest.mark.parametrize('path,glob', [
    ('/srv/**', '/srv/\\*\\*'), ('/srv/@{HOME}', '/srv/\\@\\{HOME\\}'), ('/srv/[a-z]', '/srv/\\[a-z\\]'),
    ('/srv/{a,b}', '/srv/\\{a,b\\}'), ('/srv/a?b^c', '/srv/a\\?b\\^c'), ('/srv/back\\slash\\', '/srv/back\\\\slash\\\\'),
    ('/srv/plain file', '/srv/plain file'),
])
def test_literal_path_escapes_every_glob_character(path, glob, tmp_path):
    # issue 11 item 4 (helper for the suggestions): the glob matches exactly that path
    assert a.literal_path(path) == glob
    text = a.render({'name': 'lit', 'files': [{'path': a.literal_path(path), 'perms': 'r'}], 'local': False})
    reading = parser_reading(text, tmp_path)
    assert reading['rc'] == 0, reading['err']
    assert ('r:r', glob) in reading['entries']
    # the compiled expression has no glob operator left: every character is matched as itself
    regex = [line.split('   ->   ', 1)[1] for line in reading['aare'] if line.startswith(glob + '   ->   ')][0]
    assert '[^' not in regex and '*' not in regex.replace('\\*', '') and '{' not in regex.replace('\\{', '')


@pytest.mark.parametrize('path', ['relative', '', '/a\nb', '/a\x00', '/a\x7f', '/' + 'x' * 5000, '/a\ud800', 5,
                                  '/srv/\u202eexe.txt', '/' + '*' * 2048])
def test_literal_path_refuses_what_no_profile_can_hold(path):
    with pytest.raises(a.SpecError) as err:
        a.literal_path(path)
    assert str(err.value).startswith('path: ')


@pytest.mark.parametrize('field', ['owner', 'source'])
def test_owner_and_source_are_one_bounded_comment_line(field):
    # issue 11 item 21 (an owner over 16 KB)
    kwargs = {field: 'x' * (16 * 1024 + 1)}
    with pytest.raises(a.SpecError) as err:
        a.render({'name': 'p'}, **kwargs)
    assert str(err.value).startswith(field + ': is 16385 characters long; at most 1024 are allowed')
    with pytest.raises(a.SpecError) as err:
        a.render({'name': 'p'}, **{field: 'team\x1b[31m'})
    assert str(err.value).startswith(field + ': ') and 'control character' in str(err.value)
    text = a.render({'name': 'p'}, **{field: 'team a\n/** rwlk,\n'})
    assert '\n# %s: team a /** rwlk,\n' % field in text and '\n/** rwlk,' not in text


@pytest.mark.parametrize('path,words', [
    ('/srv/{a}', 'without a ","'), ('/srv/{a{b,c}}', 'without a ","'), ('/srv/{}', 'without a ","'),
    ('/srv/\\@{HOME}', 'without a ","'), ('/srv/[]', 'empty [] class'), ('/srv/[^]', 'empty [] class'),
    ('/srv/[a-]', 'edge of a [...] class'), ('/srv/a]', 'without its "["'),
])
def test_globs_the_parser_cannot_compile_are_refused_naming_the_field(path, words, tmp_path):
    # measured: apparmor_parser 3.0.8 fails on each of these ("Invalid number of items between {}", ...)
    with pytest.raises(a.SpecError) as err:
        a.render({'name': 'g', 'files': [{'path': path, 'perms': 'r'}]})
    assert str(err.value).startswith('files[0].path: ') and words in str(err.value)
    text = a.render({'name': 'g', 'files': [{'path': '/srv/{a,{b,c}}/[^/]*', 'perms': 'r'}], 'local': False})
    assert parser_reading(text, tmp_path)['rc'] == 0


@pytest.mark.parametrize('field,rule', [
    ('exec[0].target', {'exec': [{'path': '/bin/x', 'mode': 'Px', 'target': ':ns:other'}]}),
    ('signal[0].peer', {'signal': [{'peer': '::'}]}),
])
def test_a_peer_or_target_in_another_namespace_is_refused(field, rule):
    # measured: "Px -> :ns:x" is the profile x of the namespace ns, not a profile named ":ns:x"
    with pytest.raises(a.SpecError) as err:
        a.render(dict({'name': 'n'}, **rule))
    assert str(err.value).startswith(field + ': ') and 'namespace' in str(err.value)


def test_literal_path_output_is_always_a_spec_path_the_module_takes():
    # what a suggestion holds must be mergeable: the limit applies after escaping
    for path in ('/' + '*' * 2047, '/' + 'a' * 4095, '/srv/é' * 600):
        try:
            glob = a.literal_path(path)
        except a.SpecError:
            continue
        a.quote('files[0].path', glob)


@pytest.mark.parametrize('path', ['/a{b,,c}', '/a[{],', '/a{x,[,]}', '/a[,]b'])
def test_a_comma_that_could_end_the_token_is_quoted(path, tmp_path):
    # measured: unquoted, /a{b,,c} ends at ",," and peer=[{], at its last comma (a comma
    # continues a token only before a token character); found by the fuzz test
    text = a.render({'name': 'e', 'files': [{'path': path, 'perms': 'r'}], 'local': False})
    assert '  "%s" r,\n' % path in text
    reading = parser_reading(text, tmp_path)
    assert reading['rc'] == 0 and ('r:r', path) in reading['entries']
