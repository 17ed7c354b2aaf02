# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Many profiles in one module call (the ``profiles`` option of the profile modules).

A fleet role that calls a module once per profile pays one round trip per profile per
run.  With ``profiles``, one call handles them all: every profile is first planned and
validated without touching the host (so one bad spec fails the task before anything
changes), then only the profiles that need a change are applied.  An idempotent run is
one planning pass.
"""

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.confine.hardening.plugins.module_utils._common import ModuleError


class ItemModule(object):
    """What a single-profile ``run(module)`` needs, for one item of ``profiles``."""

    def __init__(self, module, params, check_mode, validated=False):
        self._module = module
        self.params = params
        self.check_mode = check_mode
        self._diff = module._diff
        self.validated = validated      # planning already validated this exact content

    def warn(self, text):
        self._module.warn('%s: %s' % (self.params.get('name'), text))

    def run_command(self, *args, **kwargs):
        return self._module.run_command(*args, **kwargs)

    def get_bin_path(self, *args, **kwargs):
        return self._module.get_bin_path(*args, **kwargs)


def item_params(argument_spec, shared, item, index, error_cls=ModuleError):
    """Task-level options, overridden by the item, validated like the module's own."""
    if not isinstance(item, dict):
        raise error_cls('profiles[%d]: must be a mapping with the options of one profile' % index)
    spec = dict((k, v) for k, v in argument_spec.items() if k != 'profiles')
    raw = dict((k, v) for k, v in shared.items() if k in spec and v is not None and k not in SPEC_ONLY)
    raw.update(item)
    result = ArgumentSpecValidator(spec).validate(raw)
    if result.error_messages:
        raise error_cls('profiles[%d] (%s): %s' % (index, item.get('name'), result.error_messages[0]))
    return result.validated_parameters


# Options that belong to one profile; a task-level value is not inherited by the items.
SPEC_ONLY = ('name', 'content')


def run_batch(module, argument_spec, run, error_cls=ModuleError):
    """Plan every item, then apply the changed ones; the task's result."""
    items = module.params['profiles']
    names = [item.get('name') for item in items if isinstance(item, dict)]
    dup = sorted(set(n for n in names if names.count(n) > 1))
    if dup:
        raise error_cls('profiles: %s listed more than once' % ', '.join(map(str, dup)))
    planned = []
    for index, item in enumerate(items):
        params = item_params(argument_spec, module.params, item, index, error_cls)
        try:
            planned.append((params, run(ItemModule(module, params, check_mode=True))))
        except error_cls as exc:
            raise error_cls('profiles[%d] (%s): %s; nothing was changed' % (index, params.get('name'), exc),
                            **getattr(exc, 'extra', {}))
    results, applied = [], []
    for params, plan in planned:
        if module.check_mode or not plan.get('changed'):
            results.append(plan)
            continue
        try:
            results.append(run(ItemModule(module, params, check_mode=False, validated=True)))
        except error_cls as exc:
            done = ', '.join(applied) if applied else 'none'
            # the results applied so far go with the failure, so a caller can undo them
            extra = dict(getattr(exc, 'extra', {}), profiles=[r for r in results if r.get('changed')])
            raise error_cls('%s: %s (profiles changed before it: %s)' % (params.get('name'), exc, done), **extra)
        applied.append(params.get('name'))
    out = {'changed': any(r.get('changed') for r in results), 'profiles': results}
    diffs = []
    for r in results:
        diff = r.pop('diff', None)
        if diff:
            diffs.extend(diff if isinstance(diff, list) else [diff])
    if diffs:
        out['diff'] = diffs
    return out
