# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The promotion gate: may a host in observe go to enforce?

An event (a kernel audit record of what a profile in observe would have blocked) is
*explained* when the profile's spec now allows it, read as AppArmor reads the profile
(the event was accepted), or when it matches one of the user's ignore patterns.  A host
is promoted once it has been observed for long enough and every event since observation
began is explained.

Observed names are literal (issue 11 item 4): an event counts as accepted only when a rule
the spec really holds (its preset's rules included) matches the event's logged name as
AppArmor's glob compiler would, grants every permission the event asked for, and no deny
rule of the spec takes it away.  Nothing is compared with the suggestion the event would
give, so a name full of glob characters cannot make a broader rule count as accepted, and
an accepted suggestion explains only the names it really matches.  A rule the gate cannot
read (an unknown variable, a malformed glob, an ``owner`` rule, ``extra_rules``) explains
nothing, and a deny rule among ``extra_rules`` makes the profile's events explain nothing at all
(the gate cannot tell what it takes away).
"""

import fnmatch

from ansible_collections.confine.hardening.plugins.module_utils import _aare as aare
from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_presets as presets
from ansible_collections.confine.hardening.plugins.module_utils import _audit as audit
from ansible_collections.confine.hardening.plugins.module_utils import _common as common
from ansible_collections.confine.hardening.plugins.module_utils import _time as times

ALLOWING = ('SCMP_ACT_ALLOW', 'SCMP_ACT_LOG')


# what an event's mask asks for (audit.MASK_PERMS), and x: exec
MASK_NEEDS = dict(audit.MASK_PERMS, x='x')


def _needed(mask):
    """The permissions an event's mask asks for, or None when it has a letter the gate does
    not know (then nothing explains it)."""
    need = set()
    for char in mask:
        if char == ':':
            continue
        if char not in MASK_NEEDS:
            return None
        need.add(MASK_NEEDS[char])
    return need


def _rule_grants(rule, exec_list=False):
    """(path, set of permissions) an allow or deny rule of a spec names, or None for a rule
    the gate does not read (not a mapping, no string path, owner-only)."""
    if not isinstance(rule, dict) or not isinstance(rule.get('path'), str):
        return None
    if exec_list:
        mode = rule.get('mode', 'ix')
        return rule['path'], set('x') if isinstance(mode, str) and mode else set()
    perms = rule.get('perms') or ''
    if not isinstance(perms, str):
        return None
    grants = set(c for c in perms if c in audit.PERM_ORDER)
    if 'w' in grants:
        grants.add('a')
    if rule.get('exec'):
        grants.add('x')
    return rule['path'], grants


class _Matcher(object):
    def __init__(self):
        self.cache = {}

    def matches(self, path, name):
        matcher = self.cache.get(path)
        if matcher is None:
            matcher = self.cache[path] = aare.glob_matcher(path)
        return matcher.match(name)


def _full_spec(spec):
    """The spec with its preset merged in (the rules AppArmor will load); the spec as it is
    when it cannot be built (the profile module refuses such a spec anyway)."""
    try:
        return presets.build_spec(spec)
    except (common.SpecError, TypeError, ValueError, AttributeError, KeyError):
        return spec


def _list(value):
    return value if isinstance(value, list) else []


def file_accepted(name, mask, spec, matcher=None):
    """Whether ``spec`` lets a process open the logged path ``name`` with ``mask``: the union
    of the allow rules that match it grants every permission asked for, and no deny rule that
    matches it takes one away.  ``owner`` allow rules are not counted (the gate cannot tell
    the file was the process's own); ``owner`` deny rules are."""
    matcher = matcher or _Matcher()
    need = _needed(mask)
    if not need or not isinstance(name, str) or not name.startswith('/'):
        return False
    granted, denied = set(), set()
    rules = [(r, False) for r in _list(spec.get('files'))] + [(r, True) for r in _list(spec.get('exec'))]
    for rule, exec_list in rules:
        got = _rule_grants(rule, exec_list)
        if got is None or not matcher.matches(got[0], name):
            continue
        if rule.get('deny'):
            denied |= got[1]
        elif not rule.get('owner'):
            granted |= got[1]
    if 'a' in need and 'w' in granted:
        granted.add('a')
    return need <= granted and not (need & (denied | (set('a') if 'w' in denied else set())))


def _capability_accepted(capname, spec):
    caps = spec.get('capabilities')
    if not isinstance(caps, dict):
        return False
    allow, deny = _list(caps.get('allow')), _list(caps.get('deny'))
    return (capname in allow or '*' in allow) and capname not in deny and '*' not in deny


def _network_accepted(family, sock_type, spec):
    allowed = False
    for rule in _list(spec.get('network')):
        if not isinstance(rule, dict):
            continue
        if rule.get('family') in (family, 'all', None) and rule.get('type') in (None, sock_type):
            if rule.get('deny'):
                return False
            allowed = True
    return allowed


def _has_extra_deny(spec):
    """Whether ``extra_rules`` hold a deny rule: the gate does not read them, so it cannot tell
    what such a rule takes away, and explains nothing for the profile rather than promote it
    into a denial enforce mode would then make."""
    for line in _list(spec.get('extra_rules')):
        if isinstance(line, str) and 'deny' in line.split()[:3]:
            return True
    return False


def apparmor_accepted(event, spec, matcher=None):
    """Whether ``spec`` (a profile spec as the role takes it, its preset included) now allows
    what ``event`` did, as AppArmor would decide it."""
    if not isinstance(spec, dict) or _has_extra_deny(spec):
        return False
    spec = _full_spec(spec)
    if event.get('capname'):
        return _capability_accepted(event['capname'], spec)
    if event.get('family'):
        return _network_accepted(event['family'], event.get('sock_type'), spec)
    name = event.get('name') or ''
    if not name.startswith('/') or not event.get('denied_mask'):
        return False
    return file_accepted(name, event['denied_mask'], spec, matcher)


def seccomp_accepted(event, specs):
    name = event.get('syscall')
    if not name:
        return False
    for spec in specs:
        if not isinstance(spec, dict):
            continue
        for rule in _list(spec.get('syscalls')):
            if not isinstance(rule, dict):
                continue
            names = rule.get('names') or ([rule['name']] if rule.get('name') else [])
            if isinstance(names, str):
                names = [names]
            action = rule.get('action')
            action = action.upper() if isinstance(action, str) else ''
            if isinstance(names, list) and name in names and action in ALLOWING and not rule.get('args'):
                return True
    return False


def ignored(event, patterns):
    """The first ignore pattern that matches the event (every key of it, by fnmatch), or None."""
    for pattern in patterns or []:
        if not pattern or not isinstance(pattern, dict):
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
    by_name = dict((s.get('name'), s) for s in apparmor_specs or [] if isinstance(s, dict))
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


def describe(event):
    if event['kind'] == 'seccomp':
        return 'seccomp %s by %s (%d times)' % (event.get('syscall') or 'syscall %s' % event.get('nr'),
                                                event.get('exe') or event.get('comm'), event['count'])
    what = event.get('capname') and 'capability %s' % event['capname'] or \
        event.get('family') and 'network %s %s' % (event['family'], event.get('sock_type') or '') or \
        '%s %s %s' % (event['operation'], event.get('name') or '', event.get('denied_mask') or '')
    return '%s: %s by %s (%d times)' % (event['profile'], ' '.join(what.split()), event.get('comm'), event['count'])


def decide(record_stage, since, now, observe_min, unexplained, accepted, skipped):
    """(stage, promoted, reason, decision) for a host whose configured stage is auto; the decision is
    one word of DECISIONS (the node metrics' label)."""
    if record_stage == 'enforce':
        return 'enforce', False, 'already enforced (promoted earlier); the gate does not demote', 'enforced'
    if record_stage != 'observe' or since is None:
        return 'observe', False, 'observation starts now; promotion after %s without unexplained events' % (
            times.human_duration(observe_min)), 'started'
    observed = now - since
    if unexplained:
        return 'observe', False, '%d unexplained event%s since observation began: %s' % (
            len(unexplained), '' if len(unexplained) == 1 else 's',
            '; '.join(describe(e) for e in unexplained[:5])), 'held'
    if observed < observe_min:
        return 'observe', False, 'observed for %s of %s; no unexplained events so far' % (
            times.human_duration(observed), times.human_duration(observe_min)), 'observing'
    return 'enforce', True, 'observed for %s with no unexplained events (%d accepted, %d ignored): promoted' % (
        times.human_duration(observed), len(accepted), len(skipped)), 'promoted'


# What the gate decided, one word each: the stage as configured (not auto), observation
# starting, going on, held by unexplained events or by records the kernel lost, promoted now,
# enforced since an earlier promotion.
DECISIONS = ('configured', 'started', 'observing', 'held', 'held_records_lost', 'promoted', 'enforced')
CLASSES = ('unexplained', 'accepted', 'ignored')


def tallies(unexplained, accepted, ignored):
    """[{kind, profile, class, events, occurrences}] of the sorted events: per AppArmor profile (its
    top profile; the gate reads only the profiles it manages) and for seccomp as a whole (the
    kernel's record does not say which filter logged)."""
    out = {}
    for klass, events in zip(CLASSES, (unexplained, accepted, ignored)):
        for event in events:
            profile = '' if event['kind'] == 'seccomp' else event['profile'].split('//', 1)[0]
            entry = out.setdefault((event['kind'], profile, klass), {'events': 0, 'occurrences': 0})
            entry['events'] += 1
            entry['occurrences'] += event['count']
    return [dict(kind=k, profile=p, **dict(out[(k, p, c)], **{'class': c})) for k, p, c in sorted(out)]
