/*
 * probe.c - try syscalls and report what happened to each, as one JSON line.
 *
 *   probe [--load-bpf FILE] [--list] [TEST ...]
 *   probe --exec-sh
 *   probe --serve PORT
 *
 * Output (stdout, exactly one line):
 *   {"seccomp": N, "label": L, "results": {"<test>": "<ERRNAME|OK>", ...}}
 *
 * N is the "Seccomp:" value of /proc/self/status (-1 if unreadable), L the
 * AppArmor label (/proc/self/attr/current; "" without AppArmor).
 * A result is "OK" when the call under test succeeded, otherwise the symbolic
 * errno name it failed with ("EPERM", "ENOSYS", ... or "E<number>").
 * Special results:
 *   "SIGSYS"        the call raised SIGSYS (SECCOMP_RET_TRAP)
 *   "SIG<n>"/name   a helper child died of that signal (e.g. "SIGSYS" for a
 *                   KILL action in the child)
 *   "SETUP:<ERR>"   a preparatory step (fork, mkstemp, ...) failed, so the
 *                   call under test was never attempted
 *   "MISMATCH"      file_io read back different bytes
 *
 * Every test is harmless when the call is allowed and we are root with all
 * capabilities: arguments are chosen so that the kernel fails the call with a
 * non-EPERM error after seccomp let it through, or the effect is undone.
 *
 * --load-bpf FILE installs a classic-BPF seccomp program (a raw array of
 * struct sock_filter, as seccomp_export_bpf() writes it) into this process
 * with PR_SET_NO_NEW_PRIVS + PR_SET_SECCOMP before any test runs; exit 3 if
 * that fails.
 *
 * --exec-sh tries to start /bin/sh in this process, with execve and then with
 * execveat, and prints one JSON line either way: the shell prints
 * {"execve_sh": "OK"} when the execve went through (this process is gone then),
 * or {"execve_sh": "<ERR>", "execveat_sh": "OK"} when only the execveat did;
 * the probe prints {"label": L, "execve_sh": "<ERR>", "execveat_sh": "<ERR>"}
 * when both were refused (L: /proc/self/attr/current, the AppArmor label).
 *
 * --serve PORT is a small HTTP server on 0.0.0.0:PORT for a "spawns nothing"
 * workload: one new thread per connection (so every answered request shows a
 * thread started), no child process, "ok" to every request; SIGTERM ends it.
 *
 * Build: gcc -O2 -static -pthread -o probe probe.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef O_CLOEXEC
#define O_CLOEXEC 02000000
#endif

/* ------------------------------------------------------------------ */
/* errno names                                                         */

struct errname { int num; const char *name; };
#define E_(x) { x, #x }
static const struct errname errnames[] = {
    E_(EPERM), E_(ENOENT), E_(ESRCH), E_(EINTR), E_(EIO), E_(ENXIO),
    E_(E2BIG), E_(ENOEXEC), E_(EBADF), E_(ECHILD), E_(EAGAIN), E_(ENOMEM),
    E_(EACCES), E_(EFAULT), E_(ENOTBLK), E_(EBUSY), E_(EEXIST), E_(EXDEV),
    E_(ENODEV), E_(ENOTDIR), E_(EISDIR), E_(EINVAL), E_(ENFILE), E_(EMFILE),
    E_(ENOTTY), E_(ETXTBSY), E_(EFBIG), E_(ENOSPC), E_(ESPIPE), E_(EROFS),
    E_(EMLINK), E_(EPIPE), E_(EDOM), E_(ERANGE), E_(EDEADLK),
    E_(ENAMETOOLONG), E_(ENOLCK), E_(ENOSYS), E_(ENOTEMPTY), E_(ELOOP),
    E_(ENOMSG), E_(ENODATA), E_(ETIME), E_(ENOLINK), E_(EPROTO),
    E_(EOVERFLOW), E_(EBADFD), E_(EILSEQ), E_(EUSERS), E_(ENOTSOCK),
    E_(EDESTADDRREQ), E_(EMSGSIZE), E_(EPROTOTYPE), E_(ENOPROTOOPT),
    E_(EPROTONOSUPPORT), E_(ESOCKTNOSUPPORT), E_(EOPNOTSUPP),
    E_(EPFNOSUPPORT), E_(EAFNOSUPPORT), E_(EADDRINUSE), E_(EADDRNOTAVAIL),
    E_(ENETDOWN), E_(ENETUNREACH), E_(ECONNREFUSED), E_(ENOTCONN),
    E_(ETIMEDOUT), E_(EALREADY), E_(EINPROGRESS), E_(ESTALE), E_(EDQUOT),
    E_(ECANCELED), E_(ENOKEY), E_(EKEYEXPIRED), E_(EKEYREVOKED),
    E_(EKEYREJECTED), E_(EOWNERDEAD), E_(ENOTRECOVERABLE), E_(ERFKILL),
    E_(EHWPOISON),
};

