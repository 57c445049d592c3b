/**
 * The module's one epoll set: readiness of many fds with one thread, in Deno and in Bun.
 *
 * - One epoll fd (`EPOLL_CLOEXEC`) and one eventfd (`EFD_CLOEXEC | EFD_NONBLOCK`, token 0), created on the
 *   first watch and kept. Registrations are level-triggered; each carries a 64-bit token that is never reused,
 *   so an event for a registration removed meanwhile finds no target and is dropped.
 * - Deno: exactly one `nonblocking` `epoll_wait(-1)` in flight while anything is watched (one of the 32 pool
 *   threads), none when idle, so a program ends once nothing is watched. Results are handled on the main thread
 *   before the next call is issued; removing the last watch writes the eventfd so the call in flight returns.
 * - Bun: `bun:ffi` has no asynchronous call, so a Worker (`ffi/epoll_worker.ts`) blocks in `epoll_wait` and
 *   posts how many events it put in a shared buffer, then waits for an acknowledgement before the next call.
 *   The Worker is `ref()`ed only while something is watched. If it fails, every watch fails with the cause.
 *   The first watch starts it, and only with fds to spare: Bun aborts the whole process when it runs out of fds
 *   loading a Worker. No headroom, or `EMFILE` loading it, is a `SyscallError` `EMFILE`; the next watch retries.
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
  isBun,
  LE,
  libc,
  structBuffer,
} from "../ffi/mod.ts";
import type { EpollWorkerStart } from "../ffi/epoll_worker.ts";
import { SyscallError } from "./errors.ts";
import { EMFILE_HINT } from "./pidfd.ts";

/** Something watched: the waiter calls it on the main thread. */
export interface ReadyTarget {
  /** The watched fd (still open while watched). */
  readonly fd: number;
  /** The fd is ready: `events` is the epoll mask (`EPOLLIN`, `EPOLLHUP`, …). Must unwatch or re-arm. */
  ready(events: number): void;
  /** The waiter itself failed (Bun Worker error, `epoll_wait` error): reject and unwatch. */
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
  return new SyscallError(syscall, errno, subject, undefined, detail);
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
  if (isBun && worker === null) worker = startWorker(); // before anything is registered: it may throw EMFILE
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
  if (r < 0) throw new SyscallError("epoll_ctl", -r, "EPOLL_CTL_MOD");
}

/** Stops watching; does nothing for a token no longer watched. Call it before closing the fd. */
export function unwatch(target: ReadyTarget, token: number): void {
  if (targets.get(token) !== target) return;
  targets.delete(token);
  libc.epoll_ctl(epfd, EPOLL_CTL_DEL, target.fd, ctlBuf.bytes);
  activity();
}

/** How many fds are watched (for tests). */
export function watchedCount(): number {
  return targets.size;
}

/** Fails every watch with `cause`: the waiter can no longer report readiness. */
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

let dispatching = false;

/** Hands `n` events from `view` (at `base`) to their targets. */
function dispatch(view: DataView, n: number): void {
  dispatching = true;
  try {
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
  } finally {
    dispatching = false;
  }
  activity();
}

/** Starts or stops the runtime's waiting to match whether anything is watched. */
function activity(): void {
  if (dispatching) return; // the backend resumes after dispatch; the event buffer is being read
  if (isBun) bunActivity();
  else denoActivity();
}

// ---- Deno: one nonblocking epoll_wait in flight ----------------------------------------------------------

// Owned by the call in flight until it settles; read only in denoSettled.
const denoEvents = new Uint8Array(MAX_EVENTS * EV.size);
const denoView = new DataView(denoEvents.buffer);
let inFlight = false;
let woken = false;

function denoActivity(): void {
  if (targets.size > 0) {
    if (!inFlight) {
      inFlight = true;
      woken = false;
      libc.epoll_wait_nonblocking(epfd, denoEvents, MAX_EVENTS, -1).then(denoSettled, denoBroken);
    }
  } else if (inFlight && !woken) {
    // Nothing left to watch: make the call in flight return so the event loop can end.
    woken = true;
    counter.view.setBigUint64(0, 1n, LE);
    libc.write(efd, counter.bytes, EIGHT);
  }
}

function denoSettled(n: number): void {
  inFlight = false;
  if (n < 0) {
    // errno stayed on the pool thread. -1 is almost always EINTR; ask again synchronously (timeout 0), where
    // errno is ours, to classify anything else.
    n = libc.epoll_wait(epfd, denoEvents, MAX_EVENTS, 0);
    if (n === -Errno.EINTR) n = 0;
    if (n < 0) return failAll(new SyscallError("epoll_wait", -n, String(epfd)));
  }
  dispatch(denoView, n);
}

function denoBroken(cause: unknown): void {
  inFlight = false;
  failAll(cause);
}

// ---- Bun: one Worker blocked in epoll_wait ---------------------------------------------------------------

