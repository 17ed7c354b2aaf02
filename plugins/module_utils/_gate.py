# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The promotion gate: may a host in observe go to enforce?

An event (a kernel audit record of what a profile in observe would have blocked) is
*explained* when the profile's spec now has the rule its suggestion would add (the event
was accepted) or when it matches one of the user's ignore patterns.  A host is promoted
once it has been observed for long enough and every event since observation began is
explained.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import re

from ansible_collections.confine.hardening.plugins.module_utils import _audit as audit

PERM_ORDER = 'rwaklm'
ALLOWING = ('SCMP_ACT_ALLOW', 'SCMP_ACT_LOG')


def apparmor_glob_re(pattern):
    """An AppArmor path glob as a regular expression (``**``, ``*``, ``?``, ``[...]``,
    ``{a,b}``, and the @{PROC} and @{pid} variables the suggestions use)."""
    pattern = pattern.replace('@{PROC}', '/proc').replace('//', '/')
    out, i, depth = [], 0, 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith('@{pid}', i):
            out.append('[0-9]+')
            i += 6
            continue
        if pattern.startswith('**', i):
            out.append('.*')
            i += 2
            continue
        if c == '*':
            out.append('[^/]*')
        elif c == '?':
            out.append('[^/]')
        elif c == '[':
            end = pattern.find(']', i)
            if end < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1:end]
                out.append('[%s]' % ('^' + body[1:] if body.startswith('^') else body))
                i = end + 1
                continue
        elif c == '{':
            out.append('(?:')
            depth += 1
        elif c == '}' and depth:
            out.append(')')
            depth -= 1
        elif c == ',' and depth:
            out.append('|')
        else:
            out.append(re.escape(c))
        i += 1
    try:
        return re.compile('^%s$' % ''.join(out))
    except re.error:
        return re.compile(r'(?!)')     # a rule the gate cannot read explains nothing


def _perms_cover(have, want):
    have = set(have or '')
    if 'w' in have:
        have.add('a')
    return set(want or '') <= have


def apparmor_accepted(event, spec):
    """Whether ``spec`` (a profile spec as the role takes it) now allows what ``event`` did."""
    if event.get('capname'):
        caps = ((spec.get('capabilities') or {}).get('allow') or [])
        return event['capname'] in caps
    if event.get('family'):
        for rule in spec.get('network') or []:
            if rule.get('family') in (event['family'], 'all', None) and \
                    rule.get('type') in (None, event.get('sock_type')):
                return True
        return False
    name = event.get('name') or ''
    if not name.startswith('/') or not event.get('denied_mask'):
        return False
    wanted = audit.suggestions([dict(event, count=1)])['apparmor']
    rules = [r for add in wanted.values() for r in add.get('files') or []]
    if not rules:
        return False
    want = rules[0]
    for rule in spec.get('files') or []:
        path = rule.get('path') or ''
        matches = path == want['path'] or apparmor_glob_re(path).match(name)
        if matches and _perms_cover(rule.get('perms'), want.get('perms')) and ('exec' not in want or rule.get('exec')):
            return True
    return False


def seccomp_accepted(event, specs):
    name = event.get('syscall')
    for spec in specs:
        for rule in spec.get('syscalls') or []:
            names = rule.get('names') or ([rule['name']] if rule.get('name') else [])
            if isinstance(names, str):
                names = [names]
            action = (rule.get('action') or '').upper()
            if name in names and action in ALLOWING and not rule.get('args'):
                return True
    return False


def ignored(event, patterns):
    """The first ignore pattern that matches the event (every key of it, by fnmatch), or None."""
    for pattern in patterns or []:
        if not pattern:
            continue
        if all(fnmatch.fnmatchcase('' if event.get(k) is None else str(event.get(k)), str(v))
               for k, v in pattern.items()):
            return pattern
    return None


def sort_events(events, seccomp_specs, apparmor_specs, patterns):
    """(unexplained, accepted, ignored) lists of this run's events.

    Seccomp records of actions other than SCMP_ACT_LOG (another profile enforcing) and
    AppArmor records that are not a verdict, or name a profile this run does not
    manage, are not the gate's business and are left out."""
    by_name = dict((s.get('name'), s) for s in apparmor_specs or [])
    unexplained, accepted, skipped = [], [], []
    for event in events:
        if event['kind'] == 'seccomp':
            if event.get('action') != 'SCMP_ACT_LOG':
                continue
            spec = None
        else:
            spec = by_name.get(event['profile'].split('//', 1)[0])
            if event.get('verdict') not in ('ALLOWED', 'DENIED') or spec is None:
                continue
        if ignored(event, patterns):
            skipped.append(event)
        elif seccomp_accepted(event, seccomp_specs or []) if spec is None else apparmor_accepted(event, spec):
            accepted.append(event)
        else:
            unexplained.append(event)
    return unexplained, accepted, skipped


def human_duration(seconds):
    seconds = int(max(0, seconds))
    parts = []
    for unit, size in (('d', 86400), ('h', 3600), ('m', 60)):
        if seconds >= size:
            parts.append('%d%s' % (seconds // size, unit))
            seconds %= size
    if seconds or not parts:
        parts.append('%ds' % seconds)
    return ''.join(parts[:2])


def describe(event):
    if event['kind'] == 'seccomp':
        return 'seccomp %s by %s (%d times)' % (event.get('syscall') or 'syscall %s' % event.get('nr'),
                                                event.get('exe') or event.get('comm'), event['count'])
    what = event.get('capname') and 'capability %s' % event['capname'] or \
        event.get('family') and 'network %s %s' % (event['family'], event.get('sock_type') or '') or \
        '%s %s %s' % (event['operation'], event.get('name') or '', event.get('denied_mask') or '')
    return '%s: %s by %s (%d times)' % (event['profile'], ' '.join(what.split()), event.get('comm'), event['count'])


def decide(record_stage, since, now, observe_min, unexplained, accepted, skipped):
    """(stage, promoted, reason) for a host whose configured stage is auto."""
    if record_stage == 'enforce':
        return 'enforce', False, 'already enforced (promoted earlier); the gate does not demote'
    if record_stage != 'observe' or since is None:
        return 'observe', False, 'observation starts now; promotion after %s without unexplained events' % (
            human_duration(observe_min))
    observed = now - since
    if unexplained:
        return 'observe', False, '%d unexplained event%s since observation began: %s' % (
            len(unexplained), '' if len(unexplained) == 1 else 's', '; '.join(describe(e) for e in unexplained[:5]))
    if observed < observe_min:
        return 'observe', False, 'observed for %s of %s; no unexplained events so far' % (
            human_duration(observed), human_duration(observe_min))
    return 'enforce', True, 'observed for %s with no unexplained events (%d accepted, %d ignored): promoted' % (
        human_duration(observed), len(accepted), len(skipped))