static const char *errname(int e)
{
    static char buf[8][24];
    static int slot;
    size_t i;
    if (e == 0)
        return "OK";
    for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
        if (errnames[i].num == e)
            return errnames[i].name;
    slot = (slot + 1) % 8;
    snprintf(buf[slot], sizeof(buf[slot]), "E%d", e);
    return buf[slot];
}

/* Result strings are built into a fixed buffer per test. */
#define RESLEN 48
static char result[RESLEN];

static void set_errno_result(int e) { snprintf(result, RESLEN, "%s", errname(e)); }
static void set_setup_failure(int e) { snprintf(result, RESLEN, "SETUP:%s", errname(e)); }

static const char *signame(int sig)
{
    static char buf[16];
    switch (sig) {
    case SIGSYS: return "SIGSYS";
    case SIGKILL: return "SIGKILL";
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    default:
        snprintf(buf, sizeof(buf), "SIG%d", sig);
        return buf;
    }
}

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static volatile sig_atomic_t got_sigsys;

static void on_sigsys(int sig) { (void)sig; got_sigsys = 1; }

/* Wait for a helper child that reports errno through its exit status. */
static void collect_child(pid_t pid)
{
    int status;
    pid_t w;
    do {
        w = waitpid(pid, &status, __WALL);
    } while (w < 0 && errno == EINTR);
    if (w < 0) {
        set_setup_failure(errno);
        return;
    }
    if (WIFEXITED(status))
        set_errno_result(WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(result, RESLEN, "%s", signame(WTERMSIG(status)));
    else
        snprintf(result, RESLEN, "SETUP:WAIT%d", status);
}

/* Reap a child created by the call under test; result stays as it is. */
static void reap(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR)
        ;
}

/* Run fn() in a forked child; the child _exit()s with the errno of fn. */
static void in_child(int (*fn)(void))
{
    pid_t pid = fork();
    if (pid < 0) {
        set_setup_failure(errno);
        return;
    }
    if (pid == 0) {
        int e = fn();
        _exit(e & 0xff);
    }
    collect_child(pid);
}

/* A pid that does not exist right now. */
static pid_t free_pid(void)
{
    pid_t p;
    for (p = 999999; p > 300; p -= 7)
        if (kill(p, 0) < 0 && errno == ESRCH)
            return p;
    return 999999;
}

static int ret_errno(long r) { return r < 0 ? errno : 0; }

/* ------------------------------------------------------------------ */
/* tests                                                               */

static int child_unshare_user(void) { return ret_errno(syscall(SYS_unshare, CLONE_NEWUSER)); }
static int child_unshare_net(void) { return ret_errno(syscall(SYS_unshare, CLONE_NEWNET)); }

static void t_unshare_user(void) { in_child(child_unshare_user); }
static void t_unshare_net(void) { in_child(child_unshare_net); }

static void raw_clone_with(unsigned long flags)
{
    long r = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
    if (r == 0)
        syscall(SYS_exit_group, 0);
    if (r < 0) {
        set_errno_result(errno);
        return;
    }
    reap((pid_t)r);
    set_errno_result(0);
}

static void t_clone_newuser(void) { raw_clone_with(CLONE_NEWUSER); }
static void t_clone_newns(void) { raw_clone_with(CLONE_NEWNS); }

