# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runtimes' default seccomp profiles by name (``docker-26``, ``containerd-1.7``,
``podman-5``) and which one a host follows.

The data: _seccomp_docker_default (docker-20.10, moby v20.10.24, in the full group form),
_seccomp_default_docker, _seccomp_default_containerd, _seccomp_default_podman (bases and
deltas in the ``(op, gate, names)`` form).  ``groups(name)`` gives one name's groups in the
full form of _seccomp_docker_default.GROUPS, which _seccomp_presets resolves.

``choose(host)`` is the rule of ``runtime_default: auto`` (docs/seccomp-presets.md):
  * the runtime is that of the first of ``targets`` that a runtime loads: docker -> Docker,
    containerd and kubelet -> containerd (the kubelet's CRI), podman -> podman; bwrap loads
    the BPF itself and has no runtime, so it is skipped;
  * its version comes from ``host['runtimes']`` (hardening_facts), compared as (major, minor,
    patch): it follows the name whose first version is the nearest at or before it (1.7.33 ->
    containerd-1.7.32, 26.1.5 -> docker-26); past the last release read for that name (a
    release newer than the data, an unlisted minor) or older than all, ``note`` says so;
  * no such target, or the runtime not installed: FALLBACK (docker-20.10, the behaviour
    before runtime defaults were versioned), said in ``note``.
"""

import re

from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_default_containerd as containerd_data
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_default_docker as docker_data
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_default_podman as podman_data
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_docker_default as docker_2010

FALLBACK = 'docker-20.10'
PODMAN_CAPS = (
    'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE',
    'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
)
# name -> (runtime, (first, last) version it stands for, the profile it extends or None, its ops,
#          the container's default capabilities, the default errno, upstream tag read).
# Versions are (major, minor, patch): a name stands for its first release up to the release
# before the next name of its runtime; ``last`` is the last release read to be the same.
# A patch-level name (containerd-1.7.32) is where a backport changed the default inside a series.
DOCKER_CAPS = docker_2010.DEFAULT_CAPS
# docker-20.10 keeps its name (the fallback; Debian 12's 20.10.24) for 20.10.23-20.10.25.
DEFAULTS = {
    'docker-20.10': ('docker', ((20, 10, 23), (20, 10, 25)), None, None, DOCKER_CAPS, 1, 'moby/moby v20.10.24'),
}
DEFAULTS.update({
    name: ('docker', (first, last), parent, docker_data.DELTAS[name], DOCKER_CAPS, 1, 'moby/moby ' + tag)
    for name, (first, last, parent, tag) in docker_data.SERIES.items()
})
DEFAULTS.update({
    name: ('containerd', (first, last), parent, containerd_data.DELTAS[name], DOCKER_CAPS, 1,
           'containerd/containerd ' + tag)
    for name, (first, last, parent, tag) in containerd_data.SERIES.items()
})
DEFAULTS['podman-5'] = ('podman', ((5, 0, 0), (5, 999, 999)), None, podman_data.BASE, PODMAN_CAPS, 38,
                        'containers/common v0.62.3')
NAMES = tuple(DEFAULTS)
CHOICES = ('auto',) + NAMES
TARGET_RUNTIME = {'docker': 'docker', 'containerd': 'containerd', 'kubelet': 'containerd', 'podman': 'podman'}
RUNTIME_LABEL = {'docker': 'Docker', 'containerd': 'containerd', 'podman': 'podman'}
_GATE_KEYS = (('action', 'action', 'SCMP_ACT_ALLOW'), ('errno', 'errno', None), ('args', 'args', ()),
              ('caps', 'caps_include', ()), ('not_caps', 'caps_exclude', ()), ('arches', 'arches_include', ()),
              ('not_arches', 'arches_exclude', ()), ('kernel', 'min_kernel', None))
_CACHE = {}


def _group(gate, names):
    """A group in the full form of _seccomp_docker_default.GROUPS."""
    unknown = set(gate) - set(k for k, _f, _d in _GATE_KEYS)
    if unknown:
        raise ValueError('unknown gate keys %s' % ', '.join(sorted(unknown)))
    out = {'names': list(names), 'comment': ''}
    for key, full, default in _GATE_KEYS:
        value = gate.get(key, default)
        if key == 'args':
            value = [{'index': a[0], 'value': a[1], 'value_two': a[2], 'op': a[3]} for a in value]
        elif isinstance(value, tuple):
            value = list(value)
        out[full] = value
    return out


def _same_gate(group, other):
    return all(group[full] == other[full] for _k, full, _d in _GATE_KEYS)


def apply_ops(groups, ops):
    """The groups after ``ops``: 'add' extends the first group with the same gate (or appends
    a new one), 'drop' takes the names out of every group with that gate (ValueError when
    no group has the gate or none of them names one of the names)."""
    out = [dict(g, names=list(g['names'])) for g in groups]
    for op, gate, names in ops:
        wanted = _group(gate, names)
        matches = [g for g in out if _same_gate(g, wanted)]
        if op == 'add':
            if matches:
                matches[0]['names'].extend(n for n in names if n not in matches[0]['names'])
            else:
                out.append(wanted)
            continue
        if op != 'drop' or not any(n in g['names'] for g in matches for n in names):
            raise ValueError('cannot %s %s in the group %r' % (op, ', '.join(names), gate))
        for group in matches:
            group['names'] = [n for n in group['names'] if n not in names]
        out = [g for g in out if g['names']]
    return out


def groups(name):
    """The groups of one default (a new list each call)."""
    if name not in _CACHE:
        parent, ops = DEFAULTS[name][2], DEFAULTS[name][3]
        if ops is None:
            built = docker_2010.GROUPS
        else:
            built = apply_ops(groups(parent) if parent else [], ops)
        _CACHE[name] = built
    return [dict(g, names=list(g['names'])) for g in _CACHE[name]]


def caps(name):
    return list(DEFAULTS[name][4])


def default_errno(name):
    return DEFAULTS[name][5]


def upstream(name):
    return DEFAULTS[name][6]


def all_names():
    """Every syscall name any default names (for the libseccomp check of preset names)."""
    return set(n for name in NAMES for g in groups(name) for n in g['names'])


def parse_version(text):
    """(major, minor, patch) from a version string such as '26.1.5+dfsg1' or 'v1.7.24'; None."""
    match = re.search(r'(\d+)\.(\d+)(?:\.(\d+))?', text or '')
    if not match:
        return None
    return tuple(int(p or 0) for p in match.groups())


def for_version(runtime, version):
    """(name, note) of the default a ``runtime`` at ``version`` (text) follows: the listed name
    whose first version is the nearest at or before it, compared at patch level."""
    parsed = parse_version(version)
    listed = sorted((v[1][0], n) for n, v in DEFAULTS.items() if v[0] == runtime)
    label = RUNTIME_LABEL[runtime]
    if parsed is None:
        return FALLBACK, '%s version %r cannot be read; following the fallback %s' % (label, version, FALLBACK)
    earlier = [(v, n) for v, n in listed if v <= parsed]
    if not earlier:
        return listed[0][1], ('%s %s is older than every listed default; following the oldest, %s'
                              % (label, version, listed[0][1]))
    name = earlier[-1][1]
    if parsed <= DEFAULTS[name][1][1]:
        return name, None
    return name, '%s %s is not listed; following %s, the nearest earlier listed default' % (label, version, name)


def choose(host):
    """{'name', 'runtime', 'version', 'how', 'note'}: the default the profile follows.

    ``host``: 'runtime_default' ('auto' or a name), 'targets', 'runtimes' ({runtime: version
    text or None}).  A pinned name is followed as it is."""
    pinned = host.get('runtime_default') or 'auto'
    runtimes = host.get('runtimes') or {}
    if pinned != 'auto':
        runtime = DEFAULTS[pinned][0]
        return {'name': pinned, 'runtime': runtime, 'version': runtimes.get(runtime), 'how': 'pinned', 'note': None}
    runtime = next((TARGET_RUNTIME[t] for t in host.get('targets') or () if t in TARGET_RUNTIME), None)
    if runtime is None:
        return {'name': FALLBACK, 'runtime': None, 'version': None, 'how': 'fallback',
                'note': 'no target is loaded by a runtime; following the fallback %s' % FALLBACK}
    version = runtimes.get(runtime)
    if not version:
        return {'name': FALLBACK, 'runtime': runtime, 'version': None, 'how': 'fallback',
                'note': '%s is not installed (no version found); following the fallback %s'
                        % (RUNTIME_LABEL[runtime], FALLBACK)}
    name, note = for_version(runtime, version)
    return {'name': name, 'runtime': runtime, 'version': version, 'how': 'auto', 'note': note}
