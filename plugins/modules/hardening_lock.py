#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: hardening_lock
short_description: One run of confine.hardening at a time on a host (a lease held across many tasks)
version_added: 0.2.0
description:
  - Takes (O(state=acquired)) or gives back (O(state=released)) the host's lock for the collection's state (its
    profiles, the runtime configuration it changes, the governance record and the undo log). Two runs at once
    could otherwise leave a record whose hashes do not match the files.
  - The lock is a lease file, O(path), holding who took it (O(run_id), O(controller), O(host)) and since when.
    It is made whole in a temporary file and linked into place, which fails if the name is taken, so two runs
    never both take it. A flock on the lease's directory serialises the short look-and-take step.
  - A run that finds the lease held by another run waits, polling, up to O(timeout) seconds, then fails with one
    sentence naming the holder, since when, and the lease file.
  - Taking it again with the same O(run_id) is a no-op, so a role can take it at the start of a play and any
    task can re-check it. A lease older than O(max_age) seconds is left by a run that crashed (or was killed);
    it is taken over with a warning, so such a run does not block the host for ever.
  - Releasing removes the lease only when it is this run's; a lease taken over by another run is left alone
    (with a warning).
  - Taking and releasing the lock is bookkeeping, not configuration, so it never reports a change (a second
    run of a role is still C(changed=0)).
  - In check mode nothing is written. The lease is still looked at, and the run waits for another live run as
    a real run would (a dry run next to a run that is changing the host would report against a moving state);
    a lease that would be taken over is reported with a warning, and O(state=released) does nothing.
author:
  - confine.hardening contributors (@confine)
options:
  path:
    description: The lease file. Its directory is made if it is missing (not in check mode).
    type: path
    default: /var/lib/confine/lock.json
  state:
    description: V(acquired) takes the lock (waiting for another run), V(released) gives it back.
    type: str
    choices: [acquired, released]
    default: acquired
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
  idempotent:
    support: full
    details: Taking the lock again with the same O(run_id), or releasing a lock not held, changes nothing.
seealso:
  - module: confine.hardening.hardening_record
  - module: confine.hardening.hardening_restore
"""

EXAMPLES = r"""
- name: Take this host's lock for the run
  confine.hardening.hardening_lock:
    path: /var/lib/confine/lock.json
    run_id: "{{ run_id }}"
    controller: "{{ lookup('ansible.builtin.pipe', 'uname -n') }}"
    host: "{{ inventory_hostname }}"
    timeout: 300
  register: lock

- name: Give it back
  confine.hardening.hardening_lock:
    path: /var/lib/confine/lock.json
    run_id: "{{ run_id }}"
    state: released
"""

RETURN = r"""
lock_file:
  description: The lease file.
  returned: always
  type: str
  sample: /var/lib/confine/lock.json
acquired:
  description: Whether this run holds the lock after the task (always false after O(state=released) and in check mode).
  returned: always
  type: bool
  sample: true
holder:
  description: The lease as it is after the task (null when there is none).
  returned: always
  type: dict
  sample: {run_id: 20261201T214000-8812, controller: ops1, host: web1, since: '2026-12-01T21:40:00+00:00',
           since_epoch: 1796161200.0}
released:
  description: Whether this task gave the lease back (it was this run's).
  returned: when O(state=released)
  type: bool
  sample: true
took_over:
  description: The stale lease this run took over (older than O(max_age)), or null.
  returned: always
  type: dict
waited:
  description: Seconds spent waiting for another run.
  returned: always
  type: float
  sample: 0.0
msg:
  description: One sentence on the outcome.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.confine.hardening.plugins.module_utils import _lease as lease
from ansible_collections.confine.hardening.plugins.module_utils._common import run_module

# the lease's parts, for the tests and for callers that use them one by one
acquire = lease.acquire
release = lease.release
read_lease = lease.read_lease
describe = lease.describe
write_new = lease.write_new
LockError = lease.LockError


def run(module):
    result = lease.run(module.params, module.check_mode, module.warn)
    result.update(changed=False, lock_file=module.params['path'])
    return result


def argument_spec():
    spec = lease.options()
    spec['state'] = dict(type='str', choices=['acquired', 'released'], default='acquired')
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, run, extra=lambda m: {'lock_file': m.params['path']})


if __name__ == '__main__':
    main()
