# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which seccomp and AppArmor profile each container of a pod gets, and the Pod Security
Standards' seccomp and AppArmor checks as Pod Security Admission decides them.

The effective profile (``effective``), as the kubelet and containerd decide it:
- seccomp: the container's ``securityContext.seccompProfile``, else the pod's; before 1.27 the
  legacy annotations count where no field is set (the API server copied them into the fields
  until 1.27; before 1.19 only the annotations exist), the container's annotation before the
  pod's. Unset: ``RuntimeDefault`` where the kubelet has ``seccompDefault: true``, else
  ``Unconfined``. A privileged container never gets a seccomp filter, whatever it names.
- AppArmor: the container's ``securityContext.appArmorProfile``, else the container's
  annotation, else the pod's field (fields from 1.30; before, only the annotation). Unset is
  the runtime's default. A privileged container gets no default, but containerd still applies
  a ``Localhost`` profile it names, and fails the container when that profile is not loaded.

The checks (``pss``), as pod-security-admission implements them:
- seccompProfile_baseline: before 1.19 the annotations (``runtime/default``, ``docker/default``,
  ``localhost/*``); from 1.19 the fields of the pod and every container, where set, must be
  ``RuntimeDefault`` or ``Localhost``.
- seccompProfile_restricted (1.19+): the same, and a profile is required: on the pod, or on
  every container (init and ephemeral included).
- appArmorProfile (Baseline, every version): every ``container.apparmor.security.beta.kubernetes.io/*``
  annotation empty, ``runtime/default`` or ``localhost/*``; the fields, where set, ``RuntimeDefault``
  or ``Localhost``.
"""

import posixpath
import re

from ansible_collections.confine.hardening.plugins.module_utils._k8s_objects import BadDocument, shown

SECCOMP_POD = 'seccomp.security.alpha.kubernetes.io/pod'
SECCOMP_CONTAINER = 'container.seccomp.security.alpha.kubernetes.io/'
APPARMOR_CONTAINER = 'container.apparmor.security.beta.kubernetes.io/'
TYPES = ('RuntimeDefault', 'Localhost', 'Unconfined')
VERSION_RE = re.compile(r'^v?(\d+)\.(\d+)\Z')
LATEST = (1, 34)
SECCOMP_FIELDS = (1, 19)
SECCOMP_ANNOTATIONS_END = (1, 27)
APPARMOR_FIELDS = (1, 30)


def parse_version(value, field='kubernetes_version'):
    """(major, minor) of ``1.30``, ``v1.30`` or ``latest``; ValueError naming ``field`` otherwise."""
    if value in (None, '', 'latest'):
        return LATEST
    found = VERSION_RE.match(str(value))
    if not found:
        raise ValueError('%s: %s is not a Kubernetes version (1.30, v1.30 or latest)' % (field, shown(value)))
    return int(found.group(1)), int(found.group(2))


def version_text(version):
    return 'v%d.%d' % version


def _field_profile(context, key, where, kind):
    """{type, localhost_profile} from a securityContext's seccompProfile or appArmorProfile, or None."""
    prof = (context or {}).get(key)
    if prof is None:
        return None
    field = '%s.securityContext.%s' % (where, key)
    if not isinstance(prof, dict):
        raise BadDocument('%s: not a mapping' % field)
    ptype = prof.get('type')
    if ptype not in TYPES:
        raise BadDocument('%s.type: %s is not RuntimeDefault, Localhost or Unconfined' % (field, shown(ptype)))
    local = prof.get('localhostProfile')
    if ptype != 'Localhost':
        if local is not None:
            raise BadDocument('%s.localhostProfile: set, but the type is %s' % (field, ptype))
        return {'type': ptype, 'localhost_profile': None}
    return {'type': ptype, 'localhost_profile': check_localhost(local, field + '.localhostProfile', kind)}


def check_localhost(value, field, kind):
    """A localhostProfile as the API server accepts it: seccomp, a relative path without ``..``;
    AppArmor, a profile name."""
    if not isinstance(value, str) or not value:
        raise BadDocument('%s: missing or empty, but the type is Localhost' % field)
    if not value.isprintable() or len(value) > 4096:
        raise BadDocument('%s: %s has control characters or is too long' % (field, shown(value)))
    if kind == 'seccomp':
        if value.startswith('/') or '..' in value.split('/'):
            raise BadDocument('%s: %s must be a path relative to the kubelet\'s seccomp directory, without ..'
                              % (field, shown(value)))
    elif value != value.strip() or '\n' in value:
        raise BadDocument('%s: %s is not an AppArmor profile name' % (field, shown(value)))
    return value


def _annotation_profile(value, field, kind):
    """{type, localhost_profile} from a legacy annotation value, or a type of None for a value the
    runtime does not know (which then applies nothing)."""
    if not isinstance(value, str):
        raise BadDocument('%s: not a string' % field)
    if value in ('runtime/default', 'docker/default') and (kind == 'seccomp' or value == 'runtime/default'):
        return {'type': 'RuntimeDefault', 'localhost_profile': None}
    if value == 'unconfined':
        return {'type': 'Unconfined', 'localhost_profile': None}
    if value.startswith('localhost/'):
        return {'type': 'Localhost', 'localhost_profile': check_localhost(value[len('localhost/'):], field, kind)}
    return {'type': None, 'localhost_profile': None, 'unknown': value}


def _seccomp(workload, cname, ccontext, where, version, seccomp_default):
    pod_context = workload['spec'].get('securityContext') or {}
    annotations = workload['annotations']
    found = None
    if version >= SECCOMP_FIELDS:
        found = _field_profile(ccontext, 'seccompProfile', where, 'seccomp')
        scope = 'container'
        if found is None:
            found, scope = _field_profile(pod_context, 'seccompProfile', 'spec', 'seccomp'), 'pod'
    if found is None and version < SECCOMP_ANNOTATIONS_END:
        for key, scope in ((SECCOMP_CONTAINER + cname, 'container annotation'), (SECCOMP_POD, 'pod annotation')):
            if key in annotations:
                found = _annotation_profile(annotations[key], 'metadata.annotations[%s]' % key, 'seccomp')
                if found['type']:
                    break
                found = None
    if found is None:
        found, scope = {'type': 'Unset', 'localhost_profile': None}, 'default'
    found['scope'] = scope
    found['effective'] = found['type'] if found['type'] != 'Unset' else (
        'RuntimeDefault' if seccomp_default else 'Unconfined')
    return found


def _apparmor(workload, cname, ccontext, where, version):
    pod_context = workload['spec'].get('securityContext') or {}
    key = APPARMOR_CONTAINER + cname
    steps = []
    if version >= APPARMOR_FIELDS:
        steps.append(('container', lambda: _field_profile(ccontext, 'appArmorProfile', where, 'apparmor')))
    if key in workload['annotations']:
        steps.append(('container annotation', lambda: _annotation_profile(
            workload['annotations'][key], 'metadata.annotations[%s]' % key, 'apparmor')))
    if version >= APPARMOR_FIELDS:
        steps.append(('pod', lambda: _field_profile(pod_context, 'appArmorProfile', 'spec', 'apparmor')))
    for scope, step in steps:
        found = step()
        if found is not None and found['type']:
            found['scope'] = scope
            found['effective'] = found['type']
            return found
    return {'type': 'Unset', 'localhost_profile': None, 'scope': 'default', 'effective': 'RuntimeDefault'}


def privileged(ccontext):
    return (ccontext or {}).get('privileged') is True


def effective(workload, version, seccomp_default=False, kubelet_root='/var/lib/kubelet'):
    """One row per container of the workload: its type, name, privileged, seccomp and apparmor."""
    rows = []
    for ctype, container, where in _visit(workload):
        ccontext = container.get('securityContext') or {}
        seccomp = _seccomp(workload, container['name'], ccontext, where, version, seccomp_default)
        apparmor = _apparmor(workload, container['name'], ccontext, where, version)
        priv = privileged(ccontext)
        if priv:
            seccomp['effective'] = 'Unconfined'
            seccomp['note'] = 'privileged: no seccomp filter, whatever it names'
            if apparmor['effective'] != 'Localhost':
                apparmor['effective'] = 'Unconfined'
                apparmor['note'] = 'privileged: no AppArmor profile'
            else:
                apparmor['note'] = 'privileged, but containerd still applies the Localhost profile it names'
        seccomp['node_path'] = None
        if seccomp['type'] == 'Localhost' and not priv:
            seccomp['node_path'] = posixpath.normpath(posixpath.join(kubelet_root, 'seccomp',
                                                                     seccomp['localhost_profile']))
        apparmor['node_path'] = None
        rows.append({'container': container['name'], 'container_type': ctype, 'field': where,
                     'privileged': priv, 'seccomp': seccomp, 'apparmor': apparmor})
    return rows


def _visit(workload):
    """(container type, container, field) of each container, init and ephemeral container."""
    seen = {}
    for key, ctype, container in workload['containers']:
        seen[key] = seen.get(key, -1) + 1
        yield ctype, container, 'spec.%s[%d]' % (key, seen[key])


def _seccomp_annotation_ok(value):
    return value in ('runtime/default', 'docker/default') or (isinstance(value, str) and value.startswith('localhost/'))


def _field_type(context, key):
    prof = (context or {}).get(key)
    return prof.get('type') if isinstance(prof, dict) else None


def seccomp_checks(workload, version, restricted):
    """[reason] of the seccomp checks at Baseline (``restricted`` False) or Restricted."""
    annotations = workload['annotations']
    if version < SECCOMP_FIELDS:
        bad = []
        if SECCOMP_POD in annotations and not _seccomp_annotation_ok(annotations[SECCOMP_POD]):
            bad.append('%s=%s' % (SECCOMP_POD, shown(annotations[SECCOMP_POD])))
        for _ctype, container, _where in _visit(workload):
            cname = container['name']
            key = SECCOMP_CONTAINER + cname
            if key in annotations and not _seccomp_annotation_ok(annotations[key]):
                bad.append('%s=%s' % (key, shown(annotations[key])))
        return ['seccomp: forbidden annotation %s' % b for b in sorted(bad)]
    reasons = []
    pod_type = _field_type(workload['spec'].get('securityContext'), 'seccompProfile')
    if pod_type is not None and pod_type not in ('RuntimeDefault', 'Localhost'):
        reasons.append('seccomp: the pod sets securityContext.seccompProfile.type to %s' % shown(pod_type))
    pod_set = pod_type in ('RuntimeDefault', 'Localhost')
    implicit = []
    for _ctype, container, _where in _visit(workload):
        cname, ctx = container['name'], container.get('securityContext') or {}
        ctype = _field_type(ctx, 'seccompProfile')
        if ctype is not None and ctype not in ('RuntimeDefault', 'Localhost'):
            reasons.append('seccomp: container %s sets securityContext.seccompProfile.type to %s'
                           % (shown(cname), shown(ctype)))
        elif ctype is None and not pod_set:
            implicit.append(cname)
    if restricted and implicit:
        plural = 's' if len(implicit) > 1 else ''
        reasons.append('seccomp: the pod or container%s %s must set securityContext.seccompProfile.type to '
                       'RuntimeDefault or Localhost' % (plural, ', '.join(shown(n) for n in implicit)))
    return reasons


def apparmor_checks(workload):
    """[reason] of the AppArmor check (Baseline, every version, as current Pod Security Admission has it)."""
    reasons = []
    for key in sorted(workload['annotations']):
        value = workload['annotations'][key]
        if key.startswith(APPARMOR_CONTAINER) and not (value in ('', 'runtime/default') or value.startswith('localhost/')):
            reasons.append('AppArmor: forbidden annotation %s=%s' % (shown(key), shown(value)))
    pod_type = _field_type(workload['spec'].get('securityContext'), 'appArmorProfile')
    if pod_type is not None and pod_type not in ('RuntimeDefault', 'Localhost'):
        reasons.append('AppArmor: the pod sets securityContext.appArmorProfile.type to %s' % shown(pod_type))
    for _ctype, container, _where in _visit(workload):
        cname, ctx = container['name'], container.get('securityContext') or {}
        ctype = _field_type(ctx, 'appArmorProfile')
        if ctype is not None and ctype not in ('RuntimeDefault', 'Localhost'):
            reasons.append('AppArmor: container %s sets securityContext.appArmorProfile.type to %s'
                           % (shown(cname), shown(ctype)))
    return reasons


def pss(workload, version):
    """{baseline: {allowed, reasons}, restricted: {allowed, reasons}} for the seccomp and AppArmor checks."""
    baseline = seccomp_checks(workload, version, False) + apparmor_checks(workload)
    restricted = seccomp_checks(workload, version, True) + apparmor_checks(workload)
    return {'version': version_text(version),
            'baseline': {'allowed': not baseline, 'reasons': baseline},
            'restricted': {'allowed': not restricted, 'reasons': restricted}}


LEVELS = ('privileged', 'baseline', 'restricted')
MODES = ('enforce', 'warn', 'audit')


def admission(labels, default_version):
    """{mode: {level, version, error}} from a Namespace's pod-security.kubernetes.io labels. An
    invalid level is evaluated as restricted and an invalid version as latest, as Pod Security
    Admission does; the error says so."""
    out = {}
    for mode in MODES:
        level = labels.get('pod-security.kubernetes.io/%s' % mode)
        if level is None:
            continue
        entry = {'level': level, 'version': None, 'error': None}
        if level not in LEVELS:
            entry['error'] = 'the %s level %s is not privileged, baseline or restricted: evaluated as restricted' % (
                mode, shown(level))
            entry['level'] = 'restricted'
        raw = labels.get('pod-security.kubernetes.io/%s-version' % mode, 'latest')
        try:
            entry['version'] = version_text(parse_version(raw) if raw != 'latest' else default_version)
        except ValueError:
            entry['version'] = version_text(default_version)
            entry['error'] = 'the %s-version %s is not a version: evaluated as latest' % (mode, shown(raw))
        out[mode] = entry
    return out


def admit(workload, entry):
    """[reason] why Pod Security Admission at ``entry`` (level, version) would refuse the pods."""
    if entry['level'] == 'privileged':
        return []
    verdict = pss(workload, parse_version(entry['version']))
    return verdict[entry['level']]['reasons']
