#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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
  sample: /var/lib/confine/docker/daemon.json.2026-11-23@10:00:00
config:
  description: The merged configuration.
  returned: always
  type: dict
  sample: {seccomp-profile: /etc/docker/seccomp/web.json, log-driver: journald}
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio


def merged(current, settings):
    out = dict(current)
    for key, value in settings.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', default='/etc/docker/daemon.json'),
            settings=dict(type='dict', required=True),
            backup_dir=dict(type='path', default='/var/lib/confine/docker'),
        ),
        supports_check_mode=True,
    )
    path = module.params['path']
    before = fileio.read_bytes(path)
    current = {}
    if before is not None and before.strip():
        try:
            current = json.loads(before.decode('utf-8'))
        except ValueError as exc:
            module.fail_json(msg='%s is not valid JSON (%s); dockerd would not start with it either. Fix it by hand; '
                                 'nothing was changed' % (path, exc), path=path)
        if not isinstance(current, dict):
            module.fail_json(msg='%s holds a JSON %s, not an object; fix it by hand; nothing was changed'
                                 % (path, type(current).__name__), path=path)
    config = merged(current, module.params['settings'])
    data = (json.dumps(config, indent=2, sort_keys=True) + '\n').encode('utf-8')
    changed = config != current or before is None
    attrs = fileio.file_mode(path)
    changed = changed or attrs is None or attrs[0] != 0o644
    result = dict(changed=changed, existed=before is not None, config=config, path=path)
    if module._diff and changed:
        result['diff'] = {'before_header': path, 'after_header': path,
                          'before': (before or b'').decode('utf-8', 'replace'), 'after': data.decode('utf-8')}
    if changed and not module.check_mode:
        try:
            if before is not None:
                dest = fileio.backup_path(os.path.join(module.params['backup_dir'], 'daemon.json')).rstrip('~')
                fileio.write_atomic(dest, before, attrs[0] if attrs else 0o644)
                result['backup_file'] = dest
            fileio.write_atomic(path, data, 0o644)
        except (IOError, OSError) as exc:
            module.fail_json(msg='writing %s failed: %s; the file was not changed' % (path, exc), path=path)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
