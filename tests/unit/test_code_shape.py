# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shape the collection keeps (issue 12): no file under plugins/ over 400 lines of code,
no function over 60 lines, the module docs' options equal to the argument specs."""

import ast
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGINS = os.path.join(ROOT, 'plugins')
DOC_NAMES = ('DOCUMENTATION', 'EXAMPLES', 'RETURN')
MAX_FILE, MAX_FUNCTION = 400, 60


def python_files():
    for dirpath, _dirs, files in os.walk(PLUGINS):
        for name in sorted(files):
            if name.endswith('.py'):
                yield os.path.relpath(os.path.join(dirpath, name), ROOT)


def code_lines(path):
    """Lines that are neither blank, comments, docstrings nor the DOCUMENTATION/EXAMPLES/RETURN strings."""
    with open(os.path.join(ROOT, path)) as fh:
        source = fh.read()
    tree = ast.parse(source)
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in DOC_NAMES for t in node.targets):
            skip.update(range(node.lineno, node.end_lineno + 1))
        body = getattr(node, 'body', None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(getattr(body[0], 'value', None), ast.Constant) and isinstance(body[0].value.value, str):
            skip.update(range(body[0].lineno, body[0].end_lineno + 1))
    count = 0
    for number, line in enumerate(source.splitlines(), 1):
        text = line.strip()
        if number in skip or not text or text.startswith('#'):
            continue
        count += 1
    return count, tree


@pytest.mark.parametrize('path', list(python_files()))
def test_files_and_functions_stay_small(path):
    count, tree = code_lines(path)
    assert count <= MAX_FILE, '%s has %d lines of code (at most %d)' % (path, count, MAX_FILE)
    long_ones = ['%s (%d lines)' % (n.name, n.end_lineno - n.lineno + 1) for n in ast.walk(tree)
                 if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > MAX_FUNCTION]
    assert not long_ones, '%s: functions over %d lines: %s' % (path, MAX_FUNCTION, ', '.join(long_ones))


def module_names():
    return sorted(n[:-3] for n in os.listdir(os.path.join(PLUGINS, 'modules')) if n.endswith('.py'))


def _doc_options(options):
    out = {}
    for name, doc in (options or {}).items():
        out[name] = _doc_options(doc.get('suboptions')) if doc.get('suboptions') else None
    return out


def _spec_options(spec):
    out = {}
    for name, opt in spec.items():
        out[name] = _spec_options(opt['options']) if opt.get('options') else None
    return out


@pytest.mark.parametrize('name', module_names())
def test_documented_options_are_the_argument_spec(name):
    """An option lives in the argument spec and the documentation; the two stay equal."""
    import importlib
    mod = importlib.import_module('ansible_collections.confine.hardening.plugins.modules.%s' % name)
    doc = yaml.safe_load(mod.DOCUMENTATION)
    spec = getattr(mod, 'ARGUMENT_SPEC', None)
    if spec is None:
        spec = mod.argument_spec() if callable(getattr(mod, 'argument_spec', None)) else None
    assert spec is not None, '%s exposes no argument spec (ARGUMENT_SPEC or argument_spec())' % name
    assert _doc_options(doc.get('options')) == _spec_options(spec)
