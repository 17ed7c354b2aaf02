# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller half of confine.hardening.apparmor_profile: validate the task's args against
the module's argument spec (_apparmor_args), validate and merge the spec, render the Jinja
template, hand the rendered profile to the module on the target (plugins/plugin_utils/_render.py
does the run)."""

import os

from ansible.plugins.action import ActionBase

from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_args as aa_args
from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_spec as spec_mod
from ansible_collections.confine.hardening.plugins.module_utils._common import SpecError
from ansible_collections.confine.hardening.plugins.plugin_utils._render import render_template, run_action

MODULE = 'confine.hardening.apparmor_profile'
DEFAULT_TEMPLATE = os.path.join(os.path.dirname(__file__), '..', '..', 'templates', 'apparmor', 'profile.j2')


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = True

    def _content(self, params, task_vars):
        """Render one profile's validated params to its text (SpecError or AnsibleError on bad input)."""
        spec = spec_mod.user_spec(params)
        parts = spec_mod.layout(spec, owner=params.get('owner'), source=params.get('source'))
        variables = dict(task_vars)
        variables.update(apparmor=parts, spec=spec)
        return render_template(self, params.get('template'), os.path.abspath(DEFAULT_TEMPLATE),
                               variables, task_vars).rstrip('\n') + '\n'

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        return run_action(self, result, task_vars, module=MODULE, noun='AppArmor profile',
                          argument_spec=aa_args.argument_spec(), render=lambda params: self._content(params, task_vars),
                          spec_error=SpecError, mutually_exclusive=aa_args.MUTUALLY_EXCLUSIVE,
                          required_one_of=aa_args.REQUIRED_ONE_OF)
