# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller half of confine.hardening.seccomp_profile: merge the spec, render the
Jinja template, hand the rendered profile to the module on the target."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_spec as spec_mod
from ansible_collections.confine.hardening.plugins.modules.seccomp_profile import argument_spec
from ansible_collections.confine.hardening.plugins.plugin_utils._render import render_template, with_content

MODULE = 'confine.hardening.seccomp_profile'
DEFAULT_TEMPLATE = os.path.join(os.path.dirname(__file__), '..', '..', 'templates', 'seccomp', 'oci.json.j2')
HOST_FACT_KEYS = ('architecture', 'kernel')


def _clean(value):
    if isinstance(value, dict):
        return dict((k, _clean(v)) for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = True

    def _host_facts(self, task_vars):
        """Architecture and kernel of the target, from facts or a minimal gather."""
        facts = dict(task_vars.get('ansible_facts') or {})
        new_facts = {}
        if not all(facts.get(k) for k in HOST_FACT_KEYS):
            gathered = self._execute_module(module_name='ansible.legacy.setup',
                                            module_args={'gather_subset': ['!all', '!min', 'platform']},
                                            task_vars=task_vars)
            if gathered.get('failed'):
                raise AnsibleError('gathering the target architecture failed: %s' % gathered.get('msg'))
            # setup returns its facts prefixed (ansible_architecture); task_vars hold them bare.
            got = dict((k[len('ansible_'):] if k.startswith('ansible_') else k, v)
                       for k, v in (gathered.get('ansible_facts') or {}).items())
            facts.update(got)
            new_facts = dict((k, got.get(k)) for k in HOST_FACT_KEYS if got.get(k))
        return {'machine': facts.get('architecture'), 'kernel': facts.get('kernel')}, new_facts

    def _content(self, args, host, task_vars):
        """Resolve and render one profile's args (SpecError or AnsibleError on bad input)."""
        # as the module's spec_from_params: set keys only, unset suboptions dropped
        spec = dict((k, _clean(args[k])) for k in spec_mod.SPEC_KEYS if args.get(k) not in (None, [], {}))
        profile, info = spec_mod.build_profile(spec, host)
        variables = dict(task_vars)
        variables.update(profile=profile, spec=spec, seccomp=info)
        return render_template(self, args.get('template'), os.path.abspath(DEFAULT_TEMPLATE), variables, task_vars)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        name = args.get('name')
        label = 'seccomp profile %r' % (name,) if name else 'seccomp profiles'
        host = {}

        def render(profile):
            if not host:     # the target's facts, gathered at most once for all profiles
                facts, new_facts = self._host_facts(task_vars)
                host.update(facts)
                if new_facts:
                    result['ansible_facts'] = new_facts
            return self._content(profile, host, task_vars)

        try:
            args = with_content(args, render, spec_mod.SpecError, argument_spec())
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
