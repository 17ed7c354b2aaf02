"""The controller half of both profile modules, run for real: ansible-playbook on localhost
with the pinned ansible-core, every directory option pointed at a scratch directory.

One playbook (written into a tmp dir, next to a ``templates/`` dir with the user's own
templates) runs every case once; each test below reads the results it registered.

This machine's kernel has no AppArmor, so the playbook runs under bwrap with a fake
kernel side: ``/sys/module/apparmor/parameters/enabled`` says ``Y``, securityfs is a
scratch directory, and a script bound over the real ``apparmor_parser`` runs the real
parser (bound elsewhere) for everything but ``-r``, for which it checks the file with the
real parser and writes ``NAME (MODE)`` into the fake securityfs' ``profiles`` (what the
kernel would show).
Everything else is real: the action plugins, template lookup, the 2.19 templating,
AnsibleModule (its exit_json is what overwrote ``mode`` and ``state``: issue 11
item 20), check and diff mode."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from _harness import REPO_ROOT

PARSER = shutil.which('apparmor_parser') or '/usr/sbin/apparmor_parser'
BWRAP = shutil.which('bwrap')
pytestmark = [
    pytest.mark.skipif(not os.path.exists(PARSER), reason='apparmor_parser is not installed'),
    pytest.mark.skipif(BWRAP is None or os.geteuid() != 0, reason='needs bwrap run as root for the fake securityfs'),
    pytest.mark.skipif(os.path.exists('/sys/kernel/security/apparmor/profiles'),
                       reason='this host has AppArmor; the fake kernel would hide it'),
]

FAKE_PARSER = '''#!/usr/bin/python3
import re, subprocess, sys
REAL = %(real)r
args = sys.argv[1:]
if '-r' not in args:
    sys.exit(subprocess.call([REAL] + args))
path = args[-1]
proc = subprocess.run([REAL, '-QK', path], capture_output=True, text=True)
if proc.returncode:
    sys.stderr.write(proc.stderr)
    sys.exit(proc.returncode)
text = open(path).read()
name = re.search(r'^profile (\\S+)', text, re.M).group(1)
mode = 'complain' if re.search(r'flags=\\([^)]*complain', text) else 'enforce'
profiles = '/sys/kernel/security/apparmor/profiles'
loaded = dict(l.rsplit(' (', 1) for l in open(profiles).read().splitlines() if ' (' in l)
loaded[name] = mode + ')'
open(profiles, 'w').write(''.join('%%s (%%s\\n' %% kv for kv in sorted(loaded.items())))
'''

# The user's own templates, found in the playbook's templates/ dir by name.
USER_APPARMOR_TEMPLATE = '''\
{% for line in apparmor.header %}
{{ line }}
{% endfor %}
# rendered by the user's template for {{ apparmor.name }} ({{ site_label }})

abi <{{ apparmor.abi }}>,

{% for inc in apparmor.tunables %}
include <{{ inc }}>
{% endfor %}

profile {{ apparmor.name }} flags=({{ apparmor.flags | join(',') }}) {
{% for rule in apparmor.rules %}
  {{ rule }}
{% endfor %}
  {{ site_rule }}
}
'''

# A template that smuggles in a second profile: apparmor_parser -r would replace it too.
SECOND_PROFILE_TEMPLATE = USER_APPARMOR_TEMPLATE + '''
profile docker-default flags=(attach_disconnected) {
  /** rwlkmix,
}
'''

USER_SECCOMP_TEMPLATE = '''\
{{ profile | ansible.builtin.combine({'defaultErrnoRet': 38}) | ansible.builtin.to_json }}
'''

PLAYBOOK = '''\
- name: confine.hardening action plugins on localhost
  hosts: localhost
  gather_facts: false
  vars:
    aa: &aa
      apparmor_dir: "{{ root }}/apparmor.d"
      backup_dir: "{{ root }}/backups"
    sc: &sc
      targets: [docker, kubelet, containerd, bwrap]
      docker_dir: "{{ root }}/docker"
      kubelet_root: "{{ root }}/kubelet"
      containerd_dir: "{{ root }}/containerd"
      bwrap_dir: "{{ root }}/bwrap"
      state_dir: "{{ root }}/state"
    site_label: "{{ '{{' }} lookup('pipe', 'id') }}"
    site_rule: "/srv/site/** r,"
  tasks:
    # --- AppArmor ----------------------------------------------------------
    - name: The collection's own template, complain mode
      confine.hardening.apparmor_profile:
        <<: *aa
        name: web
        preset: container-default
        mode: complain
        owner: "{{ '{{' }} 7 * 7 }}"
        template: "{{ collection }}/templates/apparmor/profile.j2"
        files: [{path: /data/**, perms: rw}]
      register: aa_own
      ignore_errors: true
    - name: Enforce, in check mode with diff
      confine.hardening.apparmor_profile:
        <<: *aa
        name: web
        preset: container-default
        mode: enforce
        owner: "{{ '{{' }} 7 * 7 }}"
        files: [{path: /data/**, perms: rw}]
      check_mode: true
      diff: true
      register: aa_check
      ignore_errors: true
    - name: Enforce for real, with a backup
      confine.hardening.apparmor_profile:
        <<: *aa
        name: web
        preset: container-default
        mode: enforce
        owner: "{{ '{{' }} 7 * 7 }}"
        backup: true
        files: [{path: /data/**, perms: rw}]
      register: aa_enforce
      ignore_errors: true
    - name: The same again changes nothing
      confine.hardening.apparmor_profile:
        <<: *aa
        name: web
        preset: container-default
        mode: enforce
        owner: "{{ '{{' }} 7 * 7 }}"
        files: [{path: /data/**, perms: rw}]
      register: aa_again
      ignore_errors: true
    - name: The user's template from the playbook's templates/ dir
      confine.hardening.apparmor_profile:
        <<: *aa
        name: site
        preset: container-strict
        mode: complain
        template: site.apparmor.j2
      register: aa_user
      ignore_errors: true
    - name: Many profiles in one task
      confine.hardening.apparmor_profile:
        <<: *aa
        mode: complain
        template: site.apparmor.j2
        profiles:
          - {name: b1, preset: container-default}
          - {name: b2, preset: container-strict, mode: enforce, template: "{{ collection }}/templates/apparmor/profile.j2"}
      register: aa_batch
      ignore_errors: true
    - name: content is refused
      confine.hardening.apparmor_profile:
        <<: *aa
        name: web
        content: "profile web {}"
      register: aa_content
      ignore_errors: true
    - name: A template that is not there
      confine.hardening.apparmor_profile:
        <<: *aa
        name: web
        template: missing.j2
      register: aa_missing
      ignore_errors: true
    - name: A template that declares a second profile
      confine.hardening.apparmor_profile:
        <<: *aa
        name: smuggle
        preset: container-default
        template: second-profile.apparmor.j2
      register: aa_second
      ignore_errors: true
    - name: A value of the wrong type
      confine.hardening.apparmor_profile:
        <<: *aa
        name: web
        flags: 5
      register: aa_type
      ignore_errors: true
    - name: A spec error names the field
      confine.hardening.apparmor_profile:
        <<: *aa
        name: web
        files: [{path: relative, perms: r}]
      register: aa_spec
      ignore_errors: true
    - name: A template with a Jinja syntax error
      confine.hardening.apparmor_profile:
        <<: *aa
        name: web
        template: broken.j2
      register: aa_broken
      ignore_errors: true
    - name: A template that uses an undefined variable
      confine.hardening.apparmor_profile:
        <<: *aa
        name: web
        template: undefined.j2
      register: aa_undefined
      ignore_errors: true
    - name: Remove it
      confine.hardening.apparmor_profile:
        <<: *aa
        name: site
        state: absent
      register: aa_absent
      ignore_errors: true

    # --- seccomp -----------------------------------------------------------
    - name: seccomp, the collection's own template, in check mode with diff
      confine.hardening.seccomp_profile:
        <<: *sc
        name: svc
        preset: runtime-default
        syscalls: [{names: [mount], action: SCMP_ACT_ERRNO, errno: 38}]
        template: "{{ collection }}/templates/seccomp/oci.json.j2"
      check_mode: true
      diff: true
      register: sc_check
      ignore_errors: true
    - name: seccomp, the collection's own template
      confine.hardening.seccomp_profile:
        <<: *sc
        name: svc
        preset: runtime-default
        syscalls: [{names: [mount], action: SCMP_ACT_ERRNO, errno: 38}]
        template: "{{ collection }}/templates/seccomp/oci.json.j2"
      register: sc_own
      ignore_errors: true
    - name: seccomp, the default template gives the same file
      confine.hardening.seccomp_profile:
        <<: *sc
        name: svc
        preset: runtime-default
        syscalls: [{names: [mount], action: SCMP_ACT_ERRNO, errno: 38}]
      register: sc_default
      ignore_errors: true
    - name: seccomp, the user's template from templates/
      confine.hardening.seccomp_profile:
        <<: *sc
        name: enosys
        preset: runtime-default
        template: enosys.seccomp.j2
      register: sc_user
      ignore_errors: true
    - name: seccomp, many profiles in one task, each item's template
      confine.hardening.seccomp_profile:
        <<: *sc
        preset: runtime-default
        profiles:
          - {name: m1}
          - {name: m2, template: enosys.seccomp.j2}
      register: sc_batch
      ignore_errors: true
    - name: seccomp, content is refused
      confine.hardening.seccomp_profile:
        <<: *sc
        name: svc
        content: "{}"
      register: sc_content
      ignore_errors: true
    - name: seccomp, a template that is not there
      confine.hardening.seccomp_profile:
        <<: *sc
        name: svc
        template: missing.j2
      register: sc_missing
      ignore_errors: true

    - name: Write the results
      ansible.builtin.copy:
        content: "{{ results | to_json }}"
        dest: "{{ root }}/results.json"
        mode: "0644"
      vars:
        results:
          aa_own: "{{ aa_own }}"
          aa_check: "{{ aa_check }}"
          aa_enforce: "{{ aa_enforce }}"
          aa_again: "{{ aa_again }}"
          aa_user: "{{ aa_user }}"
          aa_batch: "{{ aa_batch }}"
          aa_content: "{{ aa_content }}"
          aa_missing: "{{ aa_missing }}"
          aa_second: "{{ aa_second }}"
          aa_type: "{{ aa_type }}"
          aa_spec: "{{ aa_spec }}"
          aa_absent: "{{ aa_absent }}"
          aa_broken: "{{ aa_broken }}"
          aa_undefined: "{{ aa_undefined }}"
          sc_batch: "{{ sc_batch }}"
          sc_check: "{{ sc_check }}"
          sc_own: "{{ sc_own }}"
          sc_default: "{{ sc_default }}"
          sc_user: "{{ sc_user }}"
          sc_content: "{{ sc_content }}"
          sc_missing: "{{ sc_missing }}"
      check_mode: false
      diff: false
'''


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    """Run the playbook once; (results by task, scratch root, output)."""
    base = tmp_path_factory.mktemp('action')
    play, root, fake = base / 'play', base / 'root', base / 'fake'
    (play / 'templates').mkdir(parents=True)
    (play / 'templates' / 'site.apparmor.j2').write_text(USER_APPARMOR_TEMPLATE)
    (play / 'templates' / 'second-profile.apparmor.j2').write_text(SECOND_PROFILE_TEMPLATE)
    (play / 'templates' / 'enosys.seccomp.j2').write_text(USER_SECCOMP_TEMPLATE)
    (play / 'templates' / 'broken.j2').write_text('{% for x in %}\n')
    (play / 'templates' / 'undefined.j2').write_text('{{ apparmor.header[0] }}\n{{ no_such_variable }}\n')
    (play / 'play.yml').write_text(PLAYBOOK)
    root.mkdir()
    (fake / 'bin').mkdir(parents=True)
    (fake / 'securityfs' / 'apparmor').mkdir(parents=True)
    (fake / 'securityfs' / 'apparmor' / 'profiles').write_text('')
    (fake / 'enabled').write_text('Y\n')
    parser = fake / 'bin' / 'apparmor_parser'
    real = fake / 'bin' / 'real-apparmor_parser'
    real.write_text('')
    parser.write_text(FAKE_PARSER % {'real': str(real)})
    parser.chmod(0o755)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / 'collections'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_PYTHON_INTERPRETER='/usr/bin/python3', ANSIBLE_LOCAL_TEMP=str(base / 'ansible-tmp'),
               ANSIBLE_REMOTE_TEMP=str(base / 'ansible-tmp'))
    env.pop('ANSIBLE_CONFIG', None)
    cmd = [BWRAP, '--dev-bind', '/', '/', '--tmpfs', '/sys/module', '--dir', '/sys/module/apparmor/parameters',
           '--ro-bind', str(fake / 'enabled'), '/sys/module/apparmor/parameters/enabled',
           '--bind', str(fake / 'securityfs'), '/sys/kernel/security',
           '--ro-bind', os.path.realpath(PARSER), str(real), '--ro-bind', str(parser), os.path.realpath(PARSER), '--',
           str(REPO_ROOT / '.venv' / 'bin' / 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
           '-e', json.dumps({'root': str(root), 'collection': str(REPO_ROOT)}), 'play.yml']
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False,
                          stdin=subprocess.DEVNULL, cwd=str(play))
    output = proc.stdout + proc.stderr
    results_file = root / 'results.json'
    assert proc.returncode == 0 and results_file.exists(), output
    kernel = (fake / 'securityfs' / 'apparmor' / 'profiles').read_text()
    return json.loads(results_file.read_text()), root, output, kernel


def ok(result):
    assert not result.get('failed'), result.get('msg')
    return result


def one_sentence(result):
    """The failure's message: one line, no traceback anywhere in the result."""
    assert result.get('failed') is True
    msg = result['msg']
    assert '\n' not in msg and 'Traceback' not in json.dumps(result)
    return msg


