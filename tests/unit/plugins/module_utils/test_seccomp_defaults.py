# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""issue 19: runtime-default per runtime and version.  A spot check per version of the calls
that changed upstream, the auto choice (first target's runtime, nearest earlier version,
fallback) and the data's own consistency."""

import pytest
import yaml

from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_defaults as defaults
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_oci as oci
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_spec as spec_mod
from ansible_collections.confine.hardening.plugins.module_utils._common import SpecError
from ansible_collections.confine.hardening.plugins.modules import seccomp_profile

HOST = {'machine': 'x86_64', 'kernel': '6.12.38+deb13-amd64'}
IO_URING = {'io_uring_setup', 'io_uring_enter', 'io_uring_register'}
DOCKER_26 = {'cachestat', 'map_shadow_stack', 'fchmodat2', 'futex_wake', 'futex_wait', 'futex_requeue'}
DOCKER_28 = {'listmount', 'statmount', 'mseal', 'getxattrat', 'setxattrat', 'listxattrat', 'removexattrat'}
LSM = {'lsm_get_self_attr', 'lsm_list_modules', 'lsm_set_self_attr'}


def profile(name, **host):
    return spec_mod.build_profile({'preset': 'runtime-default'}, dict(HOST, runtime_default=name, **host))[0]


def allowed(prof):
    """Names allowed whatever their arguments."""
    return set(n for e in prof['syscalls'] if e['action'] == 'SCMP_ACT_ALLOW' and not e.get('args') for n in e['names'])


def socket_rules(prof):
    return sorted((e['action'], e.get('errnoRet'), tuple((a['index'], a['value'], a['op']) for a in e['args']))
                  for e in prof['syscalls'] if 'socket' in e['names'] and e.get('args'))


def in_data(name, gate_key, value):
    return [g['names'] for g in defaults.groups(name) if g[gate_key] == value]


AF_ALG_BLOCK = [('SCMP_ACT_ALLOW', None, ((0, 38, 'SCMP_CMP_LT'),)), ('SCMP_ACT_ALLOW', None, ((0, 39, 'SCMP_CMP_EQ'),)),
                ('SCMP_ACT_ALLOW', None, ((0, 40, 'SCMP_CMP_GT'),))]
AF_VSOCK_ONLY = [('SCMP_ACT_ALLOW', None, ((0, 40, 'SCMP_CMP_NE'),))]


def test_docker_20_10_pinned_is_the_fallback_byte_for_byte():
    fallback = spec_mod.build_profile({'preset': 'runtime-default'}, HOST)[0]
    assert oci.canonical_json(profile('docker-20.10')) == oci.canonical_json(fallback)
    prof = profile('docker-20.10')
    assert IO_URING <= allowed(prof) and not DOCKER_26 & allowed(prof) and 'socket' in allowed(prof)
    assert 'process_vm_readv' not in allowed(prof) and 'name_to_handle_at' not in allowed(prof)


def test_docker_23_pkeys_vsock_and_process_vm_on_4_8():
    prof = profile('docker-23')
    assert IO_URING <= allowed(prof) and {'pkey_alloc', 'pkey_mprotect'} <= allowed(prof)
    assert socket_rules(prof) == AF_VSOCK_ONLY and 'socket' not in allowed(prof)
    assert 'process_vm_readv' in allowed(prof)
    assert 'process_vm_readv' not in allowed(profile('docker-23', kernel='4.4.0'))
    assert prof['defaultErrnoRet'] == 1
    # 23.0.0-23.0.6: name_to_handle_at still with CAP_SYS_ADMIN, none of the 23.0.10 backports
    assert 'name_to_handle_at' not in allowed(prof) and not DOCKER_26 & allowed(prof)
    assert 'name_to_handle_at' in gated('docker-23', 'caps_include', ['CAP_SYS_ADMIN'])
    assert 'set_mempolicy_home_node' not in gated('docker-23', 'caps_include', ['CAP_SYS_NICE'])


