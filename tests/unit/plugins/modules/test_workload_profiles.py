# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""workload_profiles through its real argument spec: the node cross-check (present, missing, not
enforced, only the nodes a pod may land on), the patches (fields or annotations, written only
into patch_dir, never over a file it did not write, nothing in check mode), and hostile names
(generated) that can neither escape patch_dir nor break the patch or the table."""

import json
import os

import yaml
from hypothesis import given, settings, HealthCheck, strategies as st

from ansible_collections.confine.hardening.plugins.modules import workload_profiles as m

from conftest import run_main

SHA = 'a' * 64
WEB = '/var/lib/kubelet/seccomp/profiles/web.json'


def deployment(name='web', containers=None, node_selector=None, annotations=None, pod_context=None):
    spec = {'containers': containers or [{'name': 'web', 'securityContext': {
        'seccompProfile': {'type': 'Localhost', 'localhostProfile': 'profiles/web.json'},
        'appArmorProfile': {'type': 'Localhost', 'localhostProfile': 'web'}}}]}
    if node_selector:
        spec['nodeSelector'] = node_selector
    if pod_context:
        spec['securityContext'] = pod_context
    return {'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': name, 'namespace': 'shop'},
            'spec': {'template': {'metadata': {'annotations': annotations or {}}, 'spec': spec}}}


def node(seccomp=None, apparmor=None, labels=None):
    return {'labels': labels or {}, 'seccomp': seccomp or {}, 'apparmor': apparmor or {}}


HAS_WEB = node({WEB: {'present': True, 'sha256': SHA, 'mode': 'enforce', 'recorded': True}},
               {'web': {'loaded': 'enforce', 'sha256': SHA, 'recorded': True}}, {'pool': 'web'})


def audit(tmp_path, objs, **args):
    (tmp_path / 'm').mkdir(exist_ok=True)
    (tmp_path / 'm' / 'all.yaml').write_text(yaml.safe_dump_all(objs))
    return run_main(m, dict({'paths': [str(tmp_path / 'm')]}, **args))


def test_present_everywhere_is_clean_and_missing_on_one_node_will_fail_there(tmp_path):
    res = audit(tmp_path, [deployment()], nodes={'a': HAS_WEB, 'b': HAS_WEB})
    assert res['failing'] == [] and not res['changed'] and res['errors'] == []
    row = res['workloads'][0]['containers'][0]
    assert [p['node'] for p in row['nodes']['seccomp']['present']] == ['a', 'b']
    res = audit(tmp_path, [deployment()], nodes={'a': HAS_WEB, 'b': node(labels={'pool': 'web'})})
    assert len(res['failing']) == 1
    problems = res['workloads'][0]['problems']
    assert 'web: will fail to start on b: the seccomp profile %s is not there (cannot load seccomp profile)' % WEB in problems
    assert 'web: will fail to start on b: the AppArmor profile web is not there (apparmor profile not found)' in problems
    assert res['localhost_profiles'] == {'seccomp': [WEB], 'apparmor': ['web']}
    assert 'b' in res['table'][2]                       # the "missing on" column


def test_complain_and_log_modes_are_not_enforced_but_start(tmp_path):
    lax = node({WEB: {'present': True, 'sha256': SHA, 'mode': 'log', 'recorded': True}},
               {'web': {'loaded': 'complain', 'recorded': True}})
    res = audit(tmp_path, [deployment()], nodes={'a': lax})
    assert res['failing'] == []
    assert 'web: not enforced on a (log): the seccomp profile %s' % WEB in res['workloads'][0]['problems']
    assert 'web: not enforced on a (complain): the apparmor profile web' in res['workloads'][0]['problems']


def test_only_the_nodes_a_pod_may_land_on_are_checked(tmp_path):
    nodes = {'a': HAS_WEB, 'db': node(labels={'pool': 'db'})}
    res = audit(tmp_path, [deployment(node_selector={'pool': 'web'})], nodes=nodes)
    assert res['failing'] == [] and res['workloads'][0]['nodes_considered'] == ['a']
    affinity = deployment()
    affinity['spec']['template']['spec']['affinity'] = {'nodeAffinity': {'requiredDuringSchedulingIgnoredDuringExecution': {
        'nodeSelectorTerms': [{'matchExpressions': [{'key': 'pool', 'operator': 'NotIn', 'values': ['web']}]}]}}}
    res = audit(tmp_path, [affinity], nodes=nodes)
    assert res['workloads'][0]['nodes_considered'] == ['db'] and len(res['failing']) == 1


def test_a_node_that_could_not_be_read_is_an_error_not_a_pass(tmp_path):
    res = audit(tmp_path, [deployment()], nodes={'a': dict(HAS_WEB), 'gone': {'error': 'unreachable'}})
    assert 'node gone: unreachable' in res['errors']
    assert 'will fail to start on gone' in res['failing'][0]


def test_values_a_node_reports_of_another_form_read_as_not_there(tmp_path):
    bad = node({WEB: {'present': 'yes', 'sha256': SHA}}, {'web': {'loaded': 'enforce; rm -rf /'}})
    res = audit(tmp_path, [deployment()], nodes={'a': bad})
    assert len(res['failing']) == 1
    res = run_main(m, {'paths': [str(tmp_path / 'm')], 'nodes': {'a': {'labels': {'x': 1}}}})
    assert res['failed'] and res['msg'] == 'workload profiles: nodes: a: labels: not a mapping of strings; nothing was read'


def test_the_patch_uses_a_profile_every_node_enforces_else_runtime_default(tmp_path):
    api = {'name': 'web', 'securityContext': {'seccompProfile': {'type': 'Localhost', 'localhostProfile': 'profiles/api.json'}}}
    res = audit(tmp_path, [deployment(containers=[api])], nodes={'a': HAS_WEB}, patch_dir=str(tmp_path / 'patches'))
    patch = res['workloads'][0]['patch']
    assert patch == {'spec': {'template': {'spec': {'containers': [{'name': 'web', 'securityContext': {
        'seccompProfile': {'type': 'Localhost', 'localhostProfile': 'profiles/web.json'}}}]}}}}
    other = dict(api, name='other')
    res = audit(tmp_path, [deployment(containers=[other])], nodes={'a': HAS_WEB})
    fix = res['workloads'][0]['patch']['spec']['template']['spec']['containers'][0]['securityContext']
    assert fix == {'seccompProfile': {'type': 'RuntimeDefault', 'localhostProfile': None}}


def test_a_restricted_violation_is_patched_on_pod_and_containers_and_annotations_too(tmp_path):
    dep = deployment(containers=[{'name': 'a'}], annotations={'container.apparmor.security.beta.kubernetes.io/a': 'unconfined'},
                     pod_context={'seccompProfile': {'type': 'Unconfined'}})
    res = audit(tmp_path, [dep], level='restricted', kubernetes_version='1.30')
    tpl = res['workloads'][0]['patch']['spec']['template']
    assert tpl['spec']['securityContext']['seccompProfile']['type'] == 'RuntimeDefault'
    assert tpl['metadata']['annotations'] == {'container.apparmor.security.beta.kubernetes.io/a': 'runtime/default'}
    ctx = tpl['spec']['containers'][0]['securityContext']
    assert ctx['appArmorProfile']['type'] == 'RuntimeDefault' and ctx['seccompProfile']['type'] == 'RuntimeDefault'
    # before the fields exist, the patch is annotations only
    res = audit(tmp_path, [dep], level='baseline', kubernetes_version='1.18')
    assert set(res['workloads'][0]['patch']['spec']['template']) == {'metadata'}


def test_namespace_enforce_labels_reject_and_fail(tmp_path):
    ns = {'kind': 'Namespace', 'metadata': {'name': 'shop', 'labels': {'pod-security.kubernetes.io/enforce': 'restricted'}}}
    res = audit(tmp_path, [ns, deployment(containers=[{'name': 'a'}])])
    assert res['namespaces']['shop']['rejects'] == ['Deployment/web']
    assert 'its pods would be rejected by namespace shop, which enforces restricted' in res['failing'][0]
    assert res['table'][0] == 'namespace shop [enforce=restricted (v1.34)]'


def test_patch_files_check_mode_idempotence_and_foreign_files(tmp_path):
    args = dict(nodes={'a': node()}, patch_dir=str(tmp_path / 'patches'))
    (tmp_path / 'm').mkdir()
    (tmp_path / 'm' / 'd.yaml').write_text(yaml.safe_dump(deployment()))
    full = dict({'paths': [str(tmp_path / 'm')]}, **args)
    res = run_main(m, full, check_mode=True)
    assert res['changed'] and not (tmp_path / 'patches').exists()
    res = run_main(m, full)
    assert res['changed'] and res['patches'] == [str(tmp_path / 'patches' / 'shop.Deployment.web.patch.yaml')]
    text = (tmp_path / 'patches' / 'shop.Deployment.web.patch.yaml').read_text()
    assert text.startswith(m.PATCH_HEADER) and yaml.safe_load(text)['spec']['template']['spec']['containers'][0]['name'] == 'web'
    assert not run_main(m, full)['changed']
    (tmp_path / 'patches' / 'shop.Deployment.web.patch.yaml').write_text('mine\n')
    res = run_main(m, full)
    assert res['failed'] and 'was not written by confine.hardening; nothing was written' in res['msg']
    assert (tmp_path / 'patches' / 'shop.Deployment.web.patch.yaml').read_text() == 'mine\n'


NAMES = st.text(st.characters(blacklist_categories=('Cs',)), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAMES, namespace=NAMES, container=NAMES, local=NAMES)
def test_hostile_names_stay_in_patch_dir_and_in_their_fields(tmp_path, name, namespace, container, local):
    dep = deployment(name=name, containers=[{'name': container, 'securityContext': {
        'seccompProfile': {'type': 'Localhost', 'localhostProfile': local}}}])
    dep['metadata']['namespace'] = namespace
    base = tmp_path / ('case%d' % len(os.listdir(str(tmp_path))))
    base.mkdir()
    (base / 'd.json').write_text(json.dumps(dep))
    res = run_main(m, {'paths': [str(base / 'd.json')], 'nodes': {'a': node()}, 'patch_dir': str(base / 'p')})
    assert not res.get('failed'), res.get('msg')
    # a document is either read (and its patch written in patch_dir) or one error sentence
    assert len(res['errors']) + len(res['workloads']) == 1, res['errors']
    for err in res['errors']:
        assert '\n' not in err and 'document 1' in err
    for line in res['table']:
        assert '\n' not in line
    for path in res['patches']:
        assert os.path.dirname(path) == str(base / 'p')
        patch = yaml.safe_load(open(path).read())
        assert patch['spec']['template']['spec']['containers'][0]['name'] == container
    assert sorted(os.listdir(str(base))) in (['d.json'], ['d.json', 'p'])


def test_the_worked_example_of_the_docs_is_what_the_module_says(tmp_path):
    """docs/kubernetes.md shows the table, the verdicts and the patch for docs/examples/kubernetes/;
    they are what the module gives for those files."""
    root = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..')
    example = os.path.join(root, 'docs', 'examples', 'kubernetes')
    nodes = json.load(open(os.path.join(example, 'nodes.json')))
    res = run_main(m, {'paths': [os.path.join(example, 'shop')], 'nodes': nodes, 'kubernetes_version': '1.30',
                       'patch_dir': str(tmp_path)})
    doc = open(os.path.join(root, 'docs', 'kubernetes.md')).read()
    for line in res['table']:
        assert line in doc, line
    assert len(res['failing']) == 1 and res['errors'] == []
    for problem in res['workloads'][0]['problems']:
        assert problem in doc, problem
    shown = doc.split('# confine.hardening workload patch: shop/Deployment web\n', 1)[1].split('```', 1)[0]
    written = open(res['patches'][0]).read().split('\n', 1)[1]
    assert written == shown
