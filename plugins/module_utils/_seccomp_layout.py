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

``lay_out(profile)`` writes each such denial as rules that between them cover every call: the
first argument equal to 0, to 1, ..., to K-1, and at least K, one rule each. libseccomp puts a
call with more argument checks later, so with K above the most checks any call with argument
rules has, the denials come after all of those; what the profile decides does not change
(tests/unit/plugins/module_utils/test_seccomp_layout.py runs both programs on generated
profiles and calls). The rules differ only in the first argument, so libseccomp shares one
block of code among every denied call: `hardened` grows by 24 instructions and compiles in a
hundredth of a second (rules of several conditions each cost it exponentially more).
``strip(rules)`` joins such a set back when a rendered profile is read, so the profile the
collection reasons about is the one its author wrote.

Left as they are: rules with conditions, allowing and logging rules (runc skips a rule that
does what the default does, and allowed calls must stay cheap), SCMP_ACT_TRACE and
SCMP_ACT_NOTIFY (a tracer or a listener decides), ENOSYS answers (clone3's: glibc makes it
before every thread), names that have another rule, and profiles without argument rules
(there is nothing to put first).
"""

SPLIT_ACTIONS = ('SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD',
                 'SCMP_ACT_TRAP')
ENOSYS = 38
MAX_PARTS = 16     # at most this many rules per denial; calls with more checks than that stay after them


def parts_for(profile):
    """K, the first-argument values a denial is split at: one more rule than the most argument
    checks any one call of the profile has, at most MAX_PARTS rules; 0 without argument rules."""
    checks = {}
    for entry in profile.get('syscalls') or []:
        for name in entry['names']:
            checks[name] = checks.get(name, 0) + len(entry.get('args') or [])
    most = max(checks.values()) if checks else 0
    return min(most, MAX_PARTS - 1)


def partition(k):
    """The OCI conditions of the K+1 rules: argument 0 == 0, ..., == K-1, >= K."""
    out = [[{'index': 0, 'value': i, 'valueTwo': 0, 'op': 'SCMP_CMP_EQ'}] for i in range(k)]
    return out + [[{'index': 0, 'value': k, 'valueTwo': 0, 'op': 'SCMP_CMP_GE'}]]


def _part(args):
    """('EQ', v) or ('GE', v) when ``args`` (internal form) are one rule of a partition; else None."""
    if len(args) != 1 or args[0]['index'] != 0 or args[0]['value_two'] != 0:
        return None
    op = {'SCMP_CMP_EQ': 'EQ', 'SCMP_CMP_GE': 'GE'}.get(args[0]['op'])
    return (op, args[0]['value']) if op else None


def _complete(parts):
    """Whether a set of ('EQ', v) / ('GE', v) covers every value: EQ 0 .. K-1 and GE K, nothing else."""
    ge = [v for op, v in parts if op == 'GE']
    return len(ge) == 1 and 1 <= ge[0] < MAX_PARTS and parts == set([('GE', ge[0])] + [('EQ', i) for i in range(ge[0])])


def _splits(entry):
    return (not entry.get('args') and entry['action'] in SPLIT_ACTIONS
            and not (entry['action'] == 'SCMP_ACT_ERRNO' and entry.get('errnoRet') == ENOSYS))


def lay_out(profile):
    """``profile`` (canonical OCI) with its unconditional denials written as partitions of the first
    argument, when it has argument rules; the same mapping otherwise.  Idempotent."""
    entries = profile.get('syscalls') or []
    k = parts_for(profile)
    if not k:
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
            out.extend(dict(entry, names=alone, args=args) for args in partition(k))
    return dict(profile, syscalls=out)


def _order(key):
    name, action, errno = key
    return (name or '', action, -1 if errno is None else errno)


def strip(rules):
    """Internal-form ``rules`` with each partition lay_out wrote joined back into one unconditional
    rule: a name joins when rules of one action and errno name it for every value of the first
    argument (== 0 .. K-1 and >= K) and no other rule names it.  Anything else stays as written."""
    parts = {}
    others = set()
    for rule in rules:
        part = _part(rule['args'])
        for name in rule['names']:
            if part:
                parts.setdefault((name, rule['action'], rule['errno']), set()).add(part)
            else:
                others.add(name)
    counted = {}
    for name, _action, _errno in parts:
        counted[name] = counted.get(name, 0) + 1
    joined = set(key for key, got in parts.items()
                 if _complete(got) and key[0] not in others and counted[key[0]] == 1)
    if not joined:
        return rules
    out = []
    for rule in rules:
        part = _part(rule['args'])
        names = [n for n in rule['names'] if not (part and (n, rule['action'], rule['errno']) in joined)]
        if names:
            out.append(dict(rule, names=names))
    by_action = {}
    for name, action, errno in sorted(joined, key=_order):
        by_action.setdefault((action, errno), []).append(name)
    for (action, errno), names in sorted(by_action.items(), key=lambda item: _order((None,) + item[0])):
        out.append({'names': names, 'action': action, 'errno': errno, 'args': []})
    return out
