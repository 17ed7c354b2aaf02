#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: hardening_restore
short_description: Put a host's profiles and runtime configuration back as they were before a run
version_added: 0.1.0
description:
  - Undoes one run of the collection on a host. Every file the run made is removed, and every file it replaced
    or removed is put back from the backup taken before the change. AppArmor profiles are loaded again in the
    mode they had (or unloaded, if the run loaded them first), and their C(disable/) links are put back.
  - Two sources for what to undo. Give the results of the run's tasks (O(seccomp), O(apparmor), O(docker)) to
    undo a run that failed half way; the role does this for a host that fails during its wave. Or give
    O(record) to undo the last run that changed something, as kept in the governance record written by
    M(confine.hardening.hardening_record); the record itself goes back to its previous version, so a second
    rollback goes one more run back.
  - Every backup is checked before anything is touched; if one is missing, the module fails and changes
    nothing. A file put back keeps the mode it had (its backup's mode).
  - With O(record) on a host that has no record, there is nothing to roll back; the module says so and changes
    nothing.
  - Docker is not restarted here. RV(docker_restart_needed) tells the caller that C(daemon.json) changed.
  - Restoring replaced files needs the backups the modules take with O(confine.hardening.seccomp_profile#module:backup)
    (the role's C(host_hardening_backup), on by default).
author:
  - confine.hardening contributors (@confine)
options:
  record:
    description:
      - The governance record whose undo log to apply (an on-demand rollback).
      - Mutually exclusive with O(seccomp), O(apparmor) and O(docker).
    type: path
  seccomp:
    description: The RV(confine.hardening.seccomp_profile#module:profiles) results of the run to undo.
    type: list
    elements: dict
  apparmor:
    description: The RV(confine.hardening.apparmor_profile#module:profiles) results of the run to undo.
    type: list
    elements: dict
  docker:
    description: The result of M(confine.hardening.docker_daemon) in the run to undo.
    type: dict
  kubelet:
    description: The result of the kubelet config edit in the run to undo, with C(path) added.
    type: dict
  docker_daemon_json:
    description:
      - Docker's C(daemon.json). When a restored seccomp file is the daemon-wide default it names, dockerd needs
        a restart too (it reads that file only when it starts).
    type: path
    default: /etc/docker/daemon.json
extends_documentation_fragment:
  - confine.hardening.attributes
attributes:
  idempotent:
    support: partial
    details: With the results of a run, yes. With O(record), each call goes one more run back.
seealso:
  - module: confine.hardening.hardening_record
  - module: confine.hardening.seccomp_profile
  - module: confine.hardening.apparmor_profile
"""

EXAMPLES = r"""
- name: Roll this host back to before the last run that changed it
  confine.hardening.hardening_restore:
    record: /etc/ansible/facts.d/confine_hardening.fact
  register: rollback

- name: Restart dockerd when daemon.json went back
  ansible.builtin.systemd_service:
    name: docker
    state: restarted
  when: rollback.docker_restart_needed

- name: Undo what a failed run did (in a rescue section)
  confine.hardening.hardening_restore:
    seccomp: "{{ seccomp_result.profiles | default([]) }}"
    apparmor: "{{ apparmor_result.profiles | default([]) }}"
    docker: "{{ docker_result | default({}) }}"
"""

RETURN = r"""
restored:
  description: What was done to each file, in order.
  returned: always
  type: list
  elements: dict
  sample:
    - {kind: seccomp, name: web, path: /etc/docker/seccomp/web.json, action: restored}
    - {kind: apparmor, name: web, path: /etc/apparmor.d/web, action: removed, kernel_mode: null}
docker_restart_needed:
  description: Whether C(daemon.json) or the daemon-wide default profile changed, so dockerd must be restarted.
  returned: always
  type: bool
  sample: false
undo:
  description: The undo log that was applied.
  returned: always
  type: list
  elements: dict
msg:
  description: One sentence on the outcome.
  returned: always
  type: str
  sample: 3 files put back as they were before the run
"""

import glob
import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_host as aa_host
from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils import _undo as undo

SECURITYFS = aa_host.SECURITYFS
CACHE_GLOB = aa_host.CACHE_GLOB


class RestoreError(Exception):
    pass


def loaded_profiles():
    return aa_host.loaded_profiles(SECURITYFS)


def unload(name):
    aa_host.unload(name, SECURITYFS)


def items_from_record(path):
    data = fileio.read_bytes(path)
    if data is None:
        return None
    try:
        record = json.loads(data.decode('utf-8'))
    except ValueError as exc:
        raise RestoreError('record: %s is not valid JSON (%s)' % (path, exc))
    items = record.get('undo') if isinstance(record, dict) else None
    if not isinstance(items, list):
        raise RestoreError('record: %s has no undo log (it was written before rollback support, or by hand)' % path)
    return items


def plan(items):
    """(steps, problems): the content each file gets back (None = removed) and what cannot be done."""
    steps, problems = [], []
    for item in items:
        if not isinstance(item, dict) or not item.get('path'):
            problems.append('an undo item without a path: %r' % (item,))
            continue
        current = fileio.read_bytes(item['path'])
        if not item.get('changed_file'):
            steps.append((item, current, current))
        elif not item.get('existed'):
            steps.append((item, current, None))
        elif not item.get('backup'):
            problems.append('%s was replaced without a backup (backup was off)' % item['path'])
        else:
            data = fileio.read_bytes(item['backup'])
            if data is None:
                problems.append('the backup %s of %s is gone' % (item['backup'], item['path']))
            else:
                steps.append((item, current, data))
    return steps, problems


def apparmor_kernel(module, item, parser):
    """Load or unload the profile as it was before; return the kernel mode now."""
    name = item['name']
    loaded = loaded_profiles()
    want = item.get('kernel_mode_before')
    link = os.path.join(os.path.dirname(item['path']), 'disable', name)
    aa_host.ensure_link(link, item['path'], bool(item.get('disabled_before')) and os.path.exists(item['path']))
    if want is None or not os.path.exists(item['path']):
        if name in loaded:
            unload(name)
        if not os.path.exists(item['path']):
            for cache in glob.glob(CACHE_GLOB % name):
                os.unlink(cache)
        return loaded_profiles().get(name)
    if not parser:
        raise RestoreError('apparmor_parser is not installed, so profile %s could not be loaded again' % name)
    # the file's flags give its mode; -C forces complain when that is what the kernel had
    force = ['-C'] if want == 'complain' else []
    rc, out, err = module.run_command([parser, '-r', '-T', '-W'] + force + [item['path']])
    if rc != 0:
        raise RestoreError('apparmor_parser -r %s failed: %s' % (item['path'], (err or out).strip()))
    now = loaded_profiles().get(name)
    if now != want:
        module.warn('profile %s is loaded in %s mode after the restore, not %s as before the run'
                    % (name, now, want))
    return now


def docker_default(module):
    """The seccomp profile dockerd uses by default (daemon.json's seccomp-profile), or None."""
    return (fileio.read_json_object(module.params['docker_daemon_json']) or {}).get('seccomp-profile')


def apply(module, steps, done):
    parser = module.get_bin_path('apparmor_parser', required=False, opt_dirs=['/sbin', '/usr/sbin'])
    docker_restart = False
    # record last: if anything before it fails, the record still describes the run
    for item, current, wanted in sorted(steps, key=lambda s: s[0].get('kind') == 'record'):
        entry = {'kind': item.get('kind'), 'name': item.get('name'), 'path': item['path']}
        if current == wanted:
            entry['action'] = 'unchanged'
        elif wanted is None:
            if os.path.lexists(item['path']):
                os.unlink(item['path'])
            entry['action'] = 'removed'
        else:
            attrs = fileio.file_mode(item['backup']) if item.get('backup') else None
            fileio.write_atomic(item['path'], wanted, attrs[0] if attrs else 0o644)
            entry['action'] = 'restored'
        if item.get('kind') == 'apparmor':
            before = loaded_profiles().get(item['name'])
            entry['kernel_mode'] = apparmor_kernel(module, item, parser)
            if entry['kernel_mode'] != before and entry['action'] == 'unchanged':
                entry['action'] = 'reloaded'
        if item.get('kind') == 'docker' and current != wanted:
            docker_restart = True
        if item.get('kind') == 'seccomp' and current != wanted and item['path'] == docker_default(module):
            docker_restart = True       # dockerd reads its default profile only when it starts
        done.append(entry)
    return docker_restart


def apparmor_differs(item, loaded):
    """Whether the kernel or the disable/ link of a profile differ from before the run."""
    link = os.path.join(os.path.dirname(item['path']), 'disable', item['name'])
    return loaded.get(item['name']) != item.get('kernel_mode_before') or \
        os.path.islink(link) != bool(item.get('disabled_before'))


def run(module):
    params = module.params
    if params.get('record'):
        items = items_from_record(params['record'])
        if items is None:
            return dict(changed=False, undo=[], restored=[], docker_restart_needed=False,
                        msg='no record at %s: this host was never hardened, nothing to roll back' % params['record'])
    else:
        items = undo.from_results(params.get('seccomp'), params.get('apparmor'), params.get('docker'),
                                  params.get('kubelet'))
    steps, problems = plan(items)
    if problems:
        raise RestoreError('cannot restore, nothing was changed: %s' % '; '.join(problems))
    loaded = loaded_profiles()
    pending = [(i, c, w) for i, c, w in steps if c != w or (i.get('kind') == 'apparmor' and apparmor_differs(i, loaded))]
    result = dict(changed=bool(pending), undo=items, restored=[], docker_restart_needed=False)
    if module._diff and pending:
        result['diff'] = [{'before_header': i['path'], 'after_header': i['path'],
                           'before': (c or b'').decode('utf-8', 'replace'),
                           'after': (w or b'').decode('utf-8', 'replace')} for i, c, w in pending if c != w]
    if module.check_mode or not pending:
        result['docker_restart_needed'] = any(i.get('kind') == 'docker' or i['path'] == docker_default(module)
                                              for i, c, w in pending if c != w)
        result['msg'] = ('%d files would be put back' % len(pending)) if pending else 'nothing to restore'
        return result
    try:
        result['docker_restart_needed'] = apply(module, pending, result['restored'])
    except (RestoreError, IOError, OSError) as exc:
        raise RestoreError('restoring failed part way (%s); what was done is in restored' % exc, result)
    result['msg'] = '%d files put back as they were before the run' % len(result['restored'])
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            record=dict(type='path'),
            seccomp=dict(type='list', elements='dict'),
            apparmor=dict(type='list', elements='dict'),
            docker=dict(type='dict'),
            kubelet=dict(type='dict'),
            docker_daemon_json=dict(type='path', default='/etc/docker/daemon.json'),
        ),
        mutually_exclusive=[('record', 'seccomp'), ('record', 'apparmor'), ('record', 'docker'), ('record', 'kubelet')],
        required_one_of=[('record', 'seccomp', 'apparmor', 'docker', 'kubelet')],
        supports_check_mode=True,
    )
    try:
        result = run(module)
    except RestoreError as exc:
        extra = exc.args[1] if len(exc.args) > 1 else {}
        module.fail_json(msg=exc.args[0], **extra)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
