# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Data of Docker's (moby) built-in default seccomp profile, as plain Python data.
#
# Source: github.com/moby/moby tag v20.10.24, profiles/seccomp/default.json (generated
# from profiles/seccomp/default_linux.go; both were read and agree, 27 groups, 414 names).
# Gate semantics (profiles/seccomp/seccomp_linux.go, setupSeccomp), as Docker applies them:
#   * "architectures" of the rendered profile = ARCH_MAP key for the native arch + its
#     sub-architectures (in that order).
#   * A group is dropped if: any excludes arch == native arch; any caps_exclude cap is in
#     the container's bounding set; min kernel of excludes is <= running kernel.
#   * A group is dropped unless: the native arch is in arches_include (if non-empty); ALL
#     caps_include caps are in the bounding set; running kernel >= min_kernel
#     (only "major.minor" of uname -r is compared).
#   * Kept groups are emitted in order as OCI syscalls {names, action, errnoRet, args}.
#   * Arch gates compare against the arch of the *daemon binary* (Go's GOARCH), i.e. the
#     native arch of the host, never against a sub-architecture. Docker's strings map to
#     SCMP names as: "amd64" -> SCMP_ARCH_X86_64, "x86" (GOARCH 386) -> SCMP_ARCH_X86,
#     "x32" -> SCMP_ARCH_X32 (no GOARCH yields it, so it never matches in practice),
#     "arm64" -> SCMP_ARCH_AARCH64, "arm" -> SCMP_ARCH_ARM, "s390x" -> SCMP_ARCH_S390X,
#     "s390" -> SCMP_ARCH_S390, "ppc64le" -> SCMP_ARCH_PPC64LE. The values below are
#     already converted.
#   * 20.10.24's JSON has no "defaultErrnoRet"; an OCI runtime then returns EPERM (1) for
#     SCMP_ACT_ERRNO, so DEFAULT_ERRNO = 1 is the effective value (newer Docker sets it).
#
# Differences to the newest default found (moby/profiles seccomp/v0.2.3, identical to the
# copy vendored by moby docker-v29.7.2 and master; 33 groups, 442 names):
#   * defaultErrnoRet 1 is explicit; ARCH_MAP gains SCMP_ARCH_RISCV64 and
#     SCMP_ARCH_LOONGARCH64 (no sub-arches); arch strings "riscv64" / "loong64" are known.
#   * Unconditional group: added cachestat, fchmodat2, futex_requeue, futex_wait, futex_wake,
#     getxattrat, listmount, listxattrat, map_shadow_stack, mseal, name_to_handle_at,
#     pkey_alloc, pkey_free, pkey_mprotect, removexattrat, riscv_hwprobe, setxattrat,
#     statmount, uretprobe; removed io_uring_enter, io_uring_register, io_uring_setup
#     (no longer allowed at all) and socket (now arg-gated, see next line).
#   * New: three socket groups allowing arg0 (domain) < 38, == 39, > 40, i.e. all address
#     families except AF_ALG (38) and AF_VSOCK (40).
#   * minKernel 4.8 group: ptrace -> ptrace, process_vm_readv, process_vm_writev.
#   * ppc64le group adds swapcontext; new riscv64 group: riscv_flush_icache.
#   * CAP_SYS_ADMIN group: added lsm_get_self_attr, lsm_list_modules, lsm_set_self_attr;
#     removed name_to_handle_at (moved to the unconditional group).
#   * CAP_SYS_TIME adds clock_settime64; CAP_SYS_NICE adds set_mempolicy_home_node.
#   * New groups: bpf with CAP_BPF, perf_event_open with CAP_PERFMON.
#   * Unchanged: personality / clone / clone3 rules, the other cap groups, DEFAULT_CAPS.

DEFAULT_ACTION = "SCMP_ACT_ERRNO"
DEFAULT_ERRNO = 1

