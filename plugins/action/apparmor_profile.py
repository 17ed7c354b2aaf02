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
from ansible_collections.confine.hardening.plugins.plugin_utils._render import render_template

MODULE = 'confine.hardening.apparmor_profile'
DEFAULT_TEMPLATE = os.path.join(os.path.dirname(__file__), '..', '..', 'templates', 'apparmor', 'profile.j2')


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

    def _content(self, args, task_vars):
        """Render one profile's args to its text (SpecError or AnsibleError on bad input)."""
        spec = user_spec(args)
        parts = spec_mod.layout(spec, owner=args.get('owner'), source=args.get('source'))
        variables = dict(task_vars)
        variables.update(apparmor=parts, spec=spec)
        return render_template(self, args.get('template'), os.path.abspath(DEFAULT_TEMPLATE),
                               variables).rstrip('\n') + '\n'

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        name = args.get('name')
        label = 'AppArmor profile %r' % (name,) if name else 'AppArmor profiles'
        items = args.get('profiles')
        candidates = [args] + [i for i in (items if isinstance(items, list) else []) if isinstance(i, dict)]
        if any(a.get('content') is not None for a in candidates):
            result.update(failed=True, msg='%s: content: is set by the action plugin from the template; use '
                                           'template or the spec options instead' % label)
            return result
        try:
            if items is None:
                if args.get('state', 'present') != 'absent':
                    args['content'] = self._content(args, task_vars)
            elif isinstance(items, list):
                shared = dict((k, v) for k, v in args.items() if k not in ('name', 'profiles'))
                rendered = []
                for index, item in enumerate(items):
                    if not isinstance(item, dict):
                        raise spec_mod.SpecError('profiles[%d]' % index, 'must be a mapping')
                    merged = dict(shared, **item)
                    item = dict(item)
                    if merged.get('state', 'present') != 'absent':
                        try:
                            item['content'] = self._content(merged, task_vars)
                        except spec_mod.SpecError as exc:
                            raise spec_mod.SpecError('profiles[%d] (%s): %s' % (index, item.get('name'), exc.field),
                                                     str(exc).split(': ', 1)[1])
                    rendered.append(item)
                args['profiles'] = rendered
        except spec_mod.SpecError as exc:
            result.update(failed=True, msg='%s: %s' % (label, exc), field=exc.field)
            return result
        except AnsibleError as exc:
            result.update(failed=True, msg='%s: %s' % (label, to_text(exc)))
            return result
        result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
        return result
