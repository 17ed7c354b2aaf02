# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller-side helpers of both action plugins, without a playbook (the real runs
through ansible-playbook are tests/integration/test_action_plugins.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.confine.hardening.plugins.module_utils._apparmor_spec import SpecError
from ansible_collections.confine.hardening.plugins.modules.apparmor_profile import argument_spec
from ansible_collections.confine.hardening.plugins.plugin_utils import _render as r


def render(params):
    if params.get('preset') == 'bad':
        raise SpecError('files[0].path', "'x' is not an absolute path")
    return 'rendered %s %s' % (params['name'], params.get('mode'))


def test_content_is_rendered_from_the_validated_options_with_defaults():
    args = r.with_content({'name': 'web'}, render, SpecError, argument_spec())
    assert args == {'name': 'web', 'content': 'rendered web enforce'}


def test_content_given_by_hand_is_refused():
    with pytest.raises(SpecError) as err:
        r.with_content({'name': 'web', 'content': 'x'}, render, SpecError, argument_spec())
    assert str(err.value).startswith('content: is set by the action plugin')
    with pytest.raises(SpecError):
        r.with_content({'profiles': [{'name': 'a', 'content': 'x'}]}, render, SpecError, argument_spec())


@pytest.mark.parametrize('args', [
    {'name': 'web', 'flags': 5},                    # issue 11 item 21: no traceback while rendering
    {'name': 'web', 'files': 'not a list of rules'},
    {'name': 'web', 'mode': 'loud'},
    {'name': 'web', 'no_such_option': 1},
])
def test_options_that_fail_the_argument_spec_get_no_content(args):
    # nothing is rendered; the module's own argument check names the option
    assert 'content' not in r.with_content(args, render, SpecError, argument_spec())


def test_batch_items_are_merged_over_the_task_options_and_errors_name_the_item():
    task = {'mode': 'complain', 'profiles': [{'name': 'a'}, {'name': 'b', 'mode': 'enforce'},
                                             {'name': 'c', 'state': 'absent'}]}
    args = r.with_content(task, render, SpecError, argument_spec())
    assert [p.get('content') for p in args['profiles']] == ['rendered a complain', 'rendered b enforce', None]
    with pytest.raises(SpecError) as err:
        r.with_content({'profiles': [{'name': 'a'}, {'name': 'b', 'preset': 'bad'}]}, render, SpecError)
    assert str(err.value) == "profiles[1] (b): files[0].path: 'x' is not an absolute path"
    with pytest.raises(SpecError) as err:
        r.with_content({'profiles': ['a']}, render, SpecError, argument_spec())
    assert str(err.value) == 'profiles[0]: must be a mapping'


def test_trust_marks_the_template_trusted():
    from ansible.template import is_trusted_as_template
    assert is_trusted_as_template(r.trust('{{ x }}'))
    assert not is_trusted_as_template('{{ x }}')
