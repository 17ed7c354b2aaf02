# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one argument spec of confine.hardening.podman_containers_conf.

An option lives here and in the module's DOCUMENTATION, nowhere else by hand
(tests/unit/test_code_shape.py holds the two equal).
"""

DEFAULT_PATH = '/etc/containers/containers.conf.d/50-confine-hardening.conf'
DEFAULT_BACKUP_DIR = '/var/lib/confine/podman'
STATES = ('present', 'absent')


def argument_spec():
    """The module's options (a new dict on each call)."""
    return dict(
        path=dict(type='path', default=DEFAULT_PATH),
        seccomp_profile=dict(type='path'),
        state=dict(type='str', default='present', choices=list(STATES)),
        sha256=dict(type='str'),
        backup_dir=dict(type='path', default=DEFAULT_BACKUP_DIR),
    )


REQUIRED_IF = [('state', 'present', ('seccomp_profile',))]
