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
  /** int kill(pid_t pid, int sig); only for a just-spawned child that is not reaped (its pid cannot be reused) */
  kill: { parameters: ["i32", "i32"], result: "i32" },
  /** int pipe2(int pipefd[2], int flags); */
  pipe2: { parameters: ["buffer", "i32"], result: "i32" },
  /** int fcntl(int fd, int cmd, int arg); */
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  /** void *dlsym(void *handle, const char *symbol); in libc itself since glibc 2.34 */
  dlsym: { parameters: ["usize", "buffer"], result: "usize", optional: true },
  // posix_spawn(3) and its helpers return an error number (0 on success) rather than -1 and errno. argv and envp
  // are addresses (usize): a table the caller keeps referenced during the call, or libc's own `environ`.
  /** int posix_spawn_file_actions_init(posix_spawn_file_actions_t *fa); */
  posix_spawn_file_actions_init: { parameters: ["buffer"], result: "i32" },
  /** int posix_spawn_file_actions_destroy(posix_spawn_file_actions_t *fa); */
  posix_spawn_file_actions_destroy: { parameters: ["buffer"], result: "i32" },
  /** int posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *fa, int fd, int newfd); */
  posix_spawn_file_actions_adddup2: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  /** int posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *fa, int fd, const char *path, int oflag, mode_t mode); */
  posix_spawn_file_actions_addopen: { parameters: ["buffer", "i32", "buffer", "i32", "u32"], result: "i32" },
  /** int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *fa, const char *path); glibc >= 2.29 */
  posix_spawn_file_actions_addchdir_np: { parameters: ["buffer", "buffer"], result: "i32" },
  /** int posix_spawnattr_init(posix_spawnattr_t *attr); */
  posix_spawnattr_init: { parameters: ["buffer"], result: "i32" },
  /** int posix_spawnattr_destroy(posix_spawnattr_t *attr); */
  posix_spawnattr_destroy: { parameters: ["buffer"], result: "i32" },
  /** int posix_spawnattr_setflags(posix_spawnattr_t *attr, short flags); */
  posix_spawnattr_setflags: { parameters: ["buffer", "i32"], result: "i32" },
  /** int posix_spawnattr_setsigmask(posix_spawnattr_t *attr, const sigset_t *mask); */
  posix_spawnattr_setsigmask: { parameters: ["buffer", "buffer"], result: "i32" },
  /** int posix_spawnattr_setsigdefault(posix_spawnattr_t *attr, const sigset_t *set); */
  posix_spawnattr_setsigdefault: { parameters: ["buffer", "buffer"], result: "i32" },
  /** int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr, char *const argv[], char *const envp[]); */
  posix_spawnp: { parameters: ["buffer", "buffer", "buffer", "buffer", "usize", "usize"], result: "i32" },
  /** int pidfd_spawnp(int *pidfd, const char *file, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr, char *const argv[], char *const envp[]); glibc >= 2.39 */
  pidfd_spawnp: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "usize", "usize"],
    result: "i32",
    optional: true,
  },
  /** ssize_t process_madvise(int pidfd, const struct iovec *iov, size_t n, int advice, unsigned int flags); glibc >= 2.36 */
  process_madvise: { parameters: ["i32", "buffer", "usize", "i32", "u32"], result: "i32", optional: true },
  /** int process_mrelease(int pidfd, unsigned int flags); glibc >= 2.36 */
  process_mrelease: { parameters: ["i32", "u32"], result: "i32", optional: true },
  /** int getpagesize(void); */
  getpagesize: { parameters: [], result: "i32" },
  /** pid_t pidfd_getpid(int pidfd); glibc >= 2.39 */
  pidfd_getpid: { parameters: ["i32"], result: "i32", optional: true },
  /**
   * long syscall(long number, ...) with four `int`-sized arguments, for syscalls glibc may not wrap.
   * The kernel narrows each argument to its declared type, so unused trailing arguments are harmless.
   */
  syscall4: { name: "syscall", parameters: ["i32", "i32", "i32", "i32", "i32"], result: "i32" },
  /** int name_to_handle_at(int dirfd, const char *path, struct file_handle *fh, int *mount_id, int flags); */
  name_to_handle_at: { parameters: ["i32", "buffer", "buffer", "buffer", "i32"], result: "i32" },
  /** int open_by_handle_at(int mount_fd, struct file_handle *fh, int flags); */
  open_by_handle_at: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  /** ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t size); */
  readlinkat: { parameters: ["i32", "buffer", "buffer", "usize"], result: "i32" },
  /**
   * long syscall(long number, const void *a, void *b, size_t n, unsigned int flags): `listns(2)` (Linux 6.19),
   * which no glibc wraps.
   */
  syscall_listns: { name: "syscall", parameters: ["i32", "buffer", "buffer", "usize", "u32"], result: "i32" },
  /** int setns(int fd, int nstype); glibc >= 2.14. Changes the calling thread's namespaces only. */
  setns: { parameters: ["i32", "i32"], result: "i32" },
  /**
   * long syscall(long number, int, const void *, size_t, int, unsigned int): the `process_madvise` shape. Its
   * result is below 2^31: the kernel advises at most `MAX_RW_COUNT` (2 GiB - 4 KiB) bytes per call.
   */
  syscall_iov: {
    name: "syscall",
    parameters: ["i32", "i32", "buffer", "usize", "i32", "u32"],
    result: "i32",
  },
  /** ssize_t write(int fd, const void *buf, size_t count); */
  write: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  /** int isatty(int fd); 1 for a terminal, else 0 */
  isatty: { parameters: ["i32"], result: "i32" },
  /** int epoll_create1(int flags); */
  epoll_create1: { parameters: ["i32"], result: "i32" },
  /** int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event); */
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  /** int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout); */
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  /** int eventfd(unsigned int initval, int flags); */
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  // AF_UNIX sockets (src/socket_peer.ts, src/unix.ts). Addresses and option values are passed as buffers with
  // their lengths; `msghdr` carries raw addresses of long-lived buffers (ffi `memory.addressOf`).
  /** int socket(int domain, int type, int protocol); */
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  /** int socketpair(int domain, int type, int protocol, int sv[2]); */
  socketpair: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  /** int bind(int fd, const struct sockaddr *addr, socklen_t len); */
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  /** int listen(int fd, int backlog); */
  listen: { parameters: ["i32", "i32"], result: "i32" },
  /** int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags); addr and len NULL here */
  accept4: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  /** int connect(int fd, const struct sockaddr *addr, socklen_t len); */
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  /** int getsockopt(int fd, int level, int name, void *value, socklen_t *len); */
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  /** int setsockopt(int fd, int level, int name, const void *value, socklen_t len); */
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  /** ssize_t send(int fd, const void *buf, size_t len, int flags); */
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  /** ssize_t sendmsg(int fd, const struct msghdr *msg, int flags); */
  sendmsg: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  /** ssize_t recvmsg(int fd, struct msghdr *msg, int flags); */
  recvmsg: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  /** int shutdown(int fd, int how); */
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  /** int mkdirat(int dirfd, const char *path, mode_t mode); */
  mkdirat: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  /** int unlinkat(int dirfd, const char *path, int flags); `AT_REMOVEDIR` for a directory */
  unlinkat: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  /** int fchmodat(int dirfd, const char *path, mode_t mode, int flags); */
  fchmodat: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  /** int fstatat(int dirfd, const char *path, struct stat *st, int flags); a real symbol since glibc 2.33 */
  fstatat: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  /** int renameat2(int olddirfd, const char *old, int newdirfd, const char *new, unsigned int flags); glibc >= 2.28 */
  renameat2: { parameters: ["i32", "buffer", "i32", "buffer", "u32"], result: "i32" },
  /** int *__errno_location(void); read only by the backends, right after a failed call */
  __errno_location: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The symbols as the rest of the library sees them: errno already folded into the result. */
export type Libc = Omit<Deno.StaticForeignLibraryInterface<typeof SYMBOLS>, "__errno_location">;

/**
 * Raw memory access for building and reading C pointer arrays (`argv`, `envp`, `environ`), which no symbol
 * signature can express. Addresses are plain numbers: user-space addresses stay below 2^53.
 */
export interface Memory {
  /** The address of the first byte of a typed array's view. The array must stay referenced while in use. */
  addressOf(buffer: ArrayBufferView): number;
  /** The pointer stored at `address + 8 * index`. */
  readPointer(address: number, index: number): number;
  /** The NUL-terminated string at `address`, decoded as UTF-8. */
  readCString(address: number): string;
  /**
   * A new array of `length` bytes for the kernel to fill, which the caller must overwrite or zero before any of
   * it is handed out: Bun's `allocUnsafe` (no zeroing pass), zeroed under Deno (which has no such allocation).
   */
  uninitialized(length: number): Uint8Array;
}

/** The shared library opened by both backends. */
export const LIBC_PATH = "libc.so.6";