static void t_clone3(void)
{
#ifdef SYS_clone3
    long r = syscall(SYS_clone3, NULL, 0);
#else
    long r = syscall(435, NULL, 0);
#endif
    if (r == 0)
        syscall(SYS_exit_group, 0); /* cannot happen with size 0 */
    if (r > 0)
        reap((pid_t)r);
    set_errno_result(ret_errno(r));
}

static void t_mount(void)
{
    char dir[] = "/tmp/confine-mnt-XXXXXX";
    long r;
    int e;
    if (!mkdtemp(dir)) {
        set_setup_failure(errno);
        return;
    }
    r = syscall(SYS_mount, "none", dir, "tmpfs", 0UL, "size=1m");
    e = ret_errno(r);
    if (r == 0)
        syscall(SYS_umount2, dir, MNT_DETACH);
    rmdir(dir);
    set_errno_result(e);
}

static void t_umount2(void)
{
    set_errno_result(ret_errno(syscall(SYS_umount2, "/confine-nonexistent", 0)));
}

static void t_pivot_root(void)
{
    set_errno_result(ret_errno(syscall(SYS_pivot_root, "/confine-nonexistent",
                                       "/confine-nonexistent")));
}

static void t_ptrace(void)
{
    errno = 0;
    long r = syscall(SYS_ptrace, PTRACE_PEEKDATA, free_pid(), 0, 0);
    set_errno_result(r == -1 ? errno : 0);
}

static void t_process_vm_readv(void)
{
    char buf[8];
    struct iovec local = { buf, sizeof(buf) };
    struct iovec remote = { (void *)0x10000, sizeof(buf) };
    set_errno_result(ret_errno(syscall(SYS_process_vm_readv, free_pid(),
                                       &local, 1UL, &remote, 1UL, 0UL)));
}

static void t_keyctl(void)
{
    set_errno_result(ret_errno(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID,
                                       KEY_SPEC_SESSION_KEYRING, 0)));
}

static void t_add_key(void)
{
    set_errno_result(ret_errno(syscall(SYS_add_key, "confine-bogus-type", "x",
                                       "", 0UL, KEY_SPEC_PROCESS_KEYRING)));
}

static void t_request_key(void)
{
    set_errno_result(ret_errno(syscall(SYS_request_key, "confine-bogus-type",
                                       "x", NULL, 0)));
}

static void t_bpf(void)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.map_type = BPF_MAP_TYPE_ARRAY;
    attr.key_size = 4;
    attr.value_size = 4;
    attr.max_entries = 1;
    long r = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
    int e = ret_errno(r);
    if (r >= 0)
        close((int)r);
    set_errno_result(e);
}

static void t_perf_event_open(void)
{
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_DUMMY;
    attr.size = 1; /* invalid: < PERF_ATTR_SIZE_VER0 -> E2BIG */
    attr.disabled = 1;
    long r = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0UL);
    int e = ret_errno(r);
    if (r >= 0)
        close((int)r);
    set_errno_result(e);
}

static void t_userfaultfd(void)
{
    long r = syscall(SYS_userfaultfd, O_CLOEXEC);
    int e = ret_errno(r);
    if (r >= 0)
        close((int)r);
    set_errno_result(e);
}

static void t_setns(void)
{
    set_errno_result(ret_errno(syscall(SYS_setns, -1, 0)));
}

static void t_init_module(void)
{
    set_errno_result(ret_errno(syscall(SYS_init_module, NULL, 0UL, "")));
}

static void t_finit_module(void)
{
    set_errno_result(ret_errno(syscall(SYS_finit_module, -1, "", 0)));
}

static void t_delete_module(void)
{
    set_errno_result(ret_errno(syscall(SYS_delete_module, "confine_nonexistent",
                                       O_NONBLOCK)));
}

static void t_kexec_load(void)
{
    set_errno_result(ret_errno(syscall(SYS_kexec_load, 0UL, 0UL, NULL,
                                       0xdead0000UL)));
}

static void t_kexec_file_load(void)
{
    set_errno_result(ret_errno(syscall(SYS_kexec_file_load, -1, -1, 0UL, "",
                                       0xdead0000UL)));
}

static void t_reboot(void)
{
    /* Deliberately wrong magic numbers and command: EINVAL when allowed. */
    set_errno_result(ret_errno(syscall(SYS_reboot, 0x12345678, 0x87654321,
                                       0x0badc0de, NULL)));
}