# Docker's archMap: native SCMP arch -> its sub-architectures.
ARCH_MAP = {
    "SCMP_ARCH_X86_64": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "SCMP_ARCH_AARCH64": ["SCMP_ARCH_ARM"],
    "SCMP_ARCH_MIPS64": ["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"],
    "SCMP_ARCH_MIPS64N32": ["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"],
    "SCMP_ARCH_MIPSEL64": ["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"],
    "SCMP_ARCH_MIPSEL64N32": ["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"],
    "SCMP_ARCH_S390X": ["SCMP_ARCH_S390"],
}

# Docker's default capability set (oci/caps/defaults.go) for a container with nothing added.
DEFAULT_CAPS = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
]

# The groups, in the order Docker lists them. Keys of each group: names, action,
# errno (int or None), args (list of {index, value, value_two, op}), caps_include,
# caps_exclude, arches_include, arches_exclude, min_kernel, comment.
# clone arg value 2114060288 == 0x7E020000 == CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC
# | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP.
GROUPS = [
    {
        "names": [
            "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset",
            "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
            "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64",
            "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range", "connect",
            "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1",
            "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait",
            "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group",
            "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark",
            "fchdir", "fchmod", "fchmodat", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64",
            "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr",
            "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
            "ftruncate64", "futex", "futex_time64", "futex_waitv", "futimesat", "getcpu", "getcwd",
            "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid",
            "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid",
            "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresgid32",
            "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid",
            "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid",
            "getuid32", "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1",
            "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents",
            "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup",
            "io_submit", "io_uring_enter", "io_uring_register", "io_uring_setup", "ipc", "kill",
            "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown",
            "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr",
            "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise",
            "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod",
            "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr",
            "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
            "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd",
            "msync", "munlock", "munlockall", "munmap", "nanosleep", "newfstatat", "_newselect",
            "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe",
            "pipe2", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2",
            "prlimit64", "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev",
            "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom",
            "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename",
            "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction",
            "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
            "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity",
            "sched_getattr", "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
            "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
            "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler",
            "sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop",
            "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto",
            "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
            "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32",
            "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32",
            "setrlimit", "set_robust_list", "setsid", "setsockopt", "set_thread_area",
            "set_tid_address", "setuid", "setuid32", "setxattr", "shmat", "shmctl", "shmdt",
            "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask",
            "sigreturn", "socket", "socketcall", "socketpair", "splice", "stat", "stat64",
            "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
            "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete",
            "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
            "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
            "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
            "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
            "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid",
            "write", "writev",
        ],
        "action": "SCMP_ACT_ALLOW", "errno": None, "args": [], "caps_include": [],
        "caps_exclude": [], "arches_include": [], "arches_exclude": [], "min_kernel": None,
        "comment": "allowed unconditionally",
    },
    {
        "names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "errno": None, "args": [],
        "caps_include": [], "caps_exclude": [], "arches_include": [], "arches_exclude": [],
        "min_kernel": "4.8", "comment": "before 4.8 ptrace could be used to bypass seccomp",
    },
    {
        "names": ["personality"], "action": "SCMP_ACT_ALLOW", "errno": None,
        "args": [{"index": 0, "value": 0x0, "value_two": 0, "op": "SCMP_CMP_EQ"}],
        "caps_include": [], "caps_exclude": [], "arches_include": [], "arches_exclude": [],
        "min_kernel": None, "comment": "PER_LINUX",
    },
    {
        "names": ["personality"], "action": "SCMP_ACT_ALLOW", "errno": None,
        "args": [{"index": 0, "value": 0x8, "value_two": 0, "op": "SCMP_CMP_EQ"}],
        "caps_include": [], "caps_exclude": [], "arches_include": [], "arches_exclude": [],
        "min_kernel": None, "comment": "UNAME26",
    },
    {
        "names": ["personality"], "action": "SCMP_ACT_ALLOW", "errno": None,
        "args": [{"index": 0, "value": 0x20000, "value_two": 0, "op": "SCMP_CMP_EQ"}],
        "caps_include": [], "caps_exclude": [], "arches_include": [], "arches_exclude": [],
        "min_kernel": None, "comment": "PER_LINUX32",
    },
    {
        "names": ["personality"], "action": "SCMP_ACT_ALLOW", "errno": None,
        "args": [{"index": 0, "value": 0x20008, "value_two": 0, "op": "SCMP_CMP_EQ"}],
        "caps_include": [], "caps_exclude": [], "arches_include": [], "arches_exclude": [],
        "min_kernel": None, "comment": "PER_LINUX32 | UNAME26",
    },
    {
        "names": ["personality"], "action": "SCMP_ACT_ALLOW", "errno": None,
        "args": [{"index": 0, "value": 0xffffffff, "value_two": 0, "op": "SCMP_CMP_EQ"}],
        "caps_include": [], "caps_exclude": [], "arches_include": [], "arches_exclude": [],
        "min_kernel": None, "comment": "query the current persona",
    },
    {
        "names": ["sync_file_range2"], "action": "SCMP_ACT_ALLOW", "errno": None, "args": [],
        "caps_include": [], "caps_exclude": [], "arches_include": ["SCMP_ARCH_PPC64LE"],
        "arches_exclude": [], "min_kernel": None, "comment": "ppc64le-only syscall",
    },
    {
        "names": [
            "arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
            "cacheflush", "set_tls",
        ],
        "action": "SCMP_ACT_ALLOW", "errno": None, "args": [], "caps_include": [],
        "caps_exclude": [], "arches_include": ["SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64"],
        "arches_exclude": [], "min_kernel": None, "comment": "ARM-only syscalls",
    },
    {
        "names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "errno": None, "args": [],
        "caps_include": [], "caps_exclude": [],
        "arches_include": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"], "arches_exclude": [],
        "min_kernel": None, "comment": "x86-64-only syscall",
    },
    {
        "names": ["modify_ldt"], "action": "SCMP_ACT_ALLOW", "errno": None, "args": [],
        "caps_include": [], "caps_exclude": [],
        "arches_include": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_X86"],
        "arches_exclude": [], "min_kernel": None, "comment": "x86-only syscall",
    },
    {
        "names": ["s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"],
        "action": "SCMP_ACT_ALLOW", "errno": None, "args": [], "caps_include": [],
        "caps_exclude": [], "arches_include": ["SCMP_ARCH_S390", "SCMP_ARCH_S390X"],
        "arches_exclude": [], "min_kernel": None, "comment": "s390-only syscalls",
    },
    {
        "names": ["open_by_handle_at"], "action": "SCMP_ACT_ALLOW", "errno": None, "args": [],
        "caps_include": ["CAP_DAC_READ_SEARCH"], "caps_exclude": [], "arches_include": [],
        "arches_exclude": [], "min_kernel": None,
        "comment": "can open any file by handle (container breakout)",
    },
    {
        "names": [
            "bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
            "lookup_dcookie", "mount", "mount_setattr", "move_mount", "name_to_handle_at",
            "open_tree", "perf_event_open", "quotactl", "quotactl_fd", "setdomainname",
            "sethostname", "setns", "syslog", "umount", "umount2", "unshare",
        ],
        "action": "SCMP_ACT_ALLOW", "errno": None, "args": [], "caps_include": ["CAP_SYS_ADMIN"],
        "caps_exclude": [], "arches_include": [], "arches_exclude": [], "min_kernel": None,
        "comment": "mounts, namespaces, bpf, perf, hostname: need CAP_SYS_ADMIN",
    },
    {
        "names": ["clone"], "action": "SCMP_ACT_ALLOW", "errno": None,
        "args": [{"index": 0, "value": 2114060288, "value_two": 0, "op": "SCMP_CMP_MASKED_EQ"}],
        "caps_include": [], "caps_exclude": ["CAP_SYS_ADMIN"], "arches_include": [],
        "arches_exclude": ["SCMP_ARCH_S390", "SCMP_ARCH_S390X"], "min_kernel": None,
        "comment": "clone without namespace flags (flags are arg 0)",
    },
    {
        "names": ["clone"], "action": "SCMP_ACT_ALLOW", "errno": None,
        "args": [{"index": 1, "value": 2114060288, "value_two": 0, "op": "SCMP_CMP_MASKED_EQ"}],
        "caps_include": [], "caps_exclude": ["CAP_SYS_ADMIN"],
        "arches_include": ["SCMP_ARCH_S390", "SCMP_ARCH_S390X"], "arches_exclude": [],
        "min_kernel": None, "comment": "s390 parameter ordering for clone is different",
    },
    {
        "names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errno": 38, "args": [],
        "caps_include": [], "caps_exclude": ["CAP_SYS_ADMIN"], "arches_include": [],
        "arches_exclude": [], "min_kernel": None,
        "comment": "flags not inspectable; ENOSYS makes libc fall back to clone",
    },
    {
        "names": ["reboot"], "action": "SCMP_ACT_ALLOW", "errno": None, "args": [],
        "caps_include": ["CAP_SYS_BOOT"], "caps_exclude": [], "arches_include": [],
        "arches_exclude": [], "min_kernel": None, "comment": "needs CAP_SYS_BOOT",
    },
    {
        "names": ["chroot"], "action": "SCMP_ACT_ALLOW", "errno": None, "args": [],
        "caps_include": ["CAP_SYS_CHROOT"], "caps_exclude": [], "arches_include": [],
        "arches_exclude": [], "min_kernel": None, "comment": "needs CAP_SYS_CHROOT",
    },
    {
        "names": ["delete_module", "init_module", "finit_module"], "action": "SCMP_ACT_ALLOW",
        "errno": None, "args": [], "caps_include": ["CAP_SYS_MODULE"], "caps_exclude": [],
        "arches_include": [], "arches_exclude": [], "min_kernel": None,
        "comment": "kernel modules need CAP_SYS_MODULE",
    },
    {
        "names": ["acct"], "action": "SCMP_ACT_ALLOW", "errno": None, "args": [],
        "caps_include": ["CAP_SYS_PACCT"], "caps_exclude": [], "arches_include": [],
        "arches_exclude": [], "min_kernel": None, "comment": "needs CAP_SYS_PACCT",
    },
    {
        "names": [
            "kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev",
            "ptrace",
        ],
        "action": "SCMP_ACT_ALLOW", "errno": None, "args": [], "caps_include": ["CAP_SYS_PTRACE"],
        "caps_exclude": [], "arches_include": [], "arches_exclude": [], "min_kernel": None,
        "comment": "process inspection needs CAP_SYS_PTRACE",
    },
    {
        "names": ["iopl", "ioperm"], "action": "SCMP_ACT_ALLOW", "errno": None, "args": [],
        "caps_include": ["CAP_SYS_RAWIO"], "caps_exclude": [], "arches_include": [],
        "arches_exclude": [], "min_kernel": None, "comment": "needs CAP_SYS_RAWIO",
    },
    {
        "names": ["settimeofday", "stime", "clock_settime"], "action": "SCMP_ACT_ALLOW",
        "errno": None, "args": [], "caps_include": ["CAP_SYS_TIME"], "caps_exclude": [],
        "arches_include": [], "arches_exclude": [], "min_kernel": None,
        "comment": "setting the clock needs CAP_SYS_TIME",
    },
    {
        "names": ["vhangup"], "action": "SCMP_ACT_ALLOW", "errno": None, "args": [],
        "caps_include": ["CAP_SYS_TTY_CONFIG"], "caps_exclude": [], "arches_include": [],
        "arches_exclude": [], "min_kernel": None, "comment": "needs CAP_SYS_TTY_CONFIG",
    },
    {
        "names": ["get_mempolicy", "mbind", "set_mempolicy"], "action": "SCMP_ACT_ALLOW",
        "errno": None, "args": [], "caps_include": ["CAP_SYS_NICE"], "caps_exclude": [],
        "arches_include": [], "arches_exclude": [], "min_kernel": None,
        "comment": "NUMA memory policy needs CAP_SYS_NICE",
    },
    {
        "names": ["syslog"], "action": "SCMP_ACT_ALLOW", "errno": None, "args": [],
        "caps_include": ["CAP_SYSLOG"], "caps_exclude": [], "arches_include": [],
        "arches_exclude": [], "min_kernel": None, "comment": "needs CAP_SYSLOG",
    },
]
