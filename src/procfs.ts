/**
 * Reading procfs through the FFI (`openat`/`read`/`getdents64`), so that Deno needs only `--allow-ffi`:
 * Deno's own file APIs demand `--allow-all` for `/proc`.
 *
 * Values read from `/proc/<pid>` by number can belong to a recycled pid; callers that hold a pidfd confirm
 * through it afterwards that the process was not reaped meanwhile.
 *
 * @module
 */

import {
  AT_FDCWD,
  cPath,
  DIRENT64,
  Errno,
  libc,
  NSFS_MAGIC,
  O_CLOEXEC,
  O_DIRECTORY,
  O_NOCTTY,
  O_NONBLOCK,
  O_PATH,
  O_RDONLY,
  PROC_SUPER_MAGIC,
} from "../ffi/mod.ts";
import { check, excerpt, SyscallError, type SyscallErrorInit } from "./errors.ts";
import { closeRaw, fsTypeOf } from "./fd.ts";

/**
 * The most a procfs read returns: 16 MiB. A larger file (`pagemap` describes the whole address space, terabytes
 * of it) is a `RangeError` rather than unbounded memory.
 */
export const MAX_READ = 16 * 1024 * 1024;
const INITIAL_BUFFER = 16384;

const decoder = new TextDecoder();
let buffer = new Uint8Array(INITIAL_BUFFER);
let bufferSize = BigInt(buffer.length);

/**
 * Opens `path` (relative to `dirfd`) read-only, close-on-exec and non-blocking (a FIFO or pipe can never stall
 * the event loop, in `open` or in `read`); returns the fd or throws.
 */
export function openPath(path: string, flags = 0, dirfd = AT_FDCWD): number {
  const c = cPath(path);
  if (c === null) throw new TypeError(`Invalid path: ${JSON.stringify(excerpt(path))}`);
  return check(libc.openat(dirfd, c, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | flags, 0), "open", path);
}

/**
 * Opens `path` (relative to `dirfd`) only if it lies on the filesystem `magic`: looked at through an `O_PATH`
 * fd first (which opens nothing: no FIFO waits, no device driver runs), then opened as {@link openPath} does
 * and checked again. Anything else is a `TypeError` saying it is not `what`.
 */
function openOn(path: string, dirfd: number, magic: number, what: string): number {
  const c = cPath(path);
  if (c === null) throw new TypeError(`Invalid path: ${JSON.stringify(excerpt(path))}`);
  const probe = check(libc.openat(dirfd, c, O_PATH | O_CLOEXEC, 0), "open", path);
  try {
    if (fsTypeOf(probe, path) !== magic) throw new TypeError(`Not ${what}: ${excerpt(path)}`);
  } finally {
    closeRaw(probe);
  }
  const fd = openPath(path, 0, dirfd);
  try {
    // The path may have been replaced between the two opens.
    if (fsTypeOf(fd, path) !== magic) throw new TypeError(`Not ${what}: ${excerpt(path)}`);
    return fd;
  } catch (e) {
    closeRaw(fd);
    throw e;
  }
}

/** Opens a namespace file (nsfs) for its ioctls; anything else is a `TypeError`, and nothing blocks. */
export function openNamespaceFile(path: string, dirfd = AT_FDCWD): number {
  return openOn(path, dirfd, NSFS_MAGIC, "a namespace file");
}

/**
 * Opens a procfs file for reading; a link out of procfs (`fd/0` to a pipe, `cwd/…`) is a `TypeError`, and
 * nothing blocks.
 */
export function openProcfsFile(path: string, dirfd = AT_FDCWD): number {
  return openOn(path, dirfd, PROC_SUPER_MAGIC, "a procfs file");
}

/**
 * Reads all of an open fd as text, at most {@link MAX_READ} bytes. Throws a {@link SyscallError} naming `what`
 * on failure, a `RangeError` when the file is larger.
 */
export function readAll(fd: number, what: string): string {
  try {
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length >= MAX_READ) {
          throw new RangeError(
            `${excerpt(what)} is larger than ${MAX_READ} bytes, the limit of a procfs read`,
          );
        }
        const bigger = new Uint8Array(buffer.length * 2);
        bigger.set(buffer);
        buffer = bigger;
        bufferSize = BigInt(buffer.length);
      }
      // Always offer the whole buffer and read into its tail through a subarray only when needed: procfs files
      // are generated on read and almost always arrive in one piece.
      const r = length === 0 ? libc.read(fd, buffer, bufferSize) : libc.read(
        fd,
        buffer.subarray(length),
        BigInt(buffer.length - length),
      );
      if (r < 0) throw new SyscallError({ syscall: "read", errno: -r, subject: what });
      if (r === 0) return decoder.decode(buffer.subarray(0, length));
      length += r;
    }
  } finally {
    // A rare big read (maps, smaps of a large process) does not keep its buffer for the life of the process.
    if (buffer.length > 1024 * 1024) {
      buffer = new Uint8Array(INITIAL_BUFFER);
      bufferSize = BigInt(buffer.length);
    }
  }
}

