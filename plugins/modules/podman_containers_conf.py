#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: podman_containers_conf
short_description: Set podman's host-wide default seccomp profile in a containers.conf drop-in
version_added: 0.3.0
description:
  - Writes a drop-in file for podman's C(containers.conf) (default
    C(/etc/containers/containers.conf.d/50-confine-hardening.conf)) holding the table C([containers]) and the
    key C(seccomp_profile), the profile every C(podman run) without its own C(--security-opt seccomp=) uses.
  - podman reads C(/etc/containers/containers.conf), then each C(*.conf) file of C(containers.conf.d) in
    alphanumeric order, a later file's key winning (containers.conf(5)). A drop-in sorting after O(path) that
    sets C(seccomp_profile) too is warned about and returned as RV(overridden_by). A user's own
    C(~/.config/containers/containers.conf), read after these, and the C(CONTAINERS_CONF) environment variable
    override this file for that user or command.
  - No daemon is restarted, since podman has none and reads the file at each invocation.
  - O(seccomp_profile) is written as a TOML basic string with C(\\) and C(") escaped. A path that is not
    absolute, not normalised, holds a control character (a newline, tab, NUL or the like) or is not valid
    Unicode is refused with one sentence naming the field, and nothing is written.
  - podman fails every container whose default profile file is missing or unreadable, so O(seccomp_profile)
    must be a regular file holding a JSON object; otherwise the module fails and writes nothing (in check
    mode, a missing file is only a warning, since the task that installs it changed nothing either).
  - Before a change, a previous file is copied to O(backup_dir) and its path returned as RV(backup_file); if
    there was none, RV(existed) is false. M(confine.hardening.hardening_restore) puts it back (or removes the
    file the run made) from these results or from the governance record's undo log.
  - The file is written atomically, C(0644) root:root. A symlink at O(path) is refused (this collection never
    writes through links here); so is anything but a regular file.
  - With O(state=absent) the file is removed only while it still holds what this collection wrote, that is
    while its sha256 is O(sha256) (the governance record's). A file without a matching hash, or with no O(sha256)
    given, is kept with a warning and RV(refused) saying why.
author:
  - confine.hardening contributors (@confine)
options:
  path:
    description: The drop-in file. It must end in C(.conf) (podman reads no other file of the directory).
    type: path
    default: /etc/containers/containers.conf.d/50-confine-hardening.conf
  seccomp_profile:
    description:
      - The seccomp profile file podman uses by default, for example C(/etc/containers/seccomp/web.json) as
        installed by M(confine.hardening.seccomp_profile) with C(targets=[podman]).
      - Required with O(state=present).
    type: path
  state:
    description: V(present) writes the drop-in; V(absent) removes it if it is still the one this collection wrote.
    type: str
    choices: [present, absent]
    default: present
  sha256:
    description: With O(state=absent), the sha256 of the file as this collection wrote it (from the governance record).
    type: str
  backup_dir:
    description: Where the previous file is kept before a change.
    type: path
    default: /var/lib/confine/podman
extends_documentation_fragment:
  - confine.hardening.attributes
notes:
  - podman reads the file at each invocation; there is no daemon to restart.
seealso:
  - module: confine.hardening.seccomp_profile
  - module: confine.hardening.hardening_restore
"""

EXAMPLES = r"""
- name: Make a seccomp profile podman's host-wide default
  confine.hardening.podman_containers_conf:
    seccomp_profile: /etc/containers/seccomp/web.json
  register: podman_conf

- name: Take the default out again (only while the file is the one written above)
  confine.hardening.podman_containers_conf:
    state: absent
    sha256: "{{ podman_conf.sha256 }}"
"""

RETURN = r"""
path:
  description: The drop-in file.
  returned: always
  type: str
  sample: /etc/containers/containers.conf.d/50-confine-hardening.conf
existed:
  description: Whether the file existed before the task.
  returned: always
  type: bool
  sample: false
backup_file:
  description: The copy of the previous file, made before a change.
  returned: when the file existed and changed
  type: str
  sample: /var/lib/confine/podman/50-confine-hardening.conf.2026-12-02@10:00:00.123456
sha256:
  description: The sha256 of the file as the task left it (null when there is none).
  returned: always
  type: str
  sample: 3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b
seccomp_profile:
  description: The default profile the file names (null with O(state=absent)).
  returned: always
  type: str
  sample: /etc/containers/seccomp/web.json
overridden_by:
  description: Drop-ins podman reads after O(path) that set C(seccomp_profile) too (the last one wins).
  returned: always
  type: list
  elements: str
  sample: []
refused:
  description: Why a file was kept with O(state=absent) (it is not the one this collection wrote).
  returned: when a file was kept
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils import _jsonio as jsonio
from ansible_collections.confine.hardening.plugins.module_utils import _podman_args as podman_args
from ansible_collections.confine.hardening.plugins.module_utils import _podman_conf as conf
from ansible_collections.confine.hardening.plugins.module_utils._common import ModuleError, diff_entry, run_module

SHA256_CHARS = frozenset('0123456789abcdef')


def read_current(path):
    """The drop-in's bytes (None when missing); a symlink or a non-regular file is refused."""
    if os.path.islink(path):
        raise ModuleError('path: %s is a symlink; the drop-in is only ever written as a regular file, so nothing '
                          'was changed' % path)
    try:
        return fileio.read_bytes(path)
    except fileio.NotRegularFile as exc:
        raise ModuleError('path: %s; nothing was changed' % exc.strerror)


def check_profile(module, profile):
    """The profile file must be there as a JSON object: podman fails every container otherwise."""
    try:
        data = fileio.read_bytes(profile)
    except fileio.NotRegularFile as exc:
        raise ModuleError('seccomp_profile: %s; podman could not read it, so nothing was changed' % exc.strerror)
    if data is None:
        if module.check_mode:
            module.warn('seccomp_profile: %s does not exist yet; podman fails every container whose default '
                        'profile is missing' % profile)
            return
        raise ModuleError('seccomp_profile: %s does not exist (or cannot be read); podman would fail every '
                          'container with it as the default, so nothing was changed' % profile)
    try:
        value = jsonio.loads_strict(data.decode('utf-8'))
    except (ValueError, RecursionError) as exc:
        raise ModuleError('seccomp_profile: %s is not valid JSON (%s); nothing was changed'
                          % (profile, str(exc).split('\n', maxsplit=1)[0]))
    if not isinstance(value, dict):
        raise ModuleError('seccomp_profile: %s holds a JSON %s, not a seccomp profile object; nothing was changed'
                          % (profile, type(value).__name__))


def backup(params, before, attrs, path):
    try:
        return fileio.write_backup(os.path.join(params['backup_dir'], os.path.basename(path)), before,
                                   attrs[0] if attrs else 0o644, tilde=False)
    except (IOError, OSError) as exc:
        raise ModuleError('backup_dir: copying %s to %s failed (%s); nothing was changed'
                          % (path, params['backup_dir'], exc))


def present(module, result, before):
    params, path = module.params, module.params['path']
    problem = conf.path_problem(params['seccomp_profile'], 'seccomp_profile')
    if problem:
        raise ModuleError(problem)
    check_profile(module, params['seccomp_profile'])
    data = conf.render(params['seccomp_profile'])
    attrs = fileio.file_mode(path)
    changed = before != data or attrs is None or attrs[0] != 0o644
    result.update(changed=changed, sha256=fileio.sha256(data), seccomp_profile=params['seccomp_profile'])
    if module._diff and changed:
        result['diff'] = diff_entry(path, before, data)
    if changed and not module.check_mode:
        if before is not None:
            result['backup_file'] = backup(params, before, attrs, path)
        try:
            fileio.write_atomic(path, data, 0o644)
        except (IOError, OSError) as exc:
            raise ModuleError('writing %s failed: %s; the file was not changed' % (path, exc),
                              **dict((k, v) for k, v in result.items() if k in ('backup_file', 'existed')))
    return result


def absent(module, result, before):
    params, path = module.params, module.params['path']
    result['sha256'] = None if before is None else fileio.sha256(before)
    if before is None:
        return result
    expected = params.get('sha256')
    if not expected or set(expected) - SHA256_CHARS or len(expected) != 64:
        reason = ('%s was kept: without the sha256 this collection recorded of it (sha256), it cannot tell the file '
                  'is still the one it wrote' % path)
    elif fileio.sha256(before) != expected:
        reason = '%s was changed since it was written (its sha256 is not the recorded one); it was kept' % path
    else:
        reason = None
    if reason:
        module.warn(reason)
        result['refused'] = reason
        return result
    result['changed'] = True
    if module._diff:
        result['diff'] = diff_entry(path, before, None)
    if not module.check_mode:
        result['backup_file'] = backup(params, before, fileio.file_mode(path), path)
        removed, reason = fileio.remove_owned(path, [os.path.dirname(path)], expected, 'path')
        if not removed:
            raise ModuleError('removing %s failed: %s' % (path, reason), backup_file=result['backup_file'],
                              existed=True)
        result['sha256'] = None
    return result


def run(module):
    params = module.params
    path = params['path']
    problem = conf.path_problem(path, 'path', suffix='.conf')
    if problem:
        raise ModuleError(problem)
    before = read_current(path)
    result = dict(changed=False, path=path, existed=before is not None, seccomp_profile=None)
    if params['state'] == 'present':
        present(module, result, before)
    else:
        absent(module, result, before)
    result['overridden_by'] = conf.later_settings(path, fileio.read_text)
    if result['overridden_by'] and params['state'] == 'present':
        module.warn('%s sort after %s and set seccomp_profile too, so podman uses theirs'
                    % (', '.join(result['overridden_by']), path))
    return result


def argument_spec():
    """The module's options: the one spec in _podman_args."""
    return podman_args.argument_spec()


def main():
    module = AnsibleModule(argument_spec=argument_spec(), required_if=podman_args.REQUIRED_IF,
                           supports_check_mode=True)
    run_module(module, run)


if __name__ == '__main__':
    main()
