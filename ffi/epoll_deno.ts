/**
 * The Deno epoll driver (see `ffi/epoll_driver.ts`): one `nonblocking` `epoll_wait(-1)` on Deno's FFI thread
 * pool while anything is watched. The `nonblocking` symbol is opened here, for Deno only: Bun ignores the flag
 * and would block its main thread.
 *
 * @module
 */

import type { EpollDriver, EpollHooks } from "./epoll_driver.ts";
import { arch, EPOLL_EVENT, Errno, libc } from "./mod.ts";
import { LIBC_PATH } from "./symbols.ts";

const NONBLOCKING = {
  /** `epoll_wait` on the pool: returns a `Promise`; errno stays on the pool thread (a -1 comes back as is). */
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32", nonblocking: true },
} as const satisfies Deno.ForeignLibraryInterface;

let pool: Deno.DynamicLibrary<typeof NONBLOCKING>["symbols"] | undefined;

/** The driver: see the module documentation. */
export function denoEpollDriver(hooks: EpollHooks, maxEvents: number): EpollDriver {
  // Owned by the call in flight until it settles; read only in `settled`.
  const events = new Uint8Array(maxEvents * EPOLL_EVENT[arch].size);
  const view = new DataView(events.buffer);
  let inFlight = false;
  let woken = false;
  let fd = -1;

  function settled(n: number): void {
    inFlight = false;
    if (n < 0) {
      // -1 is almost always EINTR; ask again synchronously (timeout 0), where errno is ours, to classify it.
      n = libc.epoll_wait(fd, events, maxEvents, 0);
      if (n === -Errno.EINTR) n = 0;
      if (n < 0) return hooks.failed(null, { syscall: "epoll_wait", errno: -n, subject: String(fd) });
    }
    hooks.events(view, n);
  }

  function broken(cause: unknown): void {
    inFlight = false;
    hooks.failed(cause);
  }

  return {
    prepare: () => 0,
    active(epfd, watched): void {
      fd = epfd;
      if (watched) {
        if (!inFlight) {
          inFlight = true;
          woken = false;
          pool ??= Deno.dlopen(LIBC_PATH, NONBLOCKING).symbols;
          pool.epoll_wait(epfd, events, maxEvents, -1).then(settled, broken);
        }
      } else if (inFlight && !woken) {
        // Nothing left to watch: make the call in flight return so the event loop can end.
        woken = true;
        hooks.wake();
      }
    },
  };
}
