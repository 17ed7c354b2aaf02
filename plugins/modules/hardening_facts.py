#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: hardening_facts
short_description: What a host offers for seccomp, AppArmor and container runtimes
version_added: 0.1.0
description:
  - Returns, in one call, the facts the C(host_hardening) role's preflight decides on.
    Seccomp is checked through the kernel's support and its available actions
    (C(/proc/sys/kernel/seccomp/actions_avail)), with the libseccomp version. AppArmor is checked for being built in,
    enabled and mounted, with C(apparmor_parser) installed, its version, the ABIs it can compile against (the
    numbered files of C(/etc/apparmor.d/abi)) and what the kernel mediates (C(apparmor/features)).
    Docker, containerd, podman, runc and the kubelet are checked for presence (binary), activity (systemd
    unit) and configuration files (for the kubelet's, also whether its last C(seccompDefault) line already
    sets it to C(true), so the role's edit of it can be left out); Docker,
    containerd, podman and runc also for their version (the binary's C(--version)), which
    M(confine.hardening.seccomp_profile) reads to choose the runtime default it follows.
  - Reads only; never changes the host, apart from the lease of O(lock).
  - With O(lock), the host's lease for one run of the collection at a time is taken first, before anything
    is read, exactly as M(confine.hardening.hardening_lock) takes it (waiting for another run, taking over a
    stale lease with a warning; looked at but not taken in check mode). The C(host_hardening) role takes it
    here and gives it back with M(confine.hardening.hardening_report), so a run makes two module calls fewer.
    Taking it never counts as a change.
author:
  - confine.hardening contributors (@confine)
options:
  kubelet_config:
    description: The kubelet's configuration file.
    type: path
    default: /var/lib/kubelet/config.yaml
  record:
    description:
      - The governance record an earlier run wrote (M(confine.hardening.hardening_record)). When it is
        given, what that run set on the host-wide runtime configuration is returned under C(record), so
        the role needs no fact gathering to read it back.
      - Only the two strings below are taken from it, each checked for its form; a record that is
        missing, not JSON or not an object reads as no record. A FIFO, device or directory there
        fails the task in one sentence and is never read.
    type: path
  lock:
    description:
      - Take the host's lease first (the options of M(confine.hardening.hardening_lock), without its O(confine.hardening.hardening_lock#module:state)).
        A lease held by another run for longer than O(lock.timeout) fails the task in one sentence naming the
        holder; nothing is read then.
    type: dict
    suboptions:
      path:
        description: The lease file. Its directory is made if it is missing (not in check mode).
        type: path
        default: /var/lib/confine/lock.json
      run_id:
        description: Who holds the lock. The role makes one per play and host.
        type: str
        required: true
      controller:
        description: The controller host the run comes from, for the message another run shows while it waits.
        type: str
        default: ''
      host:
        description: The inventory name of the host, for the same message.
        type: str
        default: ''
      timeout:
        description: How many seconds to wait for a lease held by another run before failing.
        type: int
        default: 300
      max_age:
        description: A lease older than this many seconds is taken over, with a warning.
        type: int
        default: 3600
extends_documentation_fragment:
  - confine.hardening.attributes
attributes:
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Look at the host
  confine.hardening.hardening_facts:

- name: Show them
  ansible.builtin.debug:
    var: ansible_facts.confine_hardening_host

- name: Take the host's lease and look at the host in one module run
  confine.hardening.hardening_facts:
    lock:
      path: /var/lib/confine/lock.json
      run_id: "{{ run_id }}"
      host: "{{ inventory_hostname }}"
  register: lock     # lock.acquired; give it back with hardening_report's lock option, or hardening_lock
"""

RETURN = r"""
ansible_facts:
  description: Facts under C(confine_hardening_host).
  returned: always
  type: complex
  contains:
    confine_hardening_host:
      description: seccomp, apparmor and runtimes.
      type: dict
      sample:
        seccomp: {supported: true, actions: [kill_process, kill_thread, trap, errno, user_notif, trace, log, allow],
                  libseccomp: 2.6.0}
        apparmor: {available: true, reason: null, parser_version: 4.1.0,
                   abi: {files: [abi/3.0, abi/4.0], kernel: {userns: true, mqueue: false, io_uring: true,
                         network_v8: true, af_unix: false, policy: [v5, v6, v7, v8]}}}
        runtimes:
          docker: {present: true, active: true, path: /usr/sbin/dockerd, version: 26.1.5+dfsg1}
          containerd: {present: true, active: true, path: /usr/bin/containerd, version: 1.7.24~ds1}
          podman: {present: true, active: false, path: /usr/bin/podman, version: 5.4.2}
          runc: {present: true, active: false, path: /usr/sbin/runc, version: 1.1.15+ds1}
          kubelet: {present: false, active: false, path: null, config: null, seccomp_default: false}
        host: {machine: x86_64, kernel: 6.12.57+deb13-amd64}
        record: {present: true, docker_default_seccomp: web, podman_containers_conf_sha256: ''}
acquired:
  description: Whether this run holds the lease after the task (false in check mode). As
    M(confine.hardening.hardening_lock) returns it.
  returned: when O(lock) is given
  type: bool
  sample: true
lock_file:
  description: The lease file.
  returned: when O(lock) is given
  type: str
  sample: /var/lib/confine/lock.json
holder:
  description: The lease as it is after the task.
  returned: when O(lock) is given
  type: dict
took_over:
  description: The stale lease this run took over (older than O(lock.max_age)), or null.
  returned: when O(lock) is given
  type: dict
waited:
  description: Seconds spent waiting for another run.
  returned: when O(lock) is given
  type: float
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_host as aa_host
from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils import _lease as lease
from ansible_collections.confine.hardening.plugins.module_utils import _runtime_versions as runtime_versions
from ansible_collections.confine.hardening.plugins.module_utils._common import NAME_RE, ModuleError, run_module

ACTIONS = '/proc/sys/kernel/seccomp/actions_avail'


def seccomp_facts():
    status = fileio.read_text('/proc/self/status') or ''
    line = [x for x in status.splitlines() if x.startswith('Seccomp:')]
    actions = (fileio.read_text(ACTIONS) or '').split()
    return {'supported': bool(line) and bool(actions), 'actions': actions}


def versioned(module, name, unit):
    """runtime() plus the binary's version (None when it is not installed or says none)."""
    facts = runtime(module, runtime_versions.BINARIES[name][0], unit)
    facts['version'] = runtime_versions.binary_version(module.get_bin_path, module.run_command, name)[1]
    return facts


def runtime(module, binary, unit):
    path = module.get_bin_path(binary, opt_dirs=['/usr/sbin', '/usr/local/bin', '/usr/bin'])
    systemctl = module.get_bin_path('systemctl')
    active = False
    if path and systemctl:
        rc, _out, _err = module.run_command([systemctl, 'is-active', '--quiet', unit])
        active = rc == 0
    return {'present': path is not None, 'active': active, 'path': path}


def argument_spec():
    return dict(kubelet_config=dict(type='path', default='/var/lib/kubelet/config.yaml'),
                record=dict(type='path'),
                lock=dict(type='dict', options=lease.options()))


RECORD_SHA256 = re.compile(r'^[0-9a-f]{64}\Z')


def recorded_runtime(path):
    """What an earlier run set host-wide, from its record: Docker's daemon-wide default (a profile
    name) and the sha256 of podman's drop-in. Anything else in the record is not read; a value of
    another form reads as unset, so a changed record can never name a path or widen what is removed."""
    try:
        record = fileio.read_json_object(path)
    except fileio.NotRegularFile as exc:
        raise ModuleError('record: %s; nothing was changed' % exc.strerror)
    runtime = (record or {}).get('runtime')
    runtime = runtime if isinstance(runtime, dict) else {}

    def checked(key, pattern):
        value = runtime.get(key)
        return value if isinstance(value, str) and pattern.match(value) else ''
    return {'present': record is not None,
            'docker_default_seccomp': checked('docker_default_seccomp', NAME_RE),
            'podman_containers_conf_sha256': checked('podman_containers_conf_sha256', RECORD_SHA256)}


def kubelet_seccomp_default(path):
    """Whether the kubelet config already says ``seccompDefault: true`` exactly where the
    role's lineinfile would write it, so that edit would change nothing: lineinfile replaces
    the last line matching ``^seccompDefault:`` unless it is ``seccompDefault: true`` and a
    newline, byte for byte. A file that cannot be read (not a regular file, longer than
    1 MiB) reads as not set, and the edit decides."""
    try:
        data = fileio.read_bytes(path, limit=1024 * 1024)
    except fileio.NotRegularFile:
        return False
    pieces = (data or b'').split(b'\n')
    # the lines as readlines() gives them: each with its newline, the last without one
    lines = [piece + b'\n' for piece in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])
    matching = [line for line in lines if line.startswith(b'seccompDefault:')]
    return bool(matching) and matching[-1] == b'seccompDefault: true\n'


def host_facts(module):
    reason = aa_host.unavailable_reason(module.get_bin_path)
    kubelet = runtime(module, 'kubelet', 'kubelet')
    config = module.params['kubelet_config']
    kubelet['config'] = config if os.path.isfile(config) else None
    kubelet['seccomp_default'] = kubelet_seccomp_default(config) if kubelet['config'] else False
    facts = {
        'seccomp': dict(seccomp_facts(),
                        libseccomp=runtime_versions.libseccomp_version(module.get_bin_path, module.run_command)),
        'apparmor': dict(aa_host.abi_summary(module, reason), available=reason is None, reason=reason),
        'runtimes': {'docker': versioned(module, 'docker', 'docker'),
                     'containerd': versioned(module, 'containerd', 'containerd'),
                     'podman': versioned(module, 'podman', 'podman.socket'),
                     'runc': versioned(module, 'runc', 'runc'),
                     'kubelet': kubelet},
        'host': {'machine': os.uname()[4], 'kernel': os.uname()[2]},
    }
    if module.params.get('record'):
        facts['record'] = recorded_runtime(module.params['record'])
    return facts


def run(module):
    spec = module.params.get('lock')
    if not spec:
        return dict(changed=False, ansible_facts={'confine_hardening_host': host_facts(module)})
    # taken before anything is read: the facts describe the host this run then holds
    taken = lease.run(dict(spec, state='acquired'), module.check_mode, module.warn, 'lock')
    taken.pop('msg', None)
    taken_now = taken.get('acquired') and not taken.pop('already', False)
    try:
        facts = host_facts(module)
    except BaseException:
        # the task fails, so the role never learns it holds the lease: give back a lease this
        # module run took (one an earlier task took stays with that task's run); the error
        # reported is the one that failed the task
        if taken_now:
            try:
                lease.run(dict(spec, state='released'), module.check_mode, module.warn, 'lock')
            except Exception:  # pylint: disable=broad-except
                pass
        raise
    return dict(taken, changed=False, ansible_facts={'confine_hardening_host': facts})


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, run)


if __name__ == '__main__':
    main()
