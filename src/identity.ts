/**
 * Process identity checks behind `Pidfd.open(pid, { id, ns })` and `Pidfd.fromFd()`: they work on raw fds,
 * which their owner (`Pidfd`) wraps once they are confirmed.
 *
 * @module
 */

import { Errno, F_DUPFD_CLOEXEC, libc, PID_FS_MAGIC, PIDFD_NONBLOCK, PIDFD_THREAD } from "../ffi/mod.ts";
import { assertOptions, booleanOption, check, describe, SyscallError, UnsupportedError } from "./errors.ts";
import { closeRaw, confirmNotReaped, fsTypeOf, inodeOf } from "./fd.ts";
import type { PidNamespace } from "./pidfd.ts";
import { readLink } from "./procfs.ts";
import { supports } from "./supports.ts";

/** The largest pidfs id (a u64). */
const MAX_ID = (1n << 64n) - 1n;

/** `Pidfd.open`'s options, read once and checked. */
export interface OpenSnapshot {
  readonly flags: number;
  readonly thread: boolean;
  readonly id: bigint | undefined;
  readonly ns: PidNamespace | undefined;
}

/**
 * Reads and checks `Pidfd.open`'s options once, before any fd is opened. `isPidNamespace` is the owner's check
 * of `ns` (the class lives above this module).
 */
export function openSnapshot(options: unknown, isPidNamespace: (ns: unknown) => boolean): OpenSnapshot {
  assertOptions(options);
  const o = options as Record<string, unknown> | undefined;
  const thread = booleanOption(o, "thread");
  const nonblock = booleanOption(o, "nonblock");
  const id = o?.id;
  const ns = o?.ns;
  if (id !== undefined) {
    if (typeof id !== "bigint") {
      throw new TypeError(`Expected options.id to be a bigint, got ${describe(id)}`);
    }
    if (id <= 0n || id > MAX_ID) {
      throw new RangeError(`Expected options.id to be a pidfs id (1 to 2^64-1), got ${id}`);
    }
  }
  if (ns !== undefined && !isPidNamespace(ns)) {
    throw new TypeError(`Expected options.ns to be a PidNamespace, got ${describe(ns)}`);
  }
  return {
    flags: (thread ? PIDFD_THREAD : 0) | (nonblock ? PIDFD_NONBLOCK : 0),
    thread,
    id,
    ns: ns as PidNamespace | undefined,
  };
}

/**
 * The pid to open in the caller's numbering: `pid` itself, or with `ns` its translation out of that namespace
 * (`NS_GET_PID_FROM_PIDNS`, which answers a thread's own id too).
 */
export function callerPid(pid: number, o: OpenSnapshot): number {
  return o.ns === undefined ? pid : o.ns.toCaller(pid);
}

/**
 * Confirms that the just-opened pidfd `fd` (opened for `opened`, the caller's number of `pid`) is the process
 * asked for: with `ns`, that it still has `pid` there (translated back while the pidfd pins the process, then
 * checked not reaped, so a pid reused in between is `ESRCH`); with `id`, that its pidfs id is `id`. Closes
 * `fd` and throws otherwise.
 */
export function confirmOpened(fd: number, pid: number, opened: number, o: OpenSnapshot): void {
  try {
    if (o.ns !== undefined) {
      let back: number | undefined;
      try {
        back = o.ns.fromCaller(opened);
      } catch (e) {
        if (!(e instanceof SyscallError && e.code === "ESRCH")) throw e;
      }
      confirmNotReaped(fd, "pidfd_open", pid);
      if (back !== pid) {
        throw new SyscallError({
          syscall: "pidfd_open",
          errno: Errno.ESRCH,
          subject: pid,
          detail: `pid ${pid} of PID namespace ${o.ns.inode} was reused while it was being opened`,
        });
      }
    }
    if (o.id !== undefined) {
      if (!supports().pidfs) {
        throw new UnsupportedError("pidfs", "Pidfd.open with an id needs pidfs (Linux ≥ 6.9)");
      }
      if (inodeOf(fd, pid) !== o.id) {
        throw new SyscallError({
          syscall: "pidfd_open",
          errno: Errno.ESRCH,
          subject: pid,
          detail: `pid ${pid} is now another process`,
        });
      }
    }
  } catch (e) {
    closeRaw(fd);
    throw e;
  }
}

/**
 * A close-on-exec duplicate of the caller's `fd` (`F_DUPFD_CLOEXEC`) once it shows to be a pidfd: on pidfs
 * (Linux ≥ 6.9), or before pidfs an `anon_inode:[pidfd]`. Anything else is a `TypeError`; the caller's `fd` is
 * never closed.
 */
export function dupPidfd(fd: number): number {
  const dup = check(libc.fcntl(fd, F_DUPFD_CLOEXEC, 0), "fcntl(F_DUPFD_CLOEXEC)", fd);
  try {
    const isPidfd = supports().pidfs
      ? fsTypeOf(dup, fd) === PID_FS_MAGIC
      : readLink(`/proc/self/fd/${dup}`) === "anon_inode:[pidfd]";
    if (!isPidfd) throw new TypeError(`fd ${fd} is not a pidfd`);
    return dup;
  } catch (e) {
    closeRaw(dup);
    throw e;
  }
}
