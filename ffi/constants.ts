/**
 * C constants for the raw layer, under their C names: syscall numbers, flags, ioctl requests and errno values.
 * Values come from the Linux UAPI headers (6.18); the system headers of older distributions lack most of them.
 *
 * @module
 */

/** The architectures this library runs on. */
export type Arch = "x86_64" | "aarch64";

/**
 * Syscall numbers that have no glibc wrapper on every supported glibc (or none at all).
 * Syscalls added since Linux 5.1 (424 and up) share one number on every architecture.
 */
export const SYSCALLS = {
  x86_64: {
    pidfd_send_signal: 424,
    pidfd_open: 434,
    clone3: 435,
    pidfd_getfd: 438,
    process_madvise: 440,
    process_mrelease: 448,
    waitid: 247,
    listns: 470,
  },
  aarch64: {
    pidfd_send_signal: 424,
    pidfd_open: 434,
    clone3: 435,
    pidfd_getfd: 438,
    process_madvise: 440,
    process_mrelease: 448,
    waitid: 95,
    listns: 470,
  },
} as const satisfies Record<Arch, Record<string, number>>;

// ioctl request encoding (asm-generic, used by x86_64 and aarch64): dir << 30 | size << 16 | type << 8 | nr.
const IOC_NONE = 0;
const IOC_WRITE = 1;
const IOC_READ = 2;

function ioc(dir: number, type: number, nr: number, size: number): number {
  // `>>> 0` keeps the result unsigned: `3 << 30` alone is negative in JavaScript.
  return ((dir << 30) | (size << 16) | (type << 8) | nr) >>> 0;
}

/** `_IO(type, nr)`: an ioctl with no argument struct. */
export function _IO(type: number, nr: number): number {
  return ioc(IOC_NONE, type, nr, 0);
}

/** `_IOR(type, nr, size)`: the kernel writes `size` bytes. */
export function _IOR(type: number, nr: number, size: number): number {
  return ioc(IOC_READ, type, nr, size);
}

/** `_IOW(type, nr, size)`: the kernel reads `size` bytes. */
export function _IOW(type: number, nr: number, size: number): number {
  return ioc(IOC_WRITE, type, nr, size);
}

/** `_IOWR(type, nr, size)`: the kernel reads and writes `size` bytes. */
export function _IOWR(type: number, nr: number, size: number): number {
  return ioc(IOC_READ | IOC_WRITE, type, nr, size);
}

const PIDFS_IOCTL_MAGIC = 0xff;
const NSIO = 0xb7;

/** pidfs ioctls (`include/uapi/linux/pidfd.h`). */
export const PIDFD_GET_CGROUP_NAMESPACE = _IO(PIDFS_IOCTL_MAGIC, 1);
export const PIDFD_GET_IPC_NAMESPACE = _IO(PIDFS_IOCTL_MAGIC, 2);
export const PIDFD_GET_MNT_NAMESPACE = _IO(PIDFS_IOCTL_MAGIC, 3);
export const PIDFD_GET_NET_NAMESPACE = _IO(PIDFS_IOCTL_MAGIC, 4);
export const PIDFD_GET_PID_NAMESPACE = _IO(PIDFS_IOCTL_MAGIC, 5);
export const PIDFD_GET_PID_FOR_CHILDREN_NAMESPACE = _IO(PIDFS_IOCTL_MAGIC, 6);
export const PIDFD_GET_TIME_NAMESPACE = _IO(PIDFS_IOCTL_MAGIC, 7);
export const PIDFD_GET_TIME_FOR_CHILDREN_NAMESPACE = _IO(PIDFS_IOCTL_MAGIC, 8);
export const PIDFD_GET_USER_NAMESPACE = _IO(PIDFS_IOCTL_MAGIC, 9);
export const PIDFD_GET_UTS_NAMESPACE = _IO(PIDFS_IOCTL_MAGIC, 10);
/** `PIDFD_GET_INFO` with the 72-byte `struct pidfd_info` (VER1, Linux 6.16+ layout; 6.13+ accepts it). */
export const PIDFD_GET_INFO = _IOWR(PIDFS_IOCTL_MAGIC, 11, 72);

