# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AppArmor rendering: presets (golden files, checked by the real apparmor_parser), every
rule kind, the complain-mode transform, merging and every spec error path."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
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
            assert template.render(apparmor=parts) == a.join(parts)


def test_userns_rules_only_where_the_parser_mediates_userns():
    spec = {'name': 'c', 'preset': 'container-strict'}
    assert '  audit deny userns,\n' in a.render(spec, features={'userns': True})
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
    ({'name': 'p', 'files': [{'path': '/a,b', 'perms': 'r'}]}, 'files[0].path', 'commas only inside'),
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
    ({'name': 'p', 'ptrace': [{'peer': 'a b'}]}, 'ptrace[0].peer', 'not a profile name'),
    ({'name': 'p', 'mount': [{'options': ['ro;rm']}]}, 'mount[0].options[0]', 'not a mount option'),
    ({'name': 'p', 'flags': ['complain']}, 'flags[0]', 'the mode sets complain'),
    ({'name': 'p', 'includes': ['../etc/passwd']}, 'includes[0]', 'not an include name'),
    ({'name': 'p', 'extra_rules': ['} evil {']}, 'extra_rules[0]', 'without braces'),
    ({'name': 'p', 'files': [{'path': '/x', 'perms': 'r', 'quiet': True}]}, 'files[0].quiet', 'only a deny rule'),
    ({'name': 'p', 'network': [{'deny': True, 'quiet': True, 'audit': True}]}, 'network[0].quiet', 'both audit'),
    ({'name': 'p', 'abi': 'abi 3'}, 'abi', 'not an abi name'),
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
    text = a.render({'name': 'x', 'preset': preset}, features={'userns': True})
    assert block == [line.strip() for line in text.splitlines() if 'deny' in line]
