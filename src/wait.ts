/**
 * Awaiting process exit through pidfds: {@link Pidfd.wait} and {@link Pidfd.exited}, and the parts
 * `src/wait_many.ts` builds `waitAny` and `exits` from, all served by one epoll set (`src/reactor.ts`), so ten thousand waits cost one thread.
 *
 * Where an exit status comes from, once the pidfd reports the exit:
 * - a child this library started itself (marked through `adoptPidfd(fd, pid, { ownChild: true })`) is reaped here with
 *   `waitid(P_PIDFD, fd, WEXITED)`: source `"waitid"`;
 * - any other child of the calling process, such as one that Deno or Bun started and reaps itself, is read
 *   without reaping (`WNOWAIT`) while it is a zombie: source `"waitid"`. The runtime still gets its status;
 * - everything else (the runtime reaped it first, or a process that is not our child) through `PIDFD_GET_INFO`
 *   with `PIDFD_INFO_EXIT` once its parent has reaped it (Linux ≥ 6.15): source `"pidfd-info"`. Until the
 *   reap the wait keeps watching, for `EPOLLHUP`, which the kernel signals at the reap;
 * - on older kernels a status that neither way can tell resolves as `{ code: null, signal: null, raw: null,
 *   source: "unknown" }` as soon as the process has exited.
 *
 * @module
 */

import {
  CLD_DUMPED,
  CLD_EXITED,
  EPOLLERR,
  EPOLLHUP,
  LE,
  libc,
  P_PIDFD,
  PIDFD_GET_INFO,
  PIDFD_INFO,
  PIDFD_INFO_EXIT,
  SIGINFO,
  structBuffer,
  WEXITED,
  WNOHANG,
  WNOWAIT,
} from "../ffi/mod.ts";
import { assertOptions } from "./errors.ts";
import { assertOpen } from "./fd.ts";
import type { Pidfd } from "./pidfd.ts";
import { signalName } from "./signals.ts";
import { supports } from "./supports.ts";
import { type ReadyTarget, rearm, unwatch, watch } from "./reactor.ts";

/**
 * How a process ended. Exactly one of `code` and `signal` is set, unless the kernel could not tell
 * (`source: "unknown"`), when both are `null`.
 */
export interface ExitStatus {
  /** The exit code (0–255) of a normal exit; `null` when killed by a signal or unknown. */
  readonly code: number | null;
  /** The name of the signal that killed the process (`"SIGKILL"`); `null` after a normal exit or unknown. */
  readonly signal: string | null;
  /** Whether the kernel reports a core dump for the killing signal (the `0x80` bit of the wait status). */
  readonly coreDumped: boolean;
  /** The raw wait status as `waitpid(2)` encodes it (`7 << 8` for `exit(7)`, 9 for SIGKILL), or `null`. */
  readonly raw: number | null;
  /**
   * Where the status came from: `"waitid"` for a child of the calling process (`waitid(P_PIDFD)`),
   * `"pidfd-info"` for `PIDFD_GET_INFO` + `PIDFD_INFO_EXIT` after the reap (Linux ≥ 6.15), `"unknown"` when
   * neither could tell (older kernels, for processes that are not the caller's children).
   */
  readonly source: "waitid" | "pidfd-info" | "unknown";
}

/** Options of {@link Pidfd.wait}, {@link waitAny} and {@link exits}. */
export interface WaitOptions {
  /** Stops waiting when aborted: the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
  /**
   * Milliseconds to wait at most (a finite number from 0 to 2^31-1): the promise then rejects with a
   * `TimeoutError` `DOMException`. For {@link exits}, the time for the whole iteration.
   */
  timeout?: number;
}

/** One process exit, as {@link waitAny} and {@link exits} report it. */
export interface PidfdExit {
  /** The pidfd of the process that exited; still open, the caller closes it. */
  readonly pidfd: Pidfd;
  /** How it ended. */
  readonly status: ExitStatus;
}

