#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: hardening_metrics
short_description: Write the host's hardening metrics for Prometheus's node exporter
version_added: 0.1.0
description:
  - Writes a text-file (Prometheus's text format) that the node exporter's text-file collector serves with the
    host's other metrics - Debian's C(prometheus-node-exporter) reads C(/var/lib/prometheus/node-exporter/*.prom).
  - Per profile of the governance record, C(confine_profile_info) (kind, name, mode, runtime) and
    C(confine_profile_files_match) (every file still holds its recorded sha256); per host C(confine_stage),
    C(confine_gate_decision), C(confine_last_run_outcome) (ok, or failed and undone),
    C(confine_last_run_files_undone), the times of the last run, the last change and the stage's start
    (C(*_timestamp_seconds)), C(confine_events_total) since the stage began by kind, AppArmor profile and class,
    C(confine_kernel_records_lost_total) and C(confine_event_source_rate_limited). See C(docs/rollout.md).
  - The file is replaced atomically (the node exporter never reads half of it) and writing it never counts as a
    change, like the run report. When its directory does not exist (no node exporter), nothing is written and
    the result says so; the directory is never made.
  - A symlink, a directory, a FIFO or a device where the file should be is refused and left alone.
author:
  - confine.hardening contributors (@confine)
options:
  path:
    description: The text-file (absolute, ending in C(.prom), which is what the collector reads).
    type: path
    default: /var/lib/prometheus/node-exporter/confine_hardening.prom
  report:
    description: The run's report (what M(confine.hardening.hardening_report) writes).
    type: dict
    required: true
  record_path:
    description: The governance record (M(confine.hardening.hardening_record)); its profiles and their files' sha256.
    type: path
    default: /etc/ansible/facts.d/confine_hardening.fact
extends_documentation_fragment:
  - confine.hardening.attributes
attributes:
  idempotent:
    support: partial
    details: The file carries the time of the run, so its bytes change every run; it is never reported as a change.
seealso:
  - module: confine.hardening.hardening_report
  - module: confine.hardening.hardening_record
"""

EXAMPLES = r"""
- name: Metrics for the node exporter
  confine.hardening.hardening_metrics:
    report: "{{ report }}"

- name: Into a text-file directory of one's own
  confine.hardening.hardening_metrics:
    path: /srv/node-exporter/textfile/confine_hardening.prom
    report: "{{ report }}"
"""

RETURN = r"""
path:
  description: The text-file.
  returned: always
  type: str
  sample: /var/lib/prometheus/node-exporter/confine_hardening.prom
written:
  description: Whether the file was written (false in check mode and when its directory does not exist).
  returned: always
  type: bool
  sample: true
skipped_reason:
  description: Why nothing was written, when it was not.
  returned: when O(path)'s directory does not exist
  type: str
  sample: /var/lib/prometheus/node-exporter does not exist (is prometheus-node-exporter installed?); no metrics written
sha256:
  description: The sha256 of the text.
  returned: always
  type: str
samples:
  description: How many samples the text has.
  returned: always
  type: int
  sample: 31
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils import _metrics as metrics
from ansible_collections.confine.hardening.plugins.module_utils._common import ModuleError, run_module


def argument_spec():
    return dict(
        path=dict(type='path', default='/var/lib/prometheus/node-exporter/confine_hardening.prom'),
        report=dict(type='dict', required=True),
        record_path=dict(type='path', default='/etc/ansible/facts.d/confine_hardening.fact'),
    )


def file_matches(record):
    """{(kind, name): whether every recorded file holds its recorded sha256} (a FIFO, a device or an
    unreadable file does not match; none is read past its first bytes or waited on)."""
    out = {}
    entries = record.get('profiles') if isinstance(record.get('profiles'), list) else []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get('files'), list) or not all(
                isinstance(entry.get(k), str) for k in ('kind', 'name')):
            continue
        ok = bool(entry['files'])
        for f in entry['files']:
            if not (isinstance(f, dict) and isinstance(f.get('path'), str) and isinstance(f.get('sha256'), str)):
                ok = False
                continue
            try:
                data = fileio.read_bytes(f['path'])
            except fileio.NotRegularFile:
                data = None
            ok = ok and data is not None and fileio.sha256(data) == f['sha256']
        out[(entry.get('kind'), entry.get('name'))] = ok
    return out


def run(module):
    p = module.params
    path = p['path']
    if not os.path.isabs(path) or not path.endswith('.prom') or os.path.basename(path).startswith('.'):
        raise ModuleError('path: %s is not an absolute path to a visible *.prom file (the only files the node '
                          'exporter\'s text-file collector reads); nothing was written' % path)
    try:
        record = fileio.read_json_object(p['record_path']) or {}
    except fileio.NotRegularFile as exc:
        module.warn('record_path: %s; the metrics say nothing of profiles' % exc.strerror)
        record = {}
    text = metrics.render(p['report'], record, file_matches(record), time.time())
    data = text.encode('utf-8')
    result = dict(changed=False, path=path, written=False, sha256=fileio.sha256(data),
                  samples=sum(1 for line in text.splitlines() if line and not line.startswith('#')))
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        result['skipped_reason'] = ('%s does not exist (is prometheus-node-exporter installed?); no metrics written'
                                    % directory)
        return result
    refused = fileio.why_not_written(path, 'the metrics file')
    if refused:
        raise ModuleError('path: %s; nothing was written' % refused)
    if not module.check_mode:
        fileio.write_atomic(path, data, 0o644)
        result['written'] = True
    return result


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, run, label='hardening metrics: ')


if __name__ == '__main__':
    main()
