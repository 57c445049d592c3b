/**
 * The one table of libc symbols this library calls, in Deno's `Deno.dlopen` form. The Bun backend derives its
 * own form from it mechanically (`ffi/bun.ts`), so there is no second table.
 *
 * Rules for entries:
 * - C `int` and `unsigned int` are `i32`/`u32` (Deno's fast path; no BigInt).
 * - `size_t` parameters are `usize`; callers pass BigInt constants made once, never per call.
 * - `ssize_t` results are declared `i32`: every read here is far below 2^31 bytes, and the low 32 bits of the
 *   return register are then exact (including -1). This keeps results plain numbers in Deno.
 * - Variadic functions (`ioctl`, `syscall`, `openat`) get one fixed prototype per call shape, under its own key
 *   with `name` naming the C symbol. All-integer prototypes are ABI-compatible with the variadic ones on x86_64
 *   and aarch64 Linux.
 * - `optional: true` marks symbols some glibc versions lack; the raw layer falls back to `syscall()`.
 *
 * @module
 */

export const SYMBOLS = {
  /** int close(int fd); */
  close: { parameters: ["i32"], result: "i32" },
  /** int openat(int dirfd, const char *path, int flags, mode_t mode); */
  openat: { parameters: ["i32", "buffer", "i32", "u32"], result: "i32" },
  /** ssize_t read(int fd, void *buf, size_t count); */
  read: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  /** ssize_t getdents64(int fd, void *dirp, size_t count); glibc >= 2.30 */
  getdents64: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  /** int fstat(int fd, struct stat *st); a real symbol since glibc 2.33 */
  fstat: { parameters: ["i32", "buffer"], result: "i32" },
  /** int fstatfs(int fd, struct statfs *buf); */
  fstatfs: { parameters: ["i32", "buffer"], result: "i32" },
  /** int ioctl(int fd, unsigned long request, int value): an argument passed by value (or 0). */
  ioctl_val: { name: "ioctl", parameters: ["i32", "u32", "i32"], result: "i32" },
  /** int ioctl(int fd, unsigned long request, void *arg): an argument struct. */
  ioctl_ptr: { name: "ioctl", parameters: ["i32", "u32", "buffer"], result: "i32" },
  /** int poll(struct pollfd *fds, nfds_t nfds, int timeout); */
  poll: { parameters: ["buffer", "usize", "i32"], result: "i32" },
  /** pid_t getpid(void); */
  getpid: { parameters: [], result: "i32" },
  /** int waitid(idtype_t idtype, id_t id, siginfo_t *info, int options); glibc's four-argument form */
  waitid: { parameters: ["i32", "u32", "buffer", "i32"], result: "i32" },
  /** int pidfd_open(pid_t pid, unsigned int flags); glibc >= 2.36 */
  pidfd_open: { parameters: ["i32", "u32"], result: "i32", optional: true },
  /** int pidfd_send_signal(int pidfd, int sig, siginfo_t *info, unsigned int flags); glibc >= 2.36 */
  pidfd_send_signal: { parameters: ["i32", "i32", "buffer", "u32"], result: "i32", optional: true },
  /** int pidfd_getfd(int pidfd, int targetfd, unsigned int flags); glibc >= 2.36 */
  pidfd_getfd: { parameters: ["i32", "i32", "u32"], result: "i32", optional: true },
  /**
   * long syscall(long number, ...) with four `int`-sized arguments, for syscalls glibc may not wrap.
   * The kernel narrows each argument to its declared type, so unused trailing arguments are harmless.
   */
  syscall4: { name: "syscall", parameters: ["i32", "i32", "i32", "i32", "i32"], result: "i32" },
  /** int *__errno_location(void); read only by the backends, right after a failed call */
  __errno_location: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The symbols as the rest of the library sees them: errno already folded into the result. */
export type Libc = Omit<Deno.StaticForeignLibraryInterface<typeof SYMBOLS>, "__errno_location">;

/** The shared library opened by both backends. */
export const LIBC_PATH = "libc.so.6";
