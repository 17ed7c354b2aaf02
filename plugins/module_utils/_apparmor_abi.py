# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``abi`` line of a profile: which feature ABI it is compiled against, and whether a host
can enforce what the spec asks for.

A profile's ABI decides what its rules mean.  Under AppArmor 4's ``abi/4.0`` a bare
``network,`` no longer covers unix sockets on a kernel with fine-grained unix mediation, so
every profile pins ``abi/3.0`` (what containerd and moby's templates pin too) unless the
spec asks for a rule kind that only a newer ABI enforces; then it gets the lowest ABI that
has it, and a bare ``network`` rule gets a ``unix`` rule beside it so it keeps covering unix
sockets.  A rule kind the profile's ABI does not have is parsed by AppArmor 4 and silently
not enforced ("userns rules not enforced"), which is why a rule the user asks for raises
the ABI instead.

Facts (AppArmor 4.1.0, Debian package apparmor 4.1.0-1, /etc/apparmor.d/abi/{3.0,4.0}):
abi/4.0 adds ``namespaces {mask {userns_create}}`` (``userns`` rules) and
``ipc {posix_mqueue}`` (``mqueue`` rules); no ABI file of 4.1 has ``io_uring`` (abi/5.0,
AppArmor 5).  AppArmor 3.0.8 ships abi/3.0 only and does not parse ``userns`` at all.
The kernel announces a feature under /sys/kernel/security/apparmor/features
(``namespaces/mask`` lists ``userns_create``; ``ipc/posix_mqueue``; ``io_uring``), the
names apparmor's own regression tests check (tests/regression/apparmor/userns.sh,
posix_mq.sh, io_uring.sh)."""

import re

from ansible_collections.confine.hardening.plugins.module_utils._common import SpecError

DEFAULT_ABI = 'abi/3.0'
ABI_RE = re.compile(r'^abi/(\d+)\.(\d+)$')
# The rule kinds of the spec that need more than abi/3.0: the ABI that has them, and the
# kernel feature that enforces them (features/ path, word in that file or None).
RULE_ABI = {'userns': ('abi/4.0', 'namespaces/mask', 'userns_create')}


def abi_version(abi):
    """(major, minor) of ``abi/M.N``, or None for another name (a custom abi file)."""
    match = ABI_RE.match(abi) if isinstance(abi, str) else None
    return (int(match.group(1)), int(match.group(2))) if match else None


def short(abi):
    """``4.0`` for ``abi/4.0``."""
    return abi[len('abi/'):] if abi.startswith('abi/') else abi


def asked_kinds(spec):
    """The rule kinds of ``spec`` (the user's own, not a preset's) that need a newer ABI, in order."""
    return [kind for kind in sorted(RULE_ABI) if spec.get(kind)]


def needed_abi(spec):
    """(abi, kind): the lowest ABI that has every rule kind ``spec`` asks for, and the kind
    that needs it (None when abi/3.0 does)."""
    abi, field = DEFAULT_ABI, None
    for kind in asked_kinds(spec):
        want = RULE_ABI[kind][0]
        if abi_version(want) > abi_version(abi):
            abi, field = want, kind
    return abi, field


def choose_abi(spec):
    """The ABI the profile of ``spec`` renders: the user's ``abi`` when set (it must have every
    rule kind the spec asks for), else the lowest that has them."""
    want, kind = needed_abi(spec)
    given = spec.get('abi')
    if given is None:
        return want
    have = abi_version(given)
    if kind is not None and have is not None and have < abi_version(want):
        raise SpecError(kind, 'needs AppArmor ABI %s, but the spec pins abi: %s (leave abi out to get the '
                              'lowest ABI that has it)' % (short(want), given))
    return given


def host_problem(spec, abi, host):
    """Why this host cannot compile or enforce the profile of ``spec`` under ``abi``, or None.

    ``host`` is ``abi_facts`` of ``_apparmor_host``: the parser's version, the ABI files it
    has and the kernel's features (None where AppArmor is not usable: nothing to enforce, so
    only the ABI file is checked).  One sentence naming the field."""
    version = host.get('parser_version') or 'unknown'
    abis = host.get('abis') or []
    # abi/3.0 is the baseline: a parser without it rejects the profile in validation anyway.
    if abi_version(abi) is not None and abi_version(abi) > (3, 0) and short(abi) not in abis:
        have = ', '.join('abi/' + a for a in abis) or 'no abi files'
        kinds = asked_kinds(spec)
        if kinds and spec.get('abi') is None:
            return ('%s: needs AppArmor ABI %s; this host\'s apparmor_parser %s has only %s'
                    % (kinds[-1], short(abi), version, have))
        return 'abi: %s is not on this host; its apparmor_parser %s has only %s' % (abi, version, have)
    kernel = host.get('kernel')
    for kind in asked_kinds(spec) if kernel is not None else []:
        if not kernel.get(kind):
            return ('%s: this host\'s kernel does not mediate %s rules (features/%s has no %s), so the rule '
                    'would not be enforced' % (kind, kind, RULE_ABI[kind][1], RULE_ABI[kind][2]))
    return None


def network_unix_rules(network_lines, abi):
    """The ``unix`` rules that keep bare ``network`` rules covering unix sockets under ``abi``
    (none under abi/3.0): for each rendered rule ``[qualifiers] network[ unix][ TYPE],``."""
    version = abi_version(abi)
    if version is None or version < (4, 0):
        return []
    out = []
    for line in network_lines:
        match = re.match(r'^((?:audit |deny )*)network(?: unix)?(?: (stream|dgram|seqpacket))?,$', line)
        if match:
            out.append('%sunix%s,' % (match.group(1), ' type=%s' % match.group(2) if match.group(2) else ''))
    return out
