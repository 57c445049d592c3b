/**
 * {@link OwnedFd}: a file descriptor owned by exactly one object, closed exactly once.
 *
 * @module
 */

import { Errno, LE, libc, pidfd_send_signal, STAT, STATFS, structBuffer } from "../ffi/mod.ts";
import { check, SyscallError } from "./errors.ts";

// Safety net only: closes fds whose owner was garbage-collected without close(). The held value is the raw fd
// number (holding the object would keep it alive); the owner itself is the unregister token.
const leakGuard = new FinalizationRegistry<number>((fd) => libc.close(fd));

/**
 * An owned file descriptor, after Rust's `OwnedFd`: it closes its fd once, on {@link OwnedFd.close} or at the
 * end of a `using` scope, and refuses to hand out the number afterwards, so a stale fd number (which may
 * already belong to another file) never reaches the kernel.
 *
 * A `FinalizationRegistry` closes the fd if the object is garbage-collected unclosed; that is a safety net,
 * not the way to release it.
 *
 * @example Borrow a copy of another process's fd for one scope
 * ```ts ignore
 * import { Pidfd } from "@pidfd/pidfd";
 * using target = Pidfd.open(1234);
 * using copy = target.getfd(3); // an OwnedFd
 * console.log(copy.fd);
 * ```
 */
export class OwnedFd implements Disposable {
  #fd: number;

  /**
   * Takes ownership of `fd`. Only for fds nobody else will close: this object closes it.
   *
   * @param fd An open file descriptor.
   */
  protected constructor(fd: number) {
    this.#fd = fd;
    leakGuard.register(this, fd, this);
  }

  /**
   * Adopts a raw fd number. UNSAFE: the caller promises that `fd` is open and that nothing else closes it.
   *
   * @param fd An open file descriptor, now owned by the result.
   * @returns The owner of `fd`.
   * @throws {RangeError} If `fd` is not a non-negative integer.
   */
  static unsafeFromRaw(fd: number): OwnedFd {
    if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) {
      throw new RangeError(`Expected fd to be a non-negative integer below 2^31, got ${fd}`);
    }
    return new OwnedFd(fd);
  }

  /**
   * The fd number, for passing to other APIs while this object stays open.
   *
   * @throws {TypeError} Once closed: the number may already belong to another file.
   */
  get fd(): number {
    if (this.#fd < 0) throw new TypeError(`Cannot use a closed ${this.constructor.name}`);
    return this.#fd;
  }

  /** Whether {@link OwnedFd.close} (or disposal) has happened. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /**
   * Gives up ownership: returns the fd number, which the caller must close. The object counts as closed.
   *
   * @returns The fd number.
   * @throws {TypeError} If already closed.
   */
  intoRaw(): number {
    const fd = this.fd;
    this.#fd = -1;
    leakGuard.unregister(this);
    return fd;
  }

  /**
   * Closes the fd. Calling it again does nothing. `close(2)` is never retried: after a failed close the number
   * may already be reused by another thread's open.
   */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    leakGuard.unregister(this);
    libc.close(fd);
  }

  /** Closes the fd at the end of a `using` scope; same as {@link OwnedFd.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Closes a raw fd on a failure path; the result of close is irrelevant there. */
export function closeRaw(fd: number): void {
  libc.close(fd);
}

const statBuf = structBuffer(STAT.size);
const statfsBuf = structBuffer(STATFS.size);

/** `fstat(2)`: the inode number of the file an fd refers to. */
export function inodeOf(fd: number, subject: string | number): bigint {
  check(libc.fstat(fd, statBuf.bytes), "fstat", subject);
  return statBuf.view.getBigUint64(STAT.st_ino, LE);
}

/** `fstatfs(2)`: the magic number (`f_type`) of the filesystem an fd lies on. */
export function fsTypeOf(fd: number, subject: string | number): number {
  check(libc.fstatfs(fd, statfsBuf.bytes), "fstatfs", subject);
  return Number(statfsBuf.view.getBigInt64(STATFS.f_type, LE));
}

/**
 * Throws `ESRCH` (as a failure of `syscall`) if the process of `pidfd` has been reaped: whatever was read about
 * it by pid from `/proc` may then belong to a process that reused the pid. A zombie is not reaped yet.
 */
export function confirmNotReaped(pidfd: number, syscall: string, subject: string | number): void {
  if (pidfd_send_signal(pidfd, 0, 0) === -Errno.ESRCH) {
    throw new SyscallError(syscall, Errno.ESRCH, String(subject), undefined, "the process has been reaped");
  }
}

/** Wraps a raw fd the library just obtained from the kernel. */
export function ownFd(fd: number): OwnedFd {
  return OwnedFd.unsafeFromRaw(fd);
}
