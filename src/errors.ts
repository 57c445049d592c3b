/**
 * Errors: {@link SyscallError} for kernel refusals, {@link UnsupportedError} for features this kernel lacks,
 * and the argument checks that run before any syscall.
 *
 * @module
 */

import { Errno } from "../ffi/mod.ts";
import type { Features } from "./supports.ts";

const DESCRIPTIONS: Readonly<Record<keyof typeof Errno, string>> = {
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  ESRCH: "No such process",
  EINTR: "Interrupted system call",
  EIO: "Input/output error",
  ENXIO: "No such device or address",
  E2BIG: "Argument list too long",
  ENOEXEC: "Exec format error",
  EBADF: "Bad file descriptor",
  ECHILD: "No child processes",
  EAGAIN: "Resource temporarily unavailable",
  ENOMEM: "Cannot allocate memory",
  EACCES: "Permission denied",
  EFAULT: "Bad address",
  EBUSY: "Device or resource busy",
  EEXIST: "File exists",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EINVAL: "Invalid argument",
  ENFILE: "Too many open files in system",
  EMFILE: "Too many open files",
  ENOTTY: "Inappropriate ioctl for device",
  ENOSPC: "No space left on device",
  ESPIPE: "Illegal seek",
  EROFS: "Read-only file system",
  EPIPE: "Broken pipe",
  ERANGE: "Numerical result out of range",
  ENAMETOOLONG: "File name too long",
  ENOSYS: "Function not implemented",
  ELOOP: "Too many levels of symbolic links",
  EREMOTE: "Object is remote",
  EOVERFLOW: "Value too large for defined data type",
  EUSERS: "Too many users",
  EOPNOTSUPP: "Operation not supported",
  ETIMEDOUT: "Connection timed out",
  ESTALE: "Stale file handle",
};

const NAMES = new Map<number, keyof typeof Errno>(
  Object.entries(Errno).map(([name, value]) => [value, name as keyof typeof Errno]),
);

/** The symbolic name of an errno value, such as `"ESRCH"`; `"E<n>"` for values this library does not name. */
export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `E${errno}`;
}

function errnoDescription(errno: number): string {
  const name = NAMES.get(errno);
  return name === undefined ? `errno ${errno}` : DESCRIPTIONS[name];
}

/** The fields of a {@link SyscallError}: what failed, on what, and why. */
export interface SyscallErrorInit {
  /**
   * The system call that failed, such as `"pidfd_open"` or `"openat"`. For an `ioctl(2)` it is the request's
   * name (`"PIDFD_GET_INFO"`, `"NS_GET_PID_IN_PIDNS"`), the way strace names the call.
   */
  syscall: string;
  /** The errno it reported (or the one the library normalised it to). */
  errno: number;
  /** What the call was about (a pid, a path), shown in parentheses after the call. */
  subject?: string | number | undefined;
  /** The library call that made it, such as `"Pidfd.openProcDir"`, when `syscall` alone does not say it. */
  operation?: string | undefined;
  /** Extra text appended to the message (after a colon), such as a remedy. */
  detail?: string | undefined;
  /** The error this one normalises. */
  cause?: unknown;
}

/**
 * A system call or ioctl that the kernel refused. Carries the same fields as Node's and Bun's
 * `ErrnoException`, so callers can branch on `error.code === "ESRCH"`.
 *
 * @example Tell a missing process from other failures
 * ```ts
 * import { Pidfd, SyscallError } from "@pidfd/pidfd";
 * try {
 *   using pidfd = Pidfd.open(0x7fffffff); // above pid_max: no such process
 * } catch (e) {
 *   if (e instanceof SyscallError && e.code === "ESRCH") console.log("gone");
 *   else throw e;
 * }
 * ```
 */
export class SyscallError extends Error {
  /** Always `"SyscallError"`. */
  override name = "SyscallError";
  /** The errno value, such as 3. */
  readonly errno: number;
  /** The errno name, such as `"ESRCH"`. */
  readonly code: string;
  /** The system call that failed, such as `"pidfd_open"`; for an ioctl its request (`"PIDFD_GET_INFO"`). */
  readonly syscall: string;
  /** The library call that made it (`"Pidfd.openProcDir"`), or `undefined` when `syscall` says enough. */
  readonly operation: string | undefined;
  /** What the errno means, such as `"No such process"`. */
  readonly description: string;
  /** What the library adds (a remedy, the namespaces involved), or `undefined`. */
  readonly detail: string | undefined;

