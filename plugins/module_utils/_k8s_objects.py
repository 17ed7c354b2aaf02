# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes objects from manifest files, read as untrusted input.

``load(paths)`` reads files and directories (multi-document YAML, JSON, ``kind: List`` as
``kubectl get -o json`` prints it, Helm-rendered output) and returns the workloads (each with
its pod template's metadata and spec, and where that template sits in the object), the
Namespace objects, the number of objects of other kinds, and one sentence per bad document
(file, document number, field). A bad document never stops the others from being read.

Nothing here follows a directory symlink, opens a FIFO or device, reads more than
``MAX_FILE`` bytes of one file or more than ``MAX_OBJECTS`` objects in all.
"""

import json
import os
import re

try:
    import yaml
    SafeLoader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)
except ImportError:  # pragma: no cover - ansible-core requires PyYAML
    yaml = None
    SafeLoader = None

from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio

MAX_FILE = 16 * 1024 * 1024
MAX_OBJECTS = 20000
MAX_FILES = 5000
SUFFIXES = ('.yaml', '.yml', '.json')

# kind -> where its pod template is (a path of keys from the object); a Pod is its own template
TEMPLATES = {
    'Pod': (),
    'Deployment': ('spec', 'template'),
    'StatefulSet': ('spec', 'template'),
    'DaemonSet': ('spec', 'template'),
    'ReplicaSet': ('spec', 'template'),
    'ReplicationController': ('spec', 'template'),
    'Job': ('spec', 'template'),
    'CronJob': ('spec', 'jobTemplate', 'spec', 'template'),
    'PodTemplate': ('template',),
}
CONTAINER_LISTS = (('containers', 'container'), ('initContainers', 'initContainer'),
                   ('ephemeralContainers', 'ephemeralContainer'))


def shown(value, limit=200):
    """A value from a manifest in a message: plain printable text as it is, anything else as its repr."""
    if isinstance(value, str) and value.isprintable() and len(value) <= limit:
        return value
    return repr(value)[:limit]


class BadDocument(ValueError):
    """One sentence: what is wrong with one field of one document."""


def _files(path, errors):
    """The manifest files under ``path`` (a file, or a directory walked without following symlinks)."""
    if not os.path.isdir(path) or os.path.islink(path):
        return [path]
    found = []
    for root, dirs, names in os.walk(path, followlinks=False):
        dirs.sort()
        for name in sorted(names):
            if name.endswith(SUFFIXES):
                found.append(os.path.join(root, name))
            if len(found) > MAX_FILES:
                errors.append('%s: more than %d manifest files; the rest were not read' % (shown(path), MAX_FILES))
                return found[:MAX_FILES]
    return found


DOC_START = re.compile(r'^---(?=[ \t]|$)', re.M)


def _chunks(text):
    """[(first line, text)] of each YAML document: split where a line starts a document, so a
    broken document leaves the others readable."""
    starts = [m.start() for m in DOC_START.finditer(text)]
    bounds = ([0] if not starts or starts[0] != 0 else []) + starts + [len(text)]
    out = []
    for begin, end in zip(bounds, bounds[1:]):
        out.append((text.count('\n', 0, begin) + 1, text[begin:end]))
    return out


def _yaml_problem(exc, first_line):
    mark = getattr(exc, 'problem_mark', None)
    where = ' (line %d)' % (first_line + mark.line) if mark is not None else ''
    problem = getattr(exc, 'problem', None)
    if not problem:
        problem = 'nested too deeply' if isinstance(exc, RecursionError) else type(exc).__name__
    return 'not valid YAML%s: %s' % (where, shown(problem))


def _documents(data, errors, name):
    """[(number, document)] of one file: JSON when it parses as JSON, else its YAML documents;
    one sentence in ``errors`` per document that does not parse."""
    text = data.decode('utf-8')
    if text.lstrip()[:1] in ('{', '['):
        try:
            return [(1, json.loads(text))]
        except RecursionError:
            errors.append('%s: not valid JSON: nested too deeply' % name)
            return []
        except ValueError:
            pass        # YAML flow style, or broken: YAML says which
    if yaml is None:
        errors.append('%s: PyYAML is not installed, so YAML cannot be read' % name)
        return []
    out, number = [], 0
    for first_line, chunk in _chunks(text):
        if not chunk.strip() or (number == 0 and not chunk.lstrip().startswith('---')
                                 and not [x for x in chunk.splitlines() if x.strip() and not x.startswith('#')]):
            continue
        number += 1
        try:
            doc = yaml.load(chunk, Loader=SafeLoader)
        except Exception as exc:  # pylint: disable=broad-except  # yaml.YAMLError, RecursionError
            errors.append('%s, document %d: %s' % (name, number, _yaml_problem(exc, first_line)))
            continue
        if doc is not None:
            out.append((number, doc))
    return out


def read_file(path, errors):
    """[(where, object)] of one file; one sentence per problem appended to ``errors``."""
    name = shown(path)
    try:
        data = fileio.read_bytes(path, limit=MAX_FILE)
    except fileio.NotRegularFile as exc:
        errors.append('%s: %s' % (name, exc.strerror))
        return []
    if data is None:
        errors.append('%s: missing or unreadable' % name)
        return []
    try:
        docs = _documents(data, errors, name)
    except UnicodeDecodeError:
        errors.append('%s: not UTF-8 text' % name)
        return []
    out = []
    for number, doc in docs:
        where = '%s, document %d' % (name, number)
        if isinstance(doc, list):
            # a bare JSON array of objects: read like a List's items
            doc = {'kind': 'List', 'items': doc}
        if not isinstance(doc, dict):
            errors.append('%s: not a Kubernetes object (a mapping with kind), but a %s' % (where, type(doc).__name__))
            continue
        kind = doc.get('kind')
        if isinstance(kind, str) and kind.endswith('List') and 'items' in doc:
            items = doc.get('items')
            if not isinstance(items, list):
                errors.append('%s: items: not a list' % where)
                continue
            for i, item in enumerate(items):
                out.append(('%s, items[%d]' % (where, i), item))
        else:
            out.append((where, doc))
    return out


def get_path(obj, keys):
    """obj[k1][k2]..., or None where a step is missing; BadDocument where a step is not a mapping."""
    for i, key in enumerate(keys):
        if obj is None:
            return None
        if not isinstance(obj, dict):
            raise BadDocument('%s: not a mapping' % '.'.join(keys[:i]))
        obj = obj.get(key)
    return obj


def mapping(obj, field):
    """``obj`` when it is a mapping, {} when it is None; BadDocument naming ``field`` otherwise."""
    if obj is None:
        return {}
    if not isinstance(obj, dict):
        raise BadDocument('%s: not a mapping' % field)
    return obj


def string_map(obj, field):
    """A mapping of strings to strings (labels, annotations, nodeSelector)."""
    obj = mapping(obj, field)
    for key, value in obj.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise BadDocument('%s: %s: keys and values must be strings' % (field, shown(key)))
    return obj


def _containers(spec, prefix):
    """[(list key, container type, container)] of a pod spec, each with a string name."""
    out, names = [], set()
    for key, ctype in CONTAINER_LISTS:
        items = spec.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            raise BadDocument('%s%s: not a list' % (prefix, key))
        for i, container in enumerate(items):
            field = '%s%s[%d]' % (prefix, key, i)
            if not isinstance(container, dict):
                raise BadDocument('%s: not a mapping' % field)
            name = container.get('name')
            if not isinstance(name, str) or not name:
                raise BadDocument('%s.name: missing or not a string' % field)
            if name in names:
                raise BadDocument('%s.name: %s is the name of another container of the pod' % (field, shown(name)))
            names.add(name)
            mapping(container.get('securityContext'), field + '.securityContext')
            out.append((key, ctype, container))
    if not [c for c in out if c[0] == 'containers']:
        raise BadDocument('%scontainers: the pod has no containers' % prefix)
    return out


def workload(obj, default_namespace):
    """The workload an object is, or None for a kind that runs no pods; BadDocument on a bad field."""
    kind = obj.get('kind')
    if not isinstance(kind, str):
        raise BadDocument('kind: missing or not a string')
    if kind not in TEMPLATES:
        return None
    meta = mapping(obj.get('metadata'), 'metadata')
    name = meta.get('name')
    if not isinstance(name, str) or not name:
        raise BadDocument('metadata.name: missing or not a string')
    namespace = meta.get('namespace', default_namespace)
    if not isinstance(namespace, str) or not namespace:
        raise BadDocument('metadata.namespace: not a string')
    path = TEMPLATES[kind]
    template = obj if not path else get_path(obj, path)
    prefix = ''.join(k + '.' for k in path)
    if template is None:
        raise BadDocument('%s: missing' % '.'.join(path))
    template = mapping(template, '.'.join(path) or 'the object')
    pod_meta = mapping(template.get('metadata'), prefix + 'metadata')
    annotations = string_map(pod_meta.get('annotations'), prefix + 'metadata.annotations')
    spec = mapping(template.get('spec'), prefix + 'spec')
    if not spec:
        raise BadDocument('%sspec: missing' % prefix)
    mapping(spec.get('securityContext'), prefix + 'spec.securityContext')
    string_map(spec.get('nodeSelector'), prefix + 'spec.nodeSelector')
    containers = _containers(spec, prefix + 'spec.')
    return {'kind': kind, 'name': name, 'namespace': namespace, 'template_path': list(path),
            'annotations': annotations, 'spec': spec, 'containers': containers}


def namespace_labels(obj):
    meta = mapping(obj.get('metadata'), 'metadata')
    name = meta.get('name')
    if not isinstance(name, str) or not name:
        raise BadDocument('metadata.name: missing or not a string')
    return name, string_map(meta.get('labels'), 'metadata.labels')


def load(paths, default_namespace='default'):
    """(workloads, namespaces {name: labels}, other kinds count, errors) from files and directories."""
    errors, workloads, namespaces, others, count = [], [], {}, 0, 0
    for path in paths:
        for name in _files(path, errors):
            for where, obj in read_file(name, errors):
                count += 1
                if count > MAX_OBJECTS:
                    errors.append('%s: more than %d objects in all; the rest were not read' % (where, MAX_OBJECTS))
                    return workloads, namespaces, others, errors
                try:
                    if not isinstance(obj, dict):
                        raise BadDocument('not a Kubernetes object (a mapping with kind)')
                    if obj.get('kind') == 'Namespace':
                        ns, labels = namespace_labels(obj)
                        namespaces[ns] = labels
                        continue
                    found = workload(obj, default_namespace)
                except BadDocument as exc:
                    kind = obj.get('kind') if isinstance(obj, dict) else None
                    errors.append('%s%s: %s' % (where, ' (%s)' % shown(kind, 60) if isinstance(kind, str) else '',
                                                exc))
                    continue
                if found is None:
                    others += 1
                else:
                    found['where'] = where
                    workloads.append(found)
    return workloads, namespaces, others, errors
