# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side template rendering shared by the profile action plugins."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text


def trust(text):
    """Mark template text as trusted (ansible-core 2.19 data tagging); a no-op before."""
    try:
        from ansible.template import trust_as_template  # pylint: disable=import-outside-toplevel
    except ImportError:
        return text
    return trust_as_template(text)


def render_template(action, template, default_path, variables):
    """Render the user's ``template`` (searched like template sources) or ``default_path``."""
    path = action._find_needed('templates', template) if template else default_path
    try:
        with open(path, 'rb') as fh:
            source = to_text(fh.read(), errors='surrogate_or_strict')
    except (IOError, OSError) as exc:
        raise AnsibleError('template: cannot read %s: %s' % (path, exc))
    templar = action._templar.copy_with_new_env(available_variables=variables)
    return to_text(templar.template(trust(source), escape_backslashes=False))


def with_content(args, render, spec_error):
    """The module's args with ``content`` rendered by ``render(profile_args)``: for the one
    profile of the task, or for each item of ``profiles`` (each item merged over the
    task-level options, as the module merges them). Profiles with ``state: absent`` get
    none. A spec error in an item is raised naming it (``profiles[2] (web): files[0].path``)."""
    items = args.get('profiles')
    candidates = [args] + [i for i in (items if isinstance(items, list) else []) if isinstance(i, dict)]
    if any(a.get('content') is not None for a in candidates):
        raise spec_error('content', 'is set by the action plugin from the template; use template or the spec '
                                    'options instead')
    args = dict(args)
    if items is None:
        if args.get('state', 'present') != 'absent':
            args['content'] = render(args)
        return args
    if not isinstance(items, list):
        return args         # the module's argument check reports it
    shared = dict((k, v) for k, v in args.items() if k not in ('name', 'profiles'))
    rendered = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise spec_error('profiles[%d]' % index, 'must be a mapping')
        merged = dict(shared, **item)
        item = dict(item)
        if merged.get('state', 'present') != 'absent':
            try:
                item['content'] = render(merged)
            except spec_error as exc:
                raise spec_error('profiles[%d] (%s): %s' % (index, item.get('name'), exc.field),
                                 str(exc).split(': ', 1)[1])
        rendered.append(item)
    args['profiles'] = rendered
    return args