interface BunWorker {
  onmessage: ((event: MessageEvent<number>) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
  postMessage(message: EpollWorkerStart): void;
  ref(): void;
  unref(): void;
  terminate(): void;
}

const EVENTS_OFFSET = 8;
let worker: BunWorker | null = null;
let referenced = false;
let shared: SharedArrayBuffer | undefined;
let ack: Int32Array | undefined;
let bunView: DataView | undefined;

function bunActivity(): void {
  if (targets.size > 0) {
    if (worker === null) return; // failed: every target was failed, and the next watch starts a new one
    if (!referenced) {
      referenced = true;
      worker.ref();
    }
  } else if (referenced && worker !== null) {
    // The Worker stays blocked in epoll_wait, unreferenced: it no longer keeps the process alive.
    referenced = false;
    worker.unref();
  }
}

/**
 * Fds a Worker needs free while it loads. Bun aborts the whole process when it runs out of fds loading one
 * (with 3 or 4 left), and fails the Worker with `EMFILE` reading its file with 5 left; 8 leaves a margin.
 */
const WORKER_FDS = 8;

/** Throws `EMFILE` (or `ENFILE`) unless {@link WORKER_FDS} fds can be opened now. */
function assertFdHeadroom(url: string): void {
  const probes: number[] = [];
  try {
    for (let i = 0; i < WORKER_FDS; i++) {
      const fd = libc.eventfd(0, EFD_CLOEXEC);
      if (fd < 0) throw syscallError("new Worker", -fd, url);
      probes.push(fd);
    }
  } finally {
    for (const fd of probes) libc.close(fd);
  }
}

function startWorker(): BunWorker {
  if (shared === undefined) {
    shared = new SharedArrayBuffer(EVENTS_OFFSET + MAX_EVENTS * EV.size);
    ack = new Int32Array(shared, 0, 1);
    bunView = new DataView(shared, EVENTS_OFFSET);
  }
  const url = workerUrl();
  assertFdHeadroom(url);
  const w = new Worker(url) as unknown as BunWorker;
  referenced = true; // a new Worker is referenced
  w.onmessage = (event) => onWorkerMessage(w, event.data);
  w.onerror = (event) => {
    event.preventDefault();
    onWorkerFailure(
      w,
      /\bEMFILE\b/.test(event.message)
        ? syscallError("new Worker", Errno.EMFILE, url) // transient: the next watch starts a new Worker
        : new Error(
          `The epoll Worker (${url}) failed: ${event.message}. A binary made with \`bun build --compile\` needs ` +
            "./ffi/epoll_worker.ts as an extra entry point",
          { cause: event.error ?? event.message },
        ),
    );
  };
  w.postMessage({ epfd, shared: shared!, eventsOffset: EVENTS_OFFSET, maxEvents: MAX_EVENTS });
  return w;
}

function onWorkerMessage(w: BunWorker, n: number): void {
  if (w !== worker) return;
  if (n < 0) return onWorkerFailure(w, new SyscallError("epoll_wait", -n, String(epfd)));
  try {
    dispatch(bunView!, n);
  } finally {
    Atomics.store(ack!, 0, 1);
    Atomics.notify(ack!, 0);
  }
}

function onWorkerFailure(w: BunWorker, cause: unknown): void {
  if (w !== worker) return;
  worker = null;
  referenced = false;
  w.terminate();
  failAll(cause); // the next watch starts a new Worker
}

/**
 * Where the Worker module is. From source: `../ffi/epoll_worker.ts` from this file. In a `bun build --compile`
 * binary every module's `import.meta.url` is the binary itself, and extra entry points are embedded beside it
 * by their path relative to the entry points' common root, as `.js`: the embedded file list is searched for
 * `ffi/epoll_worker.js`. `PIDFD_EPOLL_WORKER` (a path or URL) overrides both.
 */
function workerUrl(): string {
  const process = (globalThis as unknown as {
    process: { env: Record<string, string | undefined>; getBuiltinModule(id: string): unknown };
  }).process;
  const override = process.env["PIDFD_EPOLL_WORKER"];
  if (override) return override;
  const here = import.meta.url;
  if (!here.startsWith("file:///$bunfs/")) return new URL("../ffi/epoll_worker.ts", here).href;
  // The embedded files are listed relative to that directory, `../` included when an entry point lies outside
  // the common root; such a path works only unnormalised, so it is joined as a string, not through URL.
  const root = decodeURIComponent(new URL(".", here).pathname);
  const { readdirSync } = process.getBuiltinModule("node:fs") as {
    readdirSync(path: string, options: { recursive: true }): string[];
  };
  let embedded: string[] = [];
  try {
    embedded = readdirSync(root, { recursive: true });
  } catch {
    // Not listable: fall back to the layout of `bun build --compile ./cli.ts ./ffi/epoll_worker.ts`.
  }
  const found = embedded.find((path) => path === WORKER_FILE || path.endsWith(`/${WORKER_FILE}`));
  return root + (found ?? WORKER_FILE);
}

const WORKER_FILE = "ffi/epoll_worker.js";
