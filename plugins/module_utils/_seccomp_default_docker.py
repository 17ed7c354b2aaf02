# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker's (moby) default seccomp profile after 20.10, as deltas: each entry of ``DELTAS`` is
what changed from the previous name (``docker-20.10`` is _seccomp_docker_default, moby v20.10.24).

Facts copied from upstream (syscall names, gates, values), each version read at its last patch
tag in github.com/moby/moby, file profiles/seccomp/default.json (from 28.5 the copy vendored from
github.com/moby/profiles, vendor/github.com/moby/profiles/seccomp/default.json):
  docker-20.10.26  v20.10.27        docker-23  v23.0.18        docker-25  v25.0.17
  docker-26        v26.1.5          docker-28  v28.5.2         docker-29  docker-v29.4.1
  docker-29.4.2    docker-v29.4.2   docker-29.4.3  docker-v29.7.2
Patch-level names are where a patch release changed the file (``git log`` of it between the
series' tags): 20.10.26, 29.4.2 and 29.4.3.
Each entry is ``(op, gate, names)``: ``op`` 'add' or 'drop', ``gate`` the group's keys that are
not the defaults (``action`` SCMP_ACT_ALLOW, ``errno``, ``args`` as (index, value, value_two, op),
``caps`` / ``not_caps`` (includes / excludes caps), ``arches`` / ``not_arches`` (native SCMP
arch), ``kernel`` (minKernel)); _seccomp_defaults applies them.
Found in the files (docs/seccomp-presets.md lists them for users):
  * 20.10.26 (docker-20.10.26; 20.10.25's file is 20.10.24's) and 23 moved name_to_handle_at out
    of the CAP_SYS_ADMIN group; docker-20.10 keeps 20.10.24 (Debian 12's docker.io), where it
    still needs CAP_SYS_ADMIN.  20.10.0-20.10.23 differ too (clone3, landlock, the 5.12-5.16
    calls, AF_VSOCK blocked in 20.10.22 only), not split here.
  * 23.0.18 already carries cachestat, fchmodat2, futex_wake/wait/requeue and map_shadow_stack
    (backported; 26.0 had them from its first release, 25.0 from a patch release).
  * 25.0.17 and 26.0.0 to 26.1.5 are one profile (docker-26 has an empty delta).
  * 28.2.0 to 28.5.2 are one profile; 28.0 and 28.1 lack the 28.2 additions.
  * 29.0.0 to 29.4.1 are 28.5.2's profile (docker-29 has an empty delta).
  * AF_ALG: socket allowed for domain < 38, == 39, > 40 from 29.4.2 (docker-29.4.2), which also
    answers socketcall with ENOSYS; 29.4.3 to 29.7.2 allow socketcall again (docker-29.4.3).
  * archMap gains riscv64 (23) and loong64 (29.4.2), both without sub-architectures (the archMap
    is not versioned here).
"""

# socket for every domain but AF_ALG (38) and AF_VSOCK (40), in place of the AF_VSOCK rule
AF_ALG = (
    ('add', {'args': ((0, 38, 0, 'SCMP_CMP_LT'),)}, ('socket',)),
    ('add', {'args': ((0, 39, 0, 'SCMP_CMP_EQ'),)}, ('socket',)),
    ('add', {'args': ((0, 40, 0, 'SCMP_CMP_GT'),)}, ('socket',)),
    ('drop', {'args': ((0, 40, 0, 'SCMP_CMP_NE'),)}, ('socket',)),
)
DELTAS = {
    # docker-20.10.26: moby/moby v20.10.27, profiles/seccomp/default.json
    'docker-20.10.26': (
        ('drop', {'caps': ('CAP_SYS_ADMIN',)}, ('name_to_handle_at',)),
        ('add', {}, ('name_to_handle_at',)),
    ),
    # docker-23: moby/moby v23.0.18, profiles/seccomp/default.json
    'docker-23': (
        ('add', {'args': ((0, 40, 0, 'SCMP_CMP_NE'),)}, ('socket',)),
        ('add', {'caps': ('CAP_BPF',)}, ('bpf',)),
        ('add', {'caps': ('CAP_PERFMON',)}, ('perf_event_open',)),
        ('drop', {'caps': ('CAP_SYS_ADMIN',)}, ('name_to_handle_at',)),
        ('add', {'caps': ('CAP_SYS_NICE',)}, ('set_mempolicy_home_node',)),
        ('add', {'caps': ('CAP_SYS_TIME',)}, ('clock_settime64',)),
        ('add', {'arches': ('SCMP_ARCH_PPC64LE',)}, ('swapcontext',)),
        ('add', {'arches': ('SCMP_ARCH_RISCV64',)}, ('riscv_flush_icache',)),
        ('add', {'kernel': '4.8'}, ('process_vm_readv', 'process_vm_writev')),
        ('drop', {}, ('socket',)),
        ('add', {}, (
            'cachestat', 'fchmodat2', 'futex_requeue', 'futex_wait', 'futex_wake',
            'map_shadow_stack', 'name_to_handle_at', 'pkey_alloc', 'pkey_free', 'pkey_mprotect',
        )),
    ),
    # docker-25: moby/moby v25.0.17, profiles/seccomp/default.json
    'docker-25': (
        ('drop', {}, ('io_uring_enter', 'io_uring_register', 'io_uring_setup')),
    ),
    # docker-26: moby/moby v26.1.5, profiles/seccomp/default.json
    'docker-26': (
    ),
    # docker-28: moby/moby v28.5.2, vendor/github.com/moby/profiles/seccomp/default.json
    'docker-28': (
        ('add', {'caps': ('CAP_SYS_ADMIN',)}, ('lsm_get_self_attr', 'lsm_list_modules', 'lsm_set_self_attr')),
        ('add', {}, (
            'getxattrat', 'listmount', 'listxattrat', 'mseal', 'removexattrat', 'riscv_hwprobe',
            'setxattrat', 'statmount', 'uretprobe',
        )),
    ),
    # docker-29: moby/moby docker-v29.4.1, vendor/github.com/moby/profiles/seccomp/default.json
    'docker-29': (
    ),
    # docker-29.4.2: moby/moby docker-v29.4.2, vendor/github.com/moby/profiles/seccomp/default.json
    'docker-29.4.2': (
        ('drop', {}, ('socketcall',)),
        ('add', {'action': 'SCMP_ACT_ERRNO', 'errno': 38}, ('socketcall',)),
    ) + AF_ALG,
    # docker-29.4.3: moby/moby docker-v29.7.2, vendor/github.com/moby/profiles/seccomp/default.json
    'docker-29.4.3': AF_ALG,
}