static void t_open_by_handle_at(void)
{
    long r = syscall(SYS_open_by_handle_at, -1, NULL, O_RDONLY);
    int e = ret_errno(r);
    if (r >= 0)
        close((int)r);
    set_errno_result(e);
}

static void t_io_uring_setup(void)
{
#ifdef SYS_io_uring_setup
    long r = syscall(SYS_io_uring_setup, 0U, NULL);
#else
    long r = syscall(425, 0U, NULL);
#endif
    int e = ret_errno(r);
    if (r >= 0)
        close((int)r);
    set_errno_result(e);
}

static void t_socket_alg(void)
{
    long r = syscall(SYS_socket, AF_ALG, SOCK_SEQPACKET, 0);
    int e = ret_errno(r);
    if (r >= 0)
        close((int)r);
    set_errno_result(e);
}

static void t_personality(void)
{
    set_errno_result(ret_errno(syscall(SYS_personality, 0xffffffffUL)));
}

static char *const exec_argv[] = { "/etc/passwd", NULL };
static char *const exec_envp[] = { NULL };

static void t_execve(void)
{
    long r = syscall(SYS_execve, "/etc/passwd", exec_argv, exec_envp);
    set_errno_result(ret_errno(r));
}

static void t_execveat(void)
{
    long r = syscall(SYS_execveat, AT_FDCWD, "/etc/passwd", exec_argv,
                     exec_envp, 0);
    set_errno_result(ret_errno(r));
}

static void t_fork(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    if (pid < 0) {
        set_errno_result(errno);
        return;
    }
    reap(pid);
    set_errno_result(0);
}

static void t_vfork(void)
{
    long r;
#if defined(__x86_64__)
    /* Raw vfork: the child must not touch the (shared) stack, so it exits
     * inside the same asm block. */
    __asm__ volatile(
        "syscall\n\t"
        "test %%rax, %%rax\n\t"
        "jnz 1f\n\t"
        "mov %[exitnr], %%eax\n\t"
        "xor %%edi, %%edi\n\t"
        "syscall\n\t"
        "1:\n\t"
        : "=a"(r)
        : "0"((long)SYS_vfork), [exitnr] "i"(SYS_exit_group)
        : "rcx", "r11", "rdi", "memory");
    if (r < 0 && r > -4096) {
        set_errno_result((int)-r);
        return;
    }
#else
    r = vfork();
    if (r == 0)
        _exit(0);
    if (r < 0) {
        set_errno_result(errno);
        return;
    }
#endif
    reap((pid_t)r);
    set_errno_result(0);
}

static void *thread_fn(void *arg) { return arg; }

static void t_thread(void)
{
    pthread_t th;
    void *out = NULL;
    int e = pthread_create(&th, NULL, thread_fn, (void *)0x1);
    if (e == 0) {
        e = pthread_join(th, &out);
        if (e == 0 && out != (void *)0x1)
            e = EIO;
    }
    set_errno_result(e);
}

static void t_file_io(void)
{
    static const char data[] = "confine-probe file_io check 0123456789\n";
    char path[] = "/tmp/confine-io-XXXXXX";
    char back[sizeof(data)];
    int fd, e = 0;
    ssize_t n;

    fd = mkstemp(path);
    if (fd < 0) {
        set_errno_result(errno);
        return;
    }
    n = write(fd, data, sizeof(data));
    if (n != (ssize_t)sizeof(data)) {
        e = n < 0 ? errno : EIO;
        goto out;
    }
    if (fsync(fd) < 0) {
        e = errno;
        goto out;
    }
    close(fd);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        e = errno;
        goto out;
    }
    memset(back, 0, sizeof(back));
    n = read(fd, back, sizeof(back));
    if (n < 0) {
        e = errno;
        goto out;
    }
    if (n != (ssize_t)sizeof(data) || memcmp(back, data, sizeof(data)) != 0) {
        close(fd);
        unlink(path);
        snprintf(result, RESLEN, "MISMATCH");
        return;
    }
out:
    if (fd >= 0)
        close(fd);
    if (unlink(path) < 0 && e == 0)
        e = errno;
    set_errno_result(e);
}

