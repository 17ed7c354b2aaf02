# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rendered seccomp profiles (what a template produced): parsed and checked as plain OCI
``LinuxSeccomp``, put in canonical form, and the helpers the libseccomp compiler and the
module need on a canonical profile (its rules, its names, its BPF families).

``canonical_json(profile)`` gives the exact text that is written (stable order, 2-space
indent, trailing newline, laid out for runc and crun by _seccomp_layout): idempotence on
hardened hosts depends on it.  ``parse_rendered`` reads such text back into the profile as
its author wrote it.
"""

import json

from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_layout as layout
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_spec as spec_mod
from ansible_collections.confine.hardening.plugins.module_utils._common import SpecError, json_bytes

DOCKER_ONLY_KEYS = ('archMap', 'includes', 'excludes', 'comment', 'name')
PROFILE_KEYS = ('defaultAction', 'defaultErrnoRet', 'architectures', 'flags', 'listenerPath',
                'listenerMetadata', 'syscalls')
FLAGS = ('SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
         'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV')


def _oci_keys(field, mapping, allowed):
    if not isinstance(mapping, dict):
        raise SpecError(field, 'must be a JSON object')
    for key in mapping:
        if key in DOCKER_ONLY_KEYS:
            raise SpecError(spec_mod.key_field(field, key),
                            'is a Docker-only key that containerd and the kubelet ignore silently; '
                            'express it in the spec so it is resolved at render time')
        if key not in allowed:
            raise SpecError(spec_mod.key_field(field, key), 'is not an OCI LinuxSeccomp key')


def parse_rendered(text):
    """Parse a rendered profile and return it in canonical form (raises SpecError)."""
    if not isinstance(text, str):
        raise SpecError('content', 'must be the rendered profile as a string, got %s' % type(text).__name__)
    try:
        data = json.loads(text)
    except RecursionError:
        raise SpecError('template', 'the rendered profile is nested too deeply to be a seccomp profile')
    except ValueError as exc:
        raise SpecError('template', 'the rendered profile is not valid JSON (%s)' % exc)
    _oci_keys('profile', data, PROFILE_KEYS)
    default_action, default_errno, arches = _defaults(data)
    flags, listener, metadata = _listener(data)
    rules = _rules(data, default_action, default_errno, listener)
    profile = spec_mod.to_oci(default_action, default_errno, arches, rules)
    for key, value in (('flags', flags), ('listenerPath', listener), ('listenerMetadata', metadata)):
        if value:
            profile[key] = value
    return profile


def _defaults(data):
    """The rendered profile's (default action, default errno, canonical architectures)."""
    default_action = spec_mod.normalise_action('profile.defaultAction', data.get('defaultAction', ''))
    if default_action == 'SCMP_ACT_NOTIFY':
        raise SpecError('profile.defaultAction', 'SCMP_ACT_NOTIFY cannot be the default action')
    default_errno = None
    if data.get('defaultErrnoRet') is not None:
        if default_action != 'SCMP_ACT_ERRNO':
            raise SpecError('profile.defaultErrnoRet', 'only applies to a defaultAction of SCMP_ACT_ERRNO, not %s'
                            % default_action)
        default_errno = spec_mod.parse_errno('profile.defaultErrnoRet', data['defaultErrnoRet'])
    elif default_action == 'SCMP_ACT_ERRNO':
        default_errno = spec_mod.EPERM
    arches = data.get('architectures')
    if not isinstance(arches, list) or not arches:
        raise SpecError('profile.architectures', 'must be a non-empty list')
    arches = spec_mod.canonical_arches([spec_mod.parse_arch('profile.architectures[%d]' % i, a) for i, a in enumerate(arches)])
    return default_action, default_errno, arches


def _listener(data):
    """The rendered profile's (flags, listenerPath, listenerMetadata), checked."""
    flags = data.get('flags')
    if flags is not None and not isinstance(flags, list):
        raise SpecError('profile.flags', 'must be a list of flag names, got %s' % type(flags).__name__)
    for i, flag in enumerate(flags or []):
        if not isinstance(flag, str) or flag not in FLAGS:
            raise SpecError('profile.flags[%d]' % i, 'unknown flag %r (expected one of %s)' % (flag, ', '.join(FLAGS)))
    listener = data.get('listenerPath')
    if listener is not None and (not isinstance(listener, str) or not listener.startswith('/')
                                 or '\x00' in listener or len(listener) > 107):
        raise SpecError('profile.listenerPath', 'must be an absolute socket path of at most 107 bytes, got %r'
                        % (listener,))
    metadata = data.get('listenerMetadata')
    if metadata is not None and not isinstance(metadata, str):
        raise SpecError('profile.listenerMetadata', 'must be a string, got %s' % type(metadata).__name__)
    if metadata and not listener:
        raise SpecError('profile.listenerMetadata', 'is only passed to a listener; listenerPath is not set')
    return flags, listener, metadata


