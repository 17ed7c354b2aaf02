# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether AppArmor is usable on this host, and why not; what the kernel has loaded; the
``disable/`` links and the parser cache of a profile."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio

SECURITYFS = '/sys/kernel/security'
ENABLED = '/sys/module/apparmor/parameters/enabled'
CACHE_GLOB = '/var/cache/apparmor/*/%s'


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


def parse_loaded(text):
    """{profile name: mode} from the text of securityfs' ``apparmor/profiles``."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line.endswith(')') and ' (' in line:
            name, mode = line[:-1].rsplit(' (', 1)
            out[name] = mode
    return out


def loaded_profiles(securityfs=SECURITYFS):
    """{profile name: mode} from the kernel."""
    return parse_loaded(fileio.read_text(os.path.join(securityfs, 'apparmor', 'profiles')) or '')


def unload(name, securityfs=SECURITYFS):
    """Remove a loaded profile by name (as aa-remove-unknown does)."""
    with open(os.path.join(securityfs, 'apparmor', '.remove'), 'w') as fh:
        fh.write(name)


def link_ok(link, target, present):
    if present:
        return os.path.islink(link) and os.readlink(link) == target
    return not os.path.lexists(link)


def ensure_link(link, target, present):
    """The ``disable/`` link to ``target`` made (atomically) or removed."""
    if present:
        if link_ok(link, target, True):
            return
        directory = os.path.dirname(link)
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o755)
        tmp = '%s.confine-tmp' % link
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(target, tmp)
        os.rename(tmp, link)
    elif os.path.lexists(link):
        os.unlink(link)