static void t_chmod(void)
{
    char path[] = "/tmp/confine-chmod-XXXXXX";
    int fd = mkstemp(path);
    long r;
    if (fd < 0) {
        set_setup_failure(errno);
        return;
    }
    close(fd);
#ifdef SYS_chmod
    r = syscall(SYS_chmod, path, 0640);
#else
    r = syscall(SYS_fchmodat, AT_FDCWD, path, 0640);
#endif
    set_errno_result(ret_errno(r));
    unlink(path);
}

static void t_mkdir(void)
{
    char path[64];
    long r;
    snprintf(path, sizeof(path), "/tmp/confine-mkdir-%d-%ld", (int)getpid(),
             (long)random());
#ifdef SYS_mkdir
    r = syscall(SYS_mkdir, path, 0700);
#else
    r = syscall(SYS_mkdirat, AT_FDCWD, path, 0700);
#endif
    set_errno_result(ret_errno(r));
    if (r == 0)
        rmdir(path);
}

/* A TCP round trip on loopback inside this process: socket, bind (port 0), listen,
 * connect, accept4, then one byte each way. */
static void t_tcp(void)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof(addr);
    int srv = -1, cli = -1, acc = -1, e = 0;
    char c = 'x', back = 0;

    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        bind(srv, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(srv, 1) < 0 ||
        getsockname(srv, (struct sockaddr *)&addr, &len) < 0 ||
        (cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        connect(cli, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        (acc = accept4(srv, NULL, NULL, SOCK_CLOEXEC)) < 0) {
        e = errno;
    } else if (write(cli, &c, 1) != 1 || read(acc, &back, 1) != 1 ||
               write(acc, &back, 1) != 1 || read(cli, &c, 1) != 1) {
        e = errno ? errno : EIO;
    } else if (c != 'x' || back != 'x') {
        e = EIO;
    }
    if (acc >= 0) close(acc);
    if (cli >= 0) close(cli);
    if (srv >= 0) close(srv);
    set_errno_result(e);
}

/* ------------------------------------------------------------------ */

struct test { const char *name; void (*fn)(void); };
static const struct test tests[] = {
    { "unshare_user", t_unshare_user },
    { "clone_newuser", t_clone_newuser },
    { "clone_newns", t_clone_newns },
    { "clone3", t_clone3 },
    { "mount", t_mount },
    { "umount2", t_umount2 },
    { "pivot_root", t_pivot_root },
    { "ptrace", t_ptrace },
    { "process_vm_readv", t_process_vm_readv },
    { "keyctl", t_keyctl },
    { "add_key", t_add_key },
    { "request_key", t_request_key },
    { "bpf", t_bpf },
    { "perf_event_open", t_perf_event_open },
    { "userfaultfd", t_userfaultfd },
    { "setns", t_setns },
    { "unshare_net", t_unshare_net },
    { "init_module", t_init_module },
    { "finit_module", t_finit_module },
    { "delete_module", t_delete_module },
    { "kexec_load", t_kexec_load },
    { "kexec_file_load", t_kexec_file_load },
    { "reboot", t_reboot },
    { "open_by_handle_at", t_open_by_handle_at },
    { "io_uring_setup", t_io_uring_setup },
    { "socket_alg", t_socket_alg },
    { "personality", t_personality },
    { "execve", t_execve },
    { "execveat", t_execveat },
    { "fork", t_fork },
    { "vfork", t_vfork },
    { "thread", t_thread },
    { "file_io", t_file_io },
    { "chmod", t_chmod },
    { "mkdir", t_mkdir },
    { "tcp", t_tcp },
};
#define NTESTS (sizeof(tests) / sizeof(tests[0]))

static const struct test *find_test(const char *name)
{
    size_t i;
    for (i = 0; i < NTESTS; i++)
        if (strcmp(tests[i].name, name) == 0)
            return &tests[i];
    return NULL;
}

static int read_seccomp_mode(void)
{
    char line[256];
    int mode = -1;
    FILE *f = fopen("/proc/self/status", "re");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "Seccomp:", 8) == 0) {
            mode = atoi(line + 8);
            break;
        }
    }
    fclose(f);
    return mode;
}