def test_docker_23_0_7_name_to_handle_at_and_23_0_10_the_kernel_6_7_calls():
    d2307 = profile('docker-23.0.7')
    assert 'name_to_handle_at' in allowed(d2307) and not DOCKER_26 & allowed(d2307) and IO_URING <= allowed(d2307)
    assert 'name_to_handle_at' not in gated('docker-23.0.7', 'caps_include', ['CAP_SYS_ADMIN'])
    d23010 = profile('docker-23.0.10')
    assert DOCKER_26 <= allowed(d23010) and IO_URING <= allowed(d23010) and socket_rules(d23010) == AF_VSOCK_ONLY
    assert 'set_mempolicy_home_node' in gated('docker-23.0.10', 'caps_include', ['CAP_SYS_NICE'])


def test_docker_24_is_23_0_6_s_file_and_24_0_3_is_23_0_9_s():
    d24 = profile('docker-24')
    assert oci.canonical_json(d24) == oci.canonical_json(profile('docker-23'))
    assert 'name_to_handle_at' in gated('docker-24', 'caps_include', ['CAP_SYS_ADMIN'])
    assert 'name_to_handle_at' not in allowed(d24) and not DOCKER_26 & allowed(d24) and IO_URING <= allowed(d24)
    d2403 = profile('docker-24.0.3')
    assert oci.canonical_json(d2403) == oci.canonical_json(profile('docker-23.0.7'))
    assert 'name_to_handle_at' in allowed(d2403) and not DOCKER_26 & allowed(d2403) and IO_URING <= allowed(d2403)
    assert 'set_mempolicy_home_node' not in gated('docker-24.0.3', 'caps_include', ['CAP_SYS_NICE'])


def test_docker_follows_the_file_on_riscv64_not_the_loader_before_its_riscv64_fix():
    # the daemon maps riscv64 only from 23.0.16, 25.0.7 and 27.3.0; the names follow default.json
    for name in ('docker-23', 'docker-24', 'docker-25', 'docker-26', 'docker-27', 'docker-28.2'):
        assert 'riscv_flush_icache' in allowed(profile(name, machine='riscv64'))
        assert 'riscv_flush_icache' not in allowed(profile(name))
    assert 'riscv_flush_icache' not in allowed(profile('docker-20.10', machine='riscv64'))


def test_docker_25_drops_io_uring():
    assert not IO_URING & allowed(profile('docker-25'))
    assert not IO_URING & set(oci.profile_names(profile('docker-25')))


def test_docker_25_0_0_lacks_the_kernel_6_7_calls_that_25_0_3_backported():
    d25 = profile('docker-25')
    assert 'name_to_handle_at' in allowed(d25) and not DOCKER_26 & allowed(d25)
    assert 'set_mempolicy_home_node' not in gated('docker-25', 'caps_include', ['CAP_SYS_NICE'])
    d2503 = profile('docker-25.0.3')
    assert DOCKER_26 <= allowed(d2503) and not IO_URING & allowed(d2503)
    assert 'set_mempolicy_home_node' in gated('docker-25.0.3', 'caps_include', ['CAP_SYS_NICE'])
    assert oci.canonical_json(d2503) == oci.canonical_json(profile('docker-26'))


NEW_MOUNT_API = {'fsconfig', 'fsmount', 'fsopen', 'fspick', 'move_mount', 'open_tree'}
DOCKER_20_10_18 = {'futex_waitv', 'landlock_add_rule', 'landlock_create_ruleset', 'landlock_restrict_self',
                   'memfd_secret', 'process_mrelease'}


def test_docker_20_10_0_lacks_close_range_and_the_new_mount_api():
    prof = profile('docker-20.10.0')
    assert not {'close_range', 'epoll_pwait2'} & allowed(prof) and IO_URING <= allowed(prof)
    assert not NEW_MOUNT_API & gated('docker-20.10.0', 'caps_include', ['CAP_SYS_ADMIN'])
    assert 'process_madvise' not in gated('docker-20.10.0', 'caps_include', ['CAP_SYS_PTRACE'])
    assert 'clone3' not in oci.profile_names(prof)