/** nsfs ioctls (`include/uapi/linux/nsfs.h`). */
export const NS_GET_USERNS = _IO(NSIO, 1);
export const NS_GET_PARENT = _IO(NSIO, 2);
export const NS_GET_NSTYPE = _IO(NSIO, 3);
export const NS_GET_OWNER_UID = _IO(NSIO, 4);
export const NS_GET_MNTNS_ID = _IOR(NSIO, 5, 8);
export const NS_GET_PID_FROM_PIDNS = _IOR(NSIO, 6, 4);
export const NS_GET_TGID_FROM_PIDNS = _IOR(NSIO, 7, 4);
export const NS_GET_PID_IN_PIDNS = _IOR(NSIO, 8, 4);
export const NS_GET_TGID_IN_PIDNS = _IOR(NSIO, 9, 4);
export const NS_GET_ID = _IOR(NSIO, 13, 8);

/** `struct pidfd_info` request and result mask bits. */
export const PIDFD_INFO_PID = 1 << 0;
export const PIDFD_INFO_CREDS = 1 << 1;
export const PIDFD_INFO_CGROUPID = 1 << 2;
export const PIDFD_INFO_EXIT = 1 << 3;
export const PIDFD_INFO_COREDUMP = 1 << 4;

/** `pidfd_open` flags. */
export const PIDFD_NONBLOCK = 0x800;
export const PIDFD_THREAD = 0x80;

/** `pidfd_send_signal` flags (Linux 6.9+). */
export const PIDFD_SIGNAL_THREAD = 1;
export const PIDFD_SIGNAL_THREAD_GROUP = 2;
export const PIDFD_SIGNAL_PROCESS_GROUP = 4;

/** Special pidfd values accepted by `pidfd_send_signal` (Linux 6.15+). */
export const PIDFD_SELF_THREAD = -10000;
export const PIDFD_SELF_THREAD_GROUP = -10001;

/** `waitid` id type and options. */
export const P_PID = 1;
export const P_PIDFD = 3;
export const WNOHANG = 1;
export const WEXITED = 4;
export const WNOWAIT = 0x01000000;

/** `CLONE_NEW*` namespace type bits, as returned by `NS_GET_NSTYPE`. */
export const CLONE_NEWTIME = 0x80;
export const CLONE_NEWNS = 0x20000;
export const CLONE_NEWCGROUP = 0x2000000;
export const CLONE_NEWUTS = 0x4000000;
export const CLONE_NEWIPC = 0x8000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;

/** `open` flags and `openat` directory. */
export const AT_FDCWD = -100;
export const O_RDONLY = 0;
export const O_DIRECTORY = 0o200000;
export const O_CLOEXEC = 0o2000000;

/** More `open` flags and the `fcntl` commands used on pipe ends. */
export const O_RDWR = 2;
export const O_NONBLOCK = 0o4000;
/** `open` flags that keep a caller-supplied path from blocking or taking a terminal (same on both arches). */
export const O_NOCTTY = 0o400;
export const O_PATH = 0o10000000;
export const F_GETFL = 3;
export const F_SETFL = 4;

/** `posix_spawnattr_setflags` flags (glibc). */
export const POSIX_SPAWN_SETSIGDEF = 0x04;
export const POSIX_SPAWN_SETSIGMASK = 0x08;

/** glibc's opaque spawn structs: sizes on x86_64 and aarch64 (80, 336, 128), rounded up for safety. */
export const SIZEOF_POSIX_SPAWN_FILE_ACTIONS = 128;
export const SIZEOF_POSIX_SPAWNATTR = 512;
export const SIZEOF_SIGSET = 128;

