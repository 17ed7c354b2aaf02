# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller half of confine.hardening.seccomp_profile: validate the task's args against
the module's argument spec, resolve the spec, render the Jinja template, hand the rendered
profile to the module on the target (plugins/plugin_utils/_render.py does the run)."""

import os

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_args as seccomp_args
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_presets as presets
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_spec as spec_mod
from ansible_collections.confine.hardening.plugins.module_utils._common import SpecError
from ansible_collections.confine.hardening.plugins.plugin_utils._render import render_template, run_action

MODULE = 'confine.hardening.seccomp_profile'
DEFAULT_TEMPLATE = os.path.join(os.path.dirname(__file__), '..', '..', 'templates', 'seccomp', 'oci.json.j2')
HOST_FACT_KEYS = ('architecture', 'kernel')
FACTS_MODULE = 'confine.hardening.hardening_facts'
FACTS_KEY = 'confine_hardening_host'
RUNTIMES = ('docker', 'containerd', 'podman')


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = True

    def _host_facts(self, task_vars):
        """Architecture and kernel of the target: from gathered facts, hardening_facts' or a minimal gather."""
        facts = dict(task_vars.get('ansible_facts') or {})
        new_facts = {}
        ours = facts.get(FACTS_KEY) if isinstance(facts.get(FACTS_KEY), dict) else {}
        uname = ours.get('host') if isinstance(ours.get('host'), dict) else {}
        if not all(facts.get(k) for k in HOST_FACT_KEYS) and uname.get('machine') and uname.get('kernel'):
            # hardening_facts ran (the role's preflight): its uname answers without a setup run
            return {'machine': uname['machine'], 'kernel': uname['kernel']}, new_facts
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

    def _runtimes(self, task_vars, new_facts):
        """{runtime: version} from the hardening_facts facts; when they are absent, that module is run
        on the target (its facts are returned, so it runs once per host)."""
        facts = (task_vars.get('ansible_facts') or {}).get(FACTS_KEY) or new_facts.get(FACTS_KEY)
        if not isinstance(facts, dict) or not isinstance(facts.get('runtimes'), dict):
            gathered = self._execute_module(module_name=FACTS_MODULE, module_args={}, task_vars=task_vars)
            if gathered.get('failed'):
                raise AnsibleError('reading the runtimes\' versions on the target (%s) failed: %s'
                                   % (FACTS_MODULE, gathered.get('msg')))
            facts = (gathered.get('ansible_facts') or {}).get(FACTS_KEY) or {}
            new_facts[FACTS_KEY] = facts
        runtimes = facts.get('runtimes') if isinstance(facts.get('runtimes'), dict) else {}
        out = {}
        for name in RUNTIMES:
            entry = runtimes.get(name)
            version = entry.get('version') if isinstance(entry, dict) else None
            out[name] = version if isinstance(version, str) else None
        return out

    def _content(self, params, host, task_vars):
        """Resolve and render one profile's validated params (SpecError or AnsibleError on bad input)."""
        spec = seccomp_args.spec_from_params(params)
        host = dict(host, runtime_default=params.get('runtime_default'), targets=params.get('targets'))
        if presets.spec_preset(spec) == 'runtime-default' and params.get('runtime_default') in (None, 'auto'):
            host['runtimes'] = host['runtimes_of']()
        profile, info = spec_mod.build_profile(spec, host)
        variables = dict(task_vars)
        variables.update(profile=profile, spec=spec, seccomp=info)
        return render_template(self, params.get('template'), os.path.abspath(DEFAULT_TEMPLATE), variables, task_vars)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        host = {}
        runtimes = {}

        def runtimes_of():
            if not runtimes:     # the runtimes' versions, read at most once for all profiles
                new_facts = {}
                runtimes.update(self._runtimes(task_vars, new_facts))
                if new_facts:
                    result.setdefault('ansible_facts', {}).update(new_facts)
            return dict(runtimes)

        def render(params):
            if not host:     # the target's facts, gathered at most once for all profiles
                facts, new_facts = self._host_facts(task_vars)
                host.update(facts, runtimes_of=runtimes_of)
                if new_facts:
                    result.setdefault('ansible_facts', {}).update(new_facts)
            return self._content(params, host, task_vars)

        return run_action(self, result, task_vars, module=MODULE, noun='seccomp profile',
                          argument_spec=seccomp_args.argument_spec(), render=render, spec_error=SpecError,
                          mutually_exclusive=seccomp_args.MUTUALLY_EXCLUSIVE, required_one_of=seccomp_args.REQUIRED_ONE_OF)