def test_docker_20_10_4_has_no_clone3_rule_and_20_10_10_answers_it_with_enosys():
    d20104 = profile('docker-20.10.4')
    assert {'close_range', 'epoll_pwait2'} <= allowed(d20104)
    assert NEW_MOUNT_API <= gated('docker-20.10.4', 'caps_include', ['CAP_SYS_ADMIN'])
    assert 'process_madvise' in gated('docker-20.10.4', 'caps_include', ['CAP_SYS_PTRACE'])
    assert 'clone3' not in oci.profile_names(d20104)                  # the default EPERM, even with CAP_SYS_ADMIN
    assert 'clone3' not in gated('docker-20.10.4', 'caps_include', ['CAP_SYS_ADMIN'])
    d201010 = profile('docker-20.10.10')
    assert errno_names(d201010, 38) == {'clone3'}
    assert 'clone3' in gated('docker-20.10.10', 'caps_include', ['CAP_SYS_ADMIN'])
    assert not DOCKER_20_10_18 & allowed(d201010)
    assert not {'mount_setattr', 'quotactl_fd'} & gated('docker-20.10.10', 'caps_include', ['CAP_SYS_ADMIN'])


def test_docker_20_10_18_is_20_10_24_and_20_10_22_blocks_af_vsock():
    assert oci.canonical_json(profile('docker-20.10.18')) == oci.canonical_json(profile('docker-20.10'))
    assert DOCKER_20_10_18 <= allowed(profile('docker-20.10.18'))
    d201022 = profile('docker-20.10.22')
    assert socket_rules(d201022) == AF_VSOCK_ONLY and 'socket' not in allowed(d201022)
    assert DOCKER_20_10_18 <= allowed(d201022) and 'name_to_handle_at' not in allowed(d201022)
    assert socket_rules(profile('docker-20.10')) == [] and 'socket' in allowed(profile('docker-20.10'))


def test_docker_26_adds_cachestat_map_shadow_stack_fchmodat2_futex2():
    prof = profile('docker-26')
    assert DOCKER_26 <= allowed(prof) and not IO_URING & allowed(prof) and not DOCKER_28 & allowed(prof)


def test_docker_27_and_28_0_are_26_s_file():
    d26 = oci.canonical_json(profile('docker-26'))
    for name in ('docker-27', 'docker-28'):
        assert oci.canonical_json(profile(name)) == d26 and not DOCKER_28 & allowed(profile(name))
        assert not LSM & gated(name, 'caps_include', ['CAP_SYS_ADMIN'])


def test_docker_28_2_adds_listmount_statmount_mseal_xattrat_and_lsm_with_cap_sys_admin():
    prof = profile('docker-28.2')
    assert DOCKER_28 <= allowed(prof) and not LSM & allowed(prof)      # default caps: no CAP_SYS_ADMIN
    assert any(LSM <= set(n) for n in in_data('docker-28.2', 'caps_include', ['CAP_SYS_ADMIN']))
    assert socket_rules(prof) == AF_VSOCK_ONLY
    assert 'riscv_hwprobe' in allowed(prof) and 'riscv_hwprobe' not in allowed(profile('docker-28'))


def test_docker_20_10_26_allows_name_to_handle_at_without_cap_sys_admin():
    assert 'name_to_handle_at' in allowed(profile('docker-20.10.26'))
    assert 'name_to_handle_at' not in allowed(profile('docker-20.10'))
    assert not any('name_to_handle_at' in n for n in in_data('docker-20.10.26', 'caps_include', ['CAP_SYS_ADMIN']))
    assert any('name_to_handle_at' in n for n in in_data('docker-20.10', 'caps_include', ['CAP_SYS_ADMIN']))


def errno_names(prof, errno):
    return set(n for e in prof['syscalls'] if e['action'] == 'SCMP_ACT_ERRNO' and e.get('errnoRet') == errno
               for n in e['names'])


