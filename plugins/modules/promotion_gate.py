#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: promotion_gate
short_description: Decide whether a host in observe may go to enforce, from what its profiles logged
version_added: 0.1.0
description:
  - Reads the governance record (the stage the host is in and when it began) and the kernel's audit records of
    the host's profiles since then (as M(confine.hardening.profile_events) does), and decides the stage of this
    run.
  - With O(stage=auto), a host is promoted to C(enforce) once it has been in C(observe) for at least
    O(observe_min) and every event since observation began is explained. An event is explained when the
    profile's spec (with its preset) now allows it as AppArmor would decide it - a file rule whose glob matches
    the logged name and grants every permission asked for, with no deny rule taking one away; a capability or
    network rule - (for example, its suggestion was accepted and merged into the spec), or when it matches one
    of O(ignore). Otherwise the host stays in C(observe), and the result says why, with the events, their counts
    and the suggestions that would explain them.
  - Observed names are literal. An accepted suggestion explains only the names its rule really matches; a name
    full of glob characters (a file named C(/srv/**)) cannot make a broader rule count as accepted. Rules the gate
    cannot read (variables other than AppArmor's standard tunables, C(owner) rules, O(apparmor_profiles) C(extra_rules))
    explain nothing. See C(docs/events.md).
  - A host with no record, or a record in another stage, starts observing. A host already promoted stays in
    C(enforce); the gate never demotes.
  - With O(stage=observe) or O(stage=enforce), the stage is the one given; the events since that stage began
    are still read for the run's report.
  - Seccomp records carry no profile name, so every C(SCMP_ACT_LOG) record on the host counts; seccomp records
    of other actions (another profile enforcing) do not.
  - Read only; runs in check mode.
author:
  - confine.hardening contributors (@confine)
options:
  stage:
    description: The configured stage (the role's C(host_hardening_stage)).
    type: str
    choices: [observe, enforce, auto]
    required: true
  record:
    description: The governance record written by M(confine.hardening.hardening_record).
    type: path
    default: /etc/ansible/facts.d/confine_hardening.fact
  observe_min:
    description: How long a host observes before it can be promoted (C(90), C(30m), C(24h), C(7d), C(1h30m)).
    type: str
    default: 24h
  seccomp_profiles:
    description: The seccomp specs of the run (as M(confine.hardening.seccomp_profile) takes them).
    type: list
    elements: dict
    default: []
  apparmor_profiles:
    description: The AppArmor specs of the run (as M(confine.hardening.apparmor_profile) takes them).
    type: list
    elements: dict
    default: []
  ignore:
    description:
      - Events to ignore. Each item maps event fields (C(profile), C(operation), C(name), C(denied_mask),
        C(capname), C(family), C(comm), C(syscall), C(exe), C(kind)) to shell-style patterns; an event is
        ignored when every field of an item matches.
    type: list
    elements: dict
    default: []
  source:
    description: Where to read the records; see M(confine.hardening.profile_events).
    type: str
    choices: [auto, auditd, journald, kmsg, file]
    default: auto
  log_path:
    description: The log to read with O(source=file).
    type: path
  bookmark:
    description:
      - A file where the reading of auditd's log stops, with the counts so far (C(0600), written whole and
        renamed into place), so that the next run with the same start reads only what was written since - the
        same counts, at the cost of the new records only. A log rotated or truncated since, or a bookmark that
        cannot be used, is said in a warning, and the log is then read from the start. Kept in a directory only
        root writes (the role uses C(host_hardening_state_dir)). Not written in check mode. Other sources
        (journald, the kernel ring buffer, O(source=file)) are read whole. See C(docs/events.md).
    type: path
  max_events:
    description: At most this many unexplained events are returned (all are counted).
    type: int
    default: 50
extends_documentation_fragment:
  - confine.hardening.attributes
attributes:
  diff_mode:
    support: none
seealso:
  - module: confine.hardening.profile_events
  - module: confine.hardening.hardening_record
"""

EXAMPLES = r"""
- name: May this host leave observe?
  confine.hardening.promotion_gate:
    stage: auto
    observe_min: 24h
    apparmor_profiles: "{{ host_hardening_apparmor_profiles }}"
    seccomp_profiles: "{{ host_hardening_seccomp_profiles }}"
    ignore:
      - {profile: web, operation: open, name: /usr/share/zoneinfo/*}
      - {syscall: set_robust_list}
  register: gate

- name: Say why
  ansible.builtin.debug:
    msg: "{{ gate.stage }}: {{ gate.reason }}"

- name: The same, reading only the records written since the last run
  confine.hardening.promotion_gate:
    stage: auto
    record: /etc/ansible/facts.d/confine_hardening.fact
    bookmark: /var/lib/confine/events-bookmark.json
"""

RETURN = r"""
stage:
  description: The stage of this run (observe or enforce).
  returned: always
  type: str
  sample: observe
promoted:
  description: Whether this run promotes the host from observe to enforce.
  returned: always
  type: bool
  sample: false
reason:
  description: One sentence on the decision.
  returned: always
  type: str
  sample: "2 unexplained events since observation began: web: open /srv/cache/x w by python3 (4 times); ..."
decision:
  description:
    - The decision in one word - C(configured) (the stage was given, not C(auto)), C(started) (observation starts
      now), C(observing), C(held) (unexplained events), C(held_records_lost) (the kernel dropped records),
      C(promoted) (this run), C(enforced) (promoted earlier).
  returned: always
  type: str
  sample: held
tallies:
  description:
    - The events since the stage began, per kind, AppArmor profile (seccomp records do not name a filter, so
      their C(profile) is empty) and class (C(unexplained), C(accepted), C(ignored)); C(events) distinct,
      C(occurrences) in all.
  returned: always
  type: list
  elements: dict
  sample: [{kind: apparmor, profile: web, class: unexplained, events: 2, occurrences: 9}]
stage_since:
  description: When the recorded stage began (ISO 8601), or null.
  returned: always
  type: str
observed_seconds:
  description: How long the host has been in its recorded stage.
  returned: always
  type: int
events:
  description: The unexplained events (at most O(max_events)), most frequent first.
  returned: always
  type: list
  elements: dict
event_lines:
  description: The first ten unexplained events, one line each, for people.
  returned: always
  type: list
  elements: str
  sample: ["web: open /srv/cache/x w by python3 (4 times)"]
counts:
  description: Occurrences since the stage began, in all and per verdict (C(unexplained), C(accepted), C(ignored)).
  returned: always
  type: dict
  sample: {events: 12, unexplained: 2, accepted: 3, ignored: 1, occurrences: 40}
suggestions:
  description: Spec additions that would explain the unexplained events (the profile modules' format).
  returned: always
  type: dict
audit_lost:
  description: The kernel's count of lost audit records since boot (C(auditctl -s)), or null.
  returned: always
  type: int
boot_id:
  description: The kernel's boot id (the lost-record counter starts again at each boot).
  returned: always
  type: str
source:
  description:
    - Where the records were read, and whether records were lost to rate limiting.
    - C(lost_during_stage) is how many records the kernel lost since the stage began; a host that lost records
      while observing is not promoted.
    - C(bookmark), with O(bookmark) - whether the reading resumed from it and the bytes and records this run read.
  returned: always
  type: dict
  sample: {name: auditd, where: /var/log/audit/audit.log, rate_limited: false, lost: 0,
           bookmark: {path: /var/lib/confine/events-bookmark.json, resumed: true, bytes_read: 218000, records_read: 1000}}
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.confine.hardening.plugins.module_utils import _audit as audit
from ansible_collections.confine.hardening.plugins.module_utils import _audit_sources as sources
from ansible_collections.confine.hardening.plugins.module_utils import _common as common
from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils import _gate as gate
from ansible_collections.confine.hardening.plugins.module_utils import _time as times


BOOT_ID = '/proc/sys/kernel/random/boot_id'
STAGES = ('observe', 'enforce')

GateError = common.ModuleError


def argument_spec():
    return dict(
        stage=dict(type='str', required=True, choices=['observe', 'enforce', 'auto']),
        record=dict(type='path', default='/etc/ansible/facts.d/confine_hardening.fact'),
        observe_min=dict(type='str', default='24h'),
        seccomp_profiles=dict(type='list', elements='dict', default=[]),
        apparmor_profiles=dict(type='list', elements='dict', default=[]),
        ignore=dict(type='list', elements='dict', default=[]),
        source=dict(type='str', default='auto', choices=list(sources.SOURCES)),
        log_path=dict(type='path'),
        bookmark=dict(type='path'),
        max_events=dict(type='int', default=50),
    )


def epoch(iso, now):
    """The record's time (ISO 8601) as epoch seconds, or None when it is missing or unreadable
    (the record is untrusted input: anything but a readable time means no stage start)."""
    if not isinstance(iso, str) or not iso:
        return None
    try:
        return times.parse_since(iso, now) or None
    except ValueError:
        return None


def _count(value):
    """Whether a value read back from the record is a count (a non-negative int)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _checked(p):
    """The options an argument spec cannot check; observe_min in seconds."""
    try:
        observe_min = times.parse_duration(p['observe_min'])
    except ValueError as exc:
        raise GateError('observe_min: %s' % exc)
    if p['log_path'] and p['source'] != 'file':
        raise GateError('log_path: only used with source=file (source is %s)' % p['source'])
    if p['max_events'] < 0:
        raise GateError('max_events: %d is negative; give 0 or more' % p['max_events'])
    for i, pattern in enumerate(p['ignore']):
        if not pattern:
            raise GateError('ignore[%d]: an empty pattern would ignore every event' % i)
    return observe_min


def _record(p):
    try:
        return fileio.read_json_object(p['record']) or {}
    except fileio.NotRegularFile as exc:
        raise GateError('record: %s; give the governance record file' % exc.strerror)


def _collect(module, since, must_read):
    """What ``sources.collect`` found since ``since``, or None (with a warning) when the
    source cannot be read; GateError then when ``must_read`` (the gate would promote)."""
    p = module.params
    try:
        return sources.collect(p['source'], since=since, profiles=[s.get('name') for s in p['apparmor_profiles']],
                               log_path=p['log_path'], run_command=module.run_command,
                               bookmark=p.get('bookmark'), save_bookmark=not module.check_mode)
    except (sources.SourceError, IOError, OSError) as exc:
        if not isinstance(exc, sources.SourceError):
            exc = '%s: reading %s failed (%s)' % ('log_path' if p['log_path'] else 'source',
                                                  getattr(exc, 'filename', None) or p['log_path'] or p['source'],
                                                  getattr(exc, 'strerror', None) or exc)
        if must_read:
            raise GateError('source: %s; without the audit records the gate cannot promote' % exc)
        module.warn('the run report has no events: %s' % exc)
        return None


def _sorted_events(module, found, result):
    """(unexplained, accepted, ignored) events of what was found; the result's source,
    counts, events, event_lines and suggestions set from them."""
    p = module.params
    for warning in found.get('warnings') or []:
        module.warn(warning)
    result['source'] = dict(name=found['source'], where=found['where'], rate_limited=found['rate_limited'],
                            lost=found['lost'], bookmark=found.get('bookmark'))
    unexplained, accepted, skipped = gate.sort_events(found['events'], p['seccomp_profiles'],
                                                      p['apparmor_profiles'], p['ignore'])
    result['counts'] = dict(events=len(found['events']), unexplained=len(unexplained),
                            accepted=len(accepted), ignored=len(skipped),
                            occurrences=sum(e['count'] for e in unexplained + accepted + skipped))
    result['events'] = unexplained[:p['max_events']]
    result['event_lines'] = [gate.describe(e) for e in unexplained[:10]]
    result['suggestions'] = audit.suggestions(unexplained)
    return unexplained, accepted, skipped


def _lost_during(module, record, continues, result):
    """Records the kernel lost during the stage; the result's audit_lost and boot_id set.

    The kernel's lost-record counter runs since boot: what counts is its rise since the
    stage began (kept in the record), not its value."""
    result['audit_lost'] = sources.auditctl_lost(module.run_command)[0]
    result['boot_id'] = (fileio.read_text(BOOT_ID) or '').strip() or None
    start = record.get('audit_lost_at_stage_start') if continues else None
    if result['audit_lost'] is not None and isinstance(start, dict) and _count(start.get('lost')):
        if start.get('boot_id') == result['boot_id']:
            return max(0, result['audit_lost'] - start['lost'])
        return result['audit_lost']     # rebooted: the counter started again from 0
    return 1 if result['source'].get('rate_limited') else 0


def run(module, now=None):
    p = module.params
    now = time.time() if now is None else now
    observe_min = _checked(p)
    record = _record(p)
    recorded = record.get('stage') if record.get('stage') in STAGES else None
    since = epoch(record.get('stage_since'), now)
    # events count from the start of the stage this run continues
    continues = (p['stage'] == recorded or (p['stage'] == 'auto' and recorded in STAGES))
    result = dict(changed=False, stage_since=record.get('stage_since') if continues and since else None,
                  observed_seconds=int(now - since) if continues and since else 0, events=[], event_lines=[],
                  suggestions={},
                  counts=dict(events=0, unexplained=0, accepted=0, ignored=0, occurrences=0), source={})
    unexplained = accepted = skipped = []
    if continues and since:
        found = _collect(module, since, must_read=p['stage'] == 'auto' and recorded == 'observe')
        if found is not None:
            unexplained, accepted, skipped = _sorted_events(module, found, result)
    lost_during = _lost_during(module, record, continues, result)
    result['source']['lost_during_stage'] = lost_during
    if p['stage'] == 'auto':
        stage, promoted, reason, decision = gate.decide(recorded, since, now, observe_min, unexplained, accepted,
                                                        skipped)
        if promoted and lost_during:
            stage, promoted, decision = 'observe', False, 'held_records_lost'
            reason = ('no unexplained events, but the kernel dropped audit records (rate limited), so some may be '
                      'missing; raise the audit backlog or rate limit and observe again')
    else:
        stage, promoted, decision = p['stage'], False, 'configured'
        reason = 'stage %s, as configured (host_hardening_stage)' % stage
    result.update(stage=stage, promoted=promoted, reason=reason, decision=decision,
                  tallies=gate.tallies(unexplained, accepted, skipped))
    return result


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    common.run_module(module, run, label='promotion gate: ')


if __name__ == '__main__':
    main()
