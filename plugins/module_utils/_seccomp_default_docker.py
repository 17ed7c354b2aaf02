# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker's (moby) default seccomp profile, as deltas: each entry of ``DELTAS`` is what changed
from the name it extends (SERIES); ``docker-20.10`` is _seccomp_docker_default, moby v20.10.24.

Facts copied from upstream (syscall names, gates, values), each name read at the tag in SERIES in
github.com/moby/moby, file profiles/seccomp/default.json (from 28.4 the copy vendored from
github.com/moby/profiles, vendor/github.com/moby/profiles/seccomp/default.json).  A name stands
for its first release up to the next name; a patch-level name is where a patch release changed
the file (``git log vX.Y.0..vX.Y.N -- profiles/seccomp/``).  Every release tag from v20.10.0 to
docker-v29.7.2 was read against the name it follows: its file is the same blob as at that name's
tag, and the name's groups equal it.  default_linux.go, the daemon's compiled-in copy, changed
with the file each time (28.1.0 changed only its package line; from 28.4 it is vendored too):
  docker-20.10.0   20.10.0-20.10.3, v20.10.3: no close_range, epoll_pwait2; the new mount API
                   (fsopen, fsconfig, fsmount, fspick, move_mount, open_tree) not even with
                   CAP_SYS_ADMIN; no process_madvise with CAP_SYS_PTRACE
  docker-20.10.4   20.10.4-20.10.9, v20.10.9: those added; no clone3 rule (clone3 gets the
                   default EPERM, with CAP_SYS_ADMIN too)
  docker-20.10.10  20.10.10-20.10.17, v20.10.17: clone3 with CAP_SYS_ADMIN, ENOSYS without
  docker-20.10.18  20.10.18-20.10.21, v20.10.21: futex_waitv, landlock_*, memfd_secret,
                   process_mrelease; mount_setattr, quotactl_fd with CAP_SYS_ADMIN; the same file
                   as v20.10.24 (an empty delta)
  docker-20.10.22  20.10.22, v20.10.22: AF_VSOCK blocked (socket with domain != 40)
  docker-20.10     20.10.23-20.10.25, v20.10.24 (Debian 12's docker.io): 20.10.23 reverted the
                   AF_VSOCK block; the name keeps the plain series (the fallback) for this range
  docker-20.10.26  20.10.26-20.10.27, v20.10.27: name_to_handle_at without CAP_SYS_ADMIN
  docker-23        23.0.0-23.0.6, v23.0.6: from 20.10.24, AF_VSOCK blocked, pkey_*, bpf with
                   CAP_BPF, perf_event_open with CAP_PERFMON, clock_settime64 with CAP_SYS_TIME,
                   swapcontext on ppc64le, riscv_flush_icache on riscv64, process_vm_* on kernel
                   >= 4.8, defaultErrnoRet 1; name_to_handle_at still needs CAP_SYS_ADMIN
  docker-23.0.7    23.0.7-23.0.9, v23.0.9: name_to_handle_at without CAP_SYS_ADMIN
  docker-23.0.10   23.0.10-23.0.18, v23.0.18: cachestat, fchmodat2, futex_wake/wait/requeue,
                   map_shadow_stack; set_mempolicy_home_node with CAP_SYS_NICE
  docker-24        24.0.0-24.0.2, v24.0.2: 23.0.6's file (an empty delta): name_to_handle_at
                   still needs CAP_SYS_ADMIN
  docker-24.0.3    24.0.3-24.0.9, v24.0.9: 23.0.9's file (an empty delta from docker-23.0.7):
                   name_to_handle_at without CAP_SYS_ADMIN; no 24.0 has the 23.0.10 additions
  docker-25        25.0.0-25.0.2, v25.0.2: 23.0.9's file without io_uring_*
  docker-25.0.3    25.0.3-25.0.17, v25.0.17: the 23.0.10 additions (backported)
  docker-26        26.0.0-26.1.5, v26.1.5: 25.0.17's file (an empty delta)
  docker-27        27.0.0-27.5.1, v27.5.1: 26.1.5's file (an empty delta; 27.0.0 was not
                   released, the first tag is v27.0.1)
  docker-28        28.0.0-28.1.1, v28.1.1: 26.1.5's file still (an empty delta)
  docker-28.2      28.2.0-28.5.2, v28.5.2: + listmount, statmount, mseal, uretprobe, *xattrat,
                   riscv_hwprobe; lsm_* with CAP_SYS_ADMIN
  docker-29        29.0.0-29.4.1, docker-v29.4.1: 28.5.2's profile (an empty delta)
  docker-29.4.2    29.4.2, docker-v29.4.2: AF_ALG blocked too (socket allowed for domain < 38,
                   == 39, > 40); socketcall answered with ENOSYS
  docker-29.4.3    29.4.3-29.7.2, docker-v29.7.2: AF_ALG blocked; socketcall allowed again
