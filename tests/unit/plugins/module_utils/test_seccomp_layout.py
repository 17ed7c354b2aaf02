# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_seccomp_layout: the laid-out profile decides every call as the profile as written does
(both compiled by the real libseccomp as runc compiles them, both run by the BPF emulator on
generated profiles and calls), the calls with argument rules come first, and a rendered
profile reads back as its author wrote it."""

import json

from hypothesis import HealthCheck, assume, given, settings, strategies as st

from ansible_collections.confine.hardening.plugins.module_utils import _bpf as bpf
from ansible_collections.confine.hardening.plugins.module_utils import _libseccomp as libseccomp
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_layout as layout
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_oci as oci
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_spec as spec_mod

X86_64, I386 = 0xc000003e, 0x40000003
X86 = ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']
HOST = {'machine': 'x86_64', 'kernel': '6.1.0'}
POOL = ('read', 'write', 'getppid', 'socket', 'clone', 'mount', 'umount2', 'ptrace', 'bpf', 'keyctl', 'personality',
        'unshare', 'setns', 'ioctl', 'fcntl', 'futex', 'chmod', 'kill', 'acct', 'reboot')
VALUES = (0, 1, 2, 38, 0x20000, 0x7fffffff, 0xffffffff, 1 << 32, (1 << 63) | 1, (1 << 64) - 1)
ACTIONS = ('SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP')


def program(backend, profile):
    """The program runc loads for ``profile``: libseccomp's default layout, one filter."""
    errno = profile.get('defaultErrnoRet')
    if profile['defaultAction'] == 'SCMP_ACT_ERRNO' and errno is None:
        errno = spec_mod.EPERM
    return backend.compile_bpf(profile['defaultAction'], errno, profile['architectures'], oci.profile_rules(profile),
                               optimize=libseccomp.OPTIMIZE_PRIORITY, keep_native=True)


def calls(backend, arches, names, args):
    """(nr, audit arch) of every name on every arch of the profile."""
    out = []
    for arch, token in (('SCMP_ARCH_X86_64', X86_64), ('SCMP_ARCH_X86', I386), ('SCMP_ARCH_X32', X86_64)):
        if arch in arches:
            out.extend((backend.resolve(arch, n), token, args) for n in names if backend.resolve(arch, n) >= 0)
    return out


def hardened():
    return spec_mod.build_profile({'preset': 'hardened'}, HOST)[0]


def test_hardened_socket_and_clone_come_first_and_decide_the_same(backend):
    plain, laid = hardened(), layout.lay_out(hardened())
    assert laid != plain and layout.lay_out(laid) == laid
    before, after = program(backend, plain), program(backend, laid)
    nr = dict((n, backend.resolve('SCMP_ARCH_X86_64', n)) for n in ('socket', 'clone', 'mount', 'getppid'))
    # socket(4095, ...) and a thread's clone: refused and allowed at once, not after every denial
    for name, args in (('socket', (4095, 1)), ('clone', (0x3d0f00,)), ('clone', (0x10000000,))):
        was, now = bpf.run(before, nr[name], X86_64, args), bpf.run(after, nr[name], X86_64, args)
        assert was[0] == now[0] and now[1] * 3 < was[1], (name, args, was, now)
    # a denied call still is, whatever its arguments; an allowed one walks no further than before
    for args in ((0,), (1, 0, 0, 0, 0, 1 << 40), ((1 << 64) - 1,) * 6):
        assert bpf.run(after, nr['mount'], X86_64, args)[0] == bpf.run(before, nr['mount'], X86_64, args)[0] \
            == 0x00050001
    assert bpf.run(after, nr['getppid'], X86_64)[1] == bpf.run(before, nr['getppid'], X86_64)[1]