/** Something that waits for one or more watches to settle. */
export interface Listener {
  exit(pidfd: Pidfd, status: ExitStatus): void;
  error(pidfd: Pidfd, error: unknown): void;
}

const UNKNOWN: ExitStatus = Object.freeze({
  code: null,
  signal: null,
  coreDumped: false,
  raw: null,
  source: "unknown",
});

/** The watch of each pidfd being waited on (one epoll registration, any number of listeners). */
const watches = new WeakMap<Pidfd, ExitWatch>();
/** Exit statuses already known, so that later waits (and a reaped own child) answer at once. */
export const statuses = new WeakMap<Pidfd, ExitStatus>();
/** The lazily made {@link Pidfd.exited} promises. */
const exitedPromises = new WeakMap<Pidfd, Promise<ExitStatus>>();
/** Children this library started: reaped here with `waitid(WEXITED)`. */
const ownChildren = new WeakSet<Pidfd>();

// Struct buffers, allocated once; used only synchronously on the main thread.
const siginfo = structBuffer(SIGINFO.size);
const info = structBuffer(PIDFD_INFO.size);
let exitInfo: boolean | undefined;

/** Marks a pidfd as a child this library started, to be reaped by its wait (the spawn API uses this). */
export function markOwnChild(pidfd: Pidfd): void {
  ownChildren.add(pidfd);
}

/** The status from a raw wait status (`waitpid` encoding). */
function fromRaw(raw: number, source: ExitStatus["source"]): ExitStatus {
  const sig = raw & 0x7f;
  if (sig === 0) return { code: (raw >> 8) & 0xff, signal: null, coreDumped: false, raw, source };
  return { code: null, signal: signalName(sig) ?? `SIG${sig}`, coreDumped: (raw & 0x80) !== 0, raw, source };
}

/** `waitid(P_PIDFD, fd, WEXITED | WNOHANG | extra)`: the status, or `null` (not our child, or not yet). */
function waitidStatus(fd: number, extra: number): ExitStatus | null {
  const { bytes, view } = siginfo;
  bytes.fill(0);
  if (libc.waitid(P_PIDFD, fd, bytes, WEXITED | WNOHANG | extra) !== 0) return null; // ECHILD: not ours
  if (view.getInt32(SIGINFO.si_pid, LE) === 0) return null;
  const code = view.getInt32(SIGINFO.si_code, LE);
  const status = view.getInt32(SIGINFO.si_status, LE);
  const raw = code === CLD_EXITED ? (status & 0xff) << 8 : status | (code === CLD_DUMPED ? 0x80 : 0);
  return fromRaw(raw, "waitid");
}

/** `PIDFD_GET_INFO` with `PIDFD_INFO_EXIT`: the status once the process has been reaped, else `null`. */
function infoStatus(fd: number): ExitStatus | null {
  const { bytes, view } = info;
  view.setUint32(PIDFD_INFO.mask, PIDFD_INFO_EXIT, LE);
  view.setUint32(PIDFD_INFO.mask + 4, 0, LE);
  if (libc.ioctl_ptr(fd, PIDFD_GET_INFO, bytes) !== 0) return null;
  if ((view.getUint32(PIDFD_INFO.mask, LE) & PIDFD_INFO_EXIT) === 0) return null;
  return fromRaw(view.getInt32(PIDFD_INFO.exit_code, LE), "pidfd-info");
}

/**
 * The exit status of a process whose pidfd just reported `events`, or `null` when it has exited but the
 * status is not available yet (a zombie that is not ours: it appears at the reap, which `EPOLLHUP` reports).
 */
function collect(pidfd: Pidfd, fd: number, events: number): ExitStatus | null {
  const reaped = (events & (EPOLLHUP | EPOLLERR)) !== 0;
  if (!reaped) {
    // A zombie. Our own child is reaped here; any other child of this process is only looked at.
    const status = waitidStatus(fd, ownChildren.has(pidfd) ? 0 : WNOWAIT);
    if (status !== null) return status;
  }
  exitInfo ??= supports().pidfdInfoExit;
  if (!exitInfo) return UNKNOWN;
  return infoStatus(fd) ?? (reaped ? UNKNOWN : null);
}