static int load_bpf(const char *file)
{
    static struct sock_filter insns[BPF_MAXINSNS + 1];
    struct sock_fprog prog;
    size_t total = 0;
    ssize_t n;
    int fd = open(file, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        fprintf(stderr, "probe: cannot open %s: %s\n", file, strerror(errno));
        return -1;
    }
    while ((n = read(fd, (char *)insns + total, sizeof(insns) - total)) > 0)
        total += (size_t)n;
    close(fd);
    if (n < 0) {
        fprintf(stderr, "probe: cannot read %s: %s\n", file, strerror(errno));
        return -1;
    }
    if (total == 0 || total % sizeof(struct sock_filter) != 0 ||
        total > BPF_MAXINSNS * sizeof(struct sock_filter)) {
        fprintf(stderr, "probe: %s: size %zu is not a valid BPF program "
                        "(multiple of %zu, 1..%d instructions)\n",
                file, total, sizeof(struct sock_filter), BPF_MAXINSNS);
        return -1;
    }
    prog.len = (unsigned short)(total / sizeof(struct sock_filter));
    prog.filter = insns;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        fprintf(stderr, "probe: PR_SET_NO_NEW_PRIVS: %s\n", strerror(errno));
        return -1;
    }
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) {
        fprintf(stderr, "probe: PR_SET_SECCOMP(%s, %u insns): %s\n", file,
                prog.len, strerror(errno));
        return -1;
    }
    return 0;
}

/* The AppArmor label of this process (/proc/self/attr/current), cut at the first
 * newline, quote or backslash so that it is safe inside a JSON string; "" if unreadable. */
static void read_label(char *label, size_t size)
{
    int fd = open("/proc/self/attr/current", O_RDONLY | O_CLOEXEC);
    ssize_t n = -1;
    label[0] = '\0';
    if (fd >= 0) {
        n = read(fd, label, size - 1);
        close(fd);
    }
    label[n > 0 ? n : 0] = '\0';
    label[strcspn(label, "\n\"\\")] = '\0';
}

/* --exec-sh: see the header. */
static int exec_sh(void)
{
    char label[256];
    char first[64], line[160];
    read_label(label, sizeof(label));
    char *const envp[] = { "PATH=/bin:/usr/bin", NULL };
    char *const argv1[] = { "sh", "-c", "echo '{\"execve_sh\": \"OK\"}'", NULL };
    long r = syscall(SYS_execve, "/bin/sh", argv1, envp);
    snprintf(first, sizeof(first), "%s", errname(r < 0 ? errno : 0));
    snprintf(line, sizeof(line), "echo '{\"execve_sh\": \"%s\", \"execveat_sh\": \"OK\"}'", first);
    char *const argv2[] = { "sh", "-c", line, NULL };
    r = syscall(SYS_execveat, AT_FDCWD, "/bin/sh", argv2, envp, 0);
    printf("{\"label\": \"%s\", \"execve_sh\": \"%s\", \"execveat_sh\": \"%s\"}\n", label, first,
           errname(r < 0 ? errno : 0));
    fflush(stdout);
    return 0;
}

static void on_term(int sig)
{
    (void)sig;
    _exit(0);
}

static void *serve_one(void *arg)
{
    static const char reply[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
                                "Connection: close\r\n\r\nok\n";
    int c = (int)(intptr_t)arg;
    char buf[2048];
    struct timeval tv = { 10, 0 };      /* an idle client does not keep its thread */
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (read(c, buf, sizeof(buf)) > 0)
        (void)send(c, reply, sizeof(reply) - 1, MSG_NOSIGNAL);   /* a client gone early is no signal */
    close(c);
    return NULL;
}

/* --serve PORT: see the header. */
static int serve(const char *port_text)
{
    struct sockaddr_in addr;
    struct sigaction sa;
    int one = 1, s, e;
    char *end = NULL;
    long port = strtol(port_text, &end, 10);
    if (end == port_text || *end != '\0' || port <= 0 || port > 65535) {
        fprintf(stderr, "probe: --serve: bad port '%s'\n", port_text);
        return 2;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
        fprintf(stderr, "probe: --serve: socket: %s\n", strerror(errno));
        return 4;
    }
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(s, 64) < 0) {
        fprintf(stderr, "probe: --serve: bind/listen on %ld: %s\n", port, strerror(errno));
        return 4;
    }
    for (;;) {
        pthread_t th;
        int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "probe: --serve: accept: %s\n", strerror(errno));
            return 4;
        }
        e = pthread_create(&th, NULL, serve_one, (void *)(intptr_t)c);
        if (e != 0) {
            fprintf(stderr, "probe: --serve: no thread: %s\n", strerror(e));
            close(c);       /* a refused thread is a refused request: the client sees it */
            continue;
        }
        pthread_detach(th);
    }
}

