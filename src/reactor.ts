/**
 * The module's one epoll set: readiness of many fds with one thread, in Deno and in Bun.
 *
 * - One epoll fd (`EPOLL_CLOEXEC`) and one eventfd (`EFD_CLOEXEC | EFD_NONBLOCK`, token 0), created on the
 *   first watch and kept. Registrations are level-triggered; each carries a 64-bit token that is never reused,
 *   so an event for a registration removed meanwhile finds no target and is dropped.
 * - Waiting happens in the runtime's epoll driver (`ffi/epoll_driver.ts`): off the main thread, and keeping the
 *   program alive only while something is watched. Events come back here on the main thread. If the driver
 *   fails, every watch fails with the cause.
 * - After a delivery the main thread keeps the set for a while: once the targets' reactions have run (the next
 *   macrotask, `setImmediate`) it asks `epoll_wait(…, 0)` itself and dispatches what that finds, as long as it
 *   finds something; only then does the driver wait again. Two ends of a connection in this process, or a
 *   reader and a child that keep each other busy, are served without a thread round trip per event. Only one
 *   of the two ever waits on the set at a time, so nothing is reported twice while being dispatched.
 *
 * Targets run on the main thread and must delete or re-arm (`rearm`) their fd when they see an event, or a
 * level-triggered registration reports it again at once.
 *
 * @module
 */

import {
  arch,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  EPOLL_CLOEXEC,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  EPOLL_EVENT,
  EPOLLIN,
  Errno,
  LE,
  libc,
  structBuffer,
} from "../ffi/mod.ts";
import { epollDriver } from "../ffi/epoll_driver.ts";
import { EMFILE_HINT, SyscallError } from "./errors.ts";

/** Something watched: the reactor calls it on the main thread. */
export interface ReadyTarget {
  /** The watched fd (still open while watched). */
  readonly fd: number;
  /** The fd is ready: `events` is the epoll mask (`EPOLLIN`, `EPOLLHUP`, …). Must unwatch or re-arm. */
  ready(events: number): void;
  /** The reactor itself failed (`epoll_wait` error, the Bun Worker died): reject and unwatch. */
  fail(cause: unknown): void;
}

const EV = EPOLL_EVENT[arch];
/** Events handled per `epoll_wait` round trip. */
const MAX_EVENTS = 1024;
const TWO_32 = 4294967296;
const EIGHT = 8n;

const targets = new Map<number, ReadyTarget>();
let nextToken = 1;
let epfd = -1;
let efd = -1;
const ctlBuf = structBuffer(EV.size);
const counter = structBuffer(8);
/** Events found by the main thread's own `epoll_wait(…, 0)` after a delivery. */
const polled = structBuffer(MAX_EVENTS * EV.size);
/** Between a delivery and the end of the poll phase that follows it: the main thread holds the set. */
let holding = false;

/** Registers `fd` with the events `events` under `token` (op ADD or MOD). Returns 0 or `-errno`. */
function ctl(op: number, fd: number, events: number, token: number): number {
  const { view, bytes } = ctlBuf;
  view.setUint32(EV.events, events, LE);
  view.setUint32(EV.data, token >>> 0, LE);
  view.setUint32(EV.data + 4, Math.floor(token / TWO_32), LE);
  return libc.epoll_ctl(epfd, op, fd, bytes);
}

function open(): void {
  if (epfd >= 0) return;
  const ep = libc.epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) throw syscallError("epoll_create1", -ep, "EPOLL_CLOEXEC");
  const ev = libc.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (ev < 0) {
    libc.close(ep);
    throw syscallError("eventfd", -ev, "0, EFD_CLOEXEC | EFD_NONBLOCK");
  }
  epfd = ep;
  efd = ev;
  const r = ctl(EPOLL_CTL_ADD, efd, EPOLLIN, 0);
  if (r < 0) {
    libc.close(ep);
    libc.close(ev);
    epfd = efd = -1;
    throw syscallError("epoll_ctl", -r, "EPOLL_CTL_ADD, eventfd");
  }
}

function syscallError(syscall: string, errno: number, subject: string): SyscallError {
  const detail = errno === Errno.EMFILE
    ? EMFILE_HINT
    : errno === Errno.ENOSPC
    ? "the epoll watch limit is reached; raise /proc/sys/fs/epoll/max_user_watches"
    : undefined;
  return new SyscallError({ syscall, errno, subject, detail });
}

