# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The effective profile of each container and the Pod Security checks, one test per rule and per
inheritance case, with manifests written from the Pod Security Standards documentation and
pod-security-admission's checks (seccompProfile_baseline, seccompProfile_restricted, appArmorProfile)."""

import pytest

from ansible_collections.confine.hardening.plugins.module_utils import _k8s_objects as objects
from ansible_collections.confine.hardening.plugins.module_utils import _k8s_profiles as p

V118, V119, V126, V127, V129, V130 = (1, 18), (1, 19), (1, 26), (1, 27), (1, 29), (1, 30)


def pod(containers=None, pod_context=None, annotations=None, init=None, ephemeral=None):
    spec = {'containers': containers or [{'name': 'app'}]}
    if pod_context is not None:
        spec['securityContext'] = pod_context
    if init:
        spec['initContainers'] = init
    if ephemeral:
        spec['ephemeralContainers'] = ephemeral
    obj = {'kind': 'Pod', 'metadata': {'name': 'p', 'annotations': annotations or {}}, 'spec': spec}
    return objects.workload(obj, 'default')


def sc(seccomp=None, apparmor=None, privileged=None, local=None):
    out = {}
    if seccomp:
        out['seccompProfile'] = dict({'type': seccomp}, **({'localhostProfile': local} if seccomp == 'Localhost' else {}))
    if apparmor:
        out['appArmorProfile'] = dict({'type': apparmor}, **({'localhostProfile': local} if apparmor == 'Localhost' else {}))
    if privileged is not None:
        out['privileged'] = privileged
    return out


def eff(workload, version=V130, seccomp_default=False):
    return dict((r['container'], r) for r in p.effective(workload, version, seccomp_default))


# --- the effective profile -------------------------------------------------------------------

def test_the_container_field_overrides_the_pod_field():
    rows = eff(pod([{'name': 'a', 'securityContext': sc('Localhost', local='profiles/a.json')}, {'name': 'b'}],
                   pod_context=sc('RuntimeDefault')))
    assert (rows['a']['seccomp']['type'], rows['a']['seccomp']['scope']) == ('Localhost', 'container')
    assert rows['a']['seccomp']['node_path'] == '/var/lib/kubelet/seccomp/profiles/a.json'
    assert (rows['b']['seccomp']['type'], rows['b']['seccomp']['scope']) == ('RuntimeDefault', 'pod')


def test_unset_seccomp_is_unconfined_unless_the_kubelet_has_seccomp_default():
    assert eff(pod())['app']['seccomp']['effective'] == 'Unconfined'
    assert eff(pod(), seccomp_default=True)['app']['seccomp']['effective'] == 'RuntimeDefault'
    assert eff(pod())['app']['seccomp']['scope'] == 'default'


def test_init_and_ephemeral_containers_count():
    rows = eff(pod(init=[{'name': 'i', 'securityContext': sc('Unconfined')}],
                   ephemeral=[{'name': 'e', 'securityContext': sc('Localhost', local='e.json')}]))
    assert rows['i']['container_type'] == 'initContainer' and rows['i']['seccomp']['effective'] == 'Unconfined'
    assert rows['e']['container_type'] == 'ephemeralContainer' and rows['e']['seccomp']['localhost_profile'] == 'e.json'


def test_privileged_is_unconfined_for_seccomp_whatever_it_names():
    rows = eff(pod([{'name': 'a', 'securityContext': sc('Localhost', local='a.json', privileged=True)}]))
    assert rows['a']['privileged'] and rows['a']['seccomp']['effective'] == 'Unconfined'
    assert rows['a']['seccomp']['node_path'] is None          # the file is never read: it cannot fail the start
    assert rows['a']['apparmor']['effective'] == 'Unconfined'


def test_privileged_keeps_a_localhost_apparmor_profile_as_containerd_applies_it():
    rows = eff(pod([{'name': 'a', 'securityContext': sc(apparmor='Localhost', local='web', privileged=True)}]))
    assert rows['a']['apparmor']['effective'] == 'Localhost' and 'containerd' in rows['a']['apparmor']['note']