# --- issue 11 item 15: template: works in both modules --------------------------------

def test_apparmor_with_the_collections_own_template(run):
    results, root, dummy, kernel = run
    r = ok(results['aa_own'])
    text = (root / 'apparmor.d' / 'web').read_text()
    assert r['changed'] is True and r['profile_file'] == str(root / 'apparmor.d' / 'web')
    assert r['mode'] == 'complain' and r['kernel_mode'] == 'complain'
    # the file now is the later enforce task's; the complain one is that task's backup
    complain = Path(results['aa_enforce']['backup_file']).read_text()
    assert 'profile web flags=(attach_disconnected,mediate_deleted,complain) {' in complain
    assert 'profile web flags=(attach_disconnected,mediate_deleted) {' in text and '/data/** rw,' in text
    assert 'web (enforce)' in kernel


def test_template_variables_are_not_evaluated(run):
    # 2.19 trust model: the controller's template is trusted, the spec and vars are not
    results, root, dummy, dummy = run
    assert '# owner: {{ 7 * 7 }}' in (root / 'apparmor.d' / 'web').read_text()
    assert ok(results['aa_own'])['owner'] == '{{ 7 * 7 }}'
    site = (root / 'apparmor.d' / 'b1').read_text()
    assert "(\x7b{ lookup('pipe', 'id') }})" in site and 'uid=' not in site


