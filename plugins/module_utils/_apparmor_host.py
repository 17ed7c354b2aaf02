# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether AppArmor is usable on this host, and why not."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio

SECURITYFS = '/sys/kernel/security'
ENABLED = '/sys/module/apparmor/parameters/enabled'


def unavailable_reason(get_bin_path, securityfs=SECURITYFS, enabled_path=ENABLED):
    """None when AppArmor is usable, else why not (one sentence)."""
    enabled = fileio.read_text(enabled_path)
    if enabled is None:
        return 'the kernel has no AppArmor (%s is missing)' % enabled_path
    if enabled.strip() != 'Y':
        return 'AppArmor is built into the kernel but disabled (boot with apparmor=1 security=apparmor)'
    if not os.path.exists(os.path.join(securityfs, 'apparmor', 'profiles')):
        lsm = (fileio.read_text(os.path.join(securityfs, 'lsm')) or '').strip()
        if lsm and 'apparmor' not in lsm.split(','):
            return 'AppArmor is not among the active security modules (%s)' % lsm
        return 'securityfs is not mounted at %s' % securityfs
    if not get_bin_path('apparmor_parser', opt_dirs=['/sbin', '/usr/sbin']):
        return 'apparmor_parser is not installed (Debian package apparmor)'
    return None
