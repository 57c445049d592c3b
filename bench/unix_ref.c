/*
 * The C reference and the load generator for bench/unix_bench.ts. Compiled at bench time (never committed as a
 * binary): gcc -O2 -o unix_ref bench/unix_ref.c
 *
 *   unix_ref client <path> <n>  connects n times, one after another, closing each socket at once: the load for
 *                               the accept benchmark (of the library and of `serve` below).
 *   unix_ref serve <path> <n>   listens on <path>, starts `client` in a child, and times n rounds of what
 *                               UnixListener.accept() + UnixConnection.peer() + close do: accept4(SOCK_CLOEXEC |
 *                               SOCK_NONBLOCK, waiting in epoll when none is pending), getsockopt(SO_PEERPIDFD),
 *                               PIDFD_GET_INFO for the pid, close both. Prints {"n":…,"nsPerConnection":…}.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

struct pidfd_info {
  uint64_t mask, cgroupid;
  uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  int32_t exit_code;
  uint32_t coredump_mask, spare1;
};
#define PIDFD_GET_INFO _IOWR(0xFF, 11, struct pidfd_info)

static struct sockaddr_un address(const char *path) {
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  strncpy(a.sun_path, path, sizeof a.sun_path - 1);
  return a;
}

static int client(const char *path, long n) {
  struct sockaddr_un a = address(path);
  for (long i = 0; i < n; i++) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { perror("connect"); return 1; }
    close(fd);
  }
  return 0;
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int serve(const char *self, const char *path, long n) {
  struct sockaddr_un a = address(path);
  unlink(path);
  int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4096) < 0) { perror("listen"); return 1; }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN }, out;
  epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
  char count[32];
  snprintf(count, sizeof count, "%ld", n);
  pid_t child = fork();
  if (child == 0) { execl(self, self, "client", path, count, (char *)NULL); _exit(127); }
  double start = now_ns();
  for (long i = 0; i < n;) {
    int c = accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c < 0) { epoll_wait(ep, &out, 1, -1); continue; }
    int pidfd;
    socklen_t len = sizeof pidfd;
    if (getsockopt(c, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) < 0) { perror("SO_PEERPIDFD"); return 1; }
    struct pidfd_info info = { .mask = 1 };
    ioctl(pidfd, PIDFD_GET_INFO, &info);
    close(pidfd);
    close(c);
    i++;
  }
  double elapsed = now_ns() - start;
  waitpid(child, NULL, 0);
  unlink(path);
  printf("{\"n\":%ld,\"nsPerConnection\":%.0f}\n", n, elapsed / n);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "client") == 0) return client(argv[2], atol(argv[3]));
  if (argc == 4 && strcmp(argv[1], "serve") == 0) return serve(argv[0], argv[2], atol(argv[3]));
  fprintf(stderr, "usage: unix_ref client|serve <path> <n>\n");
  return 2;
}
