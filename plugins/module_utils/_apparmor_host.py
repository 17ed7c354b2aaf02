# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AppArmor of this host, in one place: whether it is usable and why not, the parser
(lookup, validate, load/replace, the userns feature), what the kernel has loaded (mode
read-back, unload), the ``disable/`` links, the parser cache of a profile, and who owns
a profile file (its package, other files declaring the same profile).

Used by confine.hardening.apparmor_profile, hardening_restore and hardening_facts.  The
paths below are module globals read at call time, so tests point them at a fake."""

import glob
import os
import re
import shutil
import tempfile

from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils._common import ModuleError

SECURITYFS = '/sys/kernel/security'
ENABLED = '/sys/module/apparmor/parameters/enabled'
CACHE_GLOB = '/var/cache/apparmor/*/%s'
# Backup and package-manager leftovers: not profiles the loader reads.
SKIP_SUFFIXES = ('~', '.dpkg-new', '.dpkg-old', '.dpkg-dist', '.dpkg-bak', '.rpmnew', '.rpmsave', '.orig', '.rej')


# ---------------------------------------------------------------------------
# Is AppArmor there; the parser
# ---------------------------------------------------------------------------

def parser_path(get_bin_path):
    """The path of ``apparmor_parser`` (``get_bin_path`` of the module), or None."""
    return get_bin_path('apparmor_parser', required=False, opt_dirs=['/sbin', '/usr/sbin'])


def unavailable_reason(get_bin_path, securityfs=None, enabled_path=None):
    """None when AppArmor is usable, else why not (one sentence)."""
    securityfs, enabled_path = securityfs or SECURITYFS, enabled_path or ENABLED
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
    if not parser_path(get_bin_path):
        return 'apparmor_parser is not installed (Debian package apparmor)'
    return None


# The parser versions asked in this run, by parser path (named after the userns check it was
# first for; tests reset it).
_USERNS = {}
# The policy directory's ABI files the parser reads ``abi <abi/N.M>,`` from (its --base).
ABI_DIR = '/etc/apparmor.d/abi'
# What the kernel announces under apparmor/features: (fact, path, word in the file or None
# for "the path exists"); the names apparmor's regression tests check.
KERNEL_FEATURES = (('userns', 'namespaces/mask', 'userns_create'), ('mqueue', 'ipc/posix_mqueue', None),
                   ('io_uring', 'io_uring', None), ('network_v8', 'network_v8', None),
                   ('af_unix', 'network/af_unix', None))


def parser_version(module, parser):
    """The parser's version (``4.1.0``) from ``apparmor_parser --version``, or None (asked once per run)."""
    if parser not in _USERNS:
        rc, out, err = module.run_command([parser, '--version'])
        match = re.search(r'version (\d+(?:\.\d+)*)', out + err)
        _USERNS[parser] = match.group(1) if rc == 0 and match else None
    return _USERNS[parser]


def kernel_features(securityfs=None):
    """{fact: bool} of what the kernel's AppArmor mediates (KERNEL_FEATURES) plus ``policy``, the
    policy versions it loads (``v9`` gates fine-grained unix mediation); None without the directory."""
    base = os.path.join(securityfs or SECURITYFS, 'apparmor', 'features')
    if not os.path.isdir(base):
        return None
    out = {}
    for fact, path, word in KERNEL_FEATURES:
        full = os.path.join(base, path)
        if word is None:
            out[fact] = os.path.exists(full)
        else:
            out[fact] = os.path.isfile(full) and word in (fileio.read_text(full) or '').split()
    versions = os.path.join(base, 'policy', 'versions')
    out['policy'] = sorted(os.listdir(versions)) if os.path.isdir(versions) else []
    return out


def abi_files(abi_dir=None):
    """The numbered ABI files of the policy directory (``['3.0', '4.0']``)."""
    try:
        names = os.listdir(abi_dir or ABI_DIR)
    except OSError:
        return []
    return sorted((n for n in names if re.match(r'^\d+\.\d+$', n)), key=lambda n: tuple(int(x) for x in n.split('.')))


