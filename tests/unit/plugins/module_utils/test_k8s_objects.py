# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Manifests read as untrusted input: every workload kind, kind: List, JSON, Helm output, and a
clear sentence per bad document (file, document number, field) while the others are still read."""

import json
import os

import pytest

from ansible_collections.confine.hardening.plugins.module_utils import _k8s_objects as objects

POD_SPEC = {'containers': [{'name': 'app'}]}
TEMPLATE = {'metadata': {'labels': {'app': 'x'}}, 'spec': POD_SPEC}
KINDS = {
    'Pod': {'spec': POD_SPEC},
    'Deployment': {'spec': {'template': TEMPLATE}},
    'StatefulSet': {'spec': {'template': TEMPLATE}},
    'DaemonSet': {'spec': {'template': TEMPLATE}},
    'ReplicaSet': {'spec': {'template': TEMPLATE}},
    'ReplicationController': {'spec': {'template': TEMPLATE}},
    'Job': {'spec': {'template': TEMPLATE}},
    'CronJob': {'spec': {'jobTemplate': {'spec': {'template': TEMPLATE}}}},
    'PodTemplate': {'template': TEMPLATE},
}


def obj(kind, name='w', **extra):
    out = dict({'apiVersion': 'v1', 'kind': kind, 'metadata': {'name': name}}, **KINDS[kind])
    out.update(extra)
    return out


@pytest.mark.parametrize('kind', sorted(KINDS))
def test_every_workload_kind_yields_its_pod_template(tmp_path, kind):
    path = tmp_path / 'm.json'
    path.write_text(json.dumps(obj(kind)))
    workloads, _ns, others, errors = objects.load([str(path)])
    assert errors == [] and others == 0
    assert [(w['kind'], w['name'], w['namespace']) for w in workloads] == [(kind, 'w', 'default')]
    assert [c[2]['name'] for c in workloads[0]['containers']] == ['app']
    assert workloads[0]['template_path'] == list(objects.TEMPLATES[kind])


def test_kind_list_as_kubectl_prints_it_and_other_kinds_are_counted(tmp_path):
    items = [obj('Deployment', 'a'), {'kind': 'Service', 'metadata': {'name': 's'}}, obj('CronJob', 'c')]
    listing = {'apiVersion': 'v1', 'kind': 'List', 'items': items}
    (tmp_path / 'l.json').write_text(json.dumps(listing, indent=2))
    workloads, _ns, others, errors = objects.load([str(tmp_path)])
    assert errors == [] and others == 1
    assert [w['where'].split(', ', 1)[1] for w in workloads] == ['document 1, items[0]', 'document 1, items[2]']


def test_helm_output_multi_document_yaml_with_comments_and_empty_documents(tmp_path):
    text = ('---\n# Source: chart/templates/ns.yaml\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n'
            '  labels: {pod-security.kubernetes.io/enforce: baseline}\n---\n---\n# Source: chart/templates/web.yaml\n'
            'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n'
            'spec:\n  template:\n    spec:\n      containers: [{name: web}]\n')
    (tmp_path / 'chart.yaml').write_text(text)
    workloads, namespaces, _others, errors = objects.load([str(tmp_path / 'chart.yaml')])
    assert errors == []
    assert namespaces == {'shop': {'pod-security.kubernetes.io/enforce': 'baseline'}}
    assert [(w['namespace'], w['name']) for w in workloads] == [('shop', 'web')]


@pytest.mark.parametrize('doc, sentence', [
    ('kind: Deployment\nmetadata: {name: x}\nspec: {}\n', 'document 2 (Deployment): spec.template: missing'),
    ('kind: Pod\nmetadata: {}\nspec: {containers: [{name: a}]}\n', 'document 2 (Pod): metadata.name: missing'),
    ('kind: Pod\nmetadata: {name: p}\nspec: {containers: {name: a}}\n', 'spec.containers: not a list'),
    ('kind: Pod\nmetadata: {name: p}\nspec: {containers: [{image: a}]}\n', 'spec.containers[0].name: missing'),
    ('kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a}, {name: a}]}\n', 'is the name of another container'),
    ('kind: Pod\nmetadata: {name: p}\nspec: {initContainers: [{name: a}]}\n', 'spec.containers: the pod has no containers'),
    ('kind: Pod\nmetadata: {name: p, annotations: {a: 1}}\nspec: {containers: [{name: a}]}\n',
     'metadata.annotations: a: keys and values must be strings'),
    ('kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, securityContext: [1]}]}\n',
     'spec.containers[0].securityContext: not a mapping'),
    ('- just a string in a list\n', 'document 2, items[0]: not a Kubernetes object'),
    ('kind: [1]\n', 'document 2: kind: missing or not a string'),
    ('kind: Pod\nmetadata: {name: [unclosed\n', 'document 2: not valid YAML (line'),
    ('"a string"\n', 'document 2: not a Kubernetes object (a mapping with kind), but a str'),
    ('kind: DeploymentList\nitems: 3\n', 'document 2: items: not a list'),
])
def test_a_bad_document_is_one_sentence_and_the_others_are_read(tmp_path, doc, sentence):
    good = 'kind: Pod\nmetadata: {name: good}\nspec: {containers: [{name: a}]}\n'
    (tmp_path / 'm.yaml').write_text(good + '---\n' + doc + '---\n' + good.replace('good', 'after'))
    workloads, _ns, _others, errors = objects.load([str(tmp_path / 'm.yaml')])
    assert len(errors) == 1 and sentence in errors[0], errors
    assert errors[0].startswith(str(tmp_path / 'm.yaml') + ', document 2')
    assert [w['name'] for w in workloads] == ['good', 'after']


def test_a_yaml_error_gives_the_line_in_the_file(tmp_path):
    (tmp_path / 'm.yaml').write_text('kind: Pod\n---\nkind: Pod\nmetadata: {name: [x\n---\nkind: Pod\n')
    errors = objects.load([str(tmp_path / 'm.yaml')])[3]
    # the flow sequence opened on line 4 is still open where its document ends (line 5)
    assert [e for e in errors if 'document 2: not valid YAML (line 5)' in e], errors
    assert [e for e in errors if 'document 3 (Pod): metadata' in e], errors


def test_fifo_device_missing_and_binary_files_are_sentences_and_nothing_blocks(tmp_path):
    os.mkfifo(str(tmp_path / 'pipe.yaml'))
    (tmp_path / 'bin.yaml').write_bytes(b'\xff\xfe\x00kind')
    errors = objects.load([str(tmp_path), '/dev/zero', str(tmp_path / 'nope.yaml')])[3]
    assert any('pipe.yaml: ' in e and 'FIFO' in e for e in errors), errors
    assert any('bin.yaml: not UTF-8 text' in e for e in errors), errors
    assert any(e.startswith('/dev/zero: ') and 'character device' in e for e in errors), errors
    assert any('nope.yaml: missing or unreadable' in e for e in errors), errors


def test_directory_symlinks_are_not_followed_and_only_manifest_suffixes_are_read(tmp_path):
    (tmp_path / 'd').mkdir()
    (tmp_path / 'd' / 'loop').symlink_to(tmp_path)           # a loop, if followed
    (tmp_path / 'd' / 'notes.txt').write_text('kind: [broken')
    (tmp_path / 'd' / 'p.yml').write_text('kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a}]}\n')
    workloads, _ns, _others, errors = objects.load([str(tmp_path / 'd')])
    assert errors == [] and [w['name'] for w in workloads] == ['p']


def test_deep_nesting_and_aliases_do_not_hang_or_crash(tmp_path):
    (tmp_path / 'deep.json').write_text('[' * 100000 + ']' * 100000)
    laughs = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + ''.join(
        '%s: &%s [%s]\n' % (chr(98 + i), chr(98 + i), ','.join(['*' + chr(97 + i)] * 9)) for i in range(8))
    (tmp_path / 'laughs.yaml').write_text(laughs)
    workloads, _ns, _others, errors = objects.load([str(tmp_path)])
    assert workloads == []
    assert any('deep.json: not valid JSON: nested too deeply' in e for e in errors), errors
    assert any('laughs.yaml, document 1: kind: missing' in e for e in errors), errors


def test_odd_strings_in_messages_are_shown_escaped():
    assert objects.shown('a\nb\x1b[31m') == "'a\\nb\\x1b[31m'"
    assert objects.shown('plain') == 'plain'
