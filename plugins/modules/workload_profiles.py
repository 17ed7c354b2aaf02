#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: workload_profiles
short_description: Which seccomp and AppArmor profile each Kubernetes container gets, its Pod Security verdict, and the nodes it cannot start on
version_added: 0.5.0
description:
  - Reads Kubernetes objects from manifest files and directories (multi-document YAML, JSON, a C(List) as
    C(kubectl get -o json) prints it, Helm-rendered output) and, for every C(Pod), C(Deployment), C(StatefulSet),
    C(DaemonSet), C(ReplicaSet), C(ReplicationController), C(Job), C(CronJob) and C(PodTemplate), reports the
    effective seccomp and AppArmor profile of every container, init container and ephemeral container (the
    fields and the legacy annotations, as the kubelet and containerd decide them at O(kubernetes_version); a
    privileged container gets no seccomp filter, whatever it names).
  - Decides the Pod Security Standards' seccomp and AppArmor checks at Baseline and Restricted as Pod Security
    Admission does at O(kubernetes_version), and, for every C(Namespace) object given, what its
    C(pod-security.kubernetes.io) labels would reject.
  - With O(nodes) (what M(confine.hardening.hardening_verify) reported with its O(confine.hardening.hardening_verify#module:inspect)
    option from each node), names for every C(Localhost) profile a workload names the nodes that have it (sha256,
    mode) and those that do not, among the nodes the pod may land on (C(nodeName), C(nodeSelector), the required
    node affinity). A workload missing its profile on a node "will fail to start" there; a profile in complain
    or log mode is "not enforced".
  - For every failing workload, a strategic-merge patch that sets a profile - a C(Localhost) profile named after
    the container or the workload that every node it may land on has and enforces, else C(RuntimeDefault).
  - The manifests are untrusted input. A bad document gets one sentence (file, document number, field) in
    RV(errors) and a warning, and the other documents are still checked. No directory symlink is followed, no
    FIFO or device is opened, and no file longer than 16 MiB is read.
  - Runs where the manifests are (normally the controller, with C(delegate_to=localhost)). Changes nothing,
    unless O(patch_dir) is given.
author:
  - confine.hardening contributors (@confine)
options:
  paths:
    description: Manifest files and directories (directories are walked for C(*.yaml), C(*.yml) and C(*.json)).
    type: list
    elements: path
    required: true
  namespace:
    description: The namespace of objects that name none.
    type: str
    default: default
  kubernetes_version:
    description:
      - The cluster's version (C(1.30), C(v1.30)) or C(latest). It decides which fields and annotations count and
        which Pod Security rules apply (see C(docs/kubernetes.md)); a namespace's C(-version) label, where given,
        decides its admission instead.
    type: str
    default: latest
  kubelet_root:
    description: The kubelet's root directory; a C(Localhost) seccomp profile is the file C(KUBELET_ROOT/seccomp/localhostProfile).
    type: path
    default: /var/lib/kubelet
  kubelet_seccomp_default:
    description: Whether the nodes' kubelets have C(seccompDefault) on, so that a container that names no seccomp profile gets C(RuntimeDefault).
    type: bool
    default: false
  nodes:
    description:
      - The nodes, by name. Each is a mapping with C(labels) (the node's Kubernetes labels, for node selection) and
        what M(confine.hardening.hardening_verify) returned in RV(confine.hardening.hardening_verify#module:inspected) on
        that node (C(seccomp), C(apparmor)), and optionally C(error) (why the node could not be read).
      - Empty, no node cross-check is made.
    type: dict
    default: {}
  level:
    description:
      - The Pod Security level a workload must pass to count as passing in RV(failing); V(none) judges only whether
        it starts.
    type: str
    choices: [none, baseline, restricted]
    default: none
  patch_dir:
    description:
      - Where to write each failing workload's patch, as C(NAMESPACE.KIND.NAME.patch.yaml). Created when missing.
        A file there that this module did not write is never overwritten.
    type: path
extends_documentation_fragment:
  - confine.hardening.attributes
attributes:
  diff_mode:
    support: none
seealso:
  - module: confine.hardening.hardening_verify
  - module: confine.hardening.hardening_record
"""

EXAMPLES = r"""
- name: Audit the manifests of the web team
  confine.hardening.workload_profiles:
    paths: [deploy/web/, rendered/chart.yaml]
    kubernetes_version: "1.30"
    level: restricted
  delegate_to: localhost
  register: audit

- name: Which nodes lack a profile (nodes as playbooks/audit-workloads.yml gathers them)
  confine.hardening.workload_profiles:
    paths: [deploy/]
    nodes:
      node-a:
        labels: {pool: web}
        seccomp: {/var/lib/kubelet/seccomp/profiles/web.json: {present: true, sha256: 5d41..., mode: enforce, recorded: true}}
        apparmor: {}
      node-b: {labels: {pool: web}, seccomp: {}, apparmor: {}}
    patch_dir: deploy/patches
  delegate_to: localhost
"""

RETURN = r"""
workloads:
  description: One entry per workload, with its containers' effective profiles, its verdicts and its problems.
  returned: always
  type: list
  elements: dict
  sample:
    - {namespace: shop, kind: Deployment, name: web, where: "deploy/web.yaml, document 1", nodes_considered: [node-a, node-b],
       runtimes: {node-a: containerd, node-b: containerd},
       containers: [{container: web, container_type: container, privileged: false,
                     seccomp: {type: Localhost, localhost_profile: profiles/web.json, scope: container, effective: Localhost,
                               node_path: /var/lib/kubelet/seccomp/profiles/web.json},
                     apparmor: {type: Unset, scope: default, effective: RuntimeDefault},
                     nodes: {seccomp: {name: /var/lib/kubelet/seccomp/profiles/web.json, missing: [node-b],
                                       present: [{node: node-a, sha256: 5d41..., mode: enforce, recorded: true}], not_enforced: []}}}],
       pss: {version: v1.30, baseline: {allowed: true, reasons: []}, restricted: {allowed: false, reasons: []}},
       admission: {}, problems: ["web: will fail to start on node-b: ..."], failing: true, patch: {}, patch_notes: []}
namespaces:
  description: The Pod Security Admission labels of each Namespace object given, and what they would reject.
  returned: always
  type: dict
  sample: {shop: {enforce: {level: restricted, version: v1.30, error: null}, rejects: [Deployment/web]}}
failing:
  description: One sentence per failing workload (it would not start on a node, is rejected by its namespace, or fails O(level)).
  returned: always
  type: list
  elements: str
localhost_profiles:
  description: The C(Localhost) profiles the workloads name (seccomp node paths, AppArmor profile names), for a node inspection.
  returned: always
  type: dict
  sample: {seccomp: [/var/lib/kubelet/seccomp/profiles/web.json], apparmor: [web]}
errors:
  description: One sentence per document, file or node that could not be read (file, document number, field).
  returned: always
  type: list
  elements: str
table:
  description: The report as text, one block per namespace.
  returned: always
  type: list
  elements: str
patches:
  description: The patch files written (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
summary:
  description: Counts.
  returned: always
  type: dict
  sample: {workloads: 3, containers: 5, failing: 1, errors: 0, other_objects: 2}
"""

import hashlib
import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils import _k8s_fleet as fleet
from ansible_collections.confine.hardening.plugins.module_utils import _k8s_objects as objects
from ansible_collections.confine.hardening.plugins.module_utils import _k8s_profiles as profiles
from ansible_collections.confine.hardening.plugins.module_utils._common import NAME_RE, ModuleError, run_module

try:
    import yaml
except ImportError:  # pragma: no cover - ansible-core requires PyYAML
    yaml = None

PATCH_HEADER = '# confine.hardening workload patch: '


def argument_spec():
    return dict(paths=dict(type='list', elements='path', required=True),
                namespace=dict(type='str', default='default'),
                kubernetes_version=dict(type='str', default='latest'),
                kubelet_root=dict(type='path', default='/var/lib/kubelet'),
                kubelet_seccomp_default=dict(type='bool', default=False),
                nodes=dict(type='dict', default={}),
                level=dict(type='str', choices=['none', 'baseline', 'restricted'], default='none'),
                patch_dir=dict(type='path'))


def _container_kinds(row, level, version):
    """The kinds ({'seccomp', 'apparmor'}) of a container that need a fix for the chosen level or to start."""
    kinds = set(k for k, v in row.get('nodes', {}).items() if v['missing'])
    if level == 'none':
        return kinds
    for kind in ('seccomp', 'apparmor'):
        prof = row[kind]
        if prof['type'] == 'Unconfined':
            kinds.add(kind)
        elif (kind == 'seccomp' and level == 'restricted' and version >= profiles.SECCOMP_FIELDS
              and prof['scope'] not in ('container', 'pod')):
            kinds.add(kind)
    return kinds


def _ways(workload, version):
    def ways(kind, container):
        fields_from = profiles.SECCOMP_FIELDS if kind == 'seccomp' else profiles.APPARMOR_FIELDS
        how = set(['field']) if version >= fields_from else set(['annotation'])
        key = (fleet.ANNOTATION[kind] + container) if container else fleet.POD_ANNOTATION
        if key in workload['annotations'] and (kind == 'apparmor' or version < profiles.SECCOMP_ANNOTATIONS_END):
            how.add('annotation')
        return how
    return ways


def _pod_fixes(workload, level):
    fixes = {}
    context = workload['spec'].get('securityContext') or {}
    for kind in ('seccomp', 'apparmor'):
        prof = context.get(fleet.FIELD[kind])
        if level != 'none' and isinstance(prof, dict) and prof.get('type') == 'Unconfined':
            fixes[kind] = {'type': 'RuntimeDefault', 'localhostProfile': None}
    if level != 'none' and workload['annotations'].get(fleet.POD_ANNOTATION) == 'unconfined':
        fixes['seccomp'] = {'type': 'RuntimeDefault', 'localhostProfile': None}
    return fixes


def audit_workload(workload, params, version, nodes, namespaces):
    rows = profiles.effective(workload, version, params['kubelet_seccomp_default'], params['kubelet_root'])
    where = fleet.candidates(workload, nodes) if nodes else []
    problems = []
    for row in rows:
        if row['privileged']:
            problems.append('%s: privileged: it runs without a seccomp filter%s (a privileged exception; Pod Security '
                            'Baseline forbids privileged containers)' % (
                                objects.shown(row['container']),
                                '' if row['apparmor']['effective'] == 'Localhost' else ' and without AppArmor'))
        if nodes:
            problems.extend('%s: %s' % (objects.shown(row['container']), p) for p in fleet.cross_check(row, where, nodes))
    verdict = profiles.pss(workload, version)
    admission = {}
    for mode, entry in sorted(namespaces.get(workload['namespace'], {}).items()):
        reasons = profiles.admit(workload, entry)
        admission[mode] = dict(entry, allowed=not reasons, reasons=reasons)
    enforce = admission.get('enforce')
    if enforce and not enforce['allowed']:
        problems.append('its pods would be rejected by namespace %s, which enforces %s (%s): %s' % (
            objects.shown(workload['namespace']), enforce['level'], enforce['version'], '; '.join(enforce['reasons'])))
    level = params['level']
    if level != 'none' and not verdict[level]['allowed']:
        problems.append('fails Pod Security %s (%s): %s' % (level, verdict['version'], '; '.join(verdict[level]['reasons'])))
    start = [p for p in problems if 'will fail to start' in p or 'would be rejected' in p]
    failing = bool(start) or (level != 'none' and not verdict[level]['allowed'])
    entry = {'namespace': workload['namespace'], 'kind': workload['kind'], 'name': workload['name'],
             'where': workload['where'], 'nodes_considered': where, 'containers': rows, 'pss': verdict,
             'runtimes': dict((n, nodes[n]['runtime']) for n in where),
             'admission': admission, 'problems': problems, 'failing': failing, 'patch': None, 'patch_notes': []}
    if failing:
        fix_level = level if level != 'none' else (enforce['level'] if enforce and not enforce['allowed'] else 'none')
        kinds = dict((r['container'], _container_kinds(r, fix_level, version)) for r in rows)
        fixes, notes = fleet.fixes_for(workload, rows, where, nodes, params['kubelet_root'], kinds)
        pod = _pod_fixes(workload, fix_level)
        if fixes or pod:
            entry['patch'] = fleet.patch(workload, fixes, pod, _ways(workload, version))
        entry['patch_notes'] = notes
    return entry


def safe_name(text):
    """A file name part from a manifest value: letters, digits, '.', '_' and '-' kept, the rest '_',
    with a short hash of the original where anything was replaced."""
    clean = re.sub(r'[^A-Za-z0-9_.-]', '_', text)[:80].lstrip('.') or '_'
    if clean != text:
        clean += '-' + hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()[:8]
    return clean


def patch_text(entry):
    head = '%s%s/%s %s\n' % (PATCH_HEADER, objects.shown(entry['namespace']), objects.shown(entry['kind']),
                             objects.shown(entry['name']))
    notes = ''.join('# %s\n' % objects.shown(n, 1000) for n in entry['patch_notes'])
    return (head + notes).encode('utf-8') + yaml.safe_dump(entry['patch'], default_flow_style=False).encode('utf-8')


def write_patches(module, entries):
    """[path] of the patch files (written, or in check mode to be written), and whether any changed."""
    directory = module.params['patch_dir']
    if not directory:
        return [], False
    if os.path.lexists(directory) and not os.path.isdir(directory):
        raise ModuleError('patch_dir: %s is not a directory; nothing was written' % directory)
    planned = []
    for entry in entries:
        if not entry['patch']:
            continue
        name = '%s.%s.%s.patch.yaml' % (safe_name(entry['namespace']), safe_name(entry['kind']), safe_name(entry['name']))
        path = os.path.join(directory, name)
        old = fileio.read_bytes(path) if not os.path.islink(path) else b'symlink'
        if old is not None and not old.startswith(PATCH_HEADER.encode()):
            raise ModuleError('patch_dir: %s was not written by confine.hardening; nothing was written' % path)
        planned.append((path, old, patch_text(entry)))
    changed = [p for p in planned if p[1] != p[2]]
    if changed and not module.check_mode:
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o755)
        for path, _old, data in changed:
            fileio.write_atomic(path, data)
    return [p[0] for p in planned], bool(changed)


def _cell(prof):
    if (prof.get('note') or '').startswith('privileged: no'):
        return 'Unconfined (privileged)'
    text = prof['effective']
    if prof['type'] == 'Localhost':
        text = 'Localhost %s' % objects.shown(prof['localhost_profile'], 60)
    elif prof['type'] == 'Unset':
        text = '%s (unset)' % prof['effective']
    return text


def table(entries, namespaces):
    """Lines of text: per namespace, one row per container."""
    lines, header = [], ('workload', 'container', 'seccomp', 'AppArmor', 'baseline', 'restricted', 'missing on')
    for ns in sorted(set(e['namespace'] for e in entries)):
        rows = []
        for e in [x for x in entries if x['namespace'] == ns]:
            for r in e['containers']:
                missing = sorted(set(n for v in r.get('nodes', {}).values() for n in v['missing']))
                rows.append(('%s/%s' % (e['kind'], objects.shown(e['name'], 60)),
                             objects.shown(r['container'], 40) + (' (privileged)' if r['privileged'] else ''),
                             _cell(r['seccomp']), _cell(r['apparmor']),
                             'ok' if e['pss']['baseline']['allowed'] else 'FAIL',
                             'ok' if e['pss']['restricted']['allowed'] else 'FAIL', ', '.join(missing) or '-'))
        widths = [max(len(x[i]) for x in rows + [header]) for i in range(len(header))]
        labels = namespaces.get(ns, {})
        enforce = ', '.join('%s=%s (%s)' % (m, v['level'], v['version']) for m, v in sorted(labels.items())
                            if m in profiles.MODES)
        lines.append('namespace %s%s' % (objects.shown(ns), ' [%s]' % enforce if enforce else ''))
        for row in [header] + rows:
            lines.append('  ' + '  '.join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    return lines


def localhost_profiles(entries, kubelet_root):
    """What a node inspection must look at: the Localhost profiles the workloads name, and those a fix
    could use (named after each container)."""
    seccomp, apparmor = set(), set()
    for row in [r for e in entries for r in e['containers']]:
        if row['seccomp']['node_path']:
            seccomp.add(row['seccomp']['node_path'])
        if row['apparmor']['type'] == 'Localhost':
            apparmor.add(row['apparmor']['localhost_profile'])
        if NAME_RE.match(row['container']):
            path, name = fleet.candidate_names(row['container'], kubelet_root)
            seccomp.add(path)
            apparmor.add(name)
    return {'seccomp': sorted(seccomp), 'apparmor': sorted(apparmor)}


def run(module):
    params = module.params
    try:
        version = profiles.parse_version(params['kubernetes_version'])
        nodes = fleet.check_nodes(params['nodes'])
    except ValueError as exc:
        raise ModuleError('%s; nothing was read' % exc)
    workloads, ns_labels, others, errors = objects.load(params['paths'], params['namespace'])
    for name, node in sorted(nodes.items()):
        if node['error']:
            errors.append('node %s: %s' % (objects.shown(name), objects.shown(node['error'], 500)))
    namespaces = dict((ns, profiles.admission(labels, version)) for ns, labels in ns_labels.items())
    entries = []
    for workload in workloads:
        try:
            entries.append(audit_workload(workload, params, version, nodes, namespaces))
        except objects.BadDocument as exc:
            errors.append('%s (%s): %s' % (workload['where'], workload['kind'], exc))
    for ns, modes in namespaces.items():
        errors.extend('namespace %s: %s' % (objects.shown(ns), m['error']) for m in modes.values() if m['error'])
        modes['rejects'] = ['%s/%s' % (e['kind'], e['name']) for e in entries
                            if e['namespace'] == ns and not e['admission'].get('enforce', {}).get('allowed', True)]
    for err in errors:
        module.warn(err)
    written, changed = write_patches(module, [e for e in entries if e['failing']])
    wanted = localhost_profiles(entries, params['kubelet_root'])
    failing = ['%s/%s %s (%s): %s' % (objects.shown(e['namespace']), e['kind'], objects.shown(e['name']), e['where'],
                                      '; '.join(e['problems'])) for e in entries if e['failing']]
    return dict(changed=changed, workloads=entries, namespaces=namespaces, failing=failing, errors=errors,
                localhost_profiles=wanted, table=table(entries, namespaces), patches=written,
                summary={'workloads': len(entries), 'containers': sum(len(e['containers']) for e in entries),
                         'failing': len(failing), 'errors': len(errors), 'other_objects': others},
                msg='%d workloads, %d failing, %d errors' % (len(entries), len(failing), len(errors)))


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, run, label='workload profiles: ')


if __name__ == '__main__':
    main()
