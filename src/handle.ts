/**
 * pidfs file handles: `name_to_handle_at(2)` on a pidfd, `open_by_handle_at(2)` back to a pidfd (Linux 6.14;
 * `FD_PIDFS_ROOT` as the mount fd 6.17). The mechanics behind `Pidfd.handle()` and `Pidfd.fromHandle()`; this
 * module hands back raw fds, which its owner wraps.
 *
 * A handle is the whole `struct file_handle` as bytes: `u32 handle_bytes` (8), `i32 handle_type`
 * (`FILEID_KERNFS`, 0xfe), then the u64 pidfs inode (the process's `Pidfd.id`). It is valid for the boot and
 * names one process for good: once that process has been reaped, no process ever matches it again.
 *
 * @module
 */

import {
  AT_EMPTY_PATH,
  Errno,
  FD_PIDFS_ROOT,
  FILE_HANDLE,
  FILEID_KERNFS,
  FILEID_NSFS,
  LE,
  libc,
  MAX_HANDLE_SZ,
  O_CLOEXEC,
  O_NONBLOCK,
  pidfd_open,
  PIDFD_THREAD,
  structBuffer,
} from "../ffi/mod.ts";
import { describe, SyscallError, UnsupportedError } from "./errors.ts";
import { closeRaw, notWhatItShouldBe } from "./fd.ts";
import { supports } from "./supports.ts";

/** The length of a pidfs handle: the 8-byte header and the u64 inode. */
export const PIDFS_HANDLE_SIZE = FILE_HANDLE.header + 8;

// Filled and read back within one call each; nothing the caller supplies runs in between.
const fh = structBuffer(FILE_HANDLE.header + MAX_HANDLE_SZ);
const mountId = new Uint8Array(8);
const emptyPath = new Uint8Array(1);

function requireHandles(): void {
  if (!supports().pidfsHandles) {
    throw new UnsupportedError("pidfsHandles", "pidfs file handles need Linux ≥ 6.14");
  }
}

/**
 * The pidfs file handle of the pidfd `fd`: `name_to_handle_at(fd, "", …, AT_EMPTY_PATH)`. An fd that yields
 * any other kind of handle is not a pidfd (closed and reused behind the library's back): an error about it.
 */
export function handleOf(fd: number, subject: number): Uint8Array {
  requireHandles();
  fh.view.setUint32(FILE_HANDLE.handle_bytes, MAX_HANDLE_SZ, LE);
  const r = libc.name_to_handle_at(fd, emptyPath, fh.bytes, mountId, AT_EMPTY_PATH);
  if (r < 0) throw new SyscallError({ syscall: "name_to_handle_at", errno: -r, subject });
  const bytes = fh.view.getUint32(FILE_HANDLE.handle_bytes, LE);
  if (fh.view.getInt32(FILE_HANDLE.handle_type, LE) !== FILEID_KERNFS || bytes !== 8) {
    throw notWhatItShouldBe("name_to_handle_at", Errno.EBADF, fd, subject, "a pidfd");
  }
  return fh.bytes.slice(0, FILE_HANDLE.header + bytes);
}

/**
 * Checks that `handle` has the bytes of a pidfs handle and returns a private copy; a `TypeError` saying what
 * is wrong otherwise. Bytes cannot tell a kernfs handle of another file system (cgroupfs uses the same type and
 * size) from a pidfs one: the kernel decides those.
 */
export function checkHandle(handle: unknown): Uint8Array {
  if (!(handle instanceof Uint8Array)) {
    throw new TypeError(`Expected handle to be a Uint8Array, got ${describe(handle)}`);
  }
  // One copy, through the intrinsic: no getter of a subclass runs, and later changes by the caller do not count.
  const bytes = Uint8Array.prototype.slice.call(handle);
  if (bytes.length < FILE_HANDLE.header) {
    throw new TypeError(
      `Not a pidfs handle: ${bytes.length} bytes, shorter than the 8-byte file_handle header (truncated?)`,
    );
  }
  const view = new DataView(bytes.buffer);
  const size = view.getUint32(FILE_HANDLE.handle_bytes, LE);
  const type = view.getInt32(FILE_HANDLE.handle_type, LE);
  if (type === FILEID_NSFS) {
    throw new TypeError("Not a pidfs handle: this is an nsfs (namespace) handle (type 0xf1)");
  }
  if (type !== FILEID_KERNFS) {
    throw new TypeError(
      `Not a pidfs handle: handle type 0x${
        (type >>> 0).toString(16)
      } (a pidfs handle has 0xfe, FILEID_KERNFS)`,
    );
  }
  if (size !== 8) {
    throw new TypeError(`Not a pidfs handle: handle_bytes is ${size}, a pidfs handle has 8`);
  }
  if (bytes.length !== PIDFS_HANDLE_SIZE) {
    throw new TypeError(
      `Not a pidfs handle: ${bytes.length} bytes where the header says ${PIDFS_HANDLE_SIZE} (truncated or padded)`,
    );
  }
  return bytes;
}

/** The pidfs inode a checked handle names (its `Pidfd.id`). */
export function handleId(bytes: Uint8Array): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(FILE_HANDLE.f_handle, LE);
}

/**
 * Opens the process a checked handle names: `open_by_handle_at(FD_PIDFS_ROOT, …)` (6.17+), else with a pidfd
 * of the caller as the mount fd (6.14+). `ESTALE` (the process has been reaped, or never existed) becomes
 * `ESRCH` with the kernel's error as `cause`. Returns a raw close-on-exec fd.
 */
export function openHandle(bytes: Uint8Array, nonblock: boolean, thread: boolean): number {
  requireHandles();
  const flags = O_CLOEXEC | (nonblock ? O_NONBLOCK : 0) | (thread ? PIDFD_THREAD : 0);
  const subject = `pidfs id ${handleId(bytes)}`;
  let mount = FD_PIDFS_ROOT;
  if (!supports().pidfsRoot) {
    mount = pidfd_open(libc.getpid(), 0);
    if (mount < 0) {
      throw new SyscallError({
        syscall: "pidfd_open",
        errno: -mount,
        subject: "self",
        detail: "the mount fd of open_by_handle_at",
      });
    }
  }
  let fd: number;
  try {
    fd = libc.open_by_handle_at(mount, bytes, flags);
  } finally {
    if (mount !== FD_PIDFS_ROOT) closeRaw(mount);
  }
  if (fd >= 0) return fd;
  if (fd === -Errno.ESTALE) {
    const cause = new SyscallError({ syscall: "open_by_handle_at", errno: Errno.ESTALE, subject });
    throw new SyscallError({
      syscall: "open_by_handle_at",
      errno: Errno.ESRCH,
      subject,
      cause,
      detail: "the process has been reaped, or is not visible in the caller's PID namespace",
    });
  }
  throw new SyscallError({ syscall: "open_by_handle_at", errno: -fd, subject });
}
