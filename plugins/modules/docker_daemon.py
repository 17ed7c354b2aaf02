#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: docker_daemon
short_description: Merge settings into Docker's daemon.json without losing the others
version_added: 0.1.0
description:
  - Merges O(settings) into C(/etc/docker/daemon.json), for example C(seccomp-profile) for a daemon-wide
    default seccomp profile. Keys not named in O(settings) are kept as they are; a key set to null is removed.
  - A daemon.json that is not valid JSON, or not a JSON object, is reported with the parse error and left
    untouched; nothing is written.
  - Before a change, the previous file is copied to O(backup_dir), and its path is returned as
    RV(backup_file). If the file did not exist, RV(existed) is false. The caller restarts dockerd and, if
    dockerd does not come back, puts the previous file back (the C(host_hardening) role does this).
  - The file is written atomically, C(0644) root:root, as indented JSON with sorted keys.
  - When O(path) is a symlink to a regular file, the file it points to is rewritten (atomically, in that file's
    directory) and the link stays as it is. A dangling link, or a link to anything but a regular file, is
    refused and nothing is written.
  - The whole new content is checked and serialised before anything is written. JSON that Docker's reader and
    this module cannot agree on is refused with one sentence naming the key, leaving the file and the backups
    untouched. That covers NaN and Infinity (including numbers too large for a double, like C(1e400)), strings
    or keys with a lone surrogate (C(\\ud800)), duplicate keys, and nesting deeper than 64 levels, in
    O(settings) or in the file.
author:
  - confine.hardening contributors (@confine)
options:
  path:
    description: Docker's daemon configuration file.
    type: path
    default: /etc/docker/daemon.json
  settings:
    description: Keys to set (a null value removes the key).
    type: dict
    required: true
  backup_dir:
    description: Where the previous file is kept before a change.
    type: path
    default: /var/lib/confine/docker
  security_options:
    description:
      - Also ask dockerd for its security options (C(docker info), the list that names the daemon-wide default
        seccomp profile), when the task changed nothing, so dockerd runs with the file as it is, and return them
        as RV(security_options). The C(host_hardening) role checks that list at the end of the run, and needs no
        module run of its own for it when nothing changed.
      - Never fails the task. When the file changed (dockerd must be restarted first), when C(docker) is not
        installed or does not answer, or when its answer is not a list of strings, RV(security_options) is null.
    type: bool
    default: false
extends_documentation_fragment:
  - confine.hardening.attributes
notes:
  - dockerd reads daemon.json only when it starts; restart it after a change.
"""

EXAMPLES = r"""
- name: Make a seccomp profile Docker's default
  confine.hardening.docker_daemon:
    settings:
      seccomp-profile: /etc/docker/seccomp/web.json
  register: daemon_json
"""

RETURN = r"""
existed:
  description: Whether the file existed before the task.
  returned: always
  type: bool
  sample: true
backup_file:
  description: The copy of the previous file, made before a change.
  returned: when the file existed and changed
  type: str
  sample: /var/lib/confine/docker/daemon.json.2026-11-23@10:00:00.123456
link_target:
  description: The file written when O(path) is a symlink (the link is kept).
  returned: when O(path) is a symlink
  type: str
  sample: /srv/docker-config/daemon.json
config:
  description: The merged configuration.
  returned: always
  type: dict
  sample: {seccomp-profile: /etc/docker/seccomp/web.json, log-driver: journald}
security_options:
  description: dockerd's security options (C(docker info)), or null (see O(security_options)).
  returned: when O(security_options) is true
  type: list
  elements: str
  sample: [name=apparmor, name=seccomp,profile=/etc/docker/seccomp/web.json, name=cgroupns]
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils import _jsonio as jsonio
from ansible_collections.confine.hardening.plugins.module_utils._common import ModuleError, diff_entry, run_module


DaemonError = ModuleError
INFO_FORMAT = '{{json .SecurityOptions}}'


def security_options(module):
    """dockerd's security options as ``docker info`` lists them, or None when it does not answer
    with a list of strings (the answer is read as data, never trusted to have a shape)."""
    docker = module.get_bin_path('docker')
    if not docker:
        return None
    rc, out, _err = module.run_command([docker, 'info', '--format', INFO_FORMAT])
    if rc != 0:
        return None
    try:
        value = json.loads(out)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return None
    return value


def merged(current, settings):
    out = dict(current)
    for key, value in settings.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def read_current(path):
    """(real file, bytes or None, the JSON object): everything checked before anything is written."""
    try:
        real = fileio.resolve_in_place(path, 'path')
        before = fileio.read_bytes(real)
    except fileio.NotRegularFile as exc:
        raise DaemonError('path: %s; daemon.json is only ever replaced as a regular file, so nothing was changed'
                          % exc.strerror)
    current = {}
    if before is not None and before.strip():
        try:
            current = jsonio.loads_strict(before.decode('utf-8'))
        except ValueError as exc:
            raise DaemonError('%s is not valid JSON (%s); dockerd would not start with it either. Fix it by hand; '
                              'nothing was changed' % (path, exc))
        if not isinstance(current, dict):
            raise DaemonError('%s holds a JSON %s, not an object; fix it by hand; nothing was changed'
                              % (path, type(current).__name__))
        problem = jsonio.json_problem(current, '')
        if problem:
            raise DaemonError('%s: the key %s; fix it by hand; nothing was changed' % (path, problem))
    return real, before, current


def run(module):
    params = module.params
    path = params['path']
    problem = jsonio.json_problem(params['settings'], 'settings')
    if problem:
        raise DaemonError('%s; nothing was changed' % problem)
    real, before, current = read_current(path)
    config = merged(current, params['settings'])
    # the whole new content is serialised (and so checked) before anything is written
    try:
        data = jsonio.dumps_checked(config, 'settings')
    except (ValueError, TypeError, RecursionError) as exc:
        raise DaemonError('settings: %s; nothing was changed' % exc)
    attrs = fileio.file_mode(real)
    changed = config != current or before is None or attrs is None or attrs[0] != 0o644
    result = dict(changed=changed, existed=before is not None, config=config, path=path)
    if real != path:
        result['link_target'] = real
    if module._diff and changed:
        result['diff'] = diff_entry(path, before, data)
    if changed and not module.check_mode:
        if before is not None:
            try:
                result['backup_file'] = fileio.write_backup(os.path.join(params['backup_dir'], 'daemon.json'), before,
                                                            attrs[0] if attrs else 0o644, tilde=False)
            except (IOError, OSError) as exc:
                raise DaemonError('backup_dir: copying %s to %s failed (%s); nothing was changed'
                                  % (path, params['backup_dir'], exc))
        try:
            fileio.write_atomic(real, data, 0o644)
        except (IOError, OSError) as exc:
            raise DaemonError('writing %s failed: %s; the file was not changed' % (real, exc),
                              **dict((k, v) for k, v in result.items() if k in ('backup_file', 'existed')))
    if params.get('security_options'):
        result['security_options'] = None if changed else security_options(module)
    return result


def argument_spec():
    return dict(
        path=dict(type='path', default='/etc/docker/daemon.json'),
        settings=dict(type='dict', required=True),
        backup_dir=dict(type='path', default='/var/lib/confine/docker'),
        security_options=dict(type='bool', default=False),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, run)


if __name__ == '__main__':
    main()