def test_docker_29_is_28_then_29_4_2_blocks_af_alg_and_socketcall_and_29_4_3_allows_socketcall():
    d29 = profile('docker-29')
    assert oci.canonical_json(d29) == oci.canonical_json(profile('docker-28.2')) and socket_rules(d29) == AF_VSOCK_ONLY
    d2942 = profile('docker-29.4.2')
    assert socket_rules(d2942) == AF_ALG_BLOCK and 'socket' not in allowed(d2942)
    assert 'socketcall' not in allowed(d2942) and 'socketcall' in errno_names(d2942, 38)
    d2943 = profile('docker-29.4.3')
    assert socket_rules(d2943) == AF_ALG_BLOCK and 'socketcall' in allowed(d2943) and DOCKER_28 <= allowed(d2943)
    assert 'socketcall' in allowed(d29)


def test_containerd_1_7_patch_releases():
    c17 = profile('containerd-1.7')
    assert IO_URING <= allowed(c17) and socket_rules(c17) == AF_VSOCK_ONLY and 'process_vm_readv' in allowed(c17)
    assert 'name_to_handle_at' not in allowed(c17) and not DOCKER_26 & allowed(c17)
    assert not any('set_mempolicy_home_node' in n for n in in_data('containerd-1.7', 'caps_include', ['CAP_SYS_NICE']))
    c173 = profile('containerd-1.7.3')
    assert 'name_to_handle_at' in allowed(c173) and not DOCKER_26 & allowed(c173)
    c1713 = profile('containerd-1.7.13')          # Debian 13's 1.7.24: AF_ALG not blocked
    assert DOCKER_26 <= allowed(c1713) and socket_rules(c1713) == AF_VSOCK_ONLY and IO_URING <= allowed(c1713)
    assert any('set_mempolicy_home_node' in n for n in in_data('containerd-1.7.13', 'caps_include', ['CAP_SYS_NICE']))
    c1732 = profile('containerd-1.7.32')
    assert socket_rules(c1732) == AF_ALG_BLOCK and 'socket' not in allowed(c1732) and IO_URING <= allowed(c1732)


@pytest.mark.parametrize('name,blocked', [('containerd-2.0', False), ('containerd-2.0.9', True), ('containerd-2.1', False),
                                          ('containerd-2.2', False), ('containerd-2.2.4', True),
                                          ('containerd-2.3', False), ('containerd-2.3.1', True)])
def test_containerd_2_af_alg_only_from_its_backports(name, blocked):
    prof = profile(name)
    assert socket_rules(prof) == (AF_ALG_BLOCK if blocked else AF_VSOCK_ONLY)
    assert not IO_URING & allowed(prof) and DOCKER_26 <= allowed(prof) and 'name_to_handle_at' in allowed(prof)
    assert 'defaultErrnoRet' in prof and prof['defaultErrnoRet'] == 1


CONTAINERD_1_6 = ('containerd-1.6', 'containerd-1.6.7', 'containerd-1.6.9', 'containerd-1.6.16', 'containerd-1.6.22',
                  'containerd-1.6.28')
PKEYS = {'pkey_alloc', 'pkey_free', 'pkey_mprotect'}
NUMA = {'get_mempolicy', 'mbind', 'set_mempolicy'}


def gated(name, gate_key, value):
    return set(n for names in in_data(name, gate_key, value) for n in names)


@pytest.mark.parametrize('name', CONTAINERD_1_6)
def test_containerd_1_6_allows_io_uring_and_every_socket(name):
    prof = profile(name)
    assert IO_URING <= allowed(prof) and 'socket' in allowed(prof) and not socket_rules(prof)
    assert 'defaultErrnoRet' in prof and prof['defaultErrnoRet'] == 1


