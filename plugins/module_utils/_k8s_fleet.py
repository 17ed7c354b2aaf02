# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Workloads against the nodes: which nodes a pod may land on, which of them have the
``Localhost`` profiles it names, and the patch that makes a failing workload start.

A node is what ``confine.hardening.hardening_verify`` reported from it with ``inspect``
(``nodes`` option of ``workload_profiles``): for each seccomp file and AppArmor profile the
workloads name, whether the node has it, its sha256 and mode, and whether the role installed
it. That report comes from a host, so every value is checked before it is used: a value of
another form reads as "not there".
"""

import re

from ansible_collections.confine.hardening.plugins.module_utils._common import NAME_RE
from ansible_collections.confine.hardening.plugins.module_utils._k8s_objects import shown

SHA256 = re.compile(r'^[0-9a-f]{64}\Z')
SECCOMP_MODES = ('enforce', 'log')
APPARMOR_MODES = ('enforce', 'complain', 'kill', 'unconfined', 'prompt')
RUNTIMES = ('containerd', 'cri-o')


class BadNodes(ValueError):
    """The ``nodes`` option is malformed (one sentence naming the node and the field)."""


def check_nodes(nodes):
    """The ``nodes`` option, each node's fields checked: {name: {labels, kubelet_root, seccomp, apparmor, error}}."""
    out = {}
    for name, node in (nodes or {}).items():
        if not isinstance(node, dict):
            raise BadNodes('nodes: %s: not a mapping' % shown(name))
        labels = node.get('labels') or {}
        if not isinstance(labels, dict) or [k for k, v in labels.items() if not isinstance(k, str)
                                            or not isinstance(v, str)]:
            raise BadNodes('nodes: %s: labels: not a mapping of strings' % shown(name))
        labels = dict({'kubernetes.io/hostname': name}, **labels)
        runtime = node.get('runtime') if node.get('runtime') in RUNTIMES else None
        out[name] = {'labels': labels, 'error': node.get('error') if isinstance(node.get('error'), str) else None,
                     'runtime': runtime,
                     'seccomp': _entries(node.get('seccomp')), 'apparmor': _entries(node.get('apparmor'))}
    return out


def _entries(value):
    return dict((k, v) for k, v in value.items() if isinstance(k, str) and isinstance(v, dict)) \
        if isinstance(value, dict) else {}


def _expression_matches(expr, labels):
    key, op, values = expr.get('key'), expr.get('operator'), expr.get('values') or []
    if not isinstance(key, str) or not isinstance(values, list):
        return False
    present = key in labels
    if op == 'In':
        return present and labels[key] in values
    if op == 'NotIn':
        return not present or labels[key] not in values
    if op == 'Exists':
        return present
    if op == 'DoesNotExist':
        return not present
    if op in ('Gt', 'Lt') and present and len(values) == 1:
        try:
            have, want = int(labels[key]), int(values[0])
        except (TypeError, ValueError):
            return False
        return have > want if op == 'Gt' else have < want
    return False


def _term_matches(term, name, labels):
    if not isinstance(term, dict):
        return False
    exprs = term.get('matchExpressions') or []
    fields = term.get('matchFields') or []
    if not isinstance(exprs, list) or not isinstance(fields, list) or not (exprs or fields):
        return False
    fields_ok = all(isinstance(f, dict) and f.get('key') == 'metadata.name'
                    and _expression_matches(dict(f, key='name'), {'name': name}) for f in fields)
    return fields_ok and all(isinstance(e, dict) and _expression_matches(e, labels) for e in exprs)


def may_land_on(spec, name, labels):
    """Whether the scheduler may place the pod on the node: nodeName, nodeSelector and the required
    node affinity (taints and tolerations are not read)."""
    node_name = spec.get('nodeName')
    if isinstance(node_name, str) and node_name and node_name != name:
        return False
    for key, value in (spec.get('nodeSelector') or {}).items():
        if labels.get(key) != value:
            return False
    required = ((spec.get('affinity') or {}).get('nodeAffinity') or {}) if isinstance(spec.get('affinity'), dict) \
        else {}
    required = required.get('requiredDuringSchedulingIgnoredDuringExecution') if isinstance(required, dict) else None
    terms = required.get('nodeSelectorTerms') if isinstance(required, dict) else None
    if isinstance(terms, list) and terms:
        return any(_term_matches(t, name, labels) for t in terms)
    return True


def candidates(workload, nodes):
    return sorted(n for n, node in nodes.items() if may_land_on(workload['spec'], n, node['labels']))


def _seccomp_on(node, path):
    entry = node['seccomp'].get(path) or {}
    if entry.get('present') is not True:
        return None
    sha = entry.get('sha256') if isinstance(entry.get('sha256'), str) and SHA256.match(entry['sha256']) else None
    mode = entry.get('mode') if entry.get('mode') in SECCOMP_MODES else 'unknown'
    return {'sha256': sha, 'mode': mode, 'recorded': entry.get('recorded') is True}


def _apparmor_on(node, name):
    entry = node['apparmor'].get(name) or {}
    mode = entry.get('loaded')
    if mode not in APPARMOR_MODES:
        return None
    sha = entry.get('sha256') if isinstance(entry.get('sha256'), str) and SHA256.match(entry['sha256']) else None
    return {'sha256': sha, 'mode': mode, 'recorded': entry.get('recorded') is True}


