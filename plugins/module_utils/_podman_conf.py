# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""podman's host-wide default seccomp profile: the containers.conf drop-in the collection writes.

podman (containers/common) reads ``/etc/containers/containers.conf``, then every
``/etc/containers/containers.conf.d/*.conf`` in alphanumeric order (containers.conf(5));
a later file's key wins.  The drop-in holds one TOML table and one key::

    [containers]
    seccomp_profile = "/etc/containers/seccomp/web.json"

The path is untrusted: it is written as a TOML basic string with ``\\`` and ``"``
escaped, and a path with a control character (a newline could start a new TOML key or
table) is refused, not escaped.  The undo item of a change is built here too, for
hardening_record and hardening_restore (kind ``podman``).
"""

import os
import re

HEADER = ('# Written by confine.hardening (podman_containers_conf): podman\'s host-wide default seccomp\n'
          '# profile. podman reads this file at each invocation; no daemon restart is needed.\n')
# C0 controls, DEL and the C1 controls: TOML forbids them raw in a basic string
CONTROL_RE = re.compile(u'[\x00-\x1f\x7f-\x9f]')
SECCOMP_KEY_RE = re.compile(r'^\s*seccomp_profile\s*=', re.M)


def path_problem(value, field, suffix=None):
    """Why ``value`` cannot be written as a path in the drop-in (one sentence), or None."""
    if not isinstance(value, str) or not value.startswith('/'):
        return '%s: %s is not an absolute path' % (field, ascii(value))
    if CONTROL_RE.search(value):
        return ('%s: %s holds a control character (a newline, tab, NUL or the like), which podman\'s '
                'containers.conf cannot take safely; nothing was changed' % (field, ascii(value)))
    try:
        value.encode('utf-8')
    except UnicodeError:
        return '%s: %s is not valid Unicode (a lone surrogate); nothing was changed' % (field, ascii(value))
    if os.path.normpath(value) != value:
        return '%s: %s is not a normalised path (no ".", "..", "//" or trailing "/"); nothing was changed' % (
            field, ascii(value))
    if suffix and not value.endswith(suffix):
        return '%s: %s does not end in %s, so podman would not read it; nothing was changed' % (
            field, ascii(value), suffix)
    return None


def toml_string(value):
    """``value`` as a TOML basic string: backslash and double quote escaped (no control characters left)."""
    if CONTROL_RE.search(value):
        raise ValueError('control character in %s' % ascii(value))
    return '"%s"' % value.replace('\\', '\\\\').replace('"', '\\"')


def render(seccomp_profile):
    """The drop-in's bytes for ``seccomp_profile``."""
    return (HEADER + '[containers]\nseccomp_profile = %s\n' % toml_string(seccomp_profile)).encode('utf-8')


def later_settings(path, read_text):
    """The drop-ins beside ``path`` that podman reads after it and that set seccomp_profile too (they win)."""
    directory, base = os.path.split(path)
    try:
        names = sorted(n for n in os.listdir(directory) if n.endswith('.conf') and n > base)
    except OSError:
        return []
    out = []
    for name in names:
        try:
            text = read_text(os.path.join(directory, name))
        except (IOError, OSError):
            continue
        if text and SECCOMP_KEY_RE.search(text):
            out.append(os.path.join(directory, name))
    return out


def undo_items(result):
    """The undo item of one podman_containers_conf result (none when it changed nothing)."""
    if not isinstance(result, dict) or not result.get('changed') or not result.get('path'):
        return []
    return [{'kind': 'podman', 'name': 'containers.conf', 'path': result['path'],
             'existed': bool(result.get('existed')), 'backup': result.get('backup_file'), 'changed_file': True}]