Each entry is ``(op, gate, names)``: ``op`` 'add' or 'drop', ``gate`` the group's keys that are
not the defaults (``action`` SCMP_ACT_ALLOW, ``errno``, ``args`` as (index, value, value_two, op),
``caps`` / ``not_caps`` (includes / excludes caps), ``arches`` / ``not_arches`` (native SCMP
arch), ``kernel`` (minKernel)); _seccomp_defaults applies them.
The archMap is not versioned here: it gains riscv64 (23) and loong64 (29.4.2), both without
sub-architectures.  Nor is the daemon's own arch table (profiles/seccomp/seccomp_linux.go): it
maps riscv64 only from 23.0.16, 25.0.7 and 27.3.0 (moby issue 48454, a bug fix backported to
23.0, 25.0, 26.1 and 27.x), so on a riscv64 host 23.0.0-23.0.15, 24.x, 25.0.0-25.0.6, 26.x and
27.0-27.2 load the profile without architectures and without the riscv64 rule
(riscv_flush_icache denied).  The names here follow the file: they allow riscv_flush_icache on
riscv64 from docker-23 on.  That loader bug is documented, not encoded: it is no change of the
default, builds that carry the fix would be misdescribed, and the one call it denies is
riscv64's instruction-cache flush, which JITs need.
"""

# socket for every domain but AF_ALG (38) and AF_VSOCK (40), in place of the AF_VSOCK rule
AF_ALG = (
    ('add', {'args': ((0, 38, 0, 'SCMP_CMP_LT'),)}, ('socket',)),
    ('add', {'args': ((0, 39, 0, 'SCMP_CMP_EQ'),)}, ('socket',)),
    ('add', {'args': ((0, 40, 0, 'SCMP_CMP_GT'),)}, ('socket',)),
    ('drop', {'args': ((0, 40, 0, 'SCMP_CMP_NE'),)}, ('socket',)),
)
# name -> (first version, last version read to be the same, the name it extends, tag read);
# docker-20.10 itself (20.10.23-20.10.25, v20.10.24) is _seccomp_docker_default
SERIES = {
    'docker-20.10.0': ((20, 10, 0), (20, 10, 3), 'docker-20.10.4', 'v20.10.3'),
    'docker-20.10.4': ((20, 10, 4), (20, 10, 9), 'docker-20.10.10', 'v20.10.9'),
    'docker-20.10.10': ((20, 10, 10), (20, 10, 17), 'docker-20.10', 'v20.10.17'),
    'docker-20.10.18': ((20, 10, 18), (20, 10, 21), 'docker-20.10', 'v20.10.21'),
    'docker-20.10.22': ((20, 10, 22), (20, 10, 22), 'docker-20.10', 'v20.10.22'),
    'docker-20.10.26': ((20, 10, 26), (20, 10, 27), 'docker-20.10', 'v20.10.27'),
    'docker-23': ((23, 0, 0), (23, 0, 6), 'docker-20.10', 'v23.0.6'),
    'docker-23.0.7': ((23, 0, 7), (23, 0, 9), 'docker-23', 'v23.0.9'),
    'docker-23.0.10': ((23, 0, 10), (23, 0, 18), 'docker-23.0.7', 'v23.0.18'),
    'docker-24': ((24, 0, 0), (24, 0, 2), 'docker-23', 'v24.0.2'),
    'docker-24.0.3': ((24, 0, 3), (24, 0, 9), 'docker-23.0.7', 'v24.0.9'),
    'docker-25': ((25, 0, 0), (25, 0, 2), 'docker-23.0.7', 'v25.0.2'),
    'docker-25.0.3': ((25, 0, 3), (25, 0, 17), 'docker-25', 'v25.0.17'),
    'docker-26': ((26, 0, 0), (26, 1, 5), 'docker-25.0.3', 'v26.1.5'),
    'docker-27': ((27, 0, 0), (27, 5, 1), 'docker-26', 'v27.5.1'),
    'docker-28': ((28, 0, 0), (28, 1, 1), 'docker-27', 'v28.1.1'),
    'docker-28.2': ((28, 2, 0), (28, 5, 2), 'docker-28', 'v28.5.2'),
    'docker-29': ((29, 0, 0), (29, 4, 1), 'docker-28.2', 'docker-v29.4.1'),
    'docker-29.4.2': ((29, 4, 2), (29, 4, 2), 'docker-29', 'docker-v29.4.2'),
    'docker-29.4.3': ((29, 4, 3), (29, 7, 2), 'docker-29', 'docker-v29.7.2'),
}
# the calls of kernels 5.17-6.7 that 23.0.10 and 25.0.3 backported (26.0 had them from 26.0.0)
KERNEL_6_7 = (
    ('add', {}, ('cachestat', 'fchmodat2', 'futex_requeue', 'futex_wait', 'futex_wake', 'map_shadow_stack')),
    ('add', {'caps': ('CAP_SYS_NICE',)}, ('set_mempolicy_home_node',)),
)
# name_to_handle_at out of the CAP_SYS_ADMIN group, allowed unconditionally
NAME_TO_HANDLE_AT = (
    ('drop', {'caps': ('CAP_SYS_ADMIN',)}, ('name_to_handle_at',)),
    ('add', {}, ('name_to_handle_at',)),
)
DELTAS = {
    # docker-20.10.0: moby/moby v20.10.3 (from 20.10.4's file: no close_range, epoll_pwait2, no
    # new mount API with CAP_SYS_ADMIN, no process_madvise with CAP_SYS_PTRACE)
    'docker-20.10.0': (
        ('drop', {}, ('close_range', 'epoll_pwait2')),
        ('drop', {'caps': ('CAP_SYS_ADMIN',)}, ('fsconfig', 'fsmount', 'fsopen', 'fspick', 'move_mount', 'open_tree')),
        ('drop', {'caps': ('CAP_SYS_PTRACE',)}, ('process_madvise',)),
    ),
    # docker-20.10.4: moby/moby v20.10.9 (from 20.10.10's file: no clone3 rule at all, so clone3
    # gets the default EPERM, and the CAP_SYS_ADMIN group without it)
    'docker-20.10.4': (
        ('drop', {'caps': ('CAP_SYS_ADMIN',)}, ('clone3',)),
        ('drop', {'action': 'SCMP_ACT_ERRNO', 'errno': 38, 'not_caps': ('CAP_SYS_ADMIN',)}, ('clone3',)),
    ),
    # docker-20.10.10: moby/moby v20.10.17 (from 20.10.24's file: without the 5.12-5.16 calls
    # that 20.10.18 added)
    'docker-20.10.10': (
        ('drop', {}, ('futex_waitv', 'landlock_add_rule', 'landlock_create_ruleset', 'landlock_restrict_self',
                      'memfd_secret', 'process_mrelease')),
        ('drop', {'caps': ('CAP_SYS_ADMIN',)}, ('mount_setattr', 'quotactl_fd')),
    ),
    # docker-20.10.18: moby/moby v20.10.21, the same file as v20.10.24
    'docker-20.10.18': (
    ),
    # docker-20.10.22: moby/moby v20.10.22 (AF_VSOCK blocked; 20.10.23 reverted it)
    'docker-20.10.22': (
        ('drop', {}, ('socket',)),
        ('add', {'args': ((0, 40, 0, 'SCMP_CMP_NE'),)}, ('socket',)),
    ),
    # docker-20.10.26: moby/moby v20.10.27, profiles/seccomp/default.json
    'docker-20.10.26': NAME_TO_HANDLE_AT,
    # docker-23: moby/moby v23.0.6, profiles/seccomp/default.json (from 20.10.24's file)
    'docker-23': (
        ('add', {'args': ((0, 40, 0, 'SCMP_CMP_NE'),)}, ('socket',)),
        ('add', {'caps': ('CAP_BPF',)}, ('bpf',)),
        ('add', {'caps': ('CAP_PERFMON',)}, ('perf_event_open',)),
        ('add', {'caps': ('CAP_SYS_TIME',)}, ('clock_settime64',)),
        ('add', {'arches': ('SCMP_ARCH_PPC64LE',)}, ('swapcontext',)),
        ('add', {'arches': ('SCMP_ARCH_RISCV64',)}, ('riscv_flush_icache',)),
        ('add', {'kernel': '4.8'}, ('process_vm_readv', 'process_vm_writev')),
        ('drop', {}, ('socket',)),
        ('add', {}, ('pkey_alloc', 'pkey_free', 'pkey_mprotect')),
    ),
    # docker-23.0.7: moby/moby v23.0.9, profiles/seccomp/default.json
    'docker-23.0.7': NAME_TO_HANDLE_AT,
    # docker-23.0.10: moby/moby v23.0.18, profiles/seccomp/default.json
    'docker-23.0.10': KERNEL_6_7,
    # docker-24: moby/moby v24.0.2, profiles/seccomp/default.json (the same file as v23.0.6)
    'docker-24': (
    ),
    # docker-24.0.3: moby/moby v24.0.9, profiles/seccomp/default.json (the same file as v23.0.9)
    'docker-24.0.3': (
    ),
    # docker-25: moby/moby v25.0.2, profiles/seccomp/default.json (from 23.0.9's file)
    'docker-25': (
        ('drop', {}, ('io_uring_enter', 'io_uring_register', 'io_uring_setup')),
    ),
    # docker-25.0.3: moby/moby v25.0.17, profiles/seccomp/default.json
    'docker-25.0.3': KERNEL_6_7,
    # docker-26: moby/moby v26.1.5, profiles/seccomp/default.json
    'docker-26': (
    ),
    # docker-27: moby/moby v27.5.1, profiles/seccomp/default.json (the same file as v26.1.5)
    'docker-27': (
    ),
    # docker-28: moby/moby v28.1.1, profiles/seccomp/default.json (the same file as v26.1.5)
    'docker-28': (
    ),
    # docker-28.2: moby/moby v28.5.2, vendor/github.com/moby/profiles/seccomp/default.json
    'docker-28.2': (
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