/** One pidfd being waited on: one epoll registration shared by every wait on it. */
export class ExitWatch implements ReadyTarget {
  readonly pidfd: Pidfd;
  readonly fd: number;
  readonly token: number;
  #listeners: Listener[] = [];
  #done = false;

  constructor(pidfd: Pidfd) {
    this.pidfd = pidfd;
    this.fd = pidfd.fd;
    this.token = watch(this, pidfd.pid);
    watches.set(pidfd, this);
  }

  add(listener: Listener): void {
    this.#listeners.push(listener);
  }

  /** Removes a listener; the last one out stops the watch. */
  remove(listener: Listener): void {
    if (this.#done) return;
    const i = this.#listeners.indexOf(listener);
    if (i < 0) return;
    this.#listeners.splice(i, 1);
    if (this.#listeners.length === 0) this.#detach();
  }

  ready(events: number): void {
    const status = collect(this.pidfd, this.fd, events);
    if (status === null) {
      // Exited, status not yet known: stop asking for EPOLLIN (level-triggered, it would fire again at once)
      // and wait for the EPOLLHUP the kernel reports when the parent reaps.
      rearm(this, this.token, 0);
      return;
    }
    statuses.set(this.pidfd, status);
    this.#detach();
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i]!.exit(this.pidfd, status);
  }

  fail(cause: unknown): void {
    if (this.#done) return;
    this.#detach();
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i]!.error(this.pidfd, cause);
  }

  #detach(): void {
    this.#done = true;
    watches.delete(this.pidfd);
    unwatch(this, this.token);
  }
}

/** The watch of a pidfd, started if needed. Throws `TypeError` for a closed pidfd, `SyscallError` from epoll. */
export function watchOf(pidfd: Pidfd): ExitWatch {
  return watches.get(pidfd) ?? new ExitWatch(pidfd);
}

// The AbortSignal members as the platform defines them: an own `addEventListener`, `aborted` or `reason` that
// a caller put on a signal never runs inside a wait (no user code between starting a watch and listening).
const addListener = EventTarget.prototype.addEventListener;
const removeListener = EventTarget.prototype.removeEventListener;
const abortedOf = Object.getOwnPropertyDescriptor(AbortSignal.prototype, "aborted")!.get!;
export const reasonOf = Object.getOwnPropertyDescriptor(AbortSignal.prototype, "reason")!.get!;

export function isAborted(signal: AbortSignal | undefined): boolean {
  return signal !== undefined && abortedOf.call(signal) as boolean;
}

/** Validated options. */
export interface WaitLimits {
  signal: AbortSignal | undefined;
  timeout: number | undefined;
}

export function waitLimits(options: WaitOptions | undefined): WaitLimits {
  assertOptions(options);
  const signal = options?.signal;
  const timeout = options?.timeout;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`Expected options.signal to be an AbortSignal, got ${typeOf(signal)}`);
  }
  if (timeout !== undefined) {
    if (typeof timeout !== "number") {
      throw new TypeError(`Expected options.timeout to be a number, got ${typeOf(timeout)}`);
    }
    if (!(timeout >= 0 && timeout <= 0x7fffffff)) {
      throw new RangeError(`Expected options.timeout to be from 0 to 2147483647 ms, got ${timeout}`);
    }
  }
  return { signal, timeout };
}

export function typeOf(value: unknown): string {
  return value === null ? "null" : typeof value;
}

export function timeoutError(ms: number, what: string): DOMException {
  return new DOMException(`Timed out after ${ms} ms waiting for ${what} to exit`, "TimeoutError");
}

