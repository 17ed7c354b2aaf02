#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: fleet_report
short_description: Write one report of a rollout across the fleet, as Markdown and as an HTML page
version_added: 0.1.0
description:
  - Reads the hosts' run reports on the controller (C(HOST.json) in O(report_dir), what the role writes with
    C(host_hardening_report_dir)) and writes C(fleet-report.md) and C(fleet-report.html) beside them - every host
    with its status (ok, observing, failed and undone, not reached), stage, the promotion gate's decision, its
    profiles' modes and its event counts; the waves as they ran; the hosts failed and undone with what failed;
    and the ten most frequent unexplained events across the fleet with the hosts that saw them.
  - The HTML page is one self-contained file (no script, style or font from elsewhere; its Content-Security-Policy
    lets only its own script run), its tables sort on a click of a heading, and each host's status has its colour.
  - A report of another rollout (an earlier run, another playbook) does not count for this one; such a host is
    listed as not reached. Everything taken from a report is escaped (event names come from audit records a
    workload wrote).
  - The role runs it on the controller after each wave (C(delegate_to=localhost), C(run_once)); the report of the
    last wave is the rollout's, also when a failed wave stopped it. Writing it is never a change.
author:
  - confine.hardening contributors (@confine)
options:
  report_dir:
    description: The controller's directory of run reports (absolute).
    type: path
    required: true
  hosts:
    description: Every host of the rollout, in the order the waves take them (the play's C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
  rollout:
    description: The rollout's id; a host's report belongs to it when its C(rollout) is the same.
    type: str
    required: true
extends_documentation_fragment:
  - confine.hardening.attributes
attributes:
  idempotent:
    support: full
    details: The same reports give the same pages.
seealso:
  - module: confine.hardening.hardening_report
"""

EXAMPLES = r"""
- name: The rollout's report, after this wave
  confine.hardening.fleet_report:
    report_dir: /srv/rollouts/reports
    hosts: "{{ ansible_play_hosts_all }}"
    rollout: "{{ hostvars[ansible_play_hosts_all[0]]._host_hardening_run_id }}"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
markdown:
  description: The Markdown file.
  returned: always
  type: str
  sample: /srv/rollouts/reports/fleet-report.md
html:
  description: The HTML page.
  returned: always
  type: str
  sample: /srv/rollouts/reports/fleet-report.html
summary:
  description: What both say - C(hosts) (one row each), C(waves), C(failed), C(not_reached), C(top_events).
  returned: always
  type: dict
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils import _fleet_report as fleet
from ansible_collections.confine.hardening.plugins.module_utils._common import ModuleError, run_module

PAGES = ('fleet-report.md', 'fleet-report.html')


def argument_spec():
    return dict(
        report_dir=dict(type='path', required=True),
        hosts=dict(type='list', elements='str', required=True),
        rollout=dict(type='str', required=True),
    )


def read_reports(directory, hosts, warn):
    """{host: report} of the hosts' HOST.json files (a host whose name is not a plain file name, or
    whose file is not a regular file holding a JSON object, has none)."""
    out = {}
    for host in hosts:
        if not host or host.startswith('.') or '/' in host or '\x00' in host:
            warn('hosts: %r cannot be a report file name in report_dir; the host is listed without a report' % host)
            continue
        try:
            report = fileio.read_json_object(os.path.join(directory, host + '.json'))
        except fileio.NotRegularFile as exc:
            warn('%s; the host is listed without a report' % exc.strerror)
            continue
        if report is not None:
            out[host] = report
    return out


def run(module):
    p = module.params
    directory = p['report_dir']
    if not os.path.isabs(directory) or not os.path.isdir(directory):
        raise ModuleError('report_dir: %s is not an absolute path to a directory; no fleet report was written' % directory)
    summary = fleet.summarise(read_reports(directory, p['hosts'], module.warn), p['hosts'], p['rollout'])
    paths = [os.path.join(directory, name) for name in PAGES]
    for path in paths:
        refused = fileio.why_not_written(path, 'the fleet report')
        if refused:
            raise ModuleError('report_dir: %s; nothing was written' % refused)
    if not module.check_mode:
        for path, text in zip(paths, (fleet.markdown(summary), fleet.html(summary))):
            fileio.write_atomic(path, text.encode('utf-8'), 0o644)
    return dict(changed=False, markdown=paths[0], html=paths[1], summary=json.loads(json.dumps(summary)))


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, run, label='fleet report: ')


if __name__ == '__main__':
    main()