static void usage(FILE *out)
{
    size_t i;
    fprintf(out, "usage: probe [--load-bpf FILE] [--list] [TEST ...] | --exec-sh | --serve PORT\ntests:");
    for (i = 0; i < NTESTS; i++)
        fprintf(out, " %s", tests[i].name);
    fputc('\n', out);
}

int main(int argc, char **argv)
{
    const struct test *selected[NTESTS * 4];
    size_t nsel = 0, ngiven, i;
    const char *bpf_file = NULL, *serve_port = NULL;
    int argi, mode, helper_exec_sh = 0;
    struct sigaction sa;

    for (argi = 1; argi < argc; argi++) {
        const char *a = argv[argi];
        if (strcmp(a, "--load-bpf") == 0) {
            if (argi + 1 >= argc) {
                usage(stderr);
                return 2;
            }
            bpf_file = argv[++argi];
        } else if (strncmp(a, "--load-bpf=", 11) == 0) {
            bpf_file = a + 11;
        } else if (strcmp(a, "--exec-sh") == 0) {
            helper_exec_sh = 1;
        } else if (strcmp(a, "--serve") == 0) {
            if (argi + 1 >= argc) {
                usage(stderr);
                return 2;
            }
            serve_port = argv[++argi];
        } else if (strcmp(a, "--list") == 0) {
            for (i = 0; i < NTESTS; i++)
                printf("%s\n", tests[i].name);
            return 0;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            const struct test *t = find_test(a);
            if (!t) {
                fprintf(stderr, "probe: unknown test '%s'\n", a);
                usage(stderr);
                return 2;
            }
            if (nsel < sizeof(selected) / sizeof(selected[0]))
                selected[nsel++] = t;
        }
    }
    ngiven = nsel;
    if (nsel == 0)
        for (i = 0; i < NTESTS; i++)
            selected[nsel++] = &tests[i];

    srandom((unsigned)getpid());
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigsys;
    sigaction(SIGSYS, &sa, NULL);

    if (bpf_file && load_bpf(bpf_file) < 0)
        return 3;
    if (helper_exec_sh && (serve_port || ngiven)) {
        fprintf(stderr, "probe: --exec-sh takes no --serve and no tests\n");
        return 2;
    }
    if (serve_port && ngiven) {
        fprintf(stderr, "probe: --serve takes no tests\n");
        return 2;
    }
    if (helper_exec_sh)
        return exec_sh();
    if (serve_port)
        return serve(serve_port);

    mode = read_seccomp_mode();

    /* Results are printed as the tests finish, but only as one line. */
    char *out = NULL;
    size_t outlen = 0;
    FILE *js = open_memstream(&out, &outlen);
    if (!js) {
        fprintf(stderr, "probe: open_memstream: %s\n", strerror(errno));
        return 4;
    }
    char label[256];
    read_label(label, sizeof(label));
    fprintf(js, "{\"seccomp\": %d, \"label\": \"%s\", \"results\": {", mode, label);
    for (i = 0; i < nsel; i++) {
        got_sigsys = 0;
        snprintf(result, RESLEN, "SETUP:NORESULT");
        errno = 0;
        selected[i]->fn();
        if (got_sigsys)
            snprintf(result, RESLEN, "SIGSYS");
        fprintf(js, "%s\"%s\": \"%s\"", i ? ", " : "", selected[i]->name,
                result);
    }
    fprintf(js, "}}\n");
    fclose(js);
    fwrite(out, 1, outlen, stdout);
    fflush(stdout);
    free(out);
    return 0;
}
