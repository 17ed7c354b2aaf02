# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_common: the skeleton of the modules (issue 12)."""

import pytest

from ansible_collections.confine.hardening.plugins.module_utils import _common as common
from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils import _lock as lock

from conftest import ExitJson, FailJson, FakeModule


def fail(exc):
    def work(module):
        raise exc
    return work


def outcome(work, *args, **kwargs):
    with pytest.raises((ExitJson, FailJson)) as caught:
        common.run_module(FakeModule({'name': 'web'}), work, *args, **kwargs)
    return caught.value.result


def test_the_result_of_the_work_is_exit_json():
    assert outcome(lambda module: {'changed': True, 'name': module.params['name']}) == {'changed': True, 'name': 'web'}


@pytest.mark.parametrize('exc, msg', [
    (common.ModuleError('it broke', rc=3), 'P: it broke'),
    (common.SpecError('rules[0].path', 'must be absolute'), 'P: rules[0].path: must be absolute'),
    (fileio.UnsafePath('path: /x is outside /etc/docker'), 'P: path: /x is outside /etc/docker'),
    (fileio.NotRegularFile('/x', 'FIFO'), 'P: /x is a FIFO, not a regular file; nothing was changed'),
    (lock.LockTimeout(110, '/r: held'), 'P: lock_timeout: /r: held'),
    (KeyError('k'), "P: unexpected KeyError: 'k'"),
])
def test_every_failure_is_one_sentence_with_the_label_and_the_extra_keys(exc, msg):
    result = outcome(fail(exc), lambda module: 'P: ', extra=lambda module: {'name': module.params['name']})
    assert result.pop('msg') == msg and result.pop('failed') is True
    assert result == dict({'name': 'web'}, **getattr(exc, 'extra', {}))


def test_a_module_keeps_its_own_wording_and_may_let_the_unexpected_through():
    result = outcome(fail(fileio.NotRegularFile('/x', 'FIFO')), errors=[(fileio.NotRegularFile, lambda e: e.strerror)])
    assert result['msg'] == '/x is a FIFO, not a regular file'
    with pytest.raises(KeyError):
        common.run_module(FakeModule({}), fail(KeyError('k')), unexpected=None)


def test_a_module_error_keys_win_over_the_shared_ones():
    assert outcome(fail(common.ModuleError('x', name='other')), extra={'name': 'web', 'rc': 1}) == {
        'failed': True, 'msg': 'x', 'name': 'other', 'rc': 1}


def test_spec_error_and_name_re():
    err = common.SpecError('mode', 'must be one of enforce, complain')
    assert isinstance(err, ValueError) and err.field == 'mode' and str(err) == 'mode: must be one of enforce, complain'
    assert common.NAME_RE.match('web-1.0_a') and common.NAME_RE.match('a' * 128)
    for bad in ('', '.web', 'a' * 129, 'web\n', 'a/b', 'a b'):
        assert not common.NAME_RE.match(bad)


def test_diff_entry_and_json_bytes():
    assert common.diff_entry('/p', None, b'new\xff') == {'before_header': '/p', 'after_header': '/p', 'before': '',
                                                         'after': 'new\ufffd'}
    assert common.diff_entry('/p', 'old', None)['before'] == 'old'
    assert common.json_bytes({'b': 1, 'a': [1]}) == b'{\n  "a": [\n    1\n  ],\n  "b": 1\n}\n'
    assert common.json_bytes({'b': 1, 'a': 2}, indent=None, sort_keys=False, separators=(',', ':')) == b'{"b":1,"a":2}\n'
    with pytest.raises(ValueError):
        common.json_bytes({'a': float('nan')})
