#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

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
  - The file is written atomically, C(0644) root:root. When O(path) is a symlink to a regular file, that file is
    rewritten and the link kept; a dangling link is refused.
  - The results passed in are checked first; a result of the wrong shape (for example O(seccomp=[{}])) fails
    with one sentence naming it (C(seccomp[0].name must be a profile name ...)). Top-level fields of the
    previous record with the wrong type are dropped with a warning.
  - Each undo item carries the sha256 of its file as the run left it; the rollback removes a file the run
    made only while it still has that hash.
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
    description: The record file. Its directory is made (C(0755)) when it is missing (not in check mode).
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
  podman:
    description: The result of M(confine.hardening.podman_containers_conf) in this run, for the undo log.
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
      - Runtime settings the run applied (for example the Docker daemon-wide default profile, or podman's
        host-wide default and the sha256 of its drop-in, which a later run needs to remove that file).
      - A key whose value is null keeps the value the record had (so a backup made by an earlier run stays
        recorded on a run that made none).
    type: dict
    default: {}
  lock_timeout:
    description:
      - How many seconds to wait for another task that is reading and rewriting the same record (a short
        C(flock) on the record's directory; nothing is created for it). The whole run is serialised by
        M(confine.hardening.hardening_lock).
    type: int
    default: 60
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
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils import _jsonio as jsonio
from ansible_collections.confine.hardening.plugins.module_utils import _lock as lock
from ansible_collections.confine.hardening.plugins.module_utils import _podman_conf as podman_conf
from ansible_collections.confine.hardening.plugins.module_utils import _undo as undo
from ansible_collections.confine.hardening.plugins.module_utils._common import NAME_RE, ModuleError, diff_entry, run_module

RecordError = ModuleError


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def read_record(path):
    """The record as it is ({} when there is none, or it cannot be read)."""
    return fileio.read_json_object(path) or {}


# The shapes a previous record's top-level fields must have; anything else is dropped
# (with a warning) rather than trusted: the record is on the host, so it is input.
RECORD_SHAPES = {'profiles': list, 'runtime': dict, 'undo': list, 'stage': str, 'stage_since': str,
                 'updated_at': str, 'audit_lost_at_stage_start': dict, 'collection': dict}


def sanitised(previous, warn=None):
    out = {}
    for key, value in previous.items():
        shape = RECORD_SHAPES.get(key)
        if shape is not None and not isinstance(value, shape):
            if warn:
                warn('the previous record\'s %s is a %s, not a %s; it was dropped'
                     % (key, type(value).__name__, shape.__name__))
            continue
        out[key] = value
    out['profiles'] = [p for p in out.get('profiles') or []
                       if isinstance(p, dict) and isinstance(p.get('kind'), str) and isinstance(p.get('name'), str)]
    return out


def _str_list(value, field):
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RecordError('%s must be a list of paths' % field)
    return value


def aa_file(result):
    """The profile file of an apparmor_profile result (``profile_file`` from 0.2.0, ``path`` before)."""
    return result.get('profile_file', result.get('path'))


def check_results(params):
    """Every result passed in has the shape its module returns; RecordError naming the field otherwise."""
    for kind in ('seccomp', 'apparmor'):
        for index, result in enumerate(params[kind]):
            field = '%s[%d]' % (kind, index)
            if not isinstance(result, dict):
                raise RecordError('%s must be a result of confine.hardening.%s_profile (a mapping), not a %s'
                                  % (field, kind, type(result).__name__))
            name = result.get('name')
            if not isinstance(name, str) or not NAME_RE.match(name):
                raise RecordError('%s.name must be a profile name (letters, digits, ".", "_", "-"), not %r'
                                  % (field, name))
            if kind == 'seccomp':
                files = result.get('files')
                if files is None:
                    files = []
                if not isinstance(files, list):
                    raise RecordError('%s.files must be a list, not a %s' % (field, type(files).__name__))
                for j, entry in enumerate(files):
                    if not isinstance(entry, dict) or not isinstance(entry.get('path'), str):
                        raise RecordError('%s.files[%d] must be a mapping with a path' % (field, j))
                for key in ('backup_files', 'created', 'replaced'):
                    _str_list(result.get(key), '%s.%s' % (field, key))
            elif result.get('state', 'present') == 'present' or 'existed' in result:
                if not isinstance(aa_file(result), str):
                    raise RecordError('%s.profile_file must be the path of the profile file' % field)
                if result.get('backup_file') is not None and not isinstance(result['backup_file'], str):
                    raise RecordError('%s.backup_file must be a path' % field)
    for key in ('docker', 'kubelet', 'podman'):
        value = params.get(key) or {}
        for sub in ('path', 'backup_file', 'backup'):
            if value.get(sub) not in (None, '') and not isinstance(value.get(sub), str):
                raise RecordError('%s.%s must be a path' % (key, sub))
    for key in ('runtime', 'extra'):
        problem = jsonio.json_problem(params.get(key) or {}, key)
        if problem:
            raise RecordError(problem)


def hashed(path):
    try:
        data = fileio.read_bytes(path)
    except fileio.NotRegularFile as exc:
        raise RecordError('%s; the record hashes regular files only' % exc.strerror)
    return None if data is None else fileio.sha256(data)


def seccomp_entry(result, stage):
    files = [{'path': f['path'], 'target': f.get('target'), 'sha256': hashed(f['path'])}
             for f in result.get('files') or []]
    entry = {'kind': 'seccomp', 'name': result['name'], 'mode': result.get('mode'), 'stage': stage,
             'preset': result.get('preset'),
             'targets': sorted(set(f['target'] for f in files if isinstance(f['target'], str))),
             'files': files, 'owner': result.get('owner'), 'source': result.get('source'),
             'backup': result.get('backup_files') or []}
    if result.get('runtime_default'):
        # which runtime's default (and version) a runtime-default profile follows, and how it was chosen
        entry['runtime_default'] = result['runtime_default']
        entry['runtime_default_source'] = result.get('runtime_default_source')
    return entry


def apparmor_entry(result, stage):
    path = aa_file(result)
    return {'kind': 'apparmor', 'name': result['name'], 'mode': result.get('mode'), 'stage': stage,
            'kernel_mode': result.get('kernel_mode'), 'targets': ['kernel'],
            'files': [{'path': path, 'target': 'apparmor', 'sha256': hashed(path)}],
            'owner': result.get('owner'), 'source': result.get('source'),
            'backup': [result['backup_file']] if result.get('backup_file') else []}


def same_install(a, b):
    keys = ('files', 'mode', 'kernel_mode', 'owner', 'source', 'preset', 'targets', 'stage')
    return all(a.get(k) == b.get(k) for k in keys)


def with_hashes(items):
    """Each undo item with the sha256 of its file as this run left it: hardening_restore removes a file
    the run made only while it still has that hash (issue 11 item 8)."""
    for item in items:
        if isinstance(item, dict) and 'sha256' not in item and isinstance(item.get('path'), str):
            item['sha256'] = hashed(item['path'])
    return items


def build(params, previous, warn=None):
    check_results(params)
    previous = sanitised(previous, warn)
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
    items = with_hashes(undo.from_results(params['seccomp'], params['apparmor'], params.get('docker'),
                                          params.get('kubelet')) + podman_conf.undo_items(params.get('podman')))
    record['undo'] = items if items else previous.get('undo') or []
    ignore = ('updated_at', 'undo')
    unchanged = dict(previous, **dict.fromkeys(ignore)) == dict(record, **dict.fromkeys(ignore)) and not items
    record['updated_at'] = previous.get('updated_at', stamp) if unchanged else stamp
    return record, bool(items)


def add_record_undo(record, path, before, backup_dir, check_mode):
    """The record's own previous version joins the undo log of a run that changed something.

    The copy gets a name no other backup has (``_fileio.write_backup``: two runs within one
    second no longer share a backup name, issue 11 item 11)."""
    item = {'kind': 'record', 'name': os.path.basename(path), 'path': path, 'existed': before is not None,
            'backup': None, 'changed_file': True}
    if before is not None:
        target = os.path.join(backup_dir, os.path.basename(path))
        if check_mode:
            item['backup'] = fileio.backup_name(target, tilde=False)
        else:
            item['backup'] = fileio.write_backup(target, before, 0o644, tilde=False)
    record['undo'] = record['undo'] + [item]


def run(module):
    params = module.params
    path = params['path']
    try:
        real = fileio.resolve_in_place(path, 'path')
        before = fileio.read_bytes(real)
    except fileio.NotRegularFile as exc:
        raise RecordError('path: %s; the record is only ever written as a regular file' % exc.strerror)
    previous = read_record(real)
    if before is not None and not previous and before.strip():
        module.warn('the previous record %s is not a JSON object; it is replaced (its copy is kept in %s)'
                    % (path, params['backup_dir']))
    problem = jsonio.json_problem(previous, 'record')
    if problem:
        module.warn('the previous record %s cannot be written back as JSON (%s); it is replaced (its copy is kept '
                    'in %s)' % (path, problem, params['backup_dir']))
        previous = {}
    record, fresh = build(params, previous, module.warn)
    if fresh:
        try:
            add_record_undo(record, path, before, params['backup_dir'], module.check_mode)
        except (IOError, OSError) as exc:
            raise RecordError('hardening record: copying the previous record to %s failed: %s'
                              % (params['backup_dir'], exc))
    try:
        data = jsonio.dumps_checked(record, 'record')
    except ValueError as exc:
        raise RecordError('hardening record: %s; nothing was written' % exc)
    attrs = fileio.file_mode(real)
    changed = before != data or attrs is None or attrs[0] != 0o644
    result = dict(changed=changed, record=record, path=path)
    if module._diff and changed:
        result['diff'] = diff_entry(path, before, data)
    if changed and not module.check_mode:
        try:
            fileio.write_atomic(real, data, 0o644)
        except (IOError, OSError) as exc:
            raise RecordError('hardening record: writing %s failed: %s' % (path, exc))
    return result


def argument_spec():
    return dict(
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
        podman=dict(type='dict', default={}),
        lock_timeout=dict(type='int', default=60),
    )


def locked_run(module):
    """``run`` under a short lock on the record's directory (nothing is created for it).

    The run-long lease is confine.hardening.hardening_lock; this covers one read, merge and write.
    The record's directory is made (0755) when it is missing, not in check mode."""
    directory = os.path.dirname(module.params['path'])
    if directory and not module.check_mode and not os.path.isdir(directory):
        os.makedirs(directory, 0o755, exist_ok=True)
        os.chmod(directory, 0o755)
    with lock.dir_lock(os.path.dirname(module.params['path']) or '.', module.params['lock_timeout'],
                       'the governance record'):
        return run(module)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, locked_run)


if __name__ == '__main__':
    main()
