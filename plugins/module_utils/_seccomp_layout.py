# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a profile is laid out in the JSON runc and crun load, so that the calls the profile
filters by argument are not the last ones the kernel's filter reaches.

runc (1.1, and 1.2 for profiles of 32 names or fewer) and crun compile a JSON profile with
libseccomp's default layout: one list of syscall checks, and the calls that carry argument
conditions after every call that carries none.  In a default-allow profile that puts
``socket`` and ``clone``, which threads and servers make all the time and which the kernel's
constant-action cache cannot skip because their answer depends on their arguments, behind
every unconditional denial (117 and 138 BPF instructions for hardened's socket and clone on
x86_64, against 13 and 34 when they come first).

``lay_out(profile)`` writes each such denial as two rules that between them cover every
call: the first argument equal to 0, and not equal to 0, with the other five compared
``>= 0`` (true of every unsigned value).  libseccomp gives them more argument checks than
the argument rules, so it lays them out after those; what the profile decides does not
change (tests/unit/plugins/module_utils/test_seccomp_layout.py runs both programs on
generated profiles and calls).  ``strip(rules)`` joins such pairs back when a rendered
profile is read, so the profile the collection reasons about is the one its author wrote.

Left as they are: rules with conditions, allowing and logging rules (runc skips a rule that
does what the default does, and allowed calls must stay cheap), SCMP_ACT_TRACE and
SCMP_ACT_NOTIFY (a tracer or a listener decides), ENOSYS answers (clone3's: glibc makes it
before every thread), names that have another rule, and profiles without argument rules
(there is nothing to put first).
"""

HALF_ARGS = (
    ({'index': 0, 'op': 'SCMP_CMP_EQ'},) + tuple({'index': i, 'op': 'SCMP_CMP_GE'} for i in range(1, 6)),
    ({'index': 0, 'op': 'SCMP_CMP_NE'},) + tuple({'index': i, 'op': 'SCMP_CMP_GE'} for i in range(1, 6)),
)
SPLIT_ACTIONS = ('SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD',
                 'SCMP_ACT_TRAP')
ENOSYS = 38


def _oci_half(which):
    return [{'index': a['index'], 'value': 0, 'valueTwo': 0, 'op': a['op']} for a in HALF_ARGS[which]]


def _is_half(args, which):
    """``args`` (internal form) are exactly half ``which`` of the pair."""
    want = [(a['index'], 0, 0, a['op']) for a in HALF_ARGS[which]]
    return sorted((a['index'], a['value'], a['value_two'], a['op']) for a in args) == want


def _splits(entry):
    return (not entry.get('args') and entry['action'] in SPLIT_ACTIONS
            and not (entry['action'] == 'SCMP_ACT_ERRNO' and entry.get('errnoRet') == ENOSYS))


def lay_out(profile):
    """``profile`` (canonical OCI) with its unconditional denials written as pairs of argument
    rules, when it has argument rules; the same mapping otherwise.  Idempotent."""
    entries = profile.get('syscalls') or []
    if not any(entry.get('args') for entry in entries):
        return profile
    seen = {}
    for entry in entries:
        for name in entry['names']:
            seen[name] = seen.get(name, 0) + 1
    out = []
    for entry in entries:
        alone = [n for n in entry['names'] if seen[n] == 1] if _splits(entry) else []
        rest = [n for n in entry['names'] if n not in alone]
        if rest:
            out.append(dict(entry, names=rest))
        if alone:
            out.extend(dict(entry, names=alone, args=_oci_half(which)) for which in (0, 1))
    return dict(profile, syscalls=out)


def _order(key):
    name, action, errno = key
    return (name or '', action, -1 if errno is None else errno)


def strip(rules):
    """Internal-form ``rules`` with each pair lay_out wrote joined back into one unconditional
    rule: a name joins when both halves name it with one action and errno and no other rule
    names it.  Anything else stays as written."""
    halves = {}
    others = set()
    for rule in rules:
        which = [w for w in (0, 1) if _is_half(rule['args'], w)]
        for name in rule['names']:
            if which:
                halves.setdefault((name, rule['action'], rule['errno']), set()).add(which[0])
            else:
                others.add(name)
    counted = {}
    for name, _action, _errno in halves:
        counted[name] = counted.get(name, 0) + 1
    joined = dict((key, True) for key, got in halves.items()
                  if got == set((0, 1)) and key[0] not in others and counted[key[0]] == 1)
    if not joined:
        return rules
    out = []
    for rule in rules:
        half = _is_half(rule['args'], 0) or _is_half(rule['args'], 1)
        names = [n for n in rule['names'] if not (half and (n, rule['action'], rule['errno']) in joined)]
        if names:
            out.append(dict(rule, names=names))
    by_action = {}
    for name, action, errno in sorted(joined, key=_order):
        by_action.setdefault((action, errno), []).append(name)
    for (action, errno), names in sorted(by_action.items(), key=lambda item: _order((None,) + item[0])):
        out.append({'names': names, 'action': action, 'errno': errno, 'args': []})
    return out
