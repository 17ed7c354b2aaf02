#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: hardening_report
short_description: Write a run's report as JSON on the host
version_added: 0.3.0
description:
  - Writes O(report) as JSON (sorted keys, two-space indent, a final newline) to O(path), atomically (a temporary
    file in the same directory renamed into place), C(0644) root:root. The host role writes the report of each
    run with it, C({{ host_hardening_state_dir }}/report.json).
  - The directory of O(path) is made (C(0755)) when it is missing; an existing directory is left as it is.
  - A symlink, FIFO, device or directory at O(path) is refused with one sentence and nothing is written, so the
    report never writes through a link into a file the collection does not own.
  - The result says C(changed) when the bytes differ; the report changes with every run (its events and times),
    so the role marks the task as not changing the host.
  - In check mode nothing is written; C(changed) and the diff say what would be.
  - With O(lock), the host's lease this run took (M(confine.hardening.hardening_facts) or
    M(confine.hardening.hardening_lock)) is given back once the report is written, as
    M(confine.hardening.hardening_lock) with O(confine.hardening.hardening_lock#module:state=released) gives it
    back, and only when it is this run's (another run's lease is left alone, with a warning). The report is the last
    thing a role run writes, so the run needs no module call of its own for that. Giving it back never counts as
    a change. When the report cannot be written the lease is kept, and the caller gives it back.
author:
  - confine.hardening contributors (@confine)
options:
  path:
    description: The report file (absolute).
    type: path
    required: true
  report:
    description: The report, a mapping that JSON can hold.
    type: dict
    required: true
  lock:
    description:
      - The lease to give back after the report is written (the options of M(confine.hardening.hardening_lock),
        without O(confine.hardening.hardening_lock#module:state)). Only O(lock.path), O(lock.run_id) and
        O(lock.timeout) are used.
    type: dict
    suboptions:
      path:
        description: The lease file.
        type: path
        default: /var/lib/confine/lock.json
      run_id:
        description: The run whose lease it is.
        type: str
        required: true
      controller:
        description: Not used here (accepted so the same dict serves both modules).
        type: str
        default: ''
      host:
        description: Not used here (accepted so the same dict serves both modules).
        type: str
        default: ''
      timeout:
        description: How many seconds to wait for the short look-and-remove step.
        type: int
        default: 300
      max_age:
        description: Not used here (accepted so the same dict serves both modules).
        type: int
        default: 3600
extends_documentation_fragment:
  - confine.hardening.attributes
attributes:
  idempotent:
    support: full
    details: The same report written again changes nothing.
seealso:
  - module: confine.hardening.hardening_record
"""

EXAMPLES = r"""
- name: Write the run's report
  confine.hardening.hardening_report:
    path: /var/lib/confine/report.json
    report:
      host: "{{ inventory_hostname }}"
      stage: enforce

- name: Write it and give back the lease hardening_facts took
  confine.hardening.hardening_report:
    path: /var/lib/confine/report.json
    report: "{{ report }}"
    lock:
      path: /var/lib/confine/lock.json
      run_id: "{{ run_id }}"
"""

RETURN = r"""
path:
  description: The file written.
  returned: always
  type: str
  sample: /var/lib/confine/report.json
sha256:
  description: The sha256 of the bytes written (or that would be, in check mode).
  returned: always
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
lock_released:
  description: Whether the lease of O(lock) was given back (false in check mode, without O(lock), and when the
    lease is not this run's).
  returned: always
  type: bool
  sample: true
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils import _jsonio as jsonio
from ansible_collections.confine.hardening.plugins.module_utils import _lease as lease
from ansible_collections.confine.hardening.plugins.module_utils._common import ModuleError, diff_entry, run_module


def argument_spec():
    return dict(
        path=dict(type='path', required=True),
        report=dict(type='dict', required=True),
        lock=dict(type='dict', options=lease.options()),
    )


def run(module):
    path, report = module.params['path'], module.params['report']
    if not os.path.isabs(path):
        raise ModuleError('path: %s is not an absolute path; nothing was written' % path)
    try:
        data = jsonio.dumps_checked(report, 'report')
    except ValueError as exc:
        raise ModuleError('report: %s; nothing was written' % exc)
    refused = fileio.why_not_written(path, 'the report')
    if refused:
        raise ModuleError('path: %s; nothing was written' % refused)
    before = fileio.read_bytes(path) if os.path.lexists(path) else None
    attrs = fileio.file_mode(path)
    changed = before != data or attrs is None or attrs[0] != 0o644
    result = dict(changed=changed, path=path, sha256=fileio.sha256(data))
    if module._diff and changed:
        result['diff'] = diff_entry(path, before, data)
    if changed and not module.check_mode:
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o755, exist_ok=True)
            os.chmod(directory, 0o755)
        fileio.write_atomic(path, data, 0o644)
    result['lock_released'] = False
    if module.params.get('lock'):
        given = lease.run(dict(module.params['lock'], state='released'), module.check_mode, module.warn, 'lock')
        result['lock_released'] = given['released']
    return result


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, run, label='hardening report: ')


if __name__ == '__main__':
    main()
