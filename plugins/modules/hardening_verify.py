#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: hardening_verify
short_description: Check a host against its governance record
version_added: 0.4.0
description:
  - Reads the governance record M(confine.hardening.hardening_record) wrote at O(record) and checks, in one
    call, every file it lists (present, a regular file, the recorded sha256, mode C(0644)), every AppArmor
    profile it lists (loaded in the kernel in its recorded mode; a C(disabled) one not loaded at all) and,
    when the record sets Docker's daemon-wide default, that C(docker info) reports that profile.
  - Fails with one sentence per difference (all of them, not only the first), and returns them in
    RV(problems). Reads only; never changes the host.
  - The record is on the host, so it is read as untrusted input. A FIFO, device or directory where a
    recorded file should be is reported as a difference and never opened for reading; a file longer than the
    collection's read limit is too. A record that is missing, not JSON, or not an object fails in one
    sentence naming O(record).
author:
  - confine.hardening contributors (@confine)
options:
  record:
    description: The governance record (JSON).
    type: path
    default: /etc/ansible/facts.d/confine_hardening.fact
  docker:
    description:
      - Whether to ask C(docker info) for the daemon-wide default when the record sets one.
    type: bool
    default: true
  inspect:
    description:
      - Profiles to look at whether or not the record lists them (for M(confine.hardening.workload_profiles)) - the
        result says for each whether the host has it, its sha256, its mode and whether the record lists it with
        those bytes, in RV(inspected). Reads only.
    type: dict
    suboptions:
      seccomp:
        description: Seccomp profile files, absolute paths in a C(seccomp) directory (the kubelet's C(ROOT/seccomp/...)).
        type: list
        elements: path
        default: []
      apparmor:
        description: AppArmor profile names, as the kernel lists them.
        type: list
        elements: str
        default: []
  fail_on_difference:
    description:
      - Whether a difference from the record fails the task. V(false) returns the differences in RV(problems) and
        succeeds, and a missing record is then no error either (RV(record_found) says so).
    type: bool
    default: true
extends_documentation_fragment:
  - confine.hardening.attributes
attributes:
  diff_mode:
    support: none
seealso:
  - module: confine.hardening.hardening_record
"""

EXAMPLES = r"""
- name: Check the host against its governance record
  confine.hardening.hardening_verify:
    record: /etc/ansible/facts.d/confine_hardening.fact

- name: What this node has of the profiles a workload names, without failing on differences
  confine.hardening.hardening_verify:
    docker: false
    fail_on_difference: false
    inspect:
      seccomp: [/var/lib/kubelet/seccomp/profiles/web.json]
      apparmor: [web]
  register: node_profiles
"""

RETURN = r"""
problems:
  description: One sentence per difference between the host and its record (empty when it matches).
  returned: always
  type: list
  elements: str
  sample: ["/etc/docker/seccomp/web.json differs from the record (seccomp profile web)"]
record_found:
  description: Whether the record was there (with O(fail_on_difference=false), a host without one is no error).
  returned: always
  type: bool
inspected:
  description:
    - For each profile O(inspect) names, what the host has. Seccomp, by path - C(present), C(sha256), C(mode) (the
      record's C(enforce) or C(log) when the record lists these bytes, else C(unknown)), C(recorded). AppArmor, by
      name - C(loaded) (the kernel's mode, or null), C(sha256) (of the recorded file), C(recorded). C(runtime) - the
      container runtime whose socket is there (C(containerd) or C(cri-o)), or null.
  returned: when O(inspect) is given
  type: dict
  sample:
    seccomp: {/var/lib/kubelet/seccomp/profiles/web.json: {present: true, sha256: 5d41..., mode: enforce, recorded: true}}
    apparmor: {web: {loaded: enforce, sha256: 7f3a..., recorded: true}}
    runtime: containerd
checked:
  description: What was checked.
  returned: always
  type: dict
  sample: {files: 12, apparmor: 5, docker_default: web}
"""

import json
import os
import posixpath
import re
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_host as aa_host
from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils._common import NAME_RE, ModuleError, run_module


def argument_spec():
    return dict(record=dict(type='path', default='/etc/ansible/facts.d/confine_hardening.fact'),
                docker=dict(type='bool', default=True),
                inspect=dict(type='dict', options=dict(seccomp=dict(type='list', elements='path', default=[]),
                                                       apparmor=dict(type='list', elements='str', default=[]))),
                fail_on_difference=dict(type='bool', default=True))


SECCOMP_MODES = ('enforce', 'log')


def inspect_seccomp(path, profiles):
    if not path.startswith('/') or posixpath.normpath(path) != path or 'seccomp' not in path.split('/')[:-1]:
        raise ModuleError('inspect.seccomp: %s is not an absolute, normalised path in a seccomp directory' % printable(path))
    try:
        data = fileio.read_bytes(path)
    except fileio.NotRegularFile:
        data = None
    if data is None:
        return {'present': False, 'sha256': None, 'mode': None, 'recorded': False}
    digest = fileio.sha256(data)
    mode, recorded = 'unknown', False
    for profile in profiles:
        files = profile.get('files') if isinstance(profile.get('files'), list) else []
        if profile.get('kind') == 'seccomp' and [f for f in files if isinstance(f, dict) and f.get('path') == path
                                                 and f.get('sha256') == digest]:
            recorded = True
            mode = profile.get('mode') if profile.get('mode') in SECCOMP_MODES else 'unknown'
    return {'present': True, 'sha256': digest, 'mode': mode, 'recorded': recorded}


def inspect_apparmor(name, profiles, loaded):
    sha, recorded = None, False
    for profile in profiles:
        files = profile.get('files') if isinstance(profile.get('files'), list) else []
        if profile.get('kind') == 'apparmor' and profile.get('name') == name and files and isinstance(files[0], dict):
            recorded = True
            sha = files[0].get('sha256') if isinstance(files[0].get('sha256'), str) else None
    return {'loaded': loaded.get(name), 'sha256': sha, 'recorded': recorded}


CRI_SOCKETS = (('containerd', '/run/containerd/containerd.sock'), ('cri-o', '/run/crio/crio.sock'))


def cri_runtime():
    """The container runtime a kubelet on this host would talk to, by its socket (None when there is none)."""
    for name, path in CRI_SOCKETS:
        try:
            if stat.S_ISSOCK(os.stat(path).st_mode):
                return name
        except OSError:
            continue
    return None


def inspect(spec, profiles):
    out = {'seccomp': {}, 'apparmor': {}, 'runtime': cri_runtime()}
    for path in spec.get('seccomp') or []:
        out['seccomp'][path] = inspect_seccomp(path, profiles)
    names = spec.get('apparmor') or []
    loaded = aa_host.loaded_profiles() if names else {}
    for name in names:
        out['apparmor'][name] = inspect_apparmor(name, profiles, loaded)
    return out


def read_record(path):
    try:
        record = fileio.read_json_object(path)
    except fileio.NotRegularFile as exc:
        raise ModuleError('record: %s; nothing was changed' % exc.strerror)
    if record is None:
        raise ModuleError('record: %s is missing, unreadable or not a JSON object, so there is nothing to verify '
                          'against' % path)
    profiles = record.get('profiles')
    if not isinstance(profiles, list):
        raise ModuleError('record: %s has no list of profiles' % path)
    return record, [p for p in profiles if isinstance(p, dict)]


def printable(value):
    """A record value in a message: its repr when it is not a plain, printable string."""
    return value if isinstance(value, str) and value.isprintable() and len(value) <= 256 else repr(value)[:256]


def file_problem(profile, entry):
    """None when the recorded file matches, else the sentence saying how it differs."""
    path = entry.get('path') if isinstance(entry, dict) else None
    owner = '%s profile %s' % (printable(profile.get('kind')), printable(profile.get('name')))
    if not isinstance(path, str) or not path.startswith('/'):
        return 'the record lists a file that is not an absolute path (%s): %s' % (owner, printable(path))
    try:
        data = fileio.read_bytes(path)
    except fileio.NotRegularFile as exc:
        return '%s differs from the record (%s): %s' % (printable(path), owner, exc.strerror)
    if data is None:
        return '%s differs from the record (%s): it is missing' % (printable(path), owner)
    if fileio.sha256(data) != entry.get('sha256'):
        return '%s differs from the record (%s): its sha256 is not the recorded one' % (printable(path), owner)
    mode = fileio.file_mode(path)
    mode = '%04o' % mode[0] if mode else 'unknown'
    if mode != '0644':
        return '%s differs from the record (%s): its mode is %s, not 0644' % (printable(path), owner, mode)
    return None


def apparmor_problem(profile, loaded):
    name, mode = profile.get('name'), profile.get('mode')
    if mode == 'disabled':
        if name in loaded:
            return 'AppArmor profile %s is not loaded in disabled mode: the kernel has it in %s' % (
                printable(name), loaded[name])
        return None
    if loaded.get(name) != mode:
        return 'AppArmor profile %s is not loaded in %s mode (the kernel: %s)' % (
            printable(name), printable(mode), loaded.get(name, 'not loaded'))
    return None


def docker_problem(module, name):
    docker = module.get_bin_path('docker')
    if docker is None:
        return 'docker info does not report %s as the default seccomp profile: docker is not installed' % name
    rc, out, err = module.run_command([docker, 'info', '--format', '{{json .SecurityOptions}}'])
    if rc != 0:
        return 'docker info does not report %s as the default seccomp profile: docker info failed (%s)' % (
            name, printable((err or out).strip()[:200]))
    try:
        options = json.loads(out)
    except ValueError:
        options = None
    wanted = re.compile(r'profile=.*/%s\.json$' % re.escape(name))
    if not isinstance(options, list) or len([o for o in options if isinstance(o, str) and wanted.search(o)]) != 1:
        return 'docker info does not report %s as the default seccomp profile' % name
    return None


def run(module):
    params = module.params
    try:
        record, profiles = read_record(params['record'])
    except ModuleError as exc:
        if params.get('fail_on_difference', True) or 'is missing' not in exc.msg:
            raise
        result = dict(changed=False, problems=[exc.msg], record_found=False, checked={'files': 0, 'apparmor': 0})
        if params.get('inspect') is not None:
            result['inspected'] = inspect(params['inspect'], [])
        return dict(result, msg=exc.msg)
    result = check(module, record, profiles)
    if params.get('inspect') is not None:
        result['inspected'] = inspect(params['inspect'], profiles)
    if result['problems'] and params.get('fail_on_difference', True):
        raise ModuleError(result.pop('msg'), **result)
    return result


def check(module, record, profiles):
    problems, files = [], 0
    for profile in profiles:
        for entry in profile.get('files') if isinstance(profile.get('files'), list) else []:
            files += 1
            problems.append(file_problem(profile, entry))
    apparmor = [p for p in profiles if p.get('kind') == 'apparmor']
    if apparmor:
        loaded = aa_host.loaded_profiles()
        problems.extend(apparmor_problem(p, loaded) for p in apparmor)
    runtime = record.get('runtime') if isinstance(record.get('runtime'), dict) else {}
    default = runtime.get('docker_default_seccomp')
    default = default if isinstance(default, str) and NAME_RE.match(default) else ''
    if default and module.params['docker']:
        problems.append(docker_problem(module, default))
    problems = [p for p in problems if p]
    result = dict(changed=False, problems=problems, record_found=True,
                  checked={'files': files, 'apparmor': len(apparmor), 'docker_default': default or None})
    if problems:
        result['msg'] = '%d difference%s from the record: %s' % (
            len(problems), '' if len(problems) == 1 else 's', '; '.join(problems))
        return result
    result['msg'] = 'the host matches its record: %d files, %d AppArmor profiles%s' % (
        files, len(apparmor), ', Docker default %s' % default if default and module.params['docker'] else '')
    return result


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, run)


if __name__ == '__main__':
    main()
