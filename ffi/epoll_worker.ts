/**
 * The Worker of the Bun epoll driver (`ffi/epoll_bun.ts`, for the reactor in `src/reactor.ts`): a Worker that blocks in `epoll_wait(2)` on the module's
 * one epoll set, because `bun:ffi` has no asynchronous calls and Bun's event loop cannot watch a foreign fd.
 *
 * Protocol, all through one `SharedArrayBuffer` made by the main thread:
 * - bytes 0..3: the acknowledgement flag (`Int32`); from `eventsOffset`: the `epoll_event` array the kernel
 *   fills.
 * - The Worker sleeps in `Atomics.wait` until the main thread stores 1 (at start, and after each batch once it
 *   has handled it: deleted or re-armed every reported fd, and polled the set itself for a while), sets the
 *   flag back to 0, calls `epoll_wait` and posts the number of ready events (or `-errno`, after which it
 *   stops). So only one thread waits on the set at a time, a level-triggered registration is never reported
 *   twice, and the event array is never written while the main thread reads it.
 *
 * libc comes through the same symbol table and Bun backend as everywhere else (`ffi/mod.ts`); errno is the
 * Worker thread's own, read right after its call. `bun build --compile` must receive this file as an extra
 * entry point: `bun build --compile ./cli.ts ./ffi/epoll_worker.ts --outfile pidfd`.
 *
 * @module
 */

import { arch, EPOLL_EVENT, Errno, libc } from "./mod.ts";

/** The start message. */
export interface EpollWorkerStart {
  /** The epoll fd, owned by the main thread. */
  readonly epfd: number;
  /** Acknowledgement flag at byte 0, event array from byte `eventsOffset`. */
  readonly shared: SharedArrayBuffer;
  /** Byte offset of the event array in `shared`. */
  readonly eventsOffset: number;
  /** Capacity of the event array. */
  readonly maxEvents: number;
}

interface WorkerScope {
  onmessage: ((event: MessageEvent<EpollWorkerStart>) => void) | null;
  postMessage(message: number): void;
}

const scope = globalThis as unknown as WorkerScope;

function run({ epfd, shared, eventsOffset, maxEvents }: EpollWorkerStart): void {
  const ack = new Int32Array(shared, 0, 1);
  const events = new Uint8Array(shared, eventsOffset, maxEvents * EPOLL_EVENT[arch].size);
  for (;;) {
    Atomics.wait(ack, 0, 0);
    Atomics.store(ack, 0, 0);
    let n: number;
    do n = libc.epoll_wait(epfd, events, maxEvents, -1); while (n === -Errno.EINTR);
    scope.postMessage(n);
    if (n < 0) return; // the main thread rejects every pending wait with this errno
  }
}

scope.onmessage = (event) => {
  scope.onmessage = null;
  run(event.data);
};
