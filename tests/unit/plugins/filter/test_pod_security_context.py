# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.confine.hardening.plugins.filter.pod_security_context import pod_security_context as f


def test_localhost_fragments():
    assert f('web', apparmor='web-container') == {
        'seccompProfile': {'type': 'Localhost', 'localhostProfile': 'profiles/web.json'},
        'appArmorProfile': {'type': 'Localhost', 'localhostProfile': 'web-container'}}
    assert f({'apparmor': 'x'}) == {'appArmorProfile': {'type': 'Localhost', 'localhostProfile': 'x'}}
    assert f('web', seccomp_subdir='') == {'seccompProfile': {'type': 'Localhost', 'localhostProfile': 'web.json'}}


def test_builtin_types():
    assert f('RuntimeDefault', apparmor='RuntimeDefault') == {
        'seccompProfile': {'type': 'RuntimeDefault'}, 'appArmorProfile': {'type': 'RuntimeDefault'}}


@pytest.mark.parametrize('args,kwargs,words', [
    ((), {}, 'give a seccomp and/or an apparmor profile name'),
    (('../etc',), {}, "seccomp: '../etc' is not a profile name"),
    (({'seccomp': 'a', 'selinux': 'b'},), {}, 'selinux: unknown key'),
    (('web',), {'seccomp_subdir': '/abs'}, 'seccomp_subdir'),
    ((None,), {'apparmor': 'a b'}, "apparmor: 'a b' is not a profile name"),
    (('web\n',), {}, "seccomp: 'web\\n' is not a profile name"),
])
def test_errors(args, kwargs, words):
    with pytest.raises(AnsibleFilterError) as err:
        f(*args, **kwargs)
    assert words in str(err.value)