def test_apparmor_with_a_user_template_from_the_playbooks_templates_dir(run):
    results, root, dummy, dummy = run
    r = ok(results['aa_user'])
    assert r['changed'] is True and r['mode'] == 'complain' and r['kernel_mode'] == 'complain'
    # site was removed by the last task; b1 was rendered by the same template
    b1 = (root / 'apparmor.d' / 'b1').read_text()
    assert "# rendered by the user's template for b1" in b1 and '  /srv/site/** r,' in b1


def test_batch_renders_each_item_with_its_own_template(run):
    results, root, dummy, kernel = run
    r = ok(results['aa_batch'])
    assert [p['name'] for p in r['profiles']] == ['b1', 'b2'] and r['changed'] is True
    assert "rendered by the user's template" not in (root / 'apparmor.d' / 'b2').read_text()
    assert [(p['mode'], p['kernel_mode'], p['state']) for p in r['profiles']] == [
        ('complain', 'complain', 'present'), ('enforce', 'enforce', 'present')]
    assert [p['profile_file'] for p in r['profiles']] == [str(root / 'apparmor.d' / n) for n in ('b1', 'b2')]
    assert 'b1 (complain)' in kernel and 'b2 (enforce)' in kernel


def test_seccomp_with_the_collections_own_and_the_default_template(run):
    results, root, dummy, dummy = run
    own, default = ok(results['sc_own']), ok(results['sc_default'])
    assert own['changed'] is True and default['changed'] is False      # the same text either way
    profile = json.loads((root / 'docker' / 'svc.json').read_text())
    assert profile['defaultAction'] == 'SCMP_ACT_ERRNO'
    assert [(s['action'], s.get('errnoRet')) for s in profile['syscalls'] if 'mount' in s['names']] == [
        ('SCMP_ACT_ERRNO', 38)]