export function closedError(pidfd: Pidfd): DOMException {
  return new DOMException(
    `The Pidfd of process ${pidfd.pid} was closed while waiting for it to exit`,
    "AbortError",
  );
}

/** Common part of the three waits: abort signal, timeout, settling once. */
export abstract class Waiting {
  #signal: AbortSignal | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Set once the wait has resolved, failed or been cancelled. */
  settled = false;

  constructor({ signal, timeout }: WaitLimits) {
    if (signal !== undefined) {
      this.#signal = signal;
      addListener.call(signal, "abort", this);
    }
    if (timeout !== undefined) {
      this.#timer = setTimeout(() => this.cancel(timeoutError(timeout, this.describe())), timeout);
    }
  }

  /** What is waited for, for the timeout message. */
  protected abstract describe(): string;

  /** The abort listener. */
  handleEvent(): void {
    this.cancel(reasonOf.call(this.#signal!));
  }

  /** Stops waiting: releases the watches and reports `reason`. */
  cancel(reason: unknown): void {
    if (this.settled) return;
    this.finish();
    this.release();
    this.rejected(reason);
  }

  /** Marks the wait settled and drops the abort listener and the timer. */
  protected finish(): void {
    this.settled = true;
    if (this.#signal !== undefined) removeListener.call(this.#signal, "abort", this);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  /** Stops listening to every watch still in use. */
  protected abstract release(): void;

  /** Reports a cancellation or failure. */
  protected abstract rejected(reason: unknown): void;
}

/** One {@link Pidfd.wait}. */
class SingleWait extends Waiting implements Listener {
  readonly promise: Promise<ExitStatus>;
  readonly #watch: ExitWatch;
  #resolve!: (status: ExitStatus) => void;
  #reject!: (reason: unknown) => void;

  constructor(watch: ExitWatch, limits: WaitLimits) {
    super(limits);
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#watch = watch;
    watch.add(this);
  }

  exit(_pidfd: Pidfd, status: ExitStatus): void {
    if (this.settled) return;
    this.finish();
    this.#resolve(status);
  }

  error(_pidfd: Pidfd, error: unknown): void {
    if (this.settled) return;
    this.finish();
    this.#reject(error);
  }

  protected describe(): string {
    return `process ${this.#watch.pidfd.pid}`;
  }

  protected release(): void {
    this.#watch.remove(this);
  }

  protected rejected(reason: unknown): void {
    this.#reject(reason);
  }
}

/**
 * Waits for the process of `pidfd` to exit: the implementation of {@link Pidfd.wait}. Never throws: every
 * failure, argument errors included, rejects the promise.
 */
export function waitFor(pidfd: Pidfd, options?: WaitOptions): Promise<ExitStatus> {
  try {
    const l = waitLimits(options);
    assertOpen(pidfd); // TypeError once closed
    const known = statuses.get(pidfd);
    if (known !== undefined) return Promise.resolve(known);
    if (isAborted(l.signal)) return Promise.reject(reasonOf.call(l.signal!));
    return new SingleWait(watchOf(pidfd), l).promise;
  } catch (e) {
    return Promise.reject(e);
  }
}

/** The implementation of {@link Pidfd.exited}. Throws `TypeError` for a closed pidfd. */
export function exitedOf(pidfd: Pidfd): Promise<ExitStatus> {
  let promise = exitedPromises.get(pidfd);
  if (promise === undefined) {
    assertOpen(pidfd); // TypeError once closed
    const p = waitFor(pidfd);
    // Never reported as unhandled (closing a pidfd is deliberate); a reactor failure is retried on next access.
    p.then(undefined, () => {
      if (exitedPromises.get(pidfd) === p && !pidfd.closed) exitedPromises.delete(pidfd);
    });
    exitedPromises.set(pidfd, promise = p);
  }
  return promise;
}

/** Called before a pidfd is closed or released: stop watching it and reject its waits. */
export function releaseWaits(pidfd: Pidfd): void {
  watches.get(pidfd)?.fail(closedError(pidfd));
}