def test_seccomp_annotations_count_before_1_27_and_the_container_one_first():
    ann = {p.SECCOMP_POD: 'runtime/default', p.SECCOMP_CONTAINER + 'app': 'localhost/profiles/app.json'}
    assert eff(pod(annotations=ann), V126)['app']['seccomp']['localhost_profile'] == 'profiles/app.json'
    assert eff(pod(annotations=ann), V126)['app']['seccomp']['scope'] == 'container annotation'
    assert eff(pod(annotations={p.SECCOMP_POD: 'docker/default'}), V118)['app']['seccomp']['type'] == 'RuntimeDefault'
    # from 1.27 the annotations are ignored
    assert eff(pod(annotations=ann), V127)['app']['seccomp']['type'] == 'Unset'


def test_seccomp_fields_win_over_annotations_and_do_not_exist_before_1_19():
    ann = {p.SECCOMP_POD: 'unconfined'}
    w = pod(pod_context=sc('RuntimeDefault'), annotations=ann)
    assert eff(w, V126)['app']['seccomp']['type'] == 'RuntimeDefault'
    assert eff(w, V118)['app']['seccomp']['type'] == 'Unconfined'


def test_apparmor_field_then_annotation_then_pod_field_from_1_30():
    ann = {p.APPARMOR_CONTAINER + 'b': 'localhost/from-annotation'}
    w = pod([{'name': 'a', 'securityContext': sc(apparmor='Localhost', local='from-field')}, {'name': 'b'}, {'name': 'c'}],
            pod_context=sc(apparmor='RuntimeDefault'), annotations=ann)
    rows = eff(w)
    assert rows['a']['apparmor']['localhost_profile'] == 'from-field'
    assert rows['b']['apparmor']['localhost_profile'] == 'from-annotation'
    assert rows['b']['apparmor']['scope'] == 'container annotation'
    assert (rows['c']['apparmor']['type'], rows['c']['apparmor']['scope']) == ('RuntimeDefault', 'pod')
    # before 1.30 only the annotation counts
    rows = eff(w, V129)
    assert rows['a']['apparmor']['type'] == 'Unset' and rows['b']['apparmor']['type'] == 'Localhost'


@pytest.mark.parametrize('context, sentence', [
    ({'seccompProfile': {'type': 'Bogus'}}, 'type: Bogus is not RuntimeDefault, Localhost or Unconfined'),
    ({'seccompProfile': {'type': 'Localhost'}}, 'localhostProfile: missing or empty'),
    ({'seccompProfile': {'type': 'Localhost', 'localhostProfile': '../etc/shadow'}}, 'without ..'),
    ({'seccompProfile': {'type': 'Localhost', 'localhostProfile': '/abs.json'}}, 'relative'),
    ({'seccompProfile': {'type': 'RuntimeDefault', 'localhostProfile': 'x'}}, 'set, but the type is RuntimeDefault'),
    ({'appArmorProfile': 'web'}, 'appArmorProfile: not a mapping'),
])
def test_a_bad_profile_field_is_one_sentence_naming_the_field(context, sentence):
    with pytest.raises(objects.BadDocument) as err:
        p.effective(pod([{'name': 'a', 'securityContext': context}]), V130)
    assert sentence in str(err.value) and 'spec.containers[0].securityContext' in str(err.value)


# --- Pod Security: seccomp -------------------------------------------------------------------

def verdict(workload, version=V130):
    return p.pss(workload, version)


def test_baseline_forbids_unconfined_on_the_pod_or_any_container():
    assert not verdict(pod(pod_context=sc('Unconfined')))['baseline']['allowed']
    assert not verdict(pod(init=[{'name': 'i', 'securityContext': sc('Unconfined')}]))['baseline']['allowed']
    assert not verdict(pod(ephemeral=[{'name': 'e', 'securityContext': sc('Unconfined')}]))['baseline']['allowed']
    assert verdict(pod())['baseline']['allowed']                        # unset is allowed
    assert verdict(pod(pod_context=sc('Localhost', local='x.json')))['baseline']['allowed']


