#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: hardening_record
short_description: Write the governance record of the profiles on a host
version_added: 0.1.0
description:
  - Writes C(/etc/ansible/facts.d/confine_hardening.fact), a JSON record of every profile the collection manages
    on the host. For each profile it records the kind, name, targets, files with their sha256 (hashed again on
    the host, not copied from the task), mode, stage, owner, source, when it was installed, and the backup to
    roll back to. It also records the collection version and the runtime settings it applied.
  - The next run reads the record as C(ansible_local.confine_hardening) (fact gathering reads C(facts.d)).
  - A profile whose files and mode did not change keeps its C(installed_at) and backup, so an idempotent run
    leaves the record byte for byte unchanged and reports no change.
  - The file is written atomically, C(0644) root:root.
  - The record keeps the stage and when it began (C(stage_since)); the promotion gate counts observation time
    and events from there.
  - It also keeps the undo log of the last run that changed something (C(undo)), that is each file that run made,
    replaced or removed, with its backup, and the previous version of the record itself (copied to
    O(backup_dir)). M(confine.hardening.hardening_restore) with O(confine.hardening.hardening_restore#module:record)
    applies it. A run that changes nothing keeps the undo log it found.
author:
  - confine.hardening contributors (@confine)
options:
  path:
    description: The record file.
    type: path
    default: /etc/ansible/facts.d/confine_hardening.fact
  stage:
    description: The rollout stage of this run.
    type: str
    choices: [observe, enforce]
    required: true
  collection_version:
    description: The version of confine.hardening that ran.
    type: str
    required: true
  seccomp:
    description: The RV(confine.hardening.seccomp_profile#module:profiles) results of the run.
    type: list
    elements: dict
    default: []
  apparmor:
    description: The RV(confine.hardening.apparmor_profile#module:profiles) results of the run.
    type: list
    elements: dict
    default: []
  docker:
    description: The result of M(confine.hardening.docker_daemon) in this run, for the undo log.
    type: dict
    default: {}
  kubelet:
    description:
      - The result of the kubelet config edit in this run (C(ansible.builtin.lineinfile) with C(backup=true)),
        with C(path) added, for the undo log.
    type: dict
    default: {}
  backup_dir:
    description: Where the previous version of the record is copied when the run changed something.
    type: path
    default: /var/lib/confine/record
  audit_lost:
    description:
      - The kernel's lost-audit-record counter now (from M(confine.hardening.promotion_gate)). The record keeps
        its value at the start of the stage, with O(boot_id), so the gate can tell whether records were lost
        while observing.
    type: int
  boot_id:
    description: The kernel's boot id now; the lost-record counter starts again at each boot.
    type: str
  extra:
    description: More top-level keys to keep in the record (for example the promotion gate's decision).
    type: dict
    default: {}
  runtime:
    description:
      - Runtime settings the run applied (for example the Docker daemon-wide default profile).
      - A key whose value is null keeps the value the record had (so a backup made by an earlier run stays
        recorded on a run that made none).
    type: dict
    default: {}
extends_documentation_fragment:
  - confine.hardening.attributes
"""

EXAMPLES = r"""
- name: Record what this run installed
  confine.hardening.hardening_record:
    stage: enforce
    collection_version: 0.1.0
    seccomp: "{{ seccomp_result.profiles }}"
    apparmor: "{{ apparmor_result.profiles }}"
"""

RETURN = r"""
record:
  description: The record as written.
  returned: always
  type: dict
  sample:
    collection: {name: confine.hardening, version: 0.1.0}
    stage: enforce
    stage_since: '2026-11-24T10:00:00+00:00'
    undo:
      - {kind: apparmor, name: web, path: /etc/apparmor.d/web, existed: false, backup: null, changed_file: true}
    profiles:
      - {kind: apparmor, name: web, mode: enforce, files: [{path: /etc/apparmor.d/web, sha256: 5d41...}]}
path:
  description: The record file.
  returned: always
  type: str
  sample: /etc/ansible/facts.d/confine_hardening.fact
"""

import datetime
import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils import _undo as undo


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def read_record(path):
    """The record as it is ({} when there is none, or it cannot be read)."""
    return fileio.read_json_object(path) or {}


def hashed(path):
    data = fileio.read_bytes(path)
    return None if data is None else fileio.sha256(data)


def seccomp_entry(result, stage):
    files = [{'path': f['path'], 'target': f.get('target'), 'sha256': hashed(f['path'])}
             for f in result.get('files') or []]
    return {'kind': 'seccomp', 'name': result['name'], 'mode': result.get('mode'), 'stage': stage,
            'preset': result.get('preset'), 'targets': sorted(set(f['target'] for f in files if f['target'])),
            'files': files, 'owner': result.get('owner'), 'source': result.get('source'),
            'backup': result.get('backup_files') or []}


def apparmor_entry(result, stage):
    path = result['path']
    return {'kind': 'apparmor', 'name': result['name'], 'mode': result.get('mode'), 'stage': stage,
            'kernel_mode': result.get('kernel_mode'), 'targets': ['kernel'],
            'files': [{'path': path, 'target': 'apparmor', 'sha256': hashed(path)}],
            'owner': result.get('owner'), 'source': result.get('source'),
            'backup': [result['backup_file']] if result.get('backup_file') else []}


def same_install(a, b):
    keys = ('files', 'mode', 'kernel_mode', 'owner', 'source', 'preset', 'targets', 'stage')
    return all(a.get(k) == b.get(k) for k in keys)


def build(params, previous):
    old = dict(((p.get('kind'), p.get('name')), p) for p in previous.get('profiles') or [] if isinstance(p, dict))
    stamp = now()
    profiles = []
    entries = [seccomp_entry(r, params['stage']) for r in params['seccomp'] if r.get('state', 'present') == 'present']
    entries += [apparmor_entry(r, params['stage']) for r in params['apparmor'] if r.get('state', 'present') == 'present']
    for entry in entries:
        before = old.get((entry['kind'], entry['name']))
        if before and same_install(before, entry):
            entry['installed_at'] = before.get('installed_at', stamp)
            entry['backup'] = entry['backup'] or before.get('backup') or []
        else:
            entry['installed_at'] = stamp
            if before and not entry['backup']:
                entry['backup'] = before.get('backup') or []
        profiles.append(entry)
    profiles.sort(key=lambda p: (p['kind'], p['name']))
    runtime = dict(previous.get('runtime') or {})
    for key, value in params['runtime'].items():
        if value is not None or key not in runtime:
            runtime[key] = value
    same_stage = previous.get('stage') == params['stage'] and previous.get('stage_since')
    record = {'collection': {'name': 'confine.hardening', 'version': params['collection_version']},
              'stage': params['stage'], 'stage_since': previous['stage_since'] if same_stage else stamp,
              'runtime': runtime, 'profiles': profiles}
    if same_stage and 'audit_lost_at_stage_start' in previous:
        record['audit_lost_at_stage_start'] = previous['audit_lost_at_stage_start']
    elif params.get('audit_lost') is not None:
        record['audit_lost_at_stage_start'] = {'lost': params['audit_lost'], 'boot_id': params.get('boot_id')}
    record.update(params.get('extra') or {})
    items = undo.from_results(params['seccomp'], params['apparmor'], params.get('docker'), params.get('kubelet'))
    record['undo'] = items if items else previous.get('undo') or []
    ignore = ('updated_at', 'undo')
    unchanged = dict(previous, **dict.fromkeys(ignore)) == dict(record, **dict.fromkeys(ignore)) and not items
    record['updated_at'] = previous.get('updated_at', stamp) if unchanged else stamp
    return record, bool(items)


def add_record_undo(record, path, before, backup_dir, check_mode):
    """The record's own previous version joins the undo log of a run that changed something."""
    item = {'kind': 'record', 'name': os.path.basename(path), 'path': path, 'existed': before is not None,
            'backup': None, 'changed_file': True}
    if before is not None:
        item['backup'] = fileio.backup_path(os.path.join(backup_dir, os.path.basename(path))).rstrip('~')
        if not check_mode:
            fileio.write_atomic(item['backup'], before, 0o644)
    record['undo'] = record['undo'] + [item]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', default='/etc/ansible/facts.d/confine_hardening.fact'),
            stage=dict(type='str', required=True, choices=['observe', 'enforce']),
            collection_version=dict(type='str', required=True),
            seccomp=dict(type='list', elements='dict', default=[]),
            apparmor=dict(type='list', elements='dict', default=[]),
            runtime=dict(type='dict', default={}),
            docker=dict(type='dict', default={}),
            backup_dir=dict(type='path', default='/var/lib/confine/record'),
            extra=dict(type='dict', default={}),
            audit_lost=dict(type='int'),
            boot_id=dict(type='str'),
            kubelet=dict(type='dict', default={}),
        ),
        supports_check_mode=True,
    )
    path = module.params['path']
    before = fileio.read_bytes(path)
    previous = read_record(path)
    record, fresh = build(module.params, previous)
    if fresh:
        try:
            add_record_undo(record, path, before, module.params['backup_dir'], module.check_mode)
        except (IOError, OSError) as exc:
            module.fail_json(msg='hardening record: copying the previous record to %s failed: %s'
                                 % (module.params['backup_dir'], exc))
    data = (json.dumps(record, indent=2, sort_keys=True) + '\n').encode('utf-8')
    attrs = fileio.file_mode(path)
    changed = before != data or attrs is None or attrs[0] != 0o644
    result = dict(changed=changed, record=record, path=path)
    if module._diff and changed:
        result['diff'] = {'before_header': path, 'after_header': path,
                          'before': (before or b'').decode('utf-8', 'replace'), 'after': data.decode('utf-8')}
    if changed and not module.check_mode:
        try:
            fileio.write_atomic(path, data, 0o644)
        except (IOError, OSError) as exc:
            module.fail_json(msg='hardening record: writing %s failed: %s' % (path, exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
