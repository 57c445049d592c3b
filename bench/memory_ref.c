/*
 * The C reference for bench/memory_bench.ts: the same process_madvise loop as Pidfd.adviseMemory, with no
 * runtime. Compiled at bench time (never committed as a binary): gcc -O2 -o memory_ref bench/memory_ref.c
 *
 *   memory_ref <pid> <start> <end> <pieces>   (start and end in hex)
 *
 * Opens a pidfd of <pid> and splits [start, end) into <pieces> equal iovecs. For each line "go" on stdin it
 * advises them with MADV_PAGEOUT in batches of IOV_MAX, continuing where the kernel stopped, and prints
 * "<bytes> <ns>" (the time of the loop alone).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define IOVMAX 1024
#define MADV_PAGEOUT_ 21

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 5) return 2;
  int fd = syscall(SYS_pidfd_open, atoi(argv[1]), 0);
  if (fd < 0) return perror("pidfd_open"), 1;
  unsigned long start = strtoul(argv[2], NULL, 16), end = strtoul(argv[3], NULL, 16);
  size_t n = strtoul(argv[4], NULL, 10);
  struct iovec *iov = calloc(n, sizeof *iov);
  unsigned long piece = (end - start) / n;
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    for (size_t i = 0; i < n; i++) {
      iov[i].iov_base = (void *)(start + i * piece);
      iov[i].iov_len = piece;
    }
    double t0 = now_ns();
    size_t i = 0, total = 0;
    while (i < n) {
      size_t count = n - i < IOVMAX ? n - i : IOVMAX;
      ssize_t r = syscall(SYS_process_madvise, fd, iov + i, count, MADV_PAGEOUT_, 0);
      if (r < 0) return perror("process_madvise"), 1;
      total += r;
      while (r > 0) { /* consume r bytes, possibly ending inside an iovec */
        if ((size_t)r >= iov[i].iov_len) {
          r -= iov[i].iov_len;
          i++;
        } else {
          iov[i].iov_base = (char *)iov[i].iov_base + r;
          iov[i].iov_len -= r;
          r = 0;
        }
      }
    }
    printf("%zu %.0f\n", total, now_ns() - t0);
    fflush(stdout);
  }
  return 0;
}