/** Reads a whole file as text, for example `/proc/self/status`. */
export function readText(path: string, dirfd = AT_FDCWD): string {
  const fd = openPath(path, 0, dirfd);
  try {
    return readAll(fd, path);
  } finally {
    libc.close(fd);
  }
}

/** Lists the entries of a directory (without `.` and `..`). */
export function listDir(path: string): string[] {
  const fd = openPath(path, O_DIRECTORY);
  const names: string[] = [];
  try {
    const view = new DataView(buffer.buffer);
    for (;;) {
      const n = libc.getdents64(fd, buffer, bufferSize);
      if (n < 0) throw new SyscallError({ syscall: "getdents64", errno: -n, subject: path });
      if (n === 0) return names;
      for (let off = 0; off < n;) {
        const reclen = view.getUint16(off + DIRENT64.d_reclen, true);
        const start = off + DIRENT64.d_name;
        const end = buffer.indexOf(0, start);
        const name = decoder.decode(buffer.subarray(start, end));
        if (name !== "." && name !== "..") names.push(name);
        off += reclen;
      }
    }
  } finally {
    libc.close(fd);
  }
}

/** The value of a `Key:\tvalue` line in a procfs text file, or `null` when the key is absent. */
export function field(text: string, key: string): string | null {
  const start = text.startsWith(`${key}:`) ? 0 : text.indexOf(`\n${key}:`) + 1;
  if (start === 0 && !text.startsWith(`${key}:`)) return null;
  const end = text.indexOf("\n", start);
  return text.slice(start + key.length + 1, end === -1 ? undefined : end).trim();
}

/** The whitespace-separated integers of a procfs field (`NSpid`, `Uid`, …), or `null` when absent. */
export function intsField(text: string, key: string): number[] | null {
  const value = field(text, key);
  return value === null ? null : value.split(/\s+/).filter((s) => s !== "").map(Number);
}

const linkBuffer = new Uint8Array(4096);
const LINK_SIZE = BigInt(linkBuffer.length);

/** The target of a symbolic link (`/proc/self/fd/3` → `anon_inode:[pidfd]`), read with `readlinkat(2)`. */
export function readLink(path: string, dirfd = AT_FDCWD): string {
  const c = cPath(path);
  if (c === null) throw new TypeError(`Invalid path: ${JSON.stringify(excerpt(path))}`);
  const n = check(libc.readlinkat(dirfd, c, linkBuffer, LINK_SIZE), "readlink", path);
  return decoder.decode(linkBuffer.subarray(0, n));
}

/**
 * The one reading of a pid line of a pidfd's fdinfo (`Pid:`, `NSpid:`): its numbers, or what its first number
 * says instead: `-1` that the process has been reaped, `0` that it is not visible in the PID namespace of the
 * procfs read. `null` when the kernel shows no such line (`Pid:` before 5.3, `NSpid:` before 5.5).
 */
export function pidLine(text: string, key: "Pid" | "NSpid"): number[] | "reaped" | "not visible" | null {
  const pids = intsField(text, key);
  if (pids === null) return null;
  if (pids[0] === -1) return "reaped";
  if (pids[0] === 0) return "not visible";
  return pids;
}

/** The errors {@link pids} throws: an `ESRCH` for a reaped process, by default an `EREMOTE` when not visible. */
export interface PidLineErrors {
  /** The `ESRCH` of a reaped process. */
  readonly reaped: Omit<SyscallErrorInit, "errno">;
  /** When the process is not visible in the procfs's namespace; `errno` defaults to `EREMOTE`. */
  readonly notVisible: Omit<SyscallErrorInit, "errno"> & { readonly errno?: number };
}

/**
 * The numbers of a pid line ({@link pidLine}), throwing the caller's errors for a reaped or invisible
 * process; `null` when the line is absent.
 */
export function pids(text: string, key: "Pid" | "NSpid", errors: PidLineErrors): number[] | null {
  const line = pidLine(text, key);
  if (line === "reaped") throw new SyscallError({ ...errors.reaped, errno: Errno.ESRCH });
  if (line === "not visible") throw new SyscallError({ errno: Errno.EREMOTE, ...errors.notVisible });
  return line;
}

/**
 * The one mapping of "the process is gone" on a `/proc` open: `ENOENT` (its directory is gone, or `ESRCH` from a
 * dying task) becomes the `ESRCH` described by `init`, with the original as `cause`. Returns any other error
 * as it is; throw the result.
 */
export function goneAsEsrch(e: unknown, init: Omit<SyscallErrorInit, "errno" | "cause">): unknown {
  if (!(e instanceof SyscallError && (e.code === "ENOENT" || e.code === "ESRCH"))) return e;
  return new SyscallError({ ...init, errno: Errno.ESRCH, cause: e });
}
