/**
 * The Bun epoll driver (see `ffi/epoll_driver.ts`): `bun:ffi` has no asynchronous call, so a Worker
 * (`ffi/epoll_worker.ts`) blocks in `epoll_wait` and posts how many events it put in a shared buffer, then
 * waits for an acknowledgement (the reactor's next `active()` call) before the next call. The Worker is
 * `ref()`ed only while something is watched.
 * If it fails, the reactor fails every watch with the cause and the next watch starts a new one. It starts
 * only with fds to spare: Bun aborts the whole process when it runs out of fds loading a Worker.
 *
 * @module
 */

import type { EpollDriver, EpollHooks } from "./epoll_driver.ts";
import type { EpollWorkerStart } from "./epoll_worker.ts";
import { arch, EFD_CLOEXEC, EPOLL_EVENT, Errno, libc } from "./mod.ts";

interface BunWorker {
  onmessage: ((event: MessageEvent<number>) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
  postMessage(message: EpollWorkerStart): void;
  ref(): void;
  unref(): void;
  terminate(): void;
}

const EVENTS_OFFSET = 8;
const WORKER_FILE = "ffi/epoll_worker.js";

/**
 * Fds a Worker needs free while it loads. Bun aborts the whole process when it runs out of fds loading one
 * (with 3 or 4 left), and fails the Worker with `EMFILE` reading its file with 5 left; 8 leaves a margin.
 */
const WORKER_FDS = 8;

/** 0 if {@link WORKER_FDS} fds can be opened now, else `-errno` (`-EMFILE`, `-ENFILE`). */
function fdHeadroom(): number {
  const probes: number[] = [];
  try {
    for (let i = 0; i < WORKER_FDS; i++) {
      const fd = libc.eventfd(0, EFD_CLOEXEC);
      if (fd < 0) return fd;
      probes.push(fd);
    }
    return 0;
  } finally {
    for (const fd of probes) libc.close(fd);
  }
}

/** The driver: see the module documentation. */
export function bunEpollDriver(hooks: EpollHooks, maxEvents: number): EpollDriver {
  const shared = new SharedArrayBuffer(EVENTS_OFFSET + maxEvents * EPOLL_EVENT[arch].size);
  const ack = new Int32Array(shared, 0, 1);
  const view = new DataView(shared, EVENTS_OFFSET);
  let worker: BunWorker | null = null;
  let referenced = false;
  /** The Worker waits for the acknowledgement (a new one, or one that posted events) rather than in epoll_wait. */
  let parked = false;

  function onMessage(w: BunWorker, n: number, epfd: number): void {
    if (w !== worker) return;
    if (n < 0) return onFailure(w, null, { syscall: "epoll_wait", errno: -n, subject: String(epfd) });
    parked = true;
    hooks.events(view, n); // the next active() call releases the Worker
  }

  function onFailure(
    w: BunWorker,
    cause: unknown,
    errno?: { syscall: string; errno: number; subject: string },
  ): void {
    if (w !== worker) return;
    worker = null;
    referenced = false;
    w.terminate();
    hooks.failed(cause, errno); // the next watch starts a new Worker
  }

  function start(epfd: number): number {
    const url = workerUrl();
    const r = fdHeadroom();
    if (r < 0) return r;
    const w = new Worker(url) as unknown as BunWorker;
    worker = w;
    referenced = true; // a new Worker is referenced
    parked = true; // and waits for its first acknowledgement
    Atomics.store(ack, 0, 0);
    w.onmessage = (event) => onMessage(w, event.data, epfd);
    w.onerror = (event) => {
      event.preventDefault();
      if (/\bEMFILE\b/.test(event.message)) {
        // transient: the next watch starts a new Worker
        return onFailure(w, null, { syscall: "new Worker", errno: Errno.EMFILE, subject: url });
      }
      onFailure(
        w,
        new Error(
          `The epoll Worker (${url}) failed: ${event.message}. A binary made with \`bun build --compile\` needs ` +
            "./ffi/epoll_worker.ts as an extra entry point",
          { cause: event.error ?? event.message },
        ),
      );
    };
    w.postMessage({ epfd, shared, eventsOffset: EVENTS_OFFSET, maxEvents });
    return 0;
  }

  return {
    prepare: (epfd) => worker === null ? start(epfd) : 0,
    active(_epfd, watched): void {
      if (worker === null) return; // failed: every target was failed, and the next watch starts a new one
      if (parked) {
        // Back to epoll_wait, referenced or not: an unreferenced Worker blocked there keeps nothing alive.
        parked = false;
        Atomics.store(ack, 0, 1);
        Atomics.notify(ack, 0);
      }
      if (watched) {
        if (!referenced) {
          referenced = true;
          worker.ref();
        }
      } else if (referenced) {
        // The Worker stays blocked in epoll_wait, unreferenced: it no longer keeps the process alive.
        referenced = false;
        worker.unref();
      }
    },
  };
}

/**
 * Where the Worker module is. From source: `./epoll_worker.ts` beside this file. In a `bun build --compile`
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
  if (!here.startsWith("file:///$bunfs/")) return new URL("./epoll_worker.ts", here).href;
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