def test_what_is_left_alone():
    allow = {'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 1, 'architectures': X86, 'syscalls': [
        {'names': ['read'], 'action': 'SCMP_ACT_ALLOW'}, {'names': ['write'], 'action': 'SCMP_ACT_LOG'},
        {'names': ['clone3'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38},
        {'names': ['socket'], 'action': 'SCMP_ACT_ALLOW', 'args': [{'index': 0, 'value': 1, 'valueTwo': 0,
                                                                    'op': 'SCMP_CMP_EQ'}]}]}
    assert layout.lay_out(allow) == allow
    no_args = {'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': X86,
               'syscalls': [{'names': ['mount'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 1}]}
    assert layout.lay_out(no_args) is no_args
    # a name with a rule of its own besides the denial keeps the denial as written; the others are
    # split into one more rule than the most checks a call has (ptrace: 2), at values of argument 0
    ptrace = [{'names': ['ptrace'], 'action': 'SCMP_ACT_KILL_PROCESS',
               'args': [{'index': 0, 'value': v, 'valueTwo': 0, 'op': 'SCMP_CMP_EQ'}]} for v in (16, 17)]
    both = dict(no_args, syscalls=[{'names': ['mount', 'ptrace'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 1}] + ptrace)
    laid = layout.lay_out(both)['syscalls']
    assert laid[0] == {'names': ['ptrace'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 1}
    assert [(e['names'], e['args']) for e in laid[1:4]] == [(['mount'], a) for a in layout.partition(2)]
    assert [a[0]['op'][9:] + str(a[0]['value']) for a in layout.partition(2)] == ['EQ0', 'EQ1', 'GE2']
    assert laid[4:] == ptrace
    # never more than MAX_PARTS rules a denial, however many checks a call has
    many = dict(no_args, syscalls=[no_args['syscalls'][0]] + [
        {'names': ['ioctl'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 1,
         'args': [{'index': 1, 'value': v, 'valueTwo': 0, 'op': 'SCMP_CMP_EQ'}]} for v in range(40)])
    assert len([e for e in layout.lay_out(many)['syscalls'] if e['names'] == ['mount']]) == layout.MAX_PARTS


def test_a_rendered_profile_reads_back_as_written_and_partitions_only_join_whole():
    for spec in ({'preset': 'hardened'}, {'preset': 'hardened', 'preset_options': {'deny_processes': True}},
                 {'preset': 'runtime-default'}, {'preset': 'hardened', 'mode': 'log'}):
        built = spec_mod.build_profile(spec, HOST)[0]
        assert oci.parse_rendered(oci.canonical_json(built)) == built
    sock = {'names': ['socket'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 1,
            'args': [{'index': 0, 'value': 40, 'valueTwo': 0, 'op': 'SCMP_CMP_EQ'}]}

    def rules(name, errno, parts):
        return [{'names': [name], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': errno, 'args': a} for a in parts]
    whole, gap = layout.partition(2), layout.partition(3)[:1] + layout.partition(3)[2:]
    text = json.dumps({'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': X86, 'syscalls': [sock] + rules(
        'mount', 1, whole) + rules('bpf', 1, whole[:1]) + rules('bpf', 13, whole[1:]) + rules('acct', 1, gap)})
    got = oci.parse_rendered(text)['syscalls']
    # mount's partition joins; bpf's parts answer differently and acct's misses a value: both stay conditional
    assert {'names': ['mount'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 1} in got
    assert sorted(n for e in got if e.get('args') for n in e['names']) == ['acct'] * 3 + ['bpf'] * 3 + ['socket']


ARG = st.fixed_dictionaries({'index': st.integers(0, 5), 'value': st.sampled_from(VALUES),
                             'value_two': st.sampled_from(VALUES),
                             'op': st.sampled_from(('SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_GE',
                                                    'SCMP_CMP_MASKED_EQ'))})
RULE = st.fixed_dictionaries({'names': st.lists(st.sampled_from(POOL), min_size=1, max_size=6, unique=True),
                              'action': st.sampled_from(ACTIONS), 'errno': st.sampled_from((1, 13, 38)),
                              'args': st.lists(ARG, max_size=2)})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(default=st.sampled_from(('SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_LOG')),
       arches=st.sampled_from((X86, X86[:1])), rules=st.lists(RULE, min_size=1, max_size=8),
       args=st.lists(st.sampled_from(VALUES), min_size=6, max_size=6), data=st.data())
def test_generated_profiles_decide_every_call_the_same_laid_out(backend, default, arches, rules, args, data):
    rules = [dict(r, errno=r['errno'] if r['action'] == 'SCMP_ACT_ERRNO' else None, args=[
        a if a['op'] == 'SCMP_CMP_MASKED_EQ' else dict(a, value_two=0) for a in r['args']]) for r in rules]
    profile = spec_mod.to_oci(default, 1 if default == 'SCMP_ACT_ERRNO' else None, arches, rules)
    try:
        before = program(backend, profile)
    except libseccomp.LibseccompError:
        assume(False)     # libseccomp refuses the profile as written (conflicting rules): runc would too
    laid = layout.lay_out(profile)
    after = program(backend, laid)
    assert oci.parse_rendered(oci.canonical_json(profile)) == oci.parse_rendered(oci.canonical_json(profile, False))
    names = list(POOL) + ['getpid']
    more = [tuple(data.draw(st.lists(st.sampled_from(VALUES), min_size=6, max_size=6))) for _i in range(3)]
    for nr, arch, made in calls(backend, arches, names, tuple(args)) + [
            c for extra in more for c in calls(backend, arches, ('mount', 'socket', 'clone', 'ioctl'), extra)]:
        assert bpf.run(after, nr, arch, made)[0] == bpf.run(before, nr, arch, made)[0], (nr, arch, made, laid)