def test_containerd_1_6_0_ptrace_needs_cap_sys_ptrace_and_name_to_handle_at_cap_sys_admin():
    prof = profile('containerd-1.6')
    assert 'ptrace' not in allowed(prof) and 'name_to_handle_at' not in allowed(prof) and not PKEYS & allowed(prof)
    assert 'name_to_handle_at' in gated('containerd-1.6', 'caps_include', ['CAP_SYS_ADMIN'])
    assert 'ptrace' in gated('containerd-1.6', 'caps_include', ['CAP_SYS_PTRACE'])
    assert gated('containerd-1.6', 'caps_include', ['CAP_SYS_TIME']) == {'clock_settime', 'settimeofday', 'stime'}
    for cap in ('CAP_SYS_NICE', 'CAP_BPF', 'CAP_PERFMON'):
        assert not in_data('containerd-1.6', 'caps_include', [cap])
    assert 'riscv_flush_icache' not in allowed(profile('containerd-1.6', machine='riscv64'))


def test_containerd_1_6_7_ptrace_on_4_8_riscv64_and_clock_settime64():
    prof = profile('containerd-1.6.7')
    assert 'ptrace' in allowed(prof) and 'ptrace' not in allowed(profile('containerd-1.6.7', kernel='4.4.0'))
    assert 'riscv_flush_icache' in allowed(profile('containerd-1.6.7', machine='riscv64'))
    assert 'riscv_flush_icache' not in allowed(prof)
    assert 'clock_settime64' in gated('containerd-1.6.7', 'caps_include', ['CAP_SYS_TIME'])
    assert not in_data('containerd-1.6.7', 'caps_include', ['CAP_BPF']) and not PKEYS & allowed(prof)


def test_containerd_1_6_9_bpf_with_cap_bpf_and_perf_event_open_with_cap_perfmon():
    assert in_data('containerd-1.6.9', 'caps_include', ['CAP_BPF']) == [['bpf']]
    assert in_data('containerd-1.6.9', 'caps_include', ['CAP_PERFMON']) == [['perf_event_open']]
    assert not {'bpf', 'perf_event_open'} & allowed(profile('containerd-1.6.9'))       # default caps have neither
    assert not PKEYS & allowed(profile('containerd-1.6.9'))
    assert not in_data('containerd-1.6.9', 'caps_include', ['CAP_SYS_NICE'])


def test_containerd_1_6_16_is_debian_12_s_1_6_20_pkeys_and_numa_with_cap_sys_nice():
    prof = profile('containerd-1.6.16')
    assert PKEYS <= allowed(prof) and 'name_to_handle_at' not in allowed(prof) and not DOCKER_26 & allowed(prof)
    assert gated('containerd-1.6.16', 'caps_include', ['CAP_SYS_NICE']) == NUMA
    assert 'name_to_handle_at' in gated('containerd-1.6.16', 'caps_include', ['CAP_SYS_ADMIN'])
    assert defaults.upstream('containerd-1.6.16') == 'containerd/containerd v1.6.20'


def test_containerd_1_6_22_name_to_handle_at_and_1_6_28_the_kernel_6_7_calls():
    c1622 = profile('containerd-1.6.22')
    assert 'name_to_handle_at' in allowed(c1622) and not DOCKER_26 & allowed(c1622)
    assert 'name_to_handle_at' not in gated('containerd-1.6.22', 'caps_include', ['CAP_SYS_ADMIN'])
    assert gated('containerd-1.6.22', 'caps_include', ['CAP_SYS_NICE']) == NUMA
    c1628 = profile('containerd-1.6.28')
    assert DOCKER_26 <= allowed(c1628) and PKEYS | {'name_to_handle_at', 'ptrace'} <= allowed(c1628)
    assert gated('containerd-1.6.28', 'caps_include', ['CAP_SYS_NICE']) == NUMA | {'set_mempolicy_home_node'}


def test_containerd_2_2_allows_lsm_unconditionally():
    assert LSM <= allowed(profile('containerd-2.2')) and DOCKER_28 <= allowed(profile('containerd-2.2'))
    assert not LSM & allowed(profile('containerd-2.0'))


