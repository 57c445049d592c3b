/**
 * How the module's one epoll set is waited on, which is where Deno and Bun differ most: Deno has asynchronous
 * (`nonblocking`) FFI calls, `bun:ffi` has none. The epoll set, its registrations and the dispatch of events
 * belong to the reactor (`src/reactor.ts`); a driver only blocks in `epoll_wait(2)` somewhere other than the
 * main thread and hands the events back:
 *
 * - Deno (`ffi/epoll_deno.ts`): exactly one `nonblocking` `epoll_wait(-1)` in flight while anything is watched
 *   (one of the 32 pool threads), none when idle, so a program ends once nothing is watched.
 * - Bun (`ffi/epoll_bun.ts`): a Worker (`ffi/epoll_worker.ts`) blocks in `epoll_wait` and posts how many events
 *   it put in a shared buffer, then waits for an acknowledgement before the next call; `ref()`ed only while
 *   something is watched.
 *
 * Either way the events of one round are handed over on the main thread, and the next `epoll_wait` starts only
 * at the next {@link EpollDriver.active} call after {@link EpollHooks.events}: until then the reactor holds the
 * set (it may poll it itself), so a level-triggered registration is never reported twice.
 *
 * @module
 */

import { bunEpollDriver } from "./epoll_bun.ts";
import { denoEpollDriver } from "./epoll_deno.ts";
import { isBun } from "./runtime.ts";

/** What a driver calls back, always on the main thread. */
export interface EpollHooks {
  /**
   * `n` events are in `view` (an `epoll_event` array). Returns once every reported fd is deleted or re-armed;
   * the driver then waits again only at the next {@link EpollDriver.active} call.
   */
  events(view: DataView, n: number): void;
  /** The driver can wait no more (`epoll_wait` failed, the Worker died): `cause` is an Error or an errno. */
  failed(cause: unknown, errno?: { syscall: string; errno: number; subject: string }): void;
  /** Makes the `epoll_wait` in flight return (writes the reactor's eventfd). */
  wake(): void;
}

/** One way of waiting on an epoll set. */
export interface EpollDriver {
  /**
   * Gets ready to wait on `epfd` before the first fd is registered. Returns 0, or `-errno`: under Bun
   * `-EMFILE` when too few fds are free to load the Worker (Bun aborts the process when it runs out of fds
   * loading one); the next call tries again.
   */
  prepare(epfd: number): number;
  /**
   * Whether anything is watched: while `true` the driver waits and keeps the program alive, on `false` it stops
   * keeping it alive. Not called while {@link EpollHooks.events} runs; the first call after it lets the driver
   * wait again.
   */
  active(epfd: number, watched: boolean): void;
}

/** The driver for the running runtime. `maxEvents` events are handed over per round at most. */
export function epollDriver(hooks: EpollHooks, maxEvents: number): EpollDriver {
  return isBun ? bunEpollDriver(hooks, maxEvents) : denoEpollDriver(hooks, maxEvents);
}
