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
from ansible_collections.confine.hardening.plugins.modules.apparmor_profile import argument_spec
from ansible_collections.confine.hardening.plugins.plugin_utils._render import render_template, with_content

MODULE = 'confine.hardening.apparmor_profile'
DEFAULT_TEMPLATE = os.path.join(os.path.dirname(__file__), '..', '..', 'templates', 'apparmor', 'profile.j2')


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = True

    def _content(self, args, task_vars):
        """Render one profile's args to its text (SpecError or AnsibleError on bad input)."""
        spec = spec_mod.user_spec(args)
        parts = spec_mod.layout(spec, owner=args.get('owner'), source=args.get('source'))
        variables = dict(task_vars)
        variables.update(apparmor=parts, spec=spec)
        return render_template(self, args.get('template'), os.path.abspath(DEFAULT_TEMPLATE),
                               variables, task_vars).rstrip('\n') + '\n'

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        name = args.get('name')
        label = 'AppArmor profile %r' % (name,) if name else 'AppArmor profiles'
        try:
            args = with_content(args, lambda profile: self._content(profile, task_vars), spec_mod.SpecError, argument_spec())
        except spec_mod.SpecError as exc:
            result.update(failed=True, msg='%s: %s' % (label, exc), field=exc.field)
            return result
        except AnsibleError as exc:
            result.update(failed=True, msg='%s: %s' % (label, ' '.join(to_text(getattr(exc, 'message', exc)).split())))
            return result
        except Exception as exc:  # pylint: disable=broad-except
            # no traceback for any input: a value the spec checks did not foresee
            result.update(failed=True, msg='%s: the profile could not be rendered (%s: %s)'
                          % (label, type(exc).__name__, ' '.join(to_text(exc).split())))
            return result
        result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
        return result