def test_podman_5_enosys_and_the_namespace_calls_allowed():
    prof = profile('podman-5')
    assert prof['defaultAction'] == 'SCMP_ACT_ERRNO' and prof['defaultErrnoRet'] == 38
    assert {'mount', 'umount2', 'unshare', 'setns', 'keyctl', 'ptrace', 'clone', 'clone3', 'pivot_root'} <= allowed(prof)
    eperm = set(n for e in prof['syscalls'] if e['action'] == 'SCMP_ACT_ERRNO' and e.get('errnoRet') == 1
                for n in e['names'])
    assert {'kexec_load', 'open_by_handle_at', 'bpf', 'sethostname'} <= eperm
    # no CAP_AUDIT_WRITE in podman's default caps: AF_NETLINK (16) + NETLINK_AUDIT (9) gets EINVAL
    assert ('SCMP_ACT_ERRNO', 22, ((0, 16, 'SCMP_CMP_EQ'), (2, 9, 'SCMP_CMP_EQ'))) in socket_rules(prof)


@pytest.mark.parametrize('name', defaults.NAMES)
def test_every_default_cites_its_upstream_tag_and_resolves_on_every_family(name):
    assert defaults.upstream(name).split()[0] in ('moby/moby', 'containerd/containerd', 'containers/common')
    for machine in ('x86_64', 'aarch64', 's390x', 'ppc64le'):
        prof = spec_mod.build_profile({'preset': 'runtime-default'}, dict(HOST, machine=machine, runtime_default=name))[0]
        assert 'read' in allowed(prof) and 'execve' in allowed(prof)


@pytest.mark.parametrize('runtimes,targets,name,note', [
    ({'docker': '26.1.5+dfsg1'}, ['docker'], 'docker-26', None),
    ({'docker': '20.10.24+dfsg1'}, ['docker', 'kubelet'], 'docker-20.10', None),
    ({'docker': '27.5.1'}, ['docker'], 'docker-27', None),
    ({'docker': '26.1.6'}, ['docker'], 'docker-26', 'Docker 26.1.6 is not listed; following docker-26, the nearest '
                                                    'earlier listed default'),
    ({'docker': '19.03.15'}, ['docker'], 'docker-20.10.0', 'Docker 19.03.15 is older than every listed default; '
                                                           'following the oldest, docker-20.10.0'),
    ({'containerd': '1.7.24~ds1', 'docker': '26.1.5'}, ['kubelet', 'docker'], 'containerd-1.7.13', None),
    ({'containerd': '1.6.20~ds1-1', 'docker': '20.10.24+dfsg1'}, ['containerd', 'docker'], 'containerd-1.6.16', None),
    ({'containerd': '2.1.4'}, ['bwrap', 'containerd'], 'containerd-2.1', None),
    ({'containerd': '2.3.0'}, ['containerd'], 'containerd-2.3', None),
    ({'containerd': '2.4.0'}, ['containerd'], 'containerd-2.3.1',
     'containerd 2.4.0 is not listed; following containerd-2.3.1, the nearest earlier listed default'),
    ({'podman': '5.4.2'}, ['podman', 'docker'], 'podman-5', None),
    ({'docker': None}, ['docker'], 'docker-20.10', 'Docker is not installed (no version found); following the '
                                                   'fallback docker-20.10'),
    ({'docker': '26.1.5'}, ['bwrap'], 'docker-20.10', 'no target is loaded by a runtime; following the fallback '
                                                      'docker-20.10'),
])
def test_auto_follows_the_first_runtime_target_at_its_version(runtimes, targets, name, note):
    choice = defaults.choose({'runtime_default': 'auto', 'targets': targets, 'runtimes': runtimes})
    assert (choice['name'], choice['note']) == (name, note)
    assert choice['how'] == ('fallback' if 'fallback' in (note or '') else 'auto')


