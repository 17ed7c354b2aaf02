# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side template rendering shared by the profile action plugins.

ansible-core 2.19 trust model: a template file read from the controller is trusted
(``trust_as_template``); the variables it sees (task vars, the spec) are not, so a
string such as ``{{ lookup('pipe', 'id') }}`` in a spec value or an inventory variable
is written literally, never evaluated."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleError, AnsibleFileNotFound
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.text.converters import to_text


def trust(text):
    """Mark template text as trusted (ansible-core 2.19 data tagging); a no-op before."""
    try:
        from ansible.template import trust_as_template  # pylint: disable=import-outside-toplevel
    except ImportError:
        return text
    return trust_as_template(text)


def find_template(action, template):
    """The controller path of the user's ``template``, searched like ansible.builtin.template's
    ``src`` (the role's and the playbook's ``templates/`` directories first); AnsibleError when
    it is not there."""
    try:
        return action._find_needle('templates', template)
    except AnsibleFileNotFound as exc:
        searched = []
        for p in exc.paths or []:
            if p not in searched:
                searched.append(p)
        raise AnsibleError('template: %r was not found on the controller (searched %s)'
                           % (template, ', '.join(searched) or 'the play\'s templates directories'))
    except AnsibleError as exc:
        raise AnsibleError('template: %s' % ' '.join(to_text(getattr(exc, 'message', exc)).split()))


def _read(action, path):
    loader = action._loader
    try:
        if hasattr(loader, 'get_text_file_contents'):     # ansible-core 2.19
            return loader.get_text_file_contents(path)
        data, dummy = loader._get_file_contents(path)
        return to_text(data, errors='surrogate_or_strict')
    except AnsibleError as exc:
        raise AnsibleError('template: cannot read %s: %s' % (path, ' '.join(to_text(exc.message).split())))
    except (IOError, OSError, UnicodeError) as exc:
        raise AnsibleError('template: cannot read %s: %s' % (path, exc))


def render_template(action, template, default_path, variables, task_vars=None):
    """Render the user's ``template`` (searched like template sources) or ``default_path``.

    Includes inside the template are searched like ansible.builtin.template does: the
    play's search path (each with its ``templates/``) and the template's own directory."""
    path = find_template(action, template) if template else default_path
    source = _read(action, path)
    searchpath = []
    roots = list((task_vars or {}).get('ansible_search_path') or [])
    for p in roots + [action._loader.get_basedir(), os.path.dirname(path)]:
        searchpath += [os.path.join(p, 'templates'), p]
    templar = action._templar.copy_with_new_env(searchpath=searchpath, available_variables=variables)
    try:
        rendered = templar.template(trust(source), escape_backslashes=False)
    except AnsibleError as exc:
        raise AnsibleError('template: rendering %s failed: %s' % (path, ' '.join(to_text(exc.message).split())))
    return to_text(rendered if rendered is not None else '')


def validated(argument_spec, args):
    """``args`` checked against the module's ``argument_spec`` on the controller (types,
    choices, suboptions) with defaults filled in, so rendering never sees a value of the
    wrong type; None when they do not pass: then nothing is rendered and the module's own
    argument check reports the option with its standard sentence."""
    spec = dict((k, v) for k, v in argument_spec.items() if k != 'profiles')
    result = ArgumentSpecValidator(spec).validate(dict((k, v) for k, v in args.items() if k != 'profiles'))
    return None if result.error_messages else result.validated_parameters


def with_content(args, render, spec_error, argument_spec=None):
    """The module's args with ``content`` rendered by ``render(profile_params)``: for the one
    profile of the task, or for each item of ``profiles`` (each item merged over the
    task-level options, as the module merges them). Profiles with ``state: absent`` get
    none. A spec error in an item is raised naming it (``profiles[2] (web): files[0].path``).
    With ``argument_spec``, each profile's options are validated (and defaulted) against it
    first, as the module will do; a profile whose options do not pass gets no content."""
    items = args.get('profiles')
    candidates = [args] + [i for i in (items if isinstance(items, list) else []) if isinstance(i, dict)]
    if any(a.get('content') is not None for a in candidates):
        raise spec_error('content', 'is set by the action plugin from the template; use template or the spec '
                                    'options instead')
    args = dict(args)
    if items is None:
        params = validated(argument_spec, args) if argument_spec else args
        if params is not None and params.get('state', 'present') != 'absent':
            args['content'] = render(params)
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
        field = 'profiles[%d] (%s)' % (index, item.get('name'))
        if argument_spec:
            merged = validated(argument_spec, merged)
        if merged is not None and merged.get('state', 'present') != 'absent':
            try:
                item['content'] = render(merged)
            except spec_error as exc:
                raise spec_error('%s: %s' % (field, exc.field), str(exc).split(': ', 1)[1])
        rendered.append(item)
    args['profiles'] = rendered
    return args
