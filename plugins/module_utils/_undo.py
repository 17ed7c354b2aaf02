# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The undo log of a run: what puts a host back as it was before the run.

Built from the results of the run's tasks (the profile modules, docker_daemon and the
record itself), so the same log serves the in-run restore of a failed host and the
on-demand rollback that reads it back from the governance record.  Each item is one
file::

    {'kind': 'seccomp' | 'apparmor' | 'docker' | 'record', 'name': ..., 'path': ...,
     'existed': bool,          # False: the run made the file; the undo removes it
     'backup': path or None,   # the copy taken before the run replaced or removed it
     'changed_file': bool}     # False: only the kernel or a link changed (AppArmor)

AppArmor items also carry ``disabled_before`` and ``kernel_mode_before``.
"""

from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio


def from_results(seccomp=None, apparmor=None, docker=None, kubelet=None):
    """Undo items for the changed results of one run, in the order they must be undone."""
    items = []
    for result in seccomp or []:
        if not isinstance(result, dict) or not result.get('changed'):
            continue
        backups = dict((fileio.original_of(b), b) for b in result.get('backup_files') or [])
        for path in result.get('created') or []:
            items.append({'kind': 'seccomp', 'name': result.get('name'), 'path': path, 'existed': False,
                          'backup': None, 'changed_file': True})
        for path in result.get('replaced') or []:
            items.append({'kind': 'seccomp', 'name': result.get('name'), 'path': path, 'existed': True,
                          'backup': backups.get(path), 'changed_file': True})
    for result in apparmor or []:
        if not isinstance(result, dict) or not result.get('changed') or 'existed' not in result:
            continue
        # apparmor_profile returns profile_file since 0.2.0 ('path' before: Ansible overwrote
        # the result's mode and state with the file's attributes)
        path = result.get('profile_file') or result.get('path')
        if not path:
            continue
        backup = result.get('backup_file')
        # a file left as it was has no backup: only the link or the kernel changed
        changed_file = result.get('file_changed')
        if changed_file is None:
            changed_file = bool(backup) or not result['existed'] or result.get('state') == 'absent'
        items.append({'kind': 'apparmor', 'name': result.get('name'), 'path': path,
                      'existed': result['existed'], 'backup': backup, 'changed_file': changed_file,
                      'disabled_before': bool(result.get('disabled_before')),
                      'kernel_mode_before': result.get('kernel_mode_before')})
    if isinstance(docker, dict) and docker.get('changed') and docker.get('path'):
        items.append({'kind': 'docker', 'name': 'daemon.json', 'path': docker['path'],
                      'existed': bool(docker.get('existed')), 'backup': docker.get('backup_file'),
                      'changed_file': True})
    if isinstance(kubelet, dict) and kubelet.get('changed') and kubelet.get('path'):
        # lineinfile only edits a config that exists; its backup sits beside it
        items.append({'kind': 'kubelet', 'name': 'kubelet config', 'path': kubelet['path'], 'existed': True,
                      'backup': kubelet.get('backup') or kubelet.get('backup_file'), 'changed_file': True})
    return items