def test_restricted_requires_a_profile_on_the_pod_or_every_container():
    assert not verdict(pod())['restricted']['allowed']
    assert verdict(pod(pod_context=sc('RuntimeDefault')))['restricted']['allowed']
    both = pod([{'name': 'a', 'securityContext': sc('RuntimeDefault')}, {'name': 'b'}])
    reasons = verdict(both)['restricted']['reasons']
    assert reasons == ['seccomp: the pod or container b must set securityContext.seccompProfile.type to '
                       'RuntimeDefault or Localhost']
    assert verdict(pod([{'name': 'a', 'securityContext': sc('RuntimeDefault')}]))['restricted']['allowed']


def test_restricted_a_container_unconfined_fails_even_under_a_good_pod_value():
    w = pod([{'name': 'a', 'securityContext': sc('Unconfined')}], pod_context=sc('RuntimeDefault'))
    assert verdict(w)['restricted']['reasons'] == [
        'seccomp: container a sets securityContext.seccompProfile.type to Unconfined']


def test_before_1_19_the_annotations_decide_and_fields_are_not_read():
    ok = {p.SECCOMP_POD: 'runtime/default', p.SECCOMP_CONTAINER + 'app': 'localhost/x'}
    assert verdict(pod(annotations=ok), V118)['baseline']['allowed']
    bad = pod(annotations={p.SECCOMP_CONTAINER + 'app': 'unconfined'})
    assert verdict(bad, V118)['baseline']['reasons'] == [
        'seccomp: forbidden annotation container.seccomp.security.alpha.kubernetes.io/app=unconfined']
    # the same pod from 1.19: annotations are not checked, and an unset field passes Baseline
    assert verdict(bad, V119)['baseline']['allowed']
    # an annotation for a container the pod does not have is not checked
    assert verdict(pod(annotations={p.SECCOMP_CONTAINER + 'other': 'unconfined'}), V118)['baseline']['allowed']
    # restricted has no seccomp requirement before 1.19
    assert verdict(pod(), V118)['restricted']['allowed']


# --- Pod Security: AppArmor ------------------------------------------------------------------

@pytest.mark.parametrize('value, allowed', [('', True), ('runtime/default', True), ('localhost/web', True),
                                            ('localhost/', True), ('unconfined', False), ('bogus', False)])
def test_apparmor_annotations(value, allowed):
    assert verdict(pod(annotations={p.APPARMOR_CONTAINER + 'any': value}))['baseline']['allowed'] is allowed


def test_apparmor_fields_forbid_unconfined_on_pod_and_containers():
    assert not verdict(pod(pod_context=sc(apparmor='Unconfined')))['baseline']['allowed']
    w = pod(init=[{'name': 'i', 'securityContext': sc(apparmor='Unconfined')}], pod_context=sc(apparmor='RuntimeDefault'))
    assert verdict(w)['baseline']['reasons'] == ['AppArmor: container i sets securityContext.appArmorProfile.type to '
                                                 'Unconfined']
    assert verdict(pod(pod_context=sc(apparmor='Localhost', local='web')))['baseline']['allowed']


# --- Pod Security Admission labels -----------------------------------------------------------

def test_admission_labels_versions_and_invalid_values():
    modes = p.admission({'pod-security.kubernetes.io/enforce': 'restricted',
                         'pod-security.kubernetes.io/enforce-version': 'v1.18',
                         'pod-security.kubernetes.io/warn': 'baseline',
                         'pod-security.kubernetes.io/audit': 'strict'}, V130)
    assert modes['enforce'] == {'level': 'restricted', 'version': 'v1.18', 'error': None}
    assert modes['warn']['version'] == 'v1.30'                          # no -version label: latest
    assert modes['audit']['level'] == 'restricted' and 'evaluated as restricted' in modes['audit']['error']
    assert p.admit(pod(), modes['enforce']) == []                       # no seccomp rule for restricted at 1.18
    assert p.admit(pod(), dict(modes['enforce'], version='v1.30'))      # but there is at 1.30
    assert p.admit(pod(pod_context=sc('Unconfined')), {'level': 'privileged', 'version': 'v1.30'}) == []


def test_versions():
    assert p.parse_version('v1.30') == (1, 30) and p.parse_version('1.19') == (1, 19)
    assert p.parse_version('latest') == p.LATEST
    with pytest.raises(ValueError) as err:
        p.parse_version('1.x')
    assert str(err.value) == 'kubernetes_version: 1.x is not a Kubernetes version (1.30, v1.30 or latest)'
