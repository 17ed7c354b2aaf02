# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""containerd's default seccomp profile (``ctr run --seccomp`` and the CRI's runtime/default
without a profile file), as a base and deltas.

containerd builds it in Go (contrib/seccomp/seccomp_default.go, DefaultProfile): one
unconditional allow list, kernel >= 4.8 additions, a switch on the daemon's GOARCH (the native
arch), one block per capability in the bounding set, and, without CAP_SYS_ADMIN, clone without
namespace flags and clone3 -> ENOSYS.  That logic is written here as the same groups and gates
as Docker's data (see _seccomp_default_docker: ``(op, gate, names)``).  No defaultErrnoRet: the
runtime returns EPERM.  Container capabilities: oci/spec.go defaultUnixCaps, the same 14 as
Docker's.

Facts copied from github.com/containerd/containerd, contrib/seccomp/seccomp_default.go, each
name read at the tag in SERIES; ``git log vX.Y.0..vX.Y.N -- contrib/seccomp/seccomp_default.go``
gives the commits that changed it, ``git tag --contains`` the first patch release with each, and
each of those releases has its own name (v1.6.x: 1.6.7, 1.6.9, 1.6.16, 1.6.22, 1.6.28).  Every
release tag from v1.6.0 to v2.3.4 was read against the name it follows: its file is the same
blob as at that name's tag, and the name's groups equal it:
  containerd-1.6     1.6.0-1.6.6, v1.6.6 (BASE, the file as 1.6.0 shipped it): io_uring and every
                     socket allowed; ptrace only with CAP_SYS_PTRACE; name_to_handle_at needs
                     CAP_SYS_ADMIN; no pkey_*, no CAP_SYS_NICE, CAP_BPF or CAP_PERFMON blocks
  containerd-1.6.7   1.6.7-1.6.8, v1.6.8: ptrace allowed on kernel >= 4.8; clock_settime64 with
                     CAP_SYS_TIME; riscv64 (riscv_flush_icache on riscv64)
  containerd-1.6.9   1.6.9-1.6.15, v1.6.15: bpf with CAP_BPF, perf_event_open with CAP_PERFMON
  containerd-1.6.16  1.6.16-1.6.21, v1.6.20 (Debian 12): pkey_alloc, pkey_free, pkey_mprotect;
                     get_mempolicy, mbind, set_mempolicy with CAP_SYS_NICE
  containerd-1.6.22  1.6.22-1.6.27, v1.6.27: name_to_handle_at allowed unconditionally
  containerd-1.6.28  1.6.28-1.6.39, v1.6.39 ("kernel 6.7"): cachestat, fchmodat2, futex_*,
                     map_shadow_stack; set_mempolicy_home_node with CAP_SYS_NICE
  containerd-1.7     1.7.0-1.7.2, v1.7.2: socket allowed but AF_VSOCK; name_to_handle_at needs
                     CAP_SYS_ADMIN; io_uring allowed
  containerd-1.7.3   1.7.3-1.7.12, v1.7.12: name_to_handle_at allowed unconditionally
  containerd-1.7.13  1.7.13-1.7.31, v1.7.24 (Debian 13): cachestat, fchmodat2, futex_*,
                     map_shadow_stack; set_mempolicy_home_node with CAP_SYS_NICE
  containerd-1.7.32  1.7.32-1.7.34, v1.7.34: AF_ALG blocked too (three single-condition socket
                     rules: domain < 38, == 39, > 40)
  containerd-2.0     2.0.0-2.0.8, v2.0.8: the 1.7.13 list without io_uring_*
  containerd-2.0.9   2.0.9-2.0.11, v2.0.11: AF_ALG blocked
  containerd-2.1     2.1.0-2.1.9, v2.1.9: the 2.0.0 list (no AF_ALG block; loong64 arch only)
  containerd-2.2     2.2.0-2.2.3, v2.2.3: lsm_*, listmount, statmount, mseal, *xattrat,
                     uretprobe allowed unconditionally, riscv_hwprobe on riscv64
  containerd-2.2.4   2.2.4-2.2.7, v2.2.7: AF_ALG blocked
  containerd-2.3     2.3.0, v2.3.0: the 2.2.0 list (no AF_ALG block)
  containerd-2.3.1   2.3.1-2.3.4, v2.3.4: AF_ALG blocked