@pytest.mark.parametrize('runtime,version,name,listed', [
    ('containerd', '1.6.0', 'containerd-1.6', True), ('containerd', '1.6.6', 'containerd-1.6', True),
    ('containerd', '1.6.7', 'containerd-1.6.7', True), ('containerd', '1.6.8', 'containerd-1.6.7', True),
    ('containerd', '1.6.9', 'containerd-1.6.9', True), ('containerd', '1.6.15', 'containerd-1.6.9', True),
    ('containerd', '1.6.16', 'containerd-1.6.16', True), ('containerd', '1.6.20', 'containerd-1.6.16', True),
    ('containerd', '1.6.20~ds1-1', 'containerd-1.6.16', True), ('containerd', '1.6.21', 'containerd-1.6.16', True),
    ('containerd', '1.6.22', 'containerd-1.6.22', True), ('containerd', '1.6.27', 'containerd-1.6.22', True),
    ('containerd', '1.6.28', 'containerd-1.6.28', True), ('containerd', '1.6.39', 'containerd-1.6.28', True),
    ('containerd', '1.6.40', 'containerd-1.6.28', False),
    ('containerd', '1.7.0', 'containerd-1.7', True), ('containerd', '1.7.2', 'containerd-1.7', True),
    ('containerd', '1.7.3', 'containerd-1.7.3', True), ('containerd', '1.7.12', 'containerd-1.7.3', True),
    ('containerd', '1.7.13', 'containerd-1.7.13', True), ('containerd', '1.7.24~ds1-6', 'containerd-1.7.13', True),
    ('containerd', '1.7.31', 'containerd-1.7.13', True), ('containerd', '1.7.32', 'containerd-1.7.32', True),
    ('containerd', '1.7.33', 'containerd-1.7.32', True), ('containerd', '1.7.40', 'containerd-1.7.32', False),
    ('containerd', '2.0.8', 'containerd-2.0', True), ('containerd', '2.0.9', 'containerd-2.0.9', True),
    ('containerd', '2.0.12', 'containerd-2.0.9', False), ('containerd', '2.2.3', 'containerd-2.2', True),
    ('containerd', '2.2.4', 'containerd-2.2.4', True), ('containerd', '2.3.1', 'containerd-2.3.1', True),
    ('docker', '29.4.1', 'docker-29', True), ('docker', '29.4.2', 'docker-29.4.2', True),
    ('docker', '29.4.3', 'docker-29.4.3', True), ('docker', '29.7.2', 'docker-29.4.3', True),
    ('docker', '20.10.0', 'docker-20.10.0', True), ('docker', '20.10.3', 'docker-20.10.0', True),
    ('docker', '20.10.4', 'docker-20.10.4', True), ('docker', '20.10.9', 'docker-20.10.4', True),
    ('docker', '20.10.10', 'docker-20.10.10', True), ('docker', '20.10.17', 'docker-20.10.10', True),
    ('docker', '20.10.18', 'docker-20.10.18', True), ('docker', '20.10.21', 'docker-20.10.18', True),
    ('docker', '20.10.22', 'docker-20.10.22', True), ('docker', '20.10.23', 'docker-20.10', True),
    ('docker', '20.10.24+dfsg1', 'docker-20.10', True), ('docker', '20.10.25', 'docker-20.10', True),
    ('docker', '23.0.0', 'docker-23', True), ('docker', '23.0.6', 'docker-23', True),
    ('docker', '23.0.7', 'docker-23.0.7', True), ('docker', '23.0.9', 'docker-23.0.7', True),
    ('docker', '23.0.10', 'docker-23.0.10', True), ('docker', '23.0.18', 'docker-23.0.10', True),
    ('docker', '24.0.0', 'docker-24', True), ('docker', '24.0.2', 'docker-24', True),
    ('docker', '24.0.3', 'docker-24.0.3', True), ('docker', '24.0.9', 'docker-24.0.3', True),
    ('docker', '24.0.10', 'docker-24.0.3', False), ('docker', '25.0.0', 'docker-25', True),
    ('docker', '25.0.2', 'docker-25', True), ('docker', '25.0.3', 'docker-25.0.3', True),
    ('docker', '25.0.17', 'docker-25.0.3', True), ('docker', '25.0.18', 'docker-25.0.3', False),
    ('docker', '20.10.26', 'docker-20.10.26', True), ('docker', '20.10.27', 'docker-20.10.26', True),
    ('docker', '26.1.5', 'docker-26', True), ('docker', '26.1.6', 'docker-26', False),
    ('docker', '27.0.1', 'docker-27', True), ('docker', '27.5.1', 'docker-27', True),
    ('docker', '28.0.0', 'docker-28', True), ('docker', '28.1.1', 'docker-28', True),
    ('docker', '28.1.2', 'docker-28', False), ('docker', '28.2.0', 'docker-28.2', True),
    ('docker', '28.5.2+dfsg1', 'docker-28.2', True), ('docker', '28.5.3', 'docker-28.2', False),
])
def test_the_version_is_matched_at_patch_level(runtime, version, name, listed):
    chosen, note = defaults.for_version(runtime, version)
    assert chosen == name and (note is None) == listed
    if not listed:
        assert note == '%s %s is not listed; following %s, the nearest earlier listed default' % (
            defaults.RUNTIME_LABEL[runtime], version, name)