def abi_facts(module, parser, available=True, version=True):
    """What this host compiles and enforces: the parser's version (``version``: ask the parser),
    its ABI files and (where AppArmor is usable) the kernel's features; ``_apparmor_abi.host_problem``
    reads it."""
    return {'parser_version': parser_version(module, parser) if parser and version else None,
            'abis': abi_files(), 'kernel': kernel_features() if available else None}


def abi_summary(module, reason):
    """hardening_facts' AppArmor facts: ``parser_version`` and ``abi`` (the ABI files, the kernel's
    features; None where AppArmor is not usable)."""
    facts = abi_facts(module, parser_path(module.get_bin_path), available=reason is None)
    return {'parser_version': facts['parser_version'],
            'abi': {'files': ['abi/' + name for name in facts['abis']], 'kernel': facts['kernel']}}


def userns_supported(module, parser):
    """AppArmor 4 parsers know userns rules; the kernel must mediate them too (features/namespaces/mask
    lists userns_create)."""
    version = parser_version(module, parser)
    major = int(version.split('.')[0]) if version else 0
    return major >= 4 and bool((kernel_features() or {}).get('userns'))


def printable(text):
    """Tool output as one line of valid text: undecodable bytes and control characters replaced."""
    text = text.encode('utf-8', 'replace').decode('utf-8', 'replace')
    return ''.join(c if c.isprintable() else ' ' for c in text)


def _parser_noise(line):
    return not line.strip() or line.startswith('Cache read/write disabled') or 'Kernel needs AppArmor' in line


def parser_message(text):
    """The parser's output as one printable sentence, without its cache and kernel noise."""
    return ' '.join(printable(line).strip() for line in text.splitlines() if not _parser_noise(line))


def _declared_names(module, parser, path):
    """The profiles ``path`` declares (``apparmor_parser -N``, includes expanded)."""
    rc, out, err = module.run_command([parser, '-QK', '-N', path])
    if rc != 0:
        raise ModuleError('content: apparmor_parser -N could not list the profiles it declares: %s'
                          % parser_message(err), field='content')
    return [line.strip() for line in out.splitlines() if line.strip() and not _parser_noise(line)]


def validate(module, parser, text, dest, name, check_names=False):
    """Parse ``text`` with ``apparmor_parser -QK``; ModuleError with its message and the line.

    With ``check_names`` (text from a template, not rendered here), the parser also lists
    the profiles the text declares (``-N``, includes expanded): exactly one top-level
    profile, ``name``, or the task fails; ``apparmor_parser -r`` would otherwise load or
    replace every profile in the file, docker-default included."""
    tmpdir = tempfile.mkdtemp(prefix='confine-apparmor-')
    names = None
    try:
        path = os.path.join(tmpdir, name)
        with open(path, 'wb') as fh:
            fh.write(text.encode('utf-8'))
        rc, out, err = module.run_command([parser, '-QK', path])
        if rc == 0 and check_names:
            names = _declared_names(module, parser, path)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    if rc == 0:
        top = [n for n in names or [] if '//' not in n]
        if names is not None and top != [name]:
            raise ModuleError('content: the profile text must declare exactly one profile, %s, but it declares %s; '
                              'nothing was installed or loaded' % (name, printable(', '.join(top)) or 'none'),
                              field='content')
        return
    message = parser_message((err + out).replace(path, dest))
    match = re.search(r'in profile %s at line (\d+)' % re.escape(dest), message)
    if match:
        lines = text.split('\n')
        number = int(match.group(1))
        if 0 < number <= len(lines):
            message += ' (line %d reads: %s)' % (number, printable(lines[number - 1]).strip())
    raise ModuleError('apparmor_parser rejected the profile; nothing was installed or loaded: %s' % message,
                      parser_rc=rc)