/** File handles (`name_to_handle_at`/`open_by_handle_at`): flags, handle types, special mount fds. */
export const AT_EMPTY_PATH = 0x1000;
export const FILEID_KERNFS = 0xfe;
export const FILEID_NSFS = 0xf1;
export const MAX_HANDLE_SZ = 128;
export const FD_PIDFS_ROOT = -10002;
export const FD_NSFS_ROOT = -10003;
/** `fcntl` command: duplicate to the lowest free fd, close-on-exec. */
export const F_DUPFD_CLOEXEC = 1030;

/** `poll` events. */
export const POLLIN = 0x1;
export const POLLHUP = 0x10;

/** `epoll` flags, operations and events (`EPOLLIN`/`EPOLLHUP` equal `POLLIN`/`POLLHUP`). */
export const EPOLL_CLOEXEC = 0x80000;
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;
export const EPOLLIN = 0x1;
export const EPOLLOUT = 0x4;
export const EPOLLERR = 0x8;
export const EPOLLHUP = 0x10;

/** `eventfd` flags. */
export const EFD_CLOEXEC = 0x80000;
export const EFD_NONBLOCK = 0x800;

/** `si_code` values of a `waitid` result (`CLD_*`). */
export const CLD_EXITED = 1;
export const CLD_KILLED = 2;
export const CLD_DUMPED = 3;

/** `process_madvise` advice values (`include/uapi/asm-generic/mman-common.h`) accepted for another process. */
export const MADV_WILLNEED = 3;
export const MADV_COLD = 20;
export const MADV_PAGEOUT = 21;
export const MADV_COLLAPSE = 25;

/** The most `struct iovec`s one `process_madvise` call takes (`UIO_MAXIOV`, glibc's `IOV_MAX`). */
export const IOV_MAX = 1024;

/** `fstatfs().f_type` of a pidfd on pidfs (Linux 6.9+). */
export const PID_FS_MAGIC = 0x50494446;

/** `fstatfs().f_type` of a namespace file (nsfs). */
export const NSFS_MAGIC = 0x6e736673;

/** `fstatfs().f_type` of a procfs mount. */
export const PROC_SUPER_MAGIC = 0x9fa0;

/** The nsfs inode of the initial PID namespace (fixed since Linux 3.8; `PID_NS_INIT_INO` in 6.18 UAPI). */
export const PID_NS_INIT_INO = 0xeffffffc;

/** AF_UNIX sockets (`sys/socket.h`, `asm-generic/socket.h`; the same on x86_64 and aarch64). */
export const AF_UNIX = 1;
export const SOCK_STREAM = 1;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_TYPE = 3;
export const SO_ERROR = 4;
export const SO_PASSCRED = 16;
export const SO_PEERCRED = 17;
export const SO_DOMAIN = 39;
export const SO_PASSPIDFD = 76;
export const SO_PEERPIDFD = 77;
export const SCM_RIGHTS = 1;
export const SCM_CREDENTIALS = 2;
export const SCM_PIDFD = 4;
export const MSG_CTRUNC = 0x8;
export const MSG_NOSIGNAL = 0x4000;
export const MSG_CMSG_CLOEXEC = 0x40000000;
export const SHUT_WR = 1;
/** The most fds one `SCM_RIGHTS` message may carry (`SCM_MAX_FD`). */
export const SCM_MAX_FD = 253;

/** `*at` flags and `renameat2` flags (`F_DUPFD_CLOEXEC` is above). */
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
export const RENAME_NOREPLACE = 1;

/** errno values (identical on x86_64 and aarch64). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EPIPE: 32,
  ERANGE: 34,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ELOOP: 40,
  ENODATA: 61,
  EREMOTE: 66,
  EOVERFLOW: 75,
  EUSERS: 87,
  ENOTSOCK: 88,
  EMSGSIZE: 90,
  ENOPROTOOPT: 92,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EINPROGRESS: 115,
  ESTALE: 116,
} as const;
