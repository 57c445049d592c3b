/**
 * Struct layouts as frozen offset tables (x86_64 and aarch64 Linux, both little-endian), and the helpers that
 * read them. Callers allocate each struct buffer once and reuse it; nothing here allocates per call.
 *
 * @module
 */

/** Every struct read here is little-endian on the supported architectures. */
export const LE = true;

/** `struct pidfd_info` (72-byte VER1). */
export const PIDFD_INFO = Object.freeze({
  size: 72,
  mask: 0,
  cgroupid: 8,
  pid: 16,
  tgid: 20,
  ppid: 24,
  ruid: 28,
  rgid: 32,
  euid: 36,
  egid: 40,
  suid: 44,
  sgid: 48,
  fsuid: 52,
  fsgid: 56,
  exit_code: 60,
  coredump_mask: 64,
});

/** `struct stat`: the fields read here sit at the same offsets on x86_64 (144 B) and aarch64 (128 B). */
export const STAT = Object.freeze({ size: 144, st_dev: 0, st_ino: 8 });

/** `struct statfs`: `f_type` is a `long` at offset 0 on both architectures. */
export const STATFS = Object.freeze({ size: 120, f_type: 0 });

/** `struct pollfd`. */
export const POLLFD = Object.freeze({ size: 8, fd: 0, events: 4, revents: 6 });

/**
 * `struct epoll_event` per architecture: `u32 events` then `u64 data`, packed (12 bytes) on x86_64, naturally
 * aligned (16 bytes, data at 8) on aarch64. Arrays of it are sized with `size`.
 */
export const EPOLL_EVENT = Object.freeze({
  x86_64: Object.freeze({ size: 12, events: 0, data: 4 }),
  aarch64: Object.freeze({ size: 16, events: 0, data: 8 }),
});

/** `siginfo_t` as filled by `waitid`. */
export const SIGINFO = Object.freeze({ size: 128, si_signo: 0, si_code: 8, si_pid: 16, si_status: 24 });

/** `struct iovec`: `void *iov_base`, `size_t iov_len`. */
export const IOVEC = Object.freeze({ size: 16, iov_base: 0, iov_len: 8 });

/** `struct linux_dirent64`: `d_ino` u64, `d_off` s64, `d_reclen` u16, `d_type` u8, then the name. */
export const DIRENT64 = Object.freeze({ d_reclen: 16, d_name: 19 });

/** `struct sockaddr_un`: `sa_family_t` then `sun_path[108]` (the limit includes the terminating NUL). */
export const SOCKADDR_UN = Object.freeze({ size: 110, sun_family: 0, sun_path: 2, pathMax: 108 });

/** `struct ucred` (`SO_PEERCRED`, `SCM_CREDENTIALS`). */
export const UCRED = Object.freeze({ size: 12, pid: 0, uid: 4, gid: 8 });

/** `struct msghdr` (64-bit): pointers and `size_t` lengths are 8 bytes. */
export const MSGHDR = Object.freeze({
  size: 56,
  msg_name: 0,
  msg_namelen: 8,
  msg_iov: 16,
  msg_iovlen: 24,
  msg_control: 32,
  msg_controllen: 40,
  msg_flags: 48,
});

/**
 * `struct cmsghdr` (64-bit): `size_t cmsg_len`, `int cmsg_level`, `int cmsg_type`, then the data, each message
 * aligned to 8 bytes (`CMSG_ALIGN`).
 */
export const CMSGHDR = Object.freeze({ cmsg_len: 0, cmsg_level: 8, cmsg_type: 12, data: 16, align: 8 });

/** `CMSG_SPACE(n)`: the bytes a control message with `n` bytes of data takes in a control buffer. */
export function cmsgSpace(n: number): number {
  return CMSGHDR.data + Math.ceil(n / CMSGHDR.align) * CMSGHDR.align;
}

/**
 * `struct file_handle`: `u32 handle_bytes`, `i32 handle_type`, then the payload (at most `MAX_HANDLE_SZ` bytes).
 * A pidfs handle's payload is the u64 pidfs inode; an nsfs handle's is `struct nsfs_file_handle` (`u64 ns_id`,
 * `u32 ns_type`, `u32 ns_inum`).
 */
export const FILE_HANDLE = Object.freeze({ header: 8, handle_bytes: 0, handle_type: 4, f_handle: 8 });

/** `struct ns_id_req` of `listns(2)` (Linux 6.19, `NS_ID_REQ_SIZE_VER0`). */
export const NS_ID_REQ = Object.freeze({ size: 32, ns_id: 8, ns_type: 16, user_ns_id: 24 });

/** A buffer and a little-endian view of it, allocated once per struct kind. */
export interface StructBuffer {
  readonly bytes: Uint8Array;
  readonly view: DataView;
}

/** Allocates a zeroed struct buffer of `size` bytes with its view. */
export function structBuffer(size: number): StructBuffer {
  const bytes = new Uint8Array(size);
  return { bytes, view: new DataView(bytes.buffer) };
}

const encoder = new TextEncoder();
/** Linux `PATH_MAX`, including the terminating NUL. */
const PATH_MAX = 4096;
const pathBuffer = new Uint8Array(PATH_MAX);

/**
 * Encodes `path` as a NUL-terminated C string into a shared buffer, valid until the next call.
 * Returns `null` when the path does not fit `PATH_MAX` or contains a NUL byte.
 */
export function cPath(path: string): Uint8Array | null {
  if (path.includes("\0")) return null;
  const { read, written } = encoder.encodeInto(path, pathBuffer.subarray(0, PATH_MAX - 1));
  if (read !== path.length) return null;
  pathBuffer[written] = 0;
  return pathBuffer;
}
