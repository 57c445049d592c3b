/*
 * The C reference for bench/wait_bench.ts: the same two rounds with one epoll set and no runtime.
 * Compiled at bench time (never committed as a binary): gcc -O2 -o wait_ref bench/wait_ref.c
 *
 *   wait_ref <n>        prints one JSON line:
 *   {"n":…,"sequential":{"delivered":…,"p50":ms,"p99":ms},"burst":{"delivered":…,"p50":ms,"p99":ms,"drain":ms}}
 *   wait_ref spawn <n>  starts n sleepers, prints their pids (one a line) and reaps them as they die: the
 *                       parent of the non-children that the benchmark watches when the fd limit does not
 *                       allow n children of the runtime (each costs the runtime an fd too).
 *
 * Children are `sleep 1000` (fork + exec, as the runtimes start them). Each exit is collected like the
 * library does for its own children: epoll reports the pidfd, waitid(P_PIDFD, WEXITED) reaps it and gives
 * the status, the fd is deleted from the set and closed.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p) {
  qsort(v, n, sizeof *v, cmp);
  int i = (int)(p * (n - 1) + 0.5);
  return v[i];
}

/* Starts n sleepers, returns their pidfds registered in epfd with token = index. */
static void start(int n, int epfd, int *fds) {
  for (int i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); exit(1); }
    if (pid == 0) {
      execlp("sleep", "sleep", "1000", (char *)NULL);
      _exit(127);
    }
    fds[i] = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fds[i] < 0) { perror("pidfd_open"); exit(1); }
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fds[i], &ev) < 0) { perror("epoll_ctl"); exit(1); }
  }
}

/* Reaps one reported child; returns 1 if it was killed by SIGKILL. */
static int collect(int epfd, int fd) {
  siginfo_t si = {0};
  int ok = waitid(P_PIDFD, fd, &si, WEXITED) == 0 && si.si_code == CLD_KILLED && si.si_status == SIGKILL;
  epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
  return ok;
}

/* Parent of n sleepers that reaps each as soon as it dies (waitid(P_ALL), O(1) per child). */
static int spawner(int n) {
  for (int i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 1; }
    if (pid == 0) {
      execlp("sleep", "sleep", "1000", (char *)NULL);
      _exit(127);
    }
    printf("%d\n", pid);
  }
  fflush(stdout);
  siginfo_t si;
  while (n > 0 && waitid(P_ALL, 0, &si, WEXITED) == 0) n--;
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 2 && argv[1][0] == 's') return spawner(atoi(argv[2]));
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  int *fds = calloc(n, sizeof *fds);
  double *kill_at = calloc(n, sizeof *kill_at), *lat = calloc(n, sizeof *lat);
  struct epoll_event *out = calloc(1024, sizeof *out);
  /* Let the children finish exec before timing anything. */
  start(n, epfd, fds);
  usleep(200000);

  /* Sequential: kill one, wait for its event, n times. */
  int seq_ok = 0;
  for (int i = 0; i < n; i++) {
    double t0 = now_ms();
    syscall(SYS_pidfd_send_signal, fds[i], SIGKILL, NULL, 0);
    for (int got = 0; !got;) {
      int k = epoll_wait(epfd, out, 1024, -1);
      for (int j = 0; j < k; j++) {
        if ((int)out[j].data.u64 != i) continue;
        seq_ok += collect(epfd, fds[i]);
        got = 1;
      }
    }
    lat[i] = now_ms() - t0;
  }
  double seq_p50 = pct(lat, n, 0.5), seq_p99 = pct(lat, n, 0.99);

  /* Burst: kill all, drain. */
  start(n, epfd, fds);
  usleep(200000);
  double t0 = now_ms();
  for (int i = 0; i < n; i++) {
    syscall(SYS_pidfd_send_signal, fds[i], SIGKILL, NULL, 0);
    kill_at[i] = now_ms();
  }
  int left = n, burst_ok = 0;
  while (left > 0) {
    int k = epoll_wait(epfd, out, 1024, -1);
    for (int j = 0; j < k; j++) {
      int i = (int)out[j].data.u64;
      burst_ok += collect(epfd, fds[i]);
      lat[i] = now_ms() - kill_at[i];
      left--;
    }
  }
  double drain = now_ms() - t0;
  printf("{\"n\":%d,\"sequential\":{\"delivered\":%d,\"p50\":%.3f,\"p99\":%.3f},"
         "\"burst\":{\"delivered\":%d,\"p50\":%.3f,\"p99\":%.3f,\"drain\":%.1f}}\n",
         n, seq_ok, seq_p50, seq_p99, burst_ok, pct(lat, n, 0.5), pct(lat, n, 0.99), drain);
  return 0;
}
