/* What a seccomp filter costs each call: the benchmark program of bench/syscall_cost.py.
 *
 *   cost N [CALL...]   time N calls of each CALL (all of them when none is named) and print
 *                      one JSON line: {"CALL": nanoseconds per call, ...}
 *   cost status        print the Seccomp: line of /proc/self/status (2: a filter is loaded)
 *
 * Static, so it runs in an image with nothing else in it. Each call is made with syscall(2)
 * directly (no libc caching), with arguments that succeed and change nothing:
 *   getppid        getppid()
 *   read           read(/dev/zero, 64 bytes)
 *   write          write(/dev/null, 64 bytes)
 *   fcntl          fcntl(fd, F_GETFD)
 *   futex          futex(FUTEX_WAKE_PRIVATE) on a word no one waits on
 *   epoll_wait     epoll_wait(an empty epoll set, timeout 0)
 *   socket         socket(AF_INET, SOCK_STREAM) and close(): the pair, per pair
 *   clone          a thread (pthread_create, which calls clone with CLONE_THREAD), and its
 *                  join: per thread, N/100 of them
 * and two calls that the profiles filter by their arguments, made so that the kernel refuses
 * them at once after the filter has run (EAFNOSUPPORT, EINVAL): what the filter's argument
 * rules cost, without a socket or a thread made beside it
 *   socket_nofamily  socket(4095, SOCK_STREAM): no such address family
 *   clone_badflags   clone(CLONE_THREAD) without CLONE_SIGHAND: invalid flags
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *thread_body(void *arg)
{
	return arg;
}

static double run(const char *call, long n)
{
	static char buf[64];
	static int word;
	double start;
	long i;

	if (!strcmp(call, "getppid")) {
		start = now_ns();
		for (i = 0; i < n; i++)
			syscall(SYS_getppid);
		return (now_ns() - start) / n;
	}
	if (!strcmp(call, "read") || !strcmp(call, "write")) {
		int reading = !strcmp(call, "read");
		int fd = open(reading ? "/dev/zero" : "/dev/null", reading ? O_RDONLY : O_WRONLY);
		if (fd < 0)
			return -1;
		start = now_ns();
		for (i = 0; i < n; i++)
			syscall(reading ? SYS_read : SYS_write, fd, buf, sizeof(buf));
		start = (now_ns() - start) / n;
		close(fd);
		return start;
	}
	if (!strcmp(call, "fcntl")) {
		start = now_ns();
		for (i = 0; i < n; i++)
			syscall(SYS_fcntl, 1, F_GETFD);
		return (now_ns() - start) / n;
	}
	if (!strcmp(call, "futex")) {
		start = now_ns();
		for (i = 0; i < n; i++)
			syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		return (now_ns() - start) / n;
	}
	if (!strcmp(call, "epoll_wait")) {
		struct epoll_event ev;
		int ep = epoll_create1(0);
		if (ep < 0)
			return -1;
		start = now_ns();
		for (i = 0; i < n; i++)
			syscall(SYS_epoll_wait, ep, &ev, 1, 0);
		start = (now_ns() - start) / n;
		close(ep);
		return start;
	}
	if (!strcmp(call, "socket")) {
		n /= 10;
		start = now_ns();
		for (i = 0; i < n; i++) {
			long fd = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
			if (fd < 0)
				return -1;
			syscall(SYS_close, fd);
		}
		return (now_ns() - start) / n;
	}
	if (!strcmp(call, "socket_nofamily")) {
		start = now_ns();
		for (i = 0; i < n; i++)
			syscall(SYS_socket, 4095, SOCK_STREAM, 0);
		return (now_ns() - start) / n;
	}
	if (!strcmp(call, "clone_badflags")) {
		start = now_ns();
		for (i = 0; i < n; i++)
			syscall(SYS_clone, CLONE_THREAD, 0, 0, 0, 0);
		return (now_ns() - start) / n;
	}
	if (!strcmp(call, "clone")) {
		pthread_t t;
		n /= 100;
		start = now_ns();
		for (i = 0; i < n; i++) {
			if (pthread_create(&t, NULL, thread_body, NULL))
				return -1;
			pthread_join(t, NULL);
		}
		return (now_ns() - start) / n;
	}
	return -2;
}

int main(int argc, char **argv)
{
	static const char *all[] = {"getppid", "read", "write", "fcntl", "futex", "epoll_wait", "socket", "clone",
					 "socket_nofamily", "clone_badflags", NULL};
	const char **calls = all;
	long n;
	int i;

	if (argc == 2 && !strcmp(argv[1], "status")) {
		char line[256];
		FILE *f = fopen("/proc/self/status", "r");
		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "Seccomp:", 8))
				fputs(line, stdout);
		return f ? 0 : 1;
	}
	if (argc < 2 || (n = atol(argv[1])) < 100) {
		fprintf(stderr, "usage: cost N [CALL...]   (N >= 100)\n");
		return 2;
	}
	if (argc > 2)
		calls = (const char **)argv + 2;
	printf("{");
	for (i = 0; calls[i] && (argc > 2 ? i < argc - 2 : 1); i++) {
		double ns = run(calls[i], n);
		printf("%s\"%s\": %.2f", i ? ", " : "", calls[i], ns);
	}
	printf("}\n");
	return 0;
}