def test_seccomp_with_a_user_template_from_the_playbooks_templates_dir(run):
    results, root, dummy, dummy = run
    ok(results['sc_user'])
    assert json.loads((root / 'docker' / 'enosys.json').read_text())['defaultErrnoRet'] == 38


def test_seccomp_batch_renders_each_item_with_its_own_template(run):
    results, root, dummy, dummy = run
    r = ok(results['sc_batch'])
    assert [p['name'] for p in r['profiles']] == ['m1', 'm2'] and r['changed'] is True
    assert 'defaultErrnoRet' not in json.loads((root / 'docker' / 'm1.json').read_text()) or \
        json.loads((root / 'docker' / 'm1.json').read_text())['defaultErrnoRet'] != 38
    assert json.loads((root / 'docker' / 'm2.json').read_text())['defaultErrnoRet'] == 38


# --- issue 11 item 20: mode, owner, state are the module's, not the file's -------------

def test_apparmor_result_keeps_its_mode_owner_and_state(run):
    results, root, dummy, dummy = run
    for key in ('aa_own', 'aa_enforce', 'aa_again'):
        r = ok(results[key])
        assert r['mode'] in ('complain', 'enforce') and r['mode'] != '0644', key
        assert r['state'] == 'present' and r['owner'] == '{{ 7 * 7 }}' and 'path' not in r, key
    assert results['aa_enforce']['mode'] == 'enforce' and results['aa_enforce']['kernel_mode'] == 'enforce'
    assert results['aa_again']['changed'] is False
    absent = ok(results['aa_absent'])
    assert absent['state'] == 'absent' and absent['changed'] is True and not (root / 'apparmor.d' / 'site').exists()