"""

BASE = (
    ('add', {}, (
        '_llseek', '_newselect', 'accept', 'accept4', 'access', 'adjtimex', 'alarm', 'bind', 'brk',
        'capget', 'capset', 'chdir', 'chmod', 'chown', 'chown32', 'clock_adjtime',
        'clock_adjtime64', 'clock_getres', 'clock_getres_time64', 'clock_gettime',
        'clock_gettime64', 'clock_nanosleep', 'clock_nanosleep_time64', 'close', 'close_range',
        'connect', 'copy_file_range', 'creat', 'dup', 'dup2', 'dup3', 'epoll_create',
        'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_pwait', 'epoll_pwait2', 'epoll_wait',
        'epoll_wait_old', 'eventfd', 'eventfd2', 'execve', 'execveat', 'exit', 'exit_group',
        'faccessat', 'faccessat2', 'fadvise64', 'fadvise64_64', 'fallocate', 'fanotify_mark',
        'fchdir', 'fchmod', 'fchmodat', 'fchown', 'fchown32', 'fchownat', 'fcntl', 'fcntl64',
        'fdatasync', 'fgetxattr', 'flistxattr', 'flock', 'fork', 'fremovexattr', 'fsetxattr',
        'fstat', 'fstat64', 'fstatat64', 'fstatfs', 'fstatfs64', 'fsync', 'ftruncate',
        'ftruncate64', 'futex', 'futex_time64', 'futex_waitv', 'futimesat', 'get_robust_list',
        'get_thread_area', 'getcpu', 'getcwd', 'getdents', 'getdents64', 'getegid', 'getegid32',
        'geteuid', 'geteuid32', 'getgid', 'getgid32', 'getgroups', 'getgroups32', 'getitimer',
        'getpeername', 'getpgid', 'getpgrp', 'getpid', 'getppid', 'getpriority', 'getrandom',
        'getresgid', 'getresgid32', 'getresuid', 'getresuid32', 'getrlimit', 'getrusage', 'getsid',
        'getsockname', 'getsockopt', 'gettid', 'gettimeofday', 'getuid', 'getuid32', 'getxattr',
        'inotify_add_watch', 'inotify_init', 'inotify_init1', 'inotify_rm_watch', 'io_cancel',
        'io_destroy', 'io_getevents', 'io_pgetevents', 'io_pgetevents_time64', 'io_setup',
        'io_submit', 'io_uring_enter', 'io_uring_register', 'io_uring_setup', 'ioctl',
        'ioprio_get', 'ioprio_set', 'ipc', 'kill', 'landlock_add_rule', 'landlock_create_ruleset',
        'landlock_restrict_self', 'lchown', 'lchown32', 'lgetxattr', 'link', 'linkat', 'listen',
        'listxattr', 'llistxattr', 'lremovexattr', 'lseek', 'lsetxattr', 'lstat', 'lstat64',
        'madvise', 'membarrier', 'memfd_create', 'memfd_secret', 'mincore', 'mkdir', 'mkdirat',
        'mknod', 'mknodat', 'mlock', 'mlock2', 'mlockall', 'mmap', 'mmap2', 'mprotect',
        'mq_getsetattr', 'mq_notify', 'mq_open', 'mq_timedreceive', 'mq_timedreceive_time64',
        'mq_timedsend', 'mq_timedsend_time64', 'mq_unlink', 'mremap', 'msgctl', 'msgget', 'msgrcv',
        'msgsnd', 'msync', 'munlock', 'munlockall', 'munmap', 'nanosleep', 'newfstatat', 'open',
        'openat', 'openat2', 'pause', 'pidfd_open', 'pidfd_send_signal', 'pipe', 'pipe2', 'poll',
        'ppoll', 'ppoll_time64', 'prctl', 'pread64', 'preadv', 'preadv2', 'prlimit64',
        'process_mrelease', 'pselect6', 'pselect6_time64', 'pwrite64', 'pwritev', 'pwritev2',
        'read', 'readahead', 'readlink', 'readlinkat', 'readv', 'recv', 'recvfrom', 'recvmmsg',
        'recvmmsg_time64', 'recvmsg', 'remap_file_pages', 'removexattr', 'rename', 'renameat',
        'renameat2', 'restart_syscall', 'rmdir', 'rseq', 'rt_sigaction', 'rt_sigpending',
        'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_sigreturn', 'rt_sigsuspend', 'rt_sigtimedwait',
        'rt_sigtimedwait_time64', 'rt_tgsigqueueinfo', 'sched_get_priority_max',
        'sched_get_priority_min', 'sched_getaffinity', 'sched_getattr', 'sched_getparam',
        'sched_getscheduler', 'sched_rr_get_interval', 'sched_rr_get_interval_time64',
        'sched_setaffinity', 'sched_setattr', 'sched_setparam', 'sched_setscheduler',
        'sched_yield', 'seccomp', 'select', 'semctl', 'semget', 'semop', 'semtimedop',
        'semtimedop_time64', 'send', 'sendfile', 'sendfile64', 'sendmmsg', 'sendmsg', 'sendto',
        'set_robust_list', 'set_thread_area', 'set_tid_address', 'setfsgid', 'setfsgid32',
        'setfsuid', 'setfsuid32', 'setgid', 'setgid32', 'setgroups', 'setgroups32', 'setitimer',
        'setpgid', 'setpriority', 'setregid', 'setregid32', 'setresgid', 'setresgid32',
        'setresuid', 'setresuid32', 'setreuid', 'setreuid32', 'setrlimit', 'setsid', 'setsockopt',
        'setuid', 'setuid32', 'setxattr', 'shmat', 'shmctl', 'shmdt', 'shmget', 'shutdown',
        'sigaltstack', 'signalfd', 'signalfd4', 'sigprocmask', 'sigreturn', 'socket', 'socketcall',
        'socketpair', 'splice', 'stat', 'stat64', 'statfs', 'statfs64', 'statx', 'symlink',
        'symlinkat', 'sync', 'sync_file_range', 'syncfs', 'sysinfo', 'tee', 'tgkill', 'time',
        'timer_create', 'timer_delete', 'timer_getoverrun', 'timer_gettime', 'timer_gettime64',
        'timer_settime', 'timer_settime64', 'timerfd_create', 'timerfd_gettime',
        'timerfd_gettime64', 'timerfd_settime', 'timerfd_settime64', 'times', 'tkill', 'truncate',
        'truncate64', 'ugetrlimit', 'umask', 'uname', 'unlink', 'unlinkat', 'utime', 'utimensat',
        'utimensat_time64', 'utimes', 'vfork', 'vmsplice', 'wait4', 'waitid', 'waitpid', 'write',
        'writev',
    )),
    ('add', {'args': ((0, 0, 0, 'SCMP_CMP_EQ'),)}, ('personality',)),
    ('add', {'args': ((0, 8, 0, 'SCMP_CMP_EQ'),)}, ('personality',)),
    ('add', {'args': ((0, 0x20000, 0, 'SCMP_CMP_EQ'),)}, ('personality',)),
    ('add', {'args': ((0, 0x20008, 0, 'SCMP_CMP_EQ'),)}, ('personality',)),
    ('add', {'args': ((0, 0xffffffff, 0, 'SCMP_CMP_EQ'),)}, ('personality',)),
    ('add', {'arches': ('SCMP_ARCH_PPC64LE',)}, ('swapcontext', 'sync_file_range2')),
    ('add', {'arches': ('SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64',)}, (
        'arm_fadvise64_64', 'arm_sync_file_range', 'breakpoint', 'cacheflush', 'set_tls',
        'sync_file_range2',
    )),
    ('add', {'arches': ('SCMP_ARCH_X86_64',)}, ('arch_prctl', 'modify_ldt')),
    ('add', {'arches': ('SCMP_ARCH_X86',)}, ('modify_ldt',)),
    ('add', {'arches': ('SCMP_ARCH_S390', 'SCMP_ARCH_S390X',)}, (
        's390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr',
    )),
    ('add', {'caps': ('CAP_DAC_READ_SEARCH',)}, ('open_by_handle_at',)),
    ('add', {'caps': ('CAP_SYS_ADMIN',)}, (
        'bpf', 'clone', 'clone3', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick',
        'lookup_dcookie', 'mount', 'mount_setattr', 'move_mount', 'name_to_handle_at', 'open_tree',
        'perf_event_open', 'quotactl', 'quotactl_fd', 'setdomainname', 'sethostname', 'setns',
        'syslog', 'umount', 'umount2', 'unshare',
    )),
    ('add', {'caps': ('CAP_SYS_BOOT',)}, ('reboot',)),
    ('add', {'caps': ('CAP_SYS_CHROOT',)}, ('chroot',)),
    ('add', {'caps': ('CAP_SYS_MODULE',)}, ('delete_module', 'finit_module', 'init_module')),
    ('add', {'caps': ('CAP_SYS_PACCT',)}, ('acct',)),
    ('add', {'caps': ('CAP_SYS_PTRACE',)}, (
        'kcmp', 'pidfd_getfd', 'process_madvise', 'process_vm_readv', 'process_vm_writev', 'ptrace',
    )),
    ('add', {'caps': ('CAP_SYS_RAWIO',)}, ('ioperm', 'iopl')),
    ('add', {'caps': ('CAP_SYS_TIME',)}, ('clock_settime', 'settimeofday', 'stime')),
    ('add', {'caps': ('CAP_SYS_TTY_CONFIG',)}, ('vhangup',)),
    ('add', {'caps': ('CAP_SYSLOG',)}, ('syslog',)),
    ('add', {'args': ((1, 0x7e020000, 0, 'SCMP_CMP_MASKED_EQ'),), 'not_caps': ('CAP_SYS_ADMIN',), 'arches': ('SCMP_ARCH_S390', 'SCMP_ARCH_S390X',)}, (
        'clone',
    )),
    ('add', {'args': ((0, 0x7e020000, 0, 'SCMP_CMP_MASKED_EQ'),), 'not_caps': ('CAP_SYS_ADMIN',), 'not_arches': ('SCMP_ARCH_S390', 'SCMP_ARCH_S390X',)}, (
        'clone',
    )),
    ('add', {'action': 'SCMP_ACT_ERRNO', 'errno': 38, 'not_caps': ('CAP_SYS_ADMIN',)}, ('clone3',)),
)
KERNEL_6_7 = ('cachestat', 'fchmodat2', 'futex_requeue', 'futex_wait', 'futex_wake', 'map_shadow_stack')
AF_VSOCK = (
    ('add', {'args': ((0, 40, 0, 'SCMP_CMP_NE'),)}, ('socket',)),
)
# socket for every domain but AF_ALG (38) and AF_VSOCK (40), in place of the AF_VSOCK rule
AF_ALG = (
    ('drop', {'args': ((0, 40, 0, 'SCMP_CMP_NE'),)}, ('socket',)),
    ('add', {'args': ((0, 38, 0, 'SCMP_CMP_LT'),)}, ('socket',)),
    ('add', {'args': ((0, 39, 0, 'SCMP_CMP_EQ'),)}, ('socket',)),
    ('add', {'args': ((0, 40, 0, 'SCMP_CMP_GT'),)}, ('socket',)),
)
# name -> (first version, last version read to be the same, the name it extends, tag read)
SERIES = {
    'containerd-1.6': ((1, 6, 0), (1, 6, 6), None, 'v1.6.6'),
    'containerd-1.6.7': ((1, 6, 7), (1, 6, 8), 'containerd-1.6', 'v1.6.8'),
    'containerd-1.6.9': ((1, 6, 9), (1, 6, 15), 'containerd-1.6.7', 'v1.6.15'),
    'containerd-1.6.16': ((1, 6, 16), (1, 6, 21), 'containerd-1.6.9', 'v1.6.20'),
    'containerd-1.6.22': ((1, 6, 22), (1, 6, 27), 'containerd-1.6.16', 'v1.6.27'),
    'containerd-1.6.28': ((1, 6, 28), (1, 6, 39), 'containerd-1.6.22', 'v1.6.39'),
    'containerd-1.7': ((1, 7, 0), (1, 7, 2), 'containerd-1.6.28', 'v1.7.2'),
    'containerd-1.7.3': ((1, 7, 3), (1, 7, 12), 'containerd-1.7', 'v1.7.12'),
    'containerd-1.7.13': ((1, 7, 13), (1, 7, 31), 'containerd-1.7.3', 'v1.7.24'),
    'containerd-1.7.32': ((1, 7, 32), (1, 7, 34), 'containerd-1.7.13', 'v1.7.34'),
    'containerd-2.0': ((2, 0, 0), (2, 0, 8), 'containerd-1.7.13', 'v2.0.8'),
    'containerd-2.0.9': ((2, 0, 9), (2, 0, 11), 'containerd-2.0', 'v2.0.11'),
    'containerd-2.1': ((2, 1, 0), (2, 1, 9), 'containerd-2.0', 'v2.1.9'),
    'containerd-2.2': ((2, 2, 0), (2, 2, 3), 'containerd-2.1', 'v2.2.3'),
    'containerd-2.2.4': ((2, 2, 4), (2, 2, 7), 'containerd-2.2', 'v2.2.7'),
    'containerd-2.3': ((2, 3, 0), (2, 3, 0), 'containerd-2.2', 'v2.3.0'),
    'containerd-2.3.1': ((2, 3, 1), (2, 3, 4), 'containerd-2.3', 'v2.3.4'),
}
DELTAS = {
    # containerd-1.6: v1.6.6, the file as 1.6.0 shipped it
    'containerd-1.6': BASE,
    # containerd-1.6.7: v1.6.8 (ptrace on kernel >= 4.8, riscv64, clock_settime64)
    'containerd-1.6.7': (
        ('add', {'kernel': '4.8'}, ('ptrace',)),
        ('add', {'arches': ('SCMP_ARCH_RISCV64',)}, ('riscv_flush_icache',)),
        ('add', {'caps': ('CAP_SYS_TIME',)}, ('clock_settime64',)),
    ),
    # containerd-1.6.9: v1.6.15 (CAP_BPF, CAP_PERFMON)
    'containerd-1.6.9': (
        ('add', {'caps': ('CAP_BPF',)}, ('bpf',)),
        ('add', {'caps': ('CAP_PERFMON',)}, ('perf_event_open',)),
    ),
    # containerd-1.6.16: v1.6.20, Debian 12's containerd (PKU; the NUMA calls with CAP_SYS_NICE)
    'containerd-1.6.16': (
        ('add', {}, ('pkey_alloc', 'pkey_free', 'pkey_mprotect')),
        ('add', {'caps': ('CAP_SYS_NICE',)}, ('get_mempolicy', 'mbind', 'set_mempolicy')),
    ),
    # containerd-1.6.22: v1.6.27 (name_to_handle_at without CAP_SYS_ADMIN)
    'containerd-1.6.22': (
        ('drop', {'caps': ('CAP_SYS_ADMIN',)}, ('name_to_handle_at',)),
        ('add', {}, ('name_to_handle_at',)),
    ),
    # containerd-1.6.28: v1.6.39 ("kernel 6.7": the 6.5-6.7 calls, set_mempolicy_home_node)
    'containerd-1.6.28': (
        ('add', {}, KERNEL_6_7),
        ('add', {'caps': ('CAP_SYS_NICE',)}, ('set_mempolicy_home_node',)),
    ),
    # containerd-1.7: v1.7.2 (from v1.6.39: AF_VSOCK blocked, process_vm_* on kernel >= 4.8, and
    # without 1.6.22's and 1.6.28's backports, which 1.7 got in 1.7.3 and 1.7.13)
    'containerd-1.7': AF_VSOCK + (
        ('add', {'kernel': '4.8'}, ('process_vm_readv', 'process_vm_writev')),
        ('drop', {}, ('socket', 'name_to_handle_at') + KERNEL_6_7),
        ('add', {'caps': ('CAP_SYS_ADMIN',)}, ('name_to_handle_at',)),
        ('drop', {'caps': ('CAP_SYS_NICE',)}, ('set_mempolicy_home_node',)),
    ),
    # containerd-1.7.3: v1.7.12
    'containerd-1.7.3': (
        ('drop', {'caps': ('CAP_SYS_ADMIN',)}, ('name_to_handle_at',)),
        ('add', {}, ('name_to_handle_at',)),
    ),
    # containerd-1.7.13: v1.7.24
    'containerd-1.7.13': (
        ('add', {}, KERNEL_6_7),
        ('add', {'caps': ('CAP_SYS_NICE',)}, ('set_mempolicy_home_node',)),
    ),
    # containerd-1.7.32: v1.7.34
    'containerd-1.7.32': AF_ALG,
    # containerd-2.0: v2.0.8
    'containerd-2.0': (
        ('drop', {}, ('io_uring_enter', 'io_uring_register', 'io_uring_setup')),
    ),
    # containerd-2.0.9: v2.0.11
    'containerd-2.0.9': AF_ALG,
    # containerd-2.1: v2.1.9, the same calls as v2.0.8
    'containerd-2.1': (),
    # containerd-2.2: v2.2.3
    'containerd-2.2': (
        ('add', {'arches': ('SCMP_ARCH_RISCV64',)}, ('riscv_hwprobe',)),
        ('add', {}, (
            'getxattrat', 'listmount', 'listxattrat', 'lsm_get_self_attr', 'lsm_list_modules',
            'lsm_set_self_attr', 'mseal', 'removexattrat', 'setxattrat', 'statmount',
            'uretprobe',
        )),
    ),
    # containerd-2.2.4: v2.2.7
    'containerd-2.2.4': AF_ALG,
    # containerd-2.3: v2.3.0, the same calls as v2.2.3
    'containerd-2.3': (),
    # containerd-2.3.1: v2.3.4
    'containerd-2.3.1': AF_ALG,
}
