# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller half shared by the profile action plugins (seccomp_profile, apparmor_profile).

API (what an action plugin calls):

``run_action(action, result, task_vars, *, module, noun, argument_spec, render, spec_error,
mutually_exclusive=None, required_one_of=None)``
    The whole ``run()`` of a profile action plugin, after ``ActionBase.run``:
    1. ``content`` given by hand is refused (one sentence);
    2. the task's args are validated on the controller against the module's own
       ``argument_spec`` and relations (the same spec the module validates on the target;
       failures carry the sentence AnsibleModule gives, nothing is sent to the target);
    3. each profile (the task, or each item of ``profiles`` merged over the task-level
       options) gets ``content = render(validated_params)``; items whose options fail the
       spec get none (the module's batch check names them);
    4. the module ``module`` (FQCN) runs with the args plus ``content``; its result is
       merged into ``result`` and returned.
    Errors are one sentence, prefixed ``"NOUN 'NAME': "`` (``"NOUN's: "`` without a name):
    ``spec_error`` (``.field`` is added to the result), AnsibleError, and any other
    exception as ``the profile could not be rendered (TYPE: TEXT)``.
    ``render(params)`` returns the profile text; it may add keys to ``result`` (facts).

``render_template(action, template, default_path, variables, task_vars=None)``
    The text of the user's ``template`` (searched like ansible.builtin.template's ``src``)
    or of ``default_path``, rendered with ``variables``.

``check_args(args, argument_spec, module, mutually_exclusive=None, required_one_of=None)``
    None, or the sentence AnsibleModule would fail with for ``args``.

``with_content(args, render, spec_error, argument_spec=None)``: step 3 alone.

ansible-core 2.19 trust model: a template file read from the controller is trusted
(``trust_as_template``); the variables it sees (task vars, the spec) are not, so a
string such as ``{{ lookup('pipe', 'id') }}`` in a spec value or an inventory variable
is written literally, never evaluated."""

import os

from ansible.errors import AnsibleError, AnsibleFileNotFound
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError
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


def refuse_content(args, spec_error):
    """``content`` is the action plugin's to set: given by hand (task or item) it is an error."""
    items = args.get('profiles')
    candidates = [args] + [i for i in (items if isinstance(items, list) else []) if isinstance(i, dict)]
    if any(a.get('content') is not None for a in candidates):
        raise spec_error('content', 'is set by the action plugin from the template; use template or the spec '
                                    'options instead')


def with_content(args, render, spec_error, argument_spec=None):
    """The module's args with ``content`` rendered by ``render(profile_params)``: for the one
    profile of the task, or for each item of ``profiles`` (each item merged over the
    task-level options, as the module merges them). Profiles with ``state: absent`` get
    none. A spec error in an item is raised naming it (``profiles[2] (web): files[0].path``).
    With ``argument_spec``, each profile's options are validated (and defaulted) against it
    first, as the module will do; a profile whose options do not pass gets no content."""
    refuse_content(args, spec_error)
    items = args.get('profiles')
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


def check_args(args, argument_spec, module, mutually_exclusive=None, required_one_of=None):
    """None when ``args`` pass the module's argument spec and relations; else the sentence
    the module itself (AnsibleModule) would fail with on the target."""
    validator = ArgumentSpecValidator(argument_spec, mutually_exclusive=mutually_exclusive,
                                      required_one_of=required_one_of)
    errors = validator.validate(dict(args)).errors
    if not errors.errors:
        return None
    if isinstance(errors[0], UnsupportedError):
        return 'Unsupported parameters for (%s) module: %s' % (module, errors.msg)
    return errors.msg


def one_line(exc):
    """An exception's text on one line."""
    return ' '.join(to_text(getattr(exc, 'message', exc)).split())


def run_action(action, result, task_vars, module, noun, argument_spec, render, spec_error,
               mutually_exclusive=None, required_one_of=None):
    """The ``run()`` of a profile action plugin (see the module docstring)."""
    args = dict(action._task.args)
    name = args.get('name')
    label = '%s %r' % (noun, name) if name else '%ss' % noun
    try:
        refuse_content(args, spec_error)
        problem = check_args(args, argument_spec, module, mutually_exclusive, required_one_of)
        if problem:
            result.update(failed=True, msg=problem)
            return result
        args = with_content(args, render, spec_error, argument_spec)
    except spec_error as exc:
        result.update(failed=True, msg='%s: %s' % (label, exc), field=exc.field)
        return result
    except AnsibleError as exc:
        result.update(failed=True, msg='%s: %s' % (label, one_line(exc)))
        return result
    except Exception as exc:  # pylint: disable=broad-except
        # no traceback for any input: a value the spec checks did not foresee
        result.update(failed=True, msg='%s: the profile could not be rendered (%s: %s)'
                      % (label, type(exc).__name__, ' '.join(to_text(exc).split())))
        return result
    result.update(action._execute_module(module_name=module, module_args=args, task_vars=task_vars))
    return result
