# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubernetes securityContext fragment that uses node-local profiles."""

from ansible.errors import AnsibleFilterError

from ansible_collections.confine.hardening.plugins.module_utils._common import NAME_RE
BUILTIN = {'RuntimeDefault': {'type': 'RuntimeDefault'}, 'Unconfined': {'type': 'Unconfined'}}


def _profile(kind, name, localhost):
    if name in BUILTIN:
        return dict(BUILTIN[name])
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise AnsibleFilterError('pod_security_context: %s: %r is not a profile name (letters, digits, ".", "_", '
                                 '"-"), RuntimeDefault or Unconfined' % (kind, name))
    return {'type': 'Localhost', 'localhostProfile': localhost % name}


def pod_security_context(value=None, seccomp=None, apparmor=None, seccomp_subdir='profiles'):
    """``{seccompProfile: ..., appArmorProfile: ...}`` for the given profile names."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - {'seccomp', 'apparmor'})
        if unknown:
            raise AnsibleFilterError('pod_security_context: %s: unknown key (expected seccomp and/or apparmor)'
                                     % unknown[0])
        seccomp = seccomp if seccomp is not None else value.get('seccomp')
        apparmor = apparmor if apparmor is not None else value.get('apparmor')
    elif value is not None:
        seccomp = seccomp if seccomp is not None else value
    if seccomp is None and apparmor is None:
        raise AnsibleFilterError('pod_security_context: give a seccomp and/or an apparmor profile name')
    if not isinstance(seccomp_subdir, str) or seccomp_subdir.startswith('/') or '..' in seccomp_subdir.split('/'):
        raise AnsibleFilterError('pod_security_context: seccomp_subdir: %r must be a relative path under the '
                                 "kubelet's seccomp directory" % (seccomp_subdir,))
    out = {}
    if seccomp is not None:
        prefix = seccomp_subdir.strip('/') + '/' if seccomp_subdir.strip('/') else ''
        out['seccompProfile'] = _profile('seccomp', seccomp, prefix + '%s.json')
    if apparmor is not None:
        out['appArmorProfile'] = _profile('apparmor', apparmor, '%s')
    return out


class FilterModule(object):
    def filters(self):
        return {'pod_security_context': pod_security_context}
