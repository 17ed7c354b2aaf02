#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: hardening_restore
short_description: Put a host's profiles and runtime configuration back as they were before a run
version_added: 0.1.0
description:
  - Undoes one run of the collection on a host. Every file the run made is removed, and every file it replaced
    or removed is put back from the backup taken before the change. AppArmor profiles are loaded again in the
    mode they had (or unloaded, if the run loaded them first), and their C(disable/) links are put back.
  - Two sources for what to undo. Give the results of the run's tasks (O(seccomp), O(apparmor), O(docker),
    O(kubelet), O(podman)) to
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
  - The undo log is read back from the host, so it is untrusted input. Each item is checked before anything is
    done; an item that fails a check is left as it is, warned about and listed in RV(refused), and the other
    items are applied. A name must pass the same check as a spec's name. A path must lie in the directory
    this module manages for its kind. For AppArmor that is exactly O(apparmor_dir)C(/NAME) (and its
    C(disable/) link); for seccomp a C(NAME.json) or C(NAME.ARCH.bpf) in one of O(seccomp_dirs). Docker must
    be O(docker_daemon_json), the kubelet O(kubelet_config), podman's drop-in O(podman_containers_conf), the
    record O(record). A backup must be a backup of that very file, in O(state_dir) (AppArmor, Docker, podman,
    the record) or beside the file (seccomp, the kubelet config).
  - podman has no daemon; its drop-in put back (or removed) takes effect at the next C(podman) command.
  - A file the run made is removed only while it still has the sha256 the log recorded; one changed since
    (by hand) is kept and reported. Undo logs written before 0.2.0 carry no hashes, so with O(record) such
    files are kept too (and reported).
  - O(docker_daemon_json), O(kubelet_config) and the record are rewritten in place; when one is a symlink to a
    regular file, that file is written and the link stays.
author:
  - confine.hardening contributors (@confine)