def _rules(data, default_action, default_errno, listener):
    """The rendered profile's rules in internal form, checked."""
    entries = data.get('syscalls')
    if entries is not None and not isinstance(entries, list):
        raise SpecError('profile.syscalls', 'must be a list of rules, got %s' % type(entries).__name__)
    rules = []
    for i, entry in enumerate(entries or []):
        field = 'profile.syscalls[%d]' % i
        _oci_keys(field, entry, ('names', 'action', 'errnoRet', 'args'))
        if 'action' not in entry:
            raise SpecError(field + '.action', 'is required')
        if entry.get('args') is not None and not isinstance(entry['args'], list):
            raise SpecError(field + '.args', 'must be a list of argument conditions')
        rule = {'names': entry.get('names'), 'action': entry['action'], 'args': entry.get('args') or []}
        if entry.get('errnoRet') is not None:
            rule['errno'] = entry['errnoRet']
        rule = spec_mod.normalise_rule(field, rule, default_errno or spec_mod.EPERM)
        if rule['args'] and spec_mod.same_as_default(rule, default_action, default_errno):
            raise SpecError(field + '.action', spec_mod.DEFAULT_TWIN % default_action)
        if rule['action'] == 'SCMP_ACT_NOTIFY' and not listener:
            raise SpecError(field + '.action', spec_mod.NO_LISTENER)
        rules.append(rule)
    return layout.strip(rules)


def canonical_json(profile, laid_out=True):
    """Stable order, 2-space indent, trailing newline; the unconditional denials written as
    _seccomp_layout lays them out unless ``laid_out`` is false."""
    if laid_out:
        profile = layout.lay_out(profile)
    return json_bytes(profile, indent=2, sort_keys=True, separators=(',', ': ')).decode('utf-8')


def profile_rules(profile):
    """The profile's rules in internal form (for the libseccomp compiler)."""
    out = []
    for entry in profile.get('syscalls', []):
        out.append({
            'names': list(entry['names']),
            'action': entry['action'],
            'errno': entry.get('errnoRet'),
            'args': [{'index': a['index'], 'value': a['value'], 'value_two': a.get('valueTwo', 0), 'op': a['op']}
                     for a in entry.get('args', [])],
        })
    return out


def drop_profile_names(profile, names):
    """The profile without ``names``; rules left empty go."""
    out = dict(profile)
    out['syscalls'] = []
    for entry in profile.get('syscalls', []):
        kept = [n for n in entry['names'] if n not in names]
        if kept:
            out['syscalls'].append(dict(entry, names=kept))
    return out


def profile_names(profile):
    return sorted(set(n for entry in profile.get('syscalls', []) for n in entry['names']))


def bpf_groups(arches):
    """Split declared arches into native families: one BPF program per native arch,
    each covering the compat arches declared beside it (x86_64 with x86 and x32)."""
    remaining = list(arches)
    groups = []
    for arch in arches:
        if arch not in remaining:
            continue
        family = [a for a in spec_mod.arch_family(arch) if a in remaining]
        for a in family:
            remaining.remove(a)
        groups.append(family)
    return groups


def verdict(profile, name):
    """What the profile does with a call to ``name``: 'allow' (allowed or only logged),
    'deny', or 'some' (argument rules decide)."""
    allowed = ('SCMP_ACT_ALLOW', 'SCMP_ACT_LOG')
    conditional = False
    for entry in profile.get('syscalls', []):
        if name in entry['names']:
            if not entry.get('args'):
                return 'allow' if entry['action'] in allowed else 'deny'
            conditional = True
    if conditional:
        return 'some'
    return 'allow' if profile['defaultAction'] in allowed else 'deny'


def lost_deny(backend, profile, arch, name, field):
    """A warning naming ``field`` when ``name``, which ``arch`` lacks, is denied while
    the calls that do its work on ``arch`` (SAME_WORK) are let through there; else None."""
    if verdict(profile, name) == 'allow':
        return None
    open_ = []
    for other in spec_mod.SAME_WORK.get(name, ()):
        if backend.resolve(arch, other) < 0:
            continue
        how = verdict(profile, other)
        if how == 'allow':
            open_.append(repr(other))
        elif how == 'some':
            open_.append('%r (for the arguments no rule denies)' % other)
    if not open_:
        return None
    thread = ' (clone only without CLONE_THREAD: an argument rule on its flags can deny that alone)' \
        if name in ('fork', 'vfork') else ''
    said = open_[0] if len(open_) == 1 else '%s and %s' % (', '.join(open_[:-1]), open_[-1])
    return ('%s: the deny of %r does not hold on %s: there the same work is done by %s, which this profile '
            'allows%s; deny %s too, or accept that %r is only denied where it exists'
            % (field, name, arch, said, thread, 'it' if len(open_) == 1 else 'them', name))