def test_the_module_documents_every_name_as_a_choice():
    doc = yaml.safe_load(seccomp_profile.DOCUMENTATION)['options']['runtime_default']
    assert doc['choices'] == list(defaults.CHOICES)
    text = ' '.join(doc['description'])
    assert all('V(%s)' % name in text for name in defaults.NAMES)


def test_every_name_s_range_starts_after_the_previous_one_ends():
    for runtime in ('docker', 'containerd'):
        ranges = sorted(v[1] for v in defaults.DEFAULTS.values() if v[0] == runtime)
        assert all(first <= last for first, last in ranges)
        assert all(prev[1] < nxt[0] for prev, nxt in zip(ranges, ranges[1:]))


def test_a_pinned_name_wins_over_the_facts_and_an_unknown_one_is_refused():
    host = dict(HOST, runtime_default='docker-29', targets=['docker'], runtimes={'docker': '20.10.24'})
    info = spec_mod.build_profile({'preset': 'runtime-default'}, host)[1]
    assert info['runtime_default'] == {'name': 'docker-29', 'runtime': 'docker', 'version': '20.10.24',
                                       'how': 'pinned', 'note': None}
    assert spec_mod.build_profile({'preset': 'hardened'}, host)[1]['runtime_default'] is None
    with pytest.raises(SpecError, match=r"^runtime_default: unknown runtime default 'docker-99'"):
        spec_mod.build_profile({'preset': 'runtime-default'}, dict(host, runtime_default='docker-99'))


def test_auto_through_base_follows_the_facts():
    host = dict(HOST, runtime_default='auto', targets=['docker'], runtimes={'docker': '26.1.5'})
    prof, info = spec_mod.build_profile({'base': {'preset': 'runtime-default'}, 'syscalls': []}, host)
    assert info['runtime_default']['name'] == 'docker-26' and not IO_URING & allowed(prof)


def test_apply_ops_refuses_a_drop_that_matches_nothing():
    with pytest.raises(ValueError, match='cannot drop io_uring_setup'):
        defaults.apply_ops(defaults.groups('docker-25'), [('drop', {}, ('io_uring_setup',))])
    with pytest.raises(ValueError, match='unknown gate keys bogus'):
        defaults.apply_ops([], [('add', {'bogus': 1}, ('read',))])


def test_groups_are_copies():
    defaults.groups('docker-26')[0]['names'].append('bogus')
    assert 'bogus' not in defaults.groups('docker-26')[0]['names']


@pytest.mark.parametrize('text,parsed', [('26.1.5+dfsg1', (26, 1, 5)), ('v1.7.24', (1, 7, 24)), ('5.4', (5, 4, 0)),
                                         ('x', None), (None, None)])
def test_parse_version(text, parsed):
    assert defaults.parse_version(text) == parsed
