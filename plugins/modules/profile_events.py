#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: profile_events
short_description: Read the AppArmor and seccomp audit records of a host, counted, with profile suggestions
version_added: 0.1.0
description:
  - Reads the kernel's AppArmor (C(type=AVC), C(type=1400)) and seccomp (C(type=SECCOMP), C(type=1326)) audit
    records from auditd's log, the journal, the kernel ring buffer or a given file, and returns them
    deduplicated and counted, most frequent first, with the rules that would allow what was observed
    (RV(suggestions)), in the spec format of M(confine.hardening.apparmor_profile) and
    M(confine.hardening.seccomp_profile).
  - This is how a profile in complain mode (AppArmor C(apparmor="ALLOWED")) or with a C(SCMP_ACT_LOG)
    action is learned from, and how a gate checks that enforcing one blocks nothing that is needed
    (AppArmor C(apparmor="DENIED") records; seccomp C(SCMP_ACT_KILL_PROCESS) records, and C(SCMP_ACT_ERRNO)
    ones where the filter was loaded with logging asked for).
  - Logs are read in one pass; memory grows with the number of distinct events, not with the size of the log.
    A line of a log file that holds none of the words every record has (C(apparmor=), C(type=SECCOMP), ...) is
    passed over without being decoded or parsed (with C(grep -F) where it is installed). Only regular files are
    read (a FIFO or a device such as C(/dev/zero) as O(log_path) is refused at once), a line longer than 64 KiB
    is skipped without being held in memory, and each line is parsed in time linear in its length. Lines that
    look like records but are cut short or broken, and overlong ones, are counted in RV(malformed), never
    fatal.
  - Observed names are literal. A suggested file rule matches exactly the logged name (AppArmor glob characters
    such as C(*), C(?), C([), C({), C(@) and C(\) in it are escaped), except for the generalisations documented in
    C(docs/events.md) (a process id under C(/proc), a component of digits, a hex suffix).
  - Records the kernel lost or did not log (its audit rate and backlog limits, the printk rate limit) are
    reported in RV(rate_limited) and RV(lost), with a warning. See C(docs/events.md).
  - Reads only; never changes the host. C(changed) is always false.
author:
  - confine.hardening contributors (@confine)
options:
  since:
    description:
      - Only records from this time on. Epoch seconds (V(1795468675), quote it in YAML), an ISO 8601 time
        (V(2026-11-24T10:00:00Z), V(2026-11-24T11:00:00+01:00); a time without an offset is UTC), or a
        duration meaning that long ago (V(30s), V(15m), V(2h), V(1d), V(1h30m)).
      - Omitted, every record the source still holds is read.
    type: str
  profiles:
    description:
      - AppArmor profile names to keep; events of child profiles (C(NAME//child)) count for C(NAME).
        Omitted or empty, all profiles are kept.
      - Seccomp records are never filtered by profile, because they carry no profile name (only the
        process, its executable and its AppArmor label); use O(kinds) to leave them out.
    type: list
    elements: str
  source:
    description:
      - Where the records are read.
      - V(auditd) reads C(/var/log/audit/audit.log) and its rotated files C(audit.log.N), oldest first;
        rotated files last written before O(since) are not opened.
      - V(journald) reads the journal's kernel and audit transports with C(journalctl -o json). Where
        C(systemd-journald-audit.socket) is active, journald has every record even when the kernel's
        printk rate limit kept it out of the kernel log; a record in both is counted once.
      - V(kmsg) reads the kernel ring buffer C(/dev/kmsg) (root, or C(CAP_SYSLOG) with
        C(kernel.dmesg_restrict=1)). When auditd runs, the kernel does not log records there.
      - V(file) reads O(log_path).
      - V(auto) takes auditd when its log is readable and auditd runs, else journald when C(journalctl) is
        installed and journald runs, else C(/dev/kmsg).
    type: str
    default: auto
    choices: [auto, auditd, journald, kmsg, file]
  log_path:
    description:
      - The file read with O(source=file), for example a copy of an auditd log, C(dmesg) output, raw
        C(/dev/kmsg) records, or C(journalctl -o cat) or C(journalctl -o json) output. The format is
        recognised line by line.
      - Required with O(source=file); an error with any other O(source).
    type: path
  bookmark:
    description:
      - A file where the reading of auditd's log stops, with the counts so far (C(0600), written whole and
        renamed into place), so that the next run with the same O(since) and O(profiles) reads only what was
        written since - the same counts, at the cost of the new records only. A log rotated or truncated since,
        or a bookmark that cannot be used, is said in a warning, and the log is then read from O(since). Keep it
        in a directory only root writes. Not written in check mode. Other sources (journald, the kernel ring
        buffer, O(source=file)) are read whole. See C(docs/events.md).
    type: path
  kinds:
    description: The kinds of records returned, counted and suggested from.
    type: list
    elements: str
    choices: [apparmor, seccomp]
    default: [apparmor, seccomp]
  max_events:
    description:
      - At most this many events are returned in RV(events), the most frequent first; V(0) returns none.
        RV(counts) and RV(suggestions) always cover every event.
    type: int
    default: 500
extends_documentation_fragment:
  - confine.hardening.attributes
attributes:
  diff_mode:
    support: none
notes:
  - Reading auditd's log, C(/dev/kmsg) and all of the journal needs root (C(become=true)).
  - Syscall numbers are named with the host's libseccomp for the architecture of each record. Without
    libseccomp, seccomp events keep their numbers and no seccomp suggestion is made.
  - C(lost) counts since boot; C(auditctl --reset-lost) starts the count again.
seealso:
  - module: confine.hardening.apparmor_profile
  - module: confine.hardening.seccomp_profile
"""

EXAMPLES = r"""
- name: The records since the stage began, reading only what was written since the last run
  confine.hardening.profile_events:
    since: "2026-12-01T00:00:00+00:00"
    bookmark: /var/lib/confine/events-bookmark.json

- name: What the web profile met in the last two hours
  confine.hardening.profile_events:
    since: 2h
    profiles: [web]
    kinds: [apparmor]
  become: true
  register: web_events

- name: Learn from the complain-mode run - merge the suggested rules into the profile's spec
  confine.hardening.apparmor_profile:
    profiles:
      - "{{ web_spec | ansible.builtin.combine(web_events.suggestions.apparmor.web | default({}),
                                               recursive=true, list_merge='append_rp') }}"
  vars:
    web_spec:
      name: web
      preset: container-default
      mode: complain
      files:
        - {path: /srv/www/**, perms: r}
      capabilities: {allow: [net_bind_service]}
  become: true

- name: Seccomp - the syscalls a log-mode allowlist profile logged, from the journal
  confine.hardening.profile_events:
    source: journald
    since: "2026-11-24T10:00:00Z"
    kinds: [seccomp]
  become: true
  register: sc_events

- name: Allow them in the profile
  confine.hardening.seccomp_profile:
    profiles:
      - "{{ sc_spec | ansible.builtin.combine(sc_events.suggestions.seccomp | default({}), list_merge='append_rp') }}"
  vars:
    sc_spec:
      name: web
      preset: allowlist
      mode: log
      syscalls:
        - {names: [epoll_wait, accept4], action: SCMP_ACT_ALLOW}
  become: true

- name: Gate - nothing was denied since the profile was enforced, and nothing was lost
  confine.hardening.profile_events:
    since: "{{ enforced_at }}"
    profiles: [web]
    kinds: [apparmor]
  become: true
  register: gate
  failed_when: >-
    gate.rate_limited or (gate.events | selectattr('verdict', 'eq', 'DENIED') | list | length > 0)

- name: Read a log copied from another host
  confine.hardening.profile_events:
    source: file
    log_path: /tmp/lab-audit.log
  delegate_to: localhost
"""

RETURN = r"""
source:
  description: The source read (O(source=auto) resolved).
  returned: always
  type: str
  sample: auditd
where:
  description: The file or command read.
  returned: always
  type: str
  sample: /var/log/audit/audit.log
since:
  description: The start of the window in epoch seconds; V(0.0) when O(since) was not given.
  returned: always
  type: float
  sample: 1795468675.0
since_iso:
  description: RV(since) as an ISO 8601 UTC time; null when O(since) was not given.
  returned: always
  type: str
  sample: "2026-11-24T10:00:00Z"
events:
  description:
    - The distinct events, most frequent first, at most O(max_events).
    - C(count) is how often the event was seen, C(first) and C(last) the epoch times of the first and last.
    - AppArmor events have C(verdict) (V(ALLOWED) in complain mode, V(DENIED), V(AUDIT)), C(profile),
      C(operation), C(comm), and as the record has them C(name), C(requested_mask), C(denied_mask),
      C(capname), C(family), C(sock_type), C(peer), C(signal), C(fstype), C(srcname), C(flags).
    - Seccomp events have C(action) (from the record's C(code)), C(arch) (the audit arch, hex),
      C(nr), C(syscall) (its name on that arch, null when unknown), C(comm), C(exe) and C(label) (the
      AppArmor label of the process).
  returned: always
  type: list
  elements: dict
  sample:
    - {kind: apparmor, verdict: ALLOWED, profile: web, operation: open, comm: nginx, name: /srv/cache/x,
       requested_mask: r, denied_mask: r, count: 12, first: 1795468675.652, last: 1795468699.1}
    - {kind: seccomp, action: SCMP_ACT_LOG, arch: c000003e, nr: 165, syscall: mount, comm: probe,
       exe: /probe, label: docker-default, count: 1, first: 1795468300.12, last: 1795468300.12}
truncated:
  description: How many events were left out of RV(events) by O(max_events).
  returned: always
  type: int
  sample: 0
counts:
  description: Occurrences (sums of the events' C(count)) by kind, and of AppArmor events by profile.
  returned: always
  type: dict
  sample: {apparmor: 14, seccomp: 1, by_profile: {web: 14}}
suggestions:
  description:
    - Rules that allow what the ALLOWED and DENIED records show, in the spec format of the profile modules.
      C(AUDIT) records (accesses a rule allows and logs) suggest nothing.
    - C(apparmor) maps a profile name (child profiles under their parent) to C(files), C(capabilities)
      and C(network) to add. A file rule's path is the logged name with every AppArmor glob character
      escaped (a file named C(/srv/**) gives C(/srv/\*\*), which matches only that file); the only
      generalisations are C(/proc/PID/) as C(@{PROC}/@{pid}/), a component of digits as one C([0-9]) per digit
      and a hex suffix of six or more characters as one C([0-9a-fA-F]) per character.
    - Names no rule can express (control characters, bytes that are not UTF-8) and capabilities, network
      families or types the profile modules do not know get no suggestion, with a warning.
    - C(seccomp) is present when seccomp events were seen and named; its C(syscalls) is one rule to
      add to O(confine.hardening.seccomp_profile#module:syscalls).
    - Review them before use; a suggestion allows what happened, whether it should have or not.
  returned: always
  type: dict
  sample:
    apparmor:
      web:
        files: [{path: /srv/cache/x, perms: r}]
        capabilities: {allow: [net_bind_service]}
        network: [{family: inet, type: stream}]
    seccomp:
      syscalls: [{names: [mount], action: SCMP_ACT_ALLOW}]
lines:
  description:
    - Lines parsed. From a log file, only the lines that may be records (the others are passed over unparsed);
      from journald and the kernel ring buffer, every record read.
  returned: always
  type: int
  sample: 48211
bookmark:
  description:
    - With O(bookmark), whether the reading resumed from it (C(resumed)), and the bytes and records this run
      read (C(bytes_read), C(records_read)); null without.
  returned: always
  type: dict
  sample: {path: /var/lib/confine/events-bookmark.json, resumed: true, bytes_read: 218000, records_read: 1000}
bytes:
  description: Bytes of log files read (null for journald and the kernel ring buffer).
  returned: always
  type: int
  sample: 1073741824
malformed:
  description:
    - Lines skipped because they looked like AppArmor or seccomp records but were cut short or broken, or
      were longer than 64 KiB.
    - Before 0.2.0 this was called C(skipped), which made Ansible show the task as skipped.
  returned: always
  type: int
  sample: 0
rate_limited:
  description:
    - Whether the kernel reported records lost or not logged (the C(lost) counter of C(auditctl -s), its
      C(audit_lost=), C(backlog limit exceeded) and C(rate limit exceeded) lines, printk C(callbacks suppressed)
      lines where only the kernel log is read, auditd's own errors). The events may then be incomplete.
  returned: always
  type: bool
  sample: false
lost:
  description:
    - Records the kernel reported lost or not logged, since boot; null when the source gives no way to know.
  returned: always
  type: int
  sample: 0
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.confine.hardening.plugins.module_utils import _audit as audit
from ansible_collections.confine.hardening.plugins.module_utils import _audit_sources as sources
from ansible_collections.confine.hardening.plugins.module_utils import _common as common
from ansible_collections.confine.hardening.plugins.module_utils import _time as times

KINDS = ['apparmor', 'seccomp']


EventsError = common.ModuleError


def argument_spec():
    return dict(
        since=dict(type='str'),
        profiles=dict(type='list', elements='str'),
        source=dict(type='str', default='auto', choices=list(sources.SOURCES)),
        log_path=dict(type='path'),
        bookmark=dict(type='path'),
        kinds=dict(type='list', elements='str', choices=KINDS, default=list(KINDS)),
        max_events=dict(type='int', default=500),
    )


def run(module, now=None):
    params = module.params
    try:
        since = times.parse_since(params['since'], time.time() if now is None else now)
    except ValueError as exc:
        raise EventsError('since: %s' % exc)
    for i, name in enumerate(params['profiles'] or []):
        if not name or len(name) > 4096:
            raise EventsError('profiles[%d]: %s is not a profile name' % (i, times.shown(name)))
    kinds = params['kinds']
    if not kinds:
        raise EventsError('kinds: name at least one of %s' % ', '.join(KINDS))
    if params['max_events'] < 0:
        raise EventsError('max_events: %d is negative; give 0 or more' % params['max_events'])
    try:
        got = sources.collect(params['source'], since=since, profiles=params['profiles'],
                              log_path=params['log_path'], run_command=module.run_command,
                              bookmark=params.get('bookmark'), save_bookmark=not module.check_mode)
    except sources.SourceError as exc:
        raise EventsError(str(exc))
    except (IOError, OSError) as exc:
        where = getattr(exc, 'filename', None) or params['log_path'] or params['source']
        raise EventsError('%s: reading %s failed (%s)' % ('log_path' if params['log_path'] else 'source', where,
                                                          exc.strerror or exc))
    events = [e for e in got['events'] if e['kind'] in kinds]
    unsuggested = []
    suggestions = audit.suggestions(events, unsuggested)
    if unsuggested:
        first = unsuggested[0]
        module.warn('%d events get no suggestion: the name, capability or network family they log cannot be '
                    'written as a rule (for example %s); write such rules by hand, if at all'
                    % (len(unsuggested), times.shown(first.get('name') or first.get('capname') or first.get('family'))))
    counts = sources.count_events(events)
    truncated = max(0, len(events) - params['max_events'])
    if truncated:
        module.warn('%d of %d events are left out (max_events=%d); counts and suggestions cover all of them'
                    % (truncated, len(events), params['max_events']))
        events = events[:params['max_events']]
    for warning in got['warnings']:
        module.warn(warning)
    return dict(changed=False, source=got['source'], where=got['where'], since=since, since_iso=times.iso_utc(since),
                events=events, truncated=truncated, counts=counts, suggestions=suggestions, lines=got['lines'],
                bytes=got.get('bytes'), bookmark=got.get('bookmark'),
                malformed=got['malformed'], rate_limited=got['rate_limited'], lost=got['lost'])


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    common.run_module(module, run)


if __name__ == '__main__':
    main()
