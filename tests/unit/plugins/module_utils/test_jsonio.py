# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_jsonio: JSON read strictly and checked whole before any write."""

import os

import pytest

from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils import _jsonio as jsonio


@pytest.mark.parametrize('value, problem', [
    ({'a': float('nan')}, 'x.a is nan'),
    ({'a': [1, float('-inf')]}, 'x.a[1] is -inf'),
    ({'a': '\ud800'}, 'x.a holds a string that is not valid Unicode'),
    ({'a\udfff': 1}, 'x has a key that is not valid Unicode (a lone surrogate): a\\udfff'),
    ({'a': object()}, 'x.a is a object, which JSON has no form for'),
    ({'a': {'b': 1}}, None),
])
# issue 11 item 14
def test_json_problem_names_the_key(value, problem):
    found = jsonio.json_problem(value, 'x')
    assert found == problem if problem is None else found.startswith(problem)


def test_json_problem_walks_any_depth_without_recursion():
    deep = []
    for _round in range(100000):
        deep = [deep]
    assert jsonio.json_problem({'a': deep}, 'x').endswith('is nested more than 64 levels deep')


# issue 11 item 21
def test_loads_strict_of_deep_nesting_is_one_sentence():
    with pytest.raises(ValueError, match='nested too deeply'):
        jsonio.loads_strict('[' * 200000 + ']' * 200000)


@pytest.mark.parametrize('text, problem', [
    ('{"a": NaN}', 'NaN is not JSON (JSON has no NaN or Infinity)'),
    ('{"a": 1, "a": 2}', "the key 'a' appears more than once in one object"),
])
def test_loads_strict_refuses_what_dockerd_reads_differently(text, problem):
    with pytest.raises(ValueError) as err:
        jsonio.loads_strict(text)
    assert str(err.value) == problem


# found by the docker_daemon fuzz test: a key with a newline made a two-line message
def test_a_key_with_a_newline_or_control_character_is_shown_escaped():
    assert jsonio.json_problem({'a\nb': {'c\t': float('nan')}}, 'settings') == (
        'settings.a\\nb.c\\t is nan, which JSON cannot hold (no NaN or Infinity)')
    assert jsonio.json_problem({'\n': '\ud800'}, '') == (
        '\\n holds a string that is not valid Unicode (a lone surrogate)')


def test_dumps_checked_is_the_canonical_form_or_one_sentence():
    assert jsonio.dumps_checked({'b': [1], 'a': 'é'}, 'x') == b'{\n  "a": "\\u00e9",\n  "b": [\n    1\n  ]\n}\n'
    with pytest.raises(ValueError, match=r'^x.a is inf'):
        jsonio.dumps_checked({'a': float('inf')}, 'x')


def test_read_object_reads_a_strict_json_object_or_says_why_not(tmp_path):
    read_object = jsonio.read_object
    path = tmp_path / 'record.json'
    assert read_object(str(path)) is None
    path.write_text('{"a": [1, 2]}')
    assert read_object(str(path)) == {'a': [1, 2]}
    for text, why in (('[1]', 'is not a JSON object'), ('{"a": 1, "a": 2}', "is not valid JSON (the key 'a' appears"),
                      ('{"a": NaN}', 'is not valid JSON (NaN is not JSON'), ('{', 'is not valid JSON (Expecting')):
        path.write_text(text)
        with pytest.raises(ValueError) as exc:
            read_object(str(path))
        assert str(exc.value).startswith('%s %s' % (path, why))
    path.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(ValueError, match='is not UTF-8 text'):
        read_object(str(path))
    os.mkfifo(str(tmp_path / 'fifo'))
    with pytest.raises(fileio.NotRegularFile):
        read_object(str(tmp_path / 'fifo'))
    path.write_text('{"a": 1}')
    with pytest.raises(fileio.NotRegularFile):
        read_object(str(path), limit=3)
