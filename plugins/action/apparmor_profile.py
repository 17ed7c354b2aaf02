# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller half of confine.hardening.apparmor_profile: validate and merge the spec,
render the Jinja template, hand the rendered profile to the module on the target."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_spec as spec_mod

MODULE = 'confine.hardening.apparmor_profile'
DEFAULT_TEMPLATE = os.path.join(os.path.dirname(__file__), '..', '..', 'templates', 'apparmor', 'profile.j2')


def trust(text):
    """Mark template text as trusted (ansible-core 2.19 data tagging); a no-op before."""
    try:
        from ansible.template import trust_as_template  # pylint: disable=import-outside-toplevel
    except ImportError:
        return text
    return trust_as_template(text)


def user_spec(args):
    """The spec keys the task set, as the renderer takes them."""
    spec = {}
    for key in spec_mod.SPEC_KEYS:
        value = args.get(key)
        if value is None or (key != 'local' and value in ([], {})):
            continue
        spec[key] = value
    return spec


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = True

    def _render(self, template, variables):
        path = self._find_needed('templates', template) if template else os.path.abspath(DEFAULT_TEMPLATE)
        try:
            with open(path, 'rb') as fh:
                source = to_text(fh.read(), errors='surrogate_or_strict')
        except (IOError, OSError) as exc:
            raise AnsibleError('template: cannot read %s: %s' % (path, exc))
        templar = self._templar.copy_with_new_env(available_variables=variables)
        return to_text(templar.template(trust(source), escape_backslashes=False)).rstrip('\n') + '\n'

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        name = args.get('name')
        if args.get('content') is not None:
            result.update(failed=True, msg='AppArmor profile %r: content: is set by the action plugin from the '
                                           'template; use template or the spec options instead' % (name,))
            return result
        if args.get('state', 'present') != 'absent':
            spec = user_spec(args)
            try:
                parts = spec_mod.layout(spec, owner=args.get('owner'), source=args.get('source'))
                variables = dict(task_vars)
                variables.update(apparmor=parts, spec=spec)
                args['content'] = self._render(args.get('template'), variables)
            except spec_mod.SpecError as exc:
                result.update(failed=True, msg='AppArmor profile %r: %s' % (name, exc), field=exc.field)
                return result
            except AnsibleError as exc:
                result.update(failed=True, msg='AppArmor profile %r: %s' % (name, to_text(exc)))
                return result
        result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
        return result
