/**
 * {@link OwnedFd}: a file descriptor owned by exactly one object, closed exactly once.
 *
 * @module
 */

import { Errno, LE, libc, pidfd_send_signal, STAT, STATFS, structBuffer } from "../ffi/mod.ts";
import { check, fdArgument, SyscallError } from "./errors.ts";

// Safety net only: closes fds whose owner was garbage-collected without close(). The held value is the raw fd
// number (holding the object would keep it alive); the owner itself is the unregister token.
const leakGuard = new FinalizationRegistry<number>((fd) => libc.close(fd));

// Owners made during the current job, entered in `leakGuard` when it ends (a microtask) or once this many are
// waiting. A finalizer never runs before the job ends, and an owner waiting here is reachable, so the net is as
// tight as with an entry at construction, while an owner closed in the job that made it (`for (using p of
// processes())`) costs no entry at all: registering and unregistering cost ~200 ns per fd in V8.
const ARM_BATCH = 1024;

// Set by `constructOwner` for exactly one construction: the constructors of OwnedFd and its subclasses are not
// reachable from outside the library, so no object can wrap an fd that was not checked.
let permitted = false;

/**
 * Runs `make`, which constructs one `OwnedFd` (or subclass) for an fd the library has checked. Module-internal:
 * a direct `new` from anywhere else is a `TypeError`.
 */
export function constructOwner<T extends OwnedFd>(make: () => T): T {
  permitted = true;
  try {
    return make();
  } finally {
    permitted = false;
  }
}

/**
 * An owned file descriptor, after Rust's `OwnedFd`: it closes its fd once, on {@link OwnedFd.close} or at the
 * end of a `using` scope, and refuses to hand out the number afterwards, so a stale fd number (which may
 * already belong to another file) never reaches the kernel.
 *
 * A `FinalizationRegistry` closes the fd if the object is garbage-collected unclosed; that is a safety net,
 * not the way to release it.
 *
 * @example Borrow a copy of another process's fd for one scope
 * ```ts
 * import { Pidfd } from "@pidfd/pidfd";
 * using target = Pidfd.self();
 * using copy = target.getfd(1); // an OwnedFd
 * console.log(copy.fd);
 * ```
 */
export class OwnedFd implements Disposable {
  #fd: number;
  #guarded = false;
  static #unguarded: OwnedFd[] = [];

  /**
   * Takes ownership of `fd`. Only for fds nobody else will close: this object closes it.
   *
   * @param fd An open file descriptor.
   */
  protected constructor(fd: number) {
    if (!permitted) {
      throw new TypeError("Illegal constructor: use OwnedFd.unsafeFromRaw or the class's factories");
    }
    permitted = false;
    this.#fd = fd;
    const waiting = OwnedFd.#unguarded;
    if (waiting.push(this) === 1) queueMicrotask(OwnedFd.#guardWaiting);
    else if (waiting.length >= ARM_BATCH) OwnedFd.#guardWaiting();
  }

  /** Enters every waiting owner that is still open in the leak guard. */
  static #guardWaiting(): void {
    const waiting = OwnedFd.#unguarded;
    if (waiting.length === 0) return;
    OwnedFd.#unguarded = [];
    for (const owner of waiting) {
      if (owner.#fd < 0) continue;
      owner.#guarded = true;
      leakGuard.register(owner, owner.#fd, owner);
    }
  }

  /** Takes the fd out of the leak guard's care: the object no longer owns it. */
  #release(): void {
    this.#fd = -1;
    if (this.#guarded) leakGuard.unregister(this);
    this.#guarded = false;
  }

  /**
   * Adopts a raw fd number. UNSAFE: the caller promises that `fd` is open and that nothing else closes it.
   *
   * @param fd An open file descriptor, now owned by the result.
   * @returns The owner of `fd`.
   * @throws {TypeError} If `fd` is not a number.
   * @throws {RangeError} If `fd` is not a non-negative integer.
   */
  static unsafeFromRaw(fd: number): OwnedFd {
    const raw = fdArgument(fd);
    return constructOwner(() => new OwnedFd(raw));
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
    this.#release();
    return fd;
  }

  /**
   * Closes the fd. Calling it again does nothing. `close(2)` is never retried: after a failed close the number
   * may already be reused by another thread's open.
   */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#release();
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
    throw new SyscallError({
      syscall,
      errno: Errno.ESRCH,
      subject: subject,
      detail: "the process has been reaped",
    });
  }
}

/**
 * The error for a call on an owned fd that answered as only another kind of file would (`ENOTTY` from an ioctl
 * that the capability probe showed to work, a regular file polling readable): the fd is not what its owner
 * should hold, because it was closed and its number reused behind the library's back. An error about that fd,
 * never a reason to believe the kernel lacks the feature.
 */
export function notWhatItShouldBe(
  syscall: string,
  errno: number,
  fd: number,
  subject: string | number,
  expected: string,
): SyscallError {
  return new SyscallError({
    syscall,
    errno,
    subject: subject,
    detail: `fd ${fd} is not ${expected} (was it closed behind this library's back and its number reused?)`,
  });
}

/** Wraps a raw fd the library just obtained from the kernel. */
export function adoptFd(fd: number): OwnedFd {
  return OwnedFd.unsafeFromRaw(fd);
}

/** Throws the `TypeError` of a closed handle unless `owner` is open: the check every member makes first. */
export function assertOpen(owner: OwnedFd): void {
  void owner.fd;
}