  /**
   * Describes a failed call.
   *
   * @param init The call, its errno, what it was about; see {@link SyscallErrorInit}.
   */
  constructor(init: SyscallErrorInit) {
    const { syscall, errno, subject = "", operation, detail, cause } = init;
    const code = errnoName(errno);
    const description = errnoDescription(errno);
    const prefix = operation ? `${operation}: ` : "";
    super(
      `${prefix}${syscall}(${excerpt(String(subject), MAX_SUBJECT)}) failed: ${code} (${description})${
        detail ? `: ${detail}` : ""
      }`,
      cause === undefined ? undefined : { cause },
    );
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
    this.operation = operation || undefined;
    this.description = description;
    this.detail = detail || undefined;
  }
}

/**
 * A feature that this kernel (or libc) does not offer, detected rather than simulated. `feature` names it as
 * {@link supports} does.
 */
export class UnsupportedError extends Error {
  /** Always `"UnsupportedError"`. */
  override name = "UnsupportedError";
  /** The feature key, as in `supports()`. */
  readonly feature: keyof Features;

  /**
   * Describes a missing feature.
   *
   * @param feature The feature key.
   * @param message What is missing and which kernel provides it.
   * @param options `cause` when a kernel error revealed the absence.
   */
  constructor(feature: keyof Features, message: string, options?: ErrorOptions) {
    super(message, options);
    this.feature = feature;
  }
}

/** Returns `r` when a raw call succeeded (`r >= 0`), else throws a {@link SyscallError} for `-r`. */
export function check(r: number, syscall: string, subject: string | number = ""): number {
  if (r < 0) throw new SyscallError({ syscall, errno: -r, subject: subject });
  return r;
}

/** Throws unless `pid` is a positive 32-bit integer. */
export function assertPid(pid: unknown, what = "pid"): asserts pid is number {
  if (typeof pid !== "number") throw new TypeError(`Expected ${what} to be a number, got ${typeof pid}`);
  if (!Number.isInteger(pid) || pid <= 0 || pid > 0x7fffffff) {
    throw new RangeError(`Expected ${what} to be a positive integer below 2^31, got ${pid}`);
  }
}

/**
 * Returns `fd` unless it is not a non-negative 32-bit integer (then throws). `-0` comes back as `0`: Deno's FFI
 * refuses `-0` as an `i32`.
 */
export function fdArgument(fd: unknown, what = "fd"): number {
  if (typeof fd !== "number") throw new TypeError(`Expected ${what} to be a number, got ${typeof fd}`);
  if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) {
    throw new RangeError(`Expected ${what} to be a non-negative integer below 2^31, got ${fd}`);
  }
  return fd | 0;
}

/**
 * Reads `options[key]` once: `false` when absent, the value when it is a boolean, else a `TypeError` (a truthy
 * string is not `true`).
 */
export function booleanOption(options: object | undefined, key: string, what = "options"): boolean {
  const value = options === undefined ? undefined : (options as Record<string, unknown>)[key];
  if (value === undefined) return false;
  if (typeof value !== "boolean") {
    throw new TypeError(`Expected ${what}.${key} to be a boolean, got ${describe(value)}`);
  }
  return value;
}

/** How long an input may be quoted in an error message before it is cut (with "…"). */
export const MAX_QUOTED = 64;
const MAX_SUBJECT = 256;

/** At most `max` characters of `text`, with "…" when cut: error messages never repeat a huge input. */
export function excerpt(text: string, max = MAX_QUOTED): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** An input quoted for an error message: a string as JSON (cut to {@link MAX_QUOTED}), else its type. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(excerpt(value));
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return excerpt(String(value));
  }
  return value === null ? "null" : typeof value;
}

/** Throws a `TypeError` unless `options` is undefined or an object. */
export function assertOptions(options: unknown, what = "options"): void {
  if (options !== undefined && (options === null || typeof options !== "object")) {
    throw new TypeError(
      `Expected ${what} to be an object, got ${options === null ? "null" : typeof options}`,
    );
  }
}

/** Appended to EMFILE errors: many pidfds at once is a normal use that the default soft limit of 1024 stops. */
export const EMFILE_HINT = "the soft RLIMIT_NOFILE is reached; raise it with `ulimit -n <n>` (up to " +
  "`ulimit -Hn`) or prlimit(1). Deno and Bun start with the soft limit already at the hard one: raise the hard " +
  "limit (`prlimit --nofile=<n>:<n> <command>` as root, or systemd's LimitNOFILE=)";
