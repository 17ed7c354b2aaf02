# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The versions of the container runtimes and of libseccomp on the target, read from the
binaries' own ``--version`` output (hardening_facts returns them; seccomp_profile reads them
when it resolves ``runtime_default: auto`` itself).  Reads only."""

import re

from ansible_collections.confine.hardening.plugins.module_utils import _libseccomp as libseccomp

# runtime -> (binary, argv after it); the daemon binaries, as hardening_facts looks for them
BINARIES = {
    'docker': ('dockerd', ['--version']),          # Docker version 26.1.5+dfsg1, build 411e817
    'containerd': ('containerd', ['--version']),   # containerd github.com/containerd/containerd v1.7.24 abc
    'podman': ('podman', ['--version']),           # podman version 5.4.2
    'runc': ('runc', ['--version']),               # runc version 1.1.15 ... libseccomp: 2.6.0
}
OPT_DIRS = ['/usr/sbin', '/usr/local/bin', '/usr/bin']
# the first dotted number that is a word of its own (containerd 1.6 prints no "v": "... containerd 1.6.20~ds1 ...")
VERSION_RE = re.compile(r'(?<![\w./-])v?(\d+\.\d+(?:\.\d+)?[0-9A-Za-z.+~-]*)')
LIBSECCOMP_RE = re.compile(r'libseccomp:\s*(\d+\.\d+(?:\.\d+)?)')
MAX_OUTPUT = 4096


def parse(text):
    """The version in a ``--version`` line, or None."""
    match = VERSION_RE.search((text or '')[:MAX_OUTPUT])
    return match.group(1) if match else None


def binary_version(get_bin_path, run_command, runtime):
    """(path, version text or None) of one runtime's binary; (None, None) when it is not installed."""
    binary, argv = BINARIES[runtime]
    path = get_bin_path(binary, opt_dirs=OPT_DIRS)
    if not path:
        return None, None
    rc, out, err = run_command([path] + argv)
    return path, parse(out or err) if rc == 0 else None


def libseccomp_version(get_bin_path, run_command):
    """libseccomp's version: the library this Python loads, else the one runc reports."""
    try:
        return libseccomp.load().version()
    except libseccomp.LibseccompError:
        pass
    path = get_bin_path('runc', opt_dirs=OPT_DIRS)
    if not path:
        return None
    rc, out, dummy = run_command([path, '--version'])
    match = LIBSECCOMP_RE.search((out or '')[:MAX_OUTPUT]) if rc == 0 else None
    return match.group(1) if match else None


def versions(get_bin_path, run_command, runtimes=('docker', 'containerd', 'podman')):
    """{runtime: version text or None}."""
    return dict((rt, binary_version(get_bin_path, run_command, rt)[1]) for rt in runtimes)