options:
  record:
    description:
      - The governance record whose undo log to apply (an on-demand rollback).
      - Mutually exclusive with O(seccomp), O(apparmor), O(docker), O(kubelet) and O(podman).
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
  podman:
    description: The result of M(confine.hardening.podman_containers_conf) in the run to undo.
    type: dict
  podman_containers_conf:
    description: podman's containers.conf drop-in; the only path a C(podman) item of the undo log may have.
    type: path
    default: /etc/containers/containers.conf.d/50-confine-hardening.conf
  docker_daemon_json:
    description:
      - Docker's C(daemon.json). When a restored seccomp file is the daemon-wide default it names, dockerd needs
        a restart too (it reads that file only when it starts).
    type: path
    default: /etc/docker/daemon.json
  kubelet_config:
    description: The kubelet's configuration file; the only path a C(kubelet) item of the undo log may have.
    type: path
    default: /var/lib/kubelet/config.yaml
  apparmor_dir:
    description: The AppArmor policy directory; an C(apparmor) item's path must be C(APPARMOR_DIR/NAME).
    type: path
    default: /etc/apparmor.d
  seccomp_dirs:
    description:
      - The directories where seccomp profiles are installed (Docker, kubelet C(ROOT/seccomp/profiles),
        containerd, bwrap, podman, the module's C(state_dir)); a C(seccomp) item's path must lie in one of them.
    type: list
    elements: path
    default: [/etc/docker/seccomp, /var/lib/kubelet/seccomp/profiles, /etc/containerd/seccomp, /etc/confine/seccomp,
              /var/lib/confine/seccomp, /etc/containers/seccomp]
  state_dir:
    description:
      - The collection's state directory; the backups of AppArmor profiles, daemon.json, podman's drop-in and the
        record lie in it.
    type: path
    default: /var/lib/confine
  lock_timeout:
    description:
      - With O(record), how many seconds to wait for another task reading or rewriting the record (a short
        C(flock) on its directory; nothing is created for it).
    type: int
    default: 60
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
    podman: "{{ podman_result | default({}) }}"
"""

RETURN = r"""
restored:
  description:
    - What was done to each file, in order. C(action) is C(restored), C(removed), C(unchanged), C(reloaded), or
      C(kept) (a file the run made that was changed since; it is also in RV(refused)).
  returned: always
  type: list
  elements: dict
  sample:
    - {kind: seccomp, name: web, path: /etc/docker/seccomp/web.json, action: restored}
    - {kind: apparmor, name: web, path: /etc/apparmor.d/web, action: removed, kernel_mode: null}
refused:
  description:
    - The undo items that were not applied, each with its index in the undo log, its kind, name and path (an
      untrusted value is shown as its Python repr) and the reason. Each is also a warning.
  returned: always
  type: list
  elements: dict
  sample:
    - {index: 0, kind: apparmor, name: ../../x, path: /etc/apparmor.d/../../x,
       reason: "its name: '../../x' is not a valid profile name (letters, digits, \".\", \"_\", \"-\", at most 128)"}
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
  sample: 3 files put back as they were before the run; 1 undo items were refused and left as they are (items 0, see refused)
"""

import json
import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_host as aa_host
from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_spec as aa_spec
from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils import _jsonio as jsonio
from ansible_collections.confine.hardening.plugins.module_utils import _lock as lock
from ansible_collections.confine.hardening.plugins.module_utils import _podman_args as podman_args
from ansible_collections.confine.hardening.plugins.module_utils import _podman_conf as podman_conf
from ansible_collections.confine.hardening.plugins.module_utils import _undo as undo
from ansible_collections.confine.hardening.plugins.module_utils._common import NAME_RE, ModuleError, diff_entry, run_module

KINDS = ('seccomp', 'apparmor', 'docker', 'kubelet', 'podman', 'record')
SHA256_RE = re.compile(r'^[0-9a-f]{64}$')
KUBELET_BACKUP_RE = r'^%s\.(\d+\.)?\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d(\.\d+)?~$'


RestoreError = ModuleError


def items_from_record(path):
    try:
        data = fileio.read_bytes(path)
    except fileio.NotRegularFile as exc:
        raise RestoreError('record: %s; nothing was changed' % exc.strerror)
    if data is None:
        return None
    try:
        record = json.loads(data.decode('utf-8'))
    except (ValueError, RecursionError) as exc:
        raise RestoreError('record: %s is not valid JSON (%s)' % (path, str(exc).split('\n', maxsplit=1)[0]))
    items = record.get('undo') if isinstance(record, dict) else None
    if not isinstance(items, list):
        raise RestoreError('record: %s has no undo log (it was written before rollback support, or by hand)' % path)
    return items


def shown(value, limit=120):
    """A short, always printable form of an untrusted value for a message."""
    text = ascii(value)
    return text if len(text) <= limit else text[:limit] + '...'


def podman_path(params):
    return params.get('podman_containers_conf') or podman_args.DEFAULT_PATH


def roots(params):
    """The directories this module may write, restore or delete in, per kind of item."""
    state = params['state_dir']
    kubelet_dir = os.path.dirname(params['kubelet_config'])
    return {
        'seccomp': [d for d in params['seccomp_dirs'] if d],
        'apparmor': [params['apparmor_dir']],
        'docker': [os.path.dirname(params['docker_daemon_json'])],
        'kubelet': [kubelet_dir],
        'podman': [os.path.dirname(podman_path(params))],
        'record': [os.path.dirname(params['record'])] if params.get('record') else [],
        'backup': {'seccomp': [d for d in params['seccomp_dirs'] if d], 'apparmor': [state], 'docker': [state],
                   'record': [state], 'kubelet': [kubelet_dir], 'podman': [state]},
    }


def _backup_problem(item, kind, allowed):
    backup = item.get('backup')
    if backup in (None, ''):
        return None
    if not isinstance(backup, str):
        return 'its backup is not a path'
    if not fileio.within(backup, allowed):
        return 'its backup %s is outside the backup directories (%s)' % (shown(backup), ', '.join(allowed))
    base, path = os.path.basename(backup), item['path']
    if kind == 'kubelet':
        ok = re.match(KUBELET_BACKUP_RE % re.escape(os.path.basename(path)), base) and \
            os.path.dirname(backup) == os.path.dirname(path)
    elif kind == 'seccomp':
        ok = fileio.original_of(backup) == path and base != os.path.basename(path)
    elif kind == 'apparmor':
        ok = fileio.original_of(base) == item['name'] and base != item['name']
    elif kind == 'docker':
        # docker_daemon names its backups daemon.json.TIME whatever the file is called
        ok = fileio.original_of(base) in ('daemon.json', os.path.basename(path)) and base != fileio.original_of(base)
    else:
        ok = fileio.original_of(base) == os.path.basename(path) and base != os.path.basename(path)
    if not ok:
        return 'its backup %s is not a backup of %s' % (shown(backup), shown(path))
    return None


def item_problem(item, params, where):
    """Why an undo item may not be applied (it is untrusted input: issue 11 item 8), or None."""
    if not isinstance(item, dict):
        return 'it is a %s, not a mapping' % type(item).__name__
    kind, name, path = item.get('kind'), item.get('name'), item.get('path')
    if kind not in KINDS:
        return 'its kind %s is none of %s' % (shown(kind), ', '.join(KINDS))
    if not isinstance(path, str) or not path.startswith('/'):
        return 'its path %s is not an absolute path' % shown(path)
    for key in ('existed', 'changed_file', 'disabled_before'):
        if key in item and not isinstance(item[key], bool):
            return 'its %s is %s, not true or false' % (key, shown(item[key]))
    if item.get('sha256') is not None and not (isinstance(item['sha256'], str) and SHA256_RE.match(item['sha256'])):
        return 'its sha256 %s is not a sha256' % shown(item['sha256'])
    dirs = roots(params)
    if kind == 'seccomp':
        if not isinstance(name, str) or not NAME_RE.match(name):
            return 'its name %s is not a valid profile name' % shown(name)
        base = os.path.basename(path)
        if base != name + '.json' and not re.match(r'^%s\.[a-z0-9_]+\.bpf$' % re.escape(name), base):
            return 'its path %s is not a file of profile %s' % (shown(path), name)
    elif kind == 'apparmor':
        problem = aa_spec.name_problem(name)
        if problem:
            return 'its name: %s' % problem
        if os.path.normpath(path) != os.path.join(params['apparmor_dir'], name):
            return 'its path %s is not %s' % (shown(path), os.path.join(params['apparmor_dir'], name))
        if item.get('kernel_mode_before') is not None and \
                item['kernel_mode_before'] not in ('enforce', 'complain', 'kill', 'unconfined', 'default_allow', 'prompt'):
            return 'its kernel_mode_before %s is not an AppArmor mode' % shown(item['kernel_mode_before'])
    elif kind == 'docker' and path != params['docker_daemon_json']:
        return 'its path %s is not docker_daemon_json (%s)' % (shown(path), params['docker_daemon_json'])
    elif kind == 'kubelet' and path != params['kubelet_config']:
        return 'its path %s is not kubelet_config (%s)' % (shown(path), params['kubelet_config'])
    elif kind == 'podman' and path != podman_path(params):
        return 'its path %s is not podman_containers_conf (%s)' % (shown(path), podman_path(params))
    elif kind == 'record' and path != params.get('record'):
        return 'its path %s is not the record being rolled back' % shown(path)
    if not fileio.within(path, dirs[kind]):
        return 'its path %s is outside the directories this module manages for %s (%s)' % (
            shown(path), kind, ', '.join(dirs[kind]) or 'none')
    return _backup_problem(item, kind, dirs['backup'][kind])


def refusal(index, item, reason):
    entry = {'index': index, 'reason': reason}
    if isinstance(item, dict):
        for key in ('kind', 'name', 'path'):
            value = item.get(key)
            entry[key] = value if isinstance(value, str) and jsonio.json_problem(value, key) is None else shown(value)
    return entry


def plan(items, params):
    """(steps, problems, refused): the content each file gets back (None = removed), what cannot be done
    (the restore then changes nothing), and the items refused as unsafe (kept, reported, not applied)."""
    steps, problems, refused = [], [], []
    for index, item in enumerate(items):
        reason = item_problem(item, params, index)
        if reason is None:
            try:
                current = fileio.read_bytes(item['path'])
            except fileio.NotRegularFile as exc:
                reason = exc.strerror
        if reason is not None:
            refused.append(refusal(index, item, reason))
            continue
        if not item.get('changed_file'):
            steps.append((item, current, current))
        elif not item.get('existed'):
            steps.append((item, current, None))
        elif not item.get('backup'):
            problems.append('%s was replaced without a backup (backup was off)' % item['path'])
        else:
            try:
                data = fileio.read_bytes(item['backup'])
            except fileio.NotRegularFile as exc:
                refused.append(refusal(index, item, 'its backup: %s' % exc.strerror))
                continue
            if data is None:
                problems.append('the backup %s of %s is gone' % (item['backup'], item['path']))
            else:
                steps.append((item, current, data))
    return steps, problems, refused


def apparmor_kernel(module, item, parser):
    """Load or unload the profile as it was before; return the kernel mode now."""
    name = item['name']
    loaded = aa_host.loaded_profiles()
    want = item.get('kernel_mode_before')
    link = aa_host.disable_link(os.path.dirname(item['path']), name)
    aa_host.ensure_link(link, item['path'], bool(item.get('disabled_before')) and os.path.exists(item['path']))
    if want is None or not os.path.exists(item['path']):
        if name in loaded:
            aa_host.unload(name)
        if not os.path.exists(item['path']):
            for cache in aa_host.cache_paths(name):
                os.unlink(cache)
        return aa_host.loaded_profiles().get(name)
    if not parser:
        raise RestoreError('apparmor_parser is not installed, so profile %s could not be loaded again' % name)
    # the file's flags give its mode; -C forces complain when that is what the kernel had
    rc, out, err = aa_host.load(module, parser, item['path'], complain=want == 'complain')
    if rc != 0:
        raise RestoreError('apparmor_parser -r %s failed: %s' % (item['path'], (err or out).strip()))
    now = aa_host.loaded_profiles().get(name)
    if now != want:
        module.warn('profile %s is loaded in %s mode after the restore, not %s as before the run'
                    % (name, now, want))
    return now


def docker_default(module):
    """The seccomp profile dockerd uses by default (daemon.json's seccomp-profile), or None."""
    return (fileio.read_json_object(module.params['docker_daemon_json']) or {}).get('seccomp-profile')


# Files rewritten in place: a symlink there is the administrator's, and is kept (issue 11 item 10)
IN_PLACE = ('docker', 'kubelet', 'record')


def remove(module, item, refused, index, from_record):
    """Remove a file the run made, only while it still holds what the run wrote (issue 11 item 8)."""
    kind = item.get('kind')
    expected = item.get('sha256')
    if expected is None and from_record and kind != 'record':
        reason = ('the undo log has no sha256 for %s (written before 0.2.0), so it cannot tell the file is still the '
                  'one the run made; it was kept' % item['path'])
        refused.append(refusal(index, item, reason))
        return False
    removed, reason = fileio.remove_owned(item['path'], roots(module.params)[kind], expected, '%s item' % kind)
    if not removed:
        refused.append(refusal(index, item, reason))
    return removed


def apply(module, steps, done, refused, from_record):
    parser = aa_host.parser_path(module.get_bin_path)
    docker_restart = False
    # record last: if anything before it fails, the record still describes the run
    for index, item, current, wanted in sorted(steps, key=lambda s: s[1].get('kind') == 'record'):
        entry = {'kind': item.get('kind'), 'name': item.get('name'), 'path': item['path']}
        if current == wanted:
            entry['action'] = 'unchanged'
        elif wanted is None:
            entry['action'] = 'removed' if remove(module, item, refused, index, from_record) else 'kept'
        else:
            attrs = fileio.file_mode(item['backup']) if item.get('backup') else None
            mode = attrs[0] if attrs else 0o644
            if item.get('kind') in IN_PLACE:
                fileio.write_in_place(item['path'], wanted, mode, '%s item' % item['kind'])
            else:
                fileio.write_atomic(item['path'], wanted, mode)
            entry['action'] = 'restored'
        if item.get('kind') == 'apparmor':
            before = aa_host.loaded_profiles().get(item['name'])
            entry['kernel_mode'] = apparmor_kernel(module, item, parser)
            if entry['kernel_mode'] != before and entry['action'] == 'unchanged':
                entry['action'] = 'reloaded'
        if item.get('kind') == 'docker' and current != wanted and entry['action'] != 'kept':
            docker_restart = True
        if item.get('kind') == 'seccomp' and current != wanted and item['path'] == docker_default(module):
            docker_restart = True       # dockerd reads its default profile only when it starts
        done.append(entry)
    return docker_restart


def apparmor_differs(item, loaded):
    """Whether the kernel or the disable/ link of a profile differ from before the run."""
    link = aa_host.disable_link(os.path.dirname(item['path']), item['name'])
    return loaded.get(item['name']) != item.get('kernel_mode_before') or \
        os.path.islink(link) != bool(item.get('disabled_before'))


def printable(items):
    """The undo log for the result: an item that cannot be shown as JSON is shown as its repr."""
    return [i if jsonio.json_problem(i, 'undo') is None else {'unreadable': shown(i, 400)} for i in items]


def run(module):
    params = module.params
    from_record = bool(params.get('record'))
    if from_record:
        items = items_from_record(params['record'])
        if items is None:
            return dict(changed=False, undo=[], restored=[], refused=[], docker_restart_needed=False,
                        msg='no record at %s: this host was never hardened, nothing to roll back' % params['record'])
    else:
        try:
            items = undo.from_results(params.get('seccomp'), params.get('apparmor'), params.get('docker'),
                                      params.get('kubelet')) + podman_conf.undo_items(params.get('podman'))
        except (TypeError, AttributeError, KeyError, ValueError) as exc:
            raise RestoreError('seccomp, apparmor, docker, kubelet, podman: these must be the results of the run\'s '
                               'confine.hardening tasks, and one is not (%s); nothing was changed' % exc)
    steps, problems, refused = plan(items, params)
    if problems:
        raise RestoreError('cannot restore, nothing was changed: %s' % '; '.join(problems))
    index_of = dict((id(item), index) for index, item in enumerate(items))
    loaded = aa_host.loaded_profiles()
    pending = [(index_of[id(i)], i, c, w) for i, c, w in steps
               if c != w or (i.get('kind') == 'apparmor' and apparmor_differs(i, loaded))]
    result = dict(changed=bool(pending), undo=printable(items), restored=[], refused=refused,
                  docker_restart_needed=False)
    if module._diff and pending:
        result['diff'] = [diff_entry(i['path'], c, w) for dummy, i, c, w in pending if c != w]
    if module.check_mode or not pending:
        result['docker_restart_needed'] = any(i.get('kind') == 'docker' or i['path'] == docker_default(module)
                                              for _n, i, c, w in pending if c != w)
        result['msg'] = ('%d files would be put back' % len(pending)) if pending else 'nothing to restore'
    else:
        try:
            result['docker_restart_needed'] = apply(module, pending, result['restored'], refused, from_record)
        except (RestoreError, IOError, OSError, ValueError) as exc:
            raise RestoreError('restoring failed part way (%s); what was done is in restored' % exc, **result)
        result['changed'] = any(e['action'] != 'kept' for e in result['restored'])
        result['msg'] = '%d files put back as they were before the run' % len(
            [e for e in result['restored'] if e['action'] != 'kept'])
    if refused:
        for entry in refused:
            module.warn('undo item %d (%s %s) was refused and left as it is: %s'
                        % (entry['index'], entry.get('kind'), entry.get('name'), entry['reason']))
        result['msg'] += '; %d undo items were refused and left as they are (items %s, see refused)' % (
            len(refused), ', '.join(str(e['index']) for e in refused))
    return result


def argument_spec():
    return dict(
        record=dict(type='path'),
        seccomp=dict(type='list', elements='dict'),
        apparmor=dict(type='list', elements='dict'),
        docker=dict(type='dict'),
        kubelet=dict(type='dict'),
        podman=dict(type='dict'),
        podman_containers_conf=dict(type='path', default=podman_args.DEFAULT_PATH),
        docker_daemon_json=dict(type='path', default='/etc/docker/daemon.json'),
        kubelet_config=dict(type='path', default='/var/lib/kubelet/config.yaml'),
        apparmor_dir=dict(type='path', default='/etc/apparmor.d'),
        seccomp_dirs=dict(type='list', elements='path', default=list(DEFAULT_SECCOMP_DIRS)),
        state_dir=dict(type='path', default='/var/lib/confine'),
        lock_timeout=dict(type='int', default=60),
    )


DEFAULT_SECCOMP_DIRS = ('/etc/docker/seccomp', '/var/lib/kubelet/seccomp/profiles', '/etc/containerd/seccomp',
                        '/etc/confine/seccomp', '/var/lib/confine/seccomp', '/etc/containers/seccomp')


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[('record', 'seccomp'), ('record', 'apparmor'), ('record', 'docker'), ('record', 'kubelet'),
                            ('record', 'podman')],
        required_one_of=[('record', 'seccomp', 'apparmor', 'docker', 'kubelet', 'podman')],
        supports_check_mode=True,
    )
    run_module(module, work)


def work(module):
    if not module.params.get('record'):
        return run(module)
    # the record is read and rewritten under a short lock on its directory (nothing is created)
    with lock.dir_lock(os.path.dirname(module.params['record']) or '.', module.params['lock_timeout'],
                       'the governance record'):
        return run(module)


if __name__ == '__main__':
    main()
