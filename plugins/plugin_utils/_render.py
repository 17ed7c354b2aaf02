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