/**
 * Watches `target.fd` for `events` (default `EPOLLIN`; `EPOLLHUP`/`EPOLLERR` are always reported) until
 * {@link unwatch}. Level-triggered.
 *
 * @param subject What the fd is about (a pid), for error messages.
 * @returns The token to pass to {@link rearm} and {@link unwatch}.
 * @throws {SyscallError} `EMFILE` creating the epoll set, `ENOSPC` at the epoll watch limit, `EBADF`.
 */
export function watch(target: ReadyTarget, subject: string | number, events: number = EPOLLIN): number {
  open();
  const started = driver.prepare(epfd); // before anything is registered: Bun's may refuse with EMFILE
  if (started < 0) throw syscallError("eventfd", -started, "fd headroom for the epoll Worker");
  const token = nextToken++;
  const r = ctl(EPOLL_CTL_ADD, target.fd, events, token);
  if (r < 0) {
    activity(); // a Worker just started for nothing must not keep the program alive
    throw syscallError("epoll_ctl", -r, `EPOLL_CTL_ADD, ${subject}`);
  }
  targets.set(token, target);
  activity();
  return token;
}

/**
 * Changes the events a watched fd reports; 0 leaves only the implicit `EPOLLHUP`/`EPOLLERR`.
 *
 * @throws {SyscallError} If the kernel refuses (the fd is no longer registered).
 */
export function rearm(target: ReadyTarget, token: number, events: number): void {
  const r = ctl(EPOLL_CTL_MOD, target.fd, events, token);
  if (r < 0) throw new SyscallError({ syscall: "epoll_ctl", errno: -r, subject: "EPOLL_CTL_MOD" });
}

/** Stops watching; does nothing for a token no longer watched. Call it before closing the fd. */
export function unwatch(target: ReadyTarget, token: number): void {
  if (targets.get(token) !== target) return;
  targets.delete(token);
  libc.epoll_ctl(epfd, EPOLL_CTL_DEL, target.fd, ctlBuf.bytes);
  activity();
}

/** Fails every watch with `cause`: the reactor can no longer report readiness. */
export function failAll(cause: unknown): void {
  for (const target of [...targets.values()]) {
    try {
      target.fail(cause);
    } catch {
      // A target's failure path must not stop the others from being failed.
    }
  }
  // Targets unwatch themselves; make sure nothing stays registered even if one did not.
  for (const [token, target] of [...targets]) unwatch(target, token);
}

/** Hands `n` events from `view` (at `base`) to their targets. */
function dispatch(view: DataView, n: number): void {
  for (let i = 0, off = 0; i < n; i++, off += EV.size) {
    const token = view.getUint32(off + EV.data, LE) + view.getUint32(off + EV.data + 4, LE) * TWO_32;
    if (token === 0) {
      libc.read(efd, counter.bytes, EIGHT); // reset the eventfd
      continue;
    }
    const target = targets.get(token);
    if (target === undefined) continue; // removed while the event was on its way
    const events = view.getUint32(off + EV.events, LE);
    try {
      target.ready(events);
    } catch (e) {
      try {
        target.fail(e);
      } finally {
        unwatch(target, token);
      }
    }
  }
}

/** Events from the driver or from {@link pollAgain}: dispatched, then the set is polled once more. */
function delivered(view: DataView, n: number): void {
  holding = true;
  try {
    dispatch(view, n);
  } finally {
    setImmediate(pollAgain);
  }
}

/** The poll phase: what became ready meanwhile is dispatched here; when nothing did, the driver waits again. */
function pollAgain(): void {
  const n = libc.epoll_wait(epfd, polled.bytes, MAX_EVENTS, 0);
  if (n > 0) return delivered(polled.view, n);
  holding = false; // an error here (EINTR) is the driver's to see and report
  activity();
}

/** Starts or stops the driver's waiting to match whether anything is watched. */
function activity(): void {
  if (holding) return; // the event buffer is being read, and the driver waits again after the poll phase
  driver.active(epfd, targets.size > 0);
}

const driver = epollDriver({
  events: delivered,
  failed(cause, errno): void {
    failAll(errno === undefined ? cause : syscallError(errno.syscall, errno.errno, errno.subject));
  },
  wake(): void {
    counter.view.setBigUint64(0, 1n, LE);
    libc.write(efd, counter.bytes, EIGHT);
  },
}, MAX_EVENTS);