def load(module, parser, path, complain=False):
    """Load or replace the profiles of ``path`` (``apparmor_parser -r -T -W``; ``complain``
    adds ``-C``); the parser's ``(rc, out, err)``."""
    return module.run_command([parser, '-r', '-T', '-W'] + (['-C'] if complain else []) + [path])


def load_or_fail(module, parser, path):
    """``load``; ModuleError with the parser's message when it fails."""
    rc, out, err = load(module, parser, path)
    if rc != 0:
        raise ModuleError('apparmor_parser -r failed: %s' % parser_message(err + out), parser_rc=rc)


# ---------------------------------------------------------------------------
# The kernel: what is loaded, unload
# ---------------------------------------------------------------------------

def parse_loaded(text):
    """{profile name: mode} from the text of securityfs' ``apparmor/profiles``."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line.endswith(')') and ' (' in line:
            name, mode = line[:-1].rsplit(' (', 1)
            out[name] = mode
    return out


def loaded_profiles(securityfs=None):
    """{profile name: mode} from the kernel."""
    return parse_loaded(fileio.read_text(os.path.join(securityfs or SECURITYFS, 'apparmor', 'profiles')) or '')


def unload(name, securityfs=None):
    """Remove a loaded profile by name (as aa-remove-unknown does)."""
    with open(os.path.join(securityfs or SECURITYFS, 'apparmor', '.remove'), 'w') as fh:
        fh.write(name)


# ---------------------------------------------------------------------------
# disable/ links and the parser cache
# ---------------------------------------------------------------------------

def disable_link(apparmor_dir, name):
    """The ``disable/`` link of profile ``name``: while it exists, the boot-time loader skips the profile."""
    return os.path.join(apparmor_dir, 'disable', name)


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


def cache_paths(name):
    """Everything in the parser's cache directories named after profile ``name``."""
    return sorted(glob.glob(CACHE_GLOB % name))


def cache_entries(name, warn):
    """The parser's cache files of profile ``name``: regular files and links only; anything
    else of that name in the cache is left alone, with a warning (``warn(text)``)."""
    found = []
    for entry in cache_paths(name):
        if os.path.islink(entry) or os.path.isfile(entry):
            found.append(entry)
        else:
            warn('%s is not a regular file, so it is not a cache entry of the parser; it was left alone' % entry)
    return found


# ---------------------------------------------------------------------------
# Who owns a profile file
# ---------------------------------------------------------------------------

def package_of(module, path):
    """The package that ships ``path``, or None."""
    dpkg = module.get_bin_path('dpkg-query')
    if dpkg:
        rc, out, dummy = module.run_command([dpkg, '-S', path])
        if rc == 0 and ':' in out:
            return out.split(':', 1)[0].strip()
        return None
    rpm = module.get_bin_path('rpm')
    if rpm:
        rc, out, dummy = module.run_command([rpm, '-qf', path])
        if rc == 0:
            return out.strip()
    return None


def whose(module, path):
    pkg = package_of(module, path)
    return 'package %s' % pkg if pkg else 'no package (a file written by hand or by another tool)'


def declares(text, name):
    """Whether profile text declares a profile called ``name``."""
    pattern = r'^\s*(?:profile\s+)?"?%s"?(?:\s+[^\s{]+)?\s*(?:flags\s*=\s*\([^)]*\)\s*)?\{' % re.escape(name)
    return re.search(pattern, text, re.M) is not None


def other_declarations(directory, name):
    """Files in the profile directory, other than NAME, that declare profile NAME."""
    found = []
    try:
        entries = sorted(os.listdir(directory))
    except OSError:
        return found
    for entry in entries:
        path = os.path.join(directory, entry)
        if entry == name or entry.startswith('.') or entry.endswith(SKIP_SUFFIXES) or not os.path.isfile(path):
            continue
        try:
            text = fileio.read_text(path) or ''
        except fileio.NotRegularFile:
            continue        # only regular files are profiles the loader reads
        if name in text and declares(text, name):
            found.append(path)
    return found