def test_apparmor_backup_is_a_new_file(run):
    results, root, dummy, dummy = run
    backup = Path(ok(results['aa_enforce'])['backup_file'])
    assert backup.parent == root / 'backups' and 'flags=(attach_disconnected,mediate_deleted,complain)' in \
        backup.read_text()


# --- check mode and diff mode through the action plugins ---------------------------------

def test_apparmor_check_mode_with_diff_writes_nothing(run):
    results, dummy, dummy, dummy = run
    r = ok(results['aa_check'])
    assert r['changed'] is True and r['kernel_mode_before'] == 'complain'
    file_diff, kernel_diff = r['diff']
    assert 'complain' in file_diff['before'] and 'flags=(attach_disconnected,mediate_deleted) {' in file_diff['after']
    assert kernel_diff['before'] == 'web (complain)\n' and kernel_diff['after'] == 'web (enforce)\n'
    # the next task still found the complain-mode file: check mode wrote nothing
    assert 'complain' in Path(ok(results['aa_enforce'])['backup_file']).read_text()


def test_seccomp_check_mode_with_diff_writes_nothing(run):
    results, dummy, dummy, dummy = run
    r = ok(results['sc_check'])
    assert r['changed'] is True and r.get('diff')
    assert ok(results['sc_own'])['changed'] is True      # the real run after it still had to write


# --- errors: one sentence, no traceback -------------------------------------------------

@pytest.mark.parametrize('key,words', [
    ('aa_content', "AppArmor profile 'web': content: is set by the action plugin from the template"),
    ('sc_content', "seccomp profile 'svc': content: is set by the action plugin from the template"),
    ('aa_missing', "AppArmor profile 'web': template: 'missing.j2' was not found on the controller (searched /"),
    ('sc_missing', "seccomp profile 'svc': template: 'missing.j2' was not found on the controller (searched /"),
    ('aa_second', 'content: the profile text must declare exactly one profile, smuggle, but it declares '
                  'docker-default, smuggle'),
    ('aa_type', 'value of flags must be one or more of'),
    ('aa_spec', "files[0].path: 'relative'"),
    ('aa_broken', "AppArmor profile 'web': template: rendering /"),
    ('aa_undefined', "AppArmor profile 'web': template: rendering /"),
])
def test_errors_are_one_sentence(run, key, words):
    results, root, dummy, kernel = run
    msg = one_sentence(results[key])
    assert words in msg
    assert not (root / 'apparmor.d' / 'smuggle').exists() and 'docker-default' not in kernel