def cross_check(row, where_nodes, nodes):
    """Fill row['nodes'] for the Localhost profiles a container names: present (node, sha256, mode),
    missing, not enforced; and return the problems in words."""
    problems, result = [], {}
    for kind in ('seccomp', 'apparmor'):
        prof = row[kind]
        if prof['type'] != 'Localhost' or (kind == 'seccomp' and row['privileged']):
            continue
        key = prof['node_path'] if kind == 'seccomp' else prof['localhost_profile']
        present, missing, lax, unmanaged = [], [], [], []
        for name in where_nodes:
            found = (_seccomp_on if kind == 'seccomp' else _apparmor_on)(nodes[name], key)
            if found is None:
                missing.append(name)
                continue
            present.append(dict(found, node=name))
            if found['mode'] == 'unknown' or not found['recorded']:
                unmanaged.append(name)
            if found['mode'] not in ('enforce', 'kill', 'unknown'):
                lax.append('%s (%s)' % (name, found['mode']))
        if missing:
            problems.append('will fail to start on %s: the %s profile %s is not there (%s)' % (
                ', '.join(missing), 'seccomp' if kind == 'seccomp' else 'AppArmor', shown(key),
                'cannot load seccomp profile' if kind == 'seccomp' else 'apparmor profile not found'))
        if lax:
            problems.append('not enforced on %s: the %s profile %s' % (', '.join(lax), kind, shown(key)))
        if unmanaged:
            problems.append('not installed by confine.hardening on %s: the %s profile %s' % (
                ', '.join(unmanaged), kind, shown(key)))
        if len(set(p['sha256'] for p in present if p['sha256'])) > 1:
            problems.append('the %s profile %s differs between nodes' % (kind, shown(key)))
        result[kind] = {'name': key, 'present': present, 'missing': missing, 'not_enforced': lax}
    row['nodes'] = result
    return problems


def _fix_for(kind, row, where_nodes, nodes, kubelet_root):
    """(profile field, note): the Localhost profile named after the container where every node the
    pod may land on has it and enforces it; else RuntimeDefault."""
    if NAME_RE.match(row['container']) and where_nodes:
        path, name = candidate_names(row['container'], kubelet_root)
        if kind == 'seccomp':
            local, found = 'profiles/%s.json' % row['container'], [_seccomp_on(nodes[n], path) for n in where_nodes]
        else:
            local, found = name, [_apparmor_on(nodes[n], name) for n in where_nodes]
        if all(f is not None and f['mode'] in ('enforce', 'kill') for f in found):
            return {'type': 'Localhost', 'localhostProfile': local}, 'every node it may land on has %s and enforces it' % local
    # localhostProfile null: a strategic merge deletes a Localhost name the container had
    return {'type': 'RuntimeDefault', 'localhostProfile': None}, 'no profile named after the container is enforced on every node it may land on'


def candidate_names(container, kubelet_root):
    """The Localhost profiles a fix for ``container`` may use: (seccomp node path, AppArmor name)."""
    return '%s/seccomp/profiles/%s.json' % (kubelet_root.rstrip('/'), container), container


ANNOTATION = {'seccomp': 'container.seccomp.security.alpha.kubernetes.io/',
              'apparmor': 'container.apparmor.security.beta.kubernetes.io/'}
POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod'
FIELD = {'seccomp': 'seccompProfile', 'apparmor': 'appArmorProfile'}


def _annotation_value(prof):
    return 'runtime/default' if prof['type'] == 'RuntimeDefault' else 'localhost/' + prof['localhostProfile']


def patch(workload, fixes, pod_fixes, ways):
    """A strategic-merge patch for the workload: each container's fix ({(container, type): {kind: profile}})
    and the pod's ({kind: profile}), written as fields, annotations or both (``ways(kind, container)``
    says which: a set of 'field' and 'annotation'; the API server wants both to agree where both are set)."""
    containers, annotations, pod_context = {}, {}, {}
    for (cname, ctype), kinds in sorted(fixes.items()):
        context = {}
        for kind, prof in sorted(kinds.items()):
            how = ways(kind, cname)
            if 'annotation' in how:
                annotations[ANNOTATION[kind] + cname] = _annotation_value(prof)
            if 'field' in how:
                context[FIELD[kind]] = prof
        if context:
            containers.setdefault(ctype + 's', []).append({'name': cname, 'securityContext': context})
    for kind, prof in sorted(pod_fixes.items()):
        how = ways(kind, None)
        if 'annotation' in how and kind == 'seccomp':
            annotations[POD_ANNOTATION] = _annotation_value(prof)
        if 'field' in how:
            pod_context[FIELD[kind]] = prof
    spec = dict(containers)
    if pod_context:
        spec['securityContext'] = pod_context
    template = {}
    if spec:
        template['spec'] = spec
    if annotations:
        template['metadata'] = {'annotations': annotations}
    for key in reversed(workload['template_path']):
        template = {key: template}
    return template


def fixes_for(workload, rows, where_nodes, nodes, kubelet_root, failing_kinds):
    """{(container, type): {kind: profile}} and notes, for the containers ``failing_kinds`` names
    ({container: set of kinds})."""
    fixes, notes = {}, []
    for row in rows:
        for kind in sorted(failing_kinds.get(row['container'], ())):
            if kind == 'seccomp' and row['privileged']:
                notes.append('%s is privileged: no seccomp profile applies to it; drop privileged: true' % shown(
                    row['container']))
                continue
            prof, note = _fix_for(kind, row, where_nodes, nodes, kubelet_root)
            fixes.setdefault((row['container'], row['container_type']), {})[kind] = prof
            notes.append('%s %s: %s, since %s' % (shown(row['container']), kind,
                                                  prof.get('localhostProfile') or prof['type'], note))
    return fixes, notes
