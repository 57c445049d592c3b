/**
 * Waits on many processes at once: {@link waitAny} (the first to exit) and {@link exits} (each as it exits),
 * built on the per-pidfd watches of `src/wait.ts` and served by the module's one epoll set.
 *
 * @module
 */

import { assertOpen } from "./fd.ts";
import { Pidfd } from "./pidfd.ts";
import {
  type ExitStatus,
  type ExitWatch,
  isAborted,
  type Listener,
  type PidfdExit,
  reasonOf,
  statuses,
  typeOf,
  Waiting,
  type WaitLimits,
  waitLimits,
  type WaitOptions,
  watchOf,
} from "./wait.ts";

/** The distinct pidfds of an iterable, checked. */
function pidfdList(pidfds: Iterable<Pidfd>): Pidfd[] {
  if (pidfds === null || typeof (pidfds as Partial<Iterable<Pidfd>>)?.[Symbol.iterator] !== "function") {
    throw new TypeError(`Expected pidfds to be an iterable of Pidfd, got ${typeOf(pidfds)}`);
  }
  const list = [...new Set(pidfds)];
  for (const p of list) {
    if (!(p instanceof Pidfd)) throw new TypeError(`Expected pidfds to contain only Pidfd, got ${typeOf(p)}`);
    assertOpen(p); // TypeError once closed
  }
  return list;
}

/** One {@link waitAny}. */
class AnyWait extends Waiting implements Listener {
  readonly promise: Promise<PidfdExit>;
  readonly #watches: ExitWatch[] = [];
  #resolve!: (exit: PidfdExit) => void;
  #reject!: (reason: unknown) => void;

  constructor(limits: WaitLimits) {
    super(limits);
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  listen(watch: ExitWatch): void {
    this.#watches.push(watch);
    watch.add(this);
  }

  exit(pidfd: Pidfd, status: ExitStatus): void {
    if (this.settled) return;
    this.finish();
    this.release();
    this.#resolve({ pidfd, status });
  }

  error(_pidfd: Pidfd, error: unknown): void {
    if (this.settled) return;
    this.finish();
    this.release();
    this.#reject(error);
  }

  protected describe(): string {
    return `any of ${this.#watches.length} processes`;
  }

  protected release(): void {
    for (const w of this.#watches) w.remove(this);
    this.#watches.length = 0;
  }

  protected rejected(reason: unknown): void {
    this.#reject(reason);
  }
}

/**
 * Waits until the first of several processes exits: `epoll(7)` over their pidfds
 * (https://man7.org/linux/man-pages/man7/epoll.7.html) in the module's one epoll set, statuses as for
 * {@link Pidfd.wait}.
 *
 * Requires Linux ≥ 5.3 (exit statuses: see {@link ExitStatus.source}). Needs no permission beyond holding
 * the pidfds. Deno: `--allow-ffi`; Bun runs one Worker for all waits (see {@link Pidfd.wait}).
 *
 * @param pidfds The processes; duplicates count once. A process already known to have exited wins at once.
 * @param options `signal` to abort, `timeout` in milliseconds.
 * @returns The first exit: its pidfd (still open) and status. Every other pidfd stays open and unwatched.
 * @throws {TypeError} (as a rejection) If `pidfds` is not an iterable of open `Pidfd`s.
 * @throws {RangeError} (as a rejection) If `pidfds` is empty or `timeout` is out of range.
 * @throws {DOMException} (as a rejection) `TimeoutError` after `timeout`; `AbortError` if one of the pidfds
 * is closed meanwhile; or the abort `signal`'s reason.
 * @throws {SyscallError} (as a rejection) `EMFILE` creating the epoll set, `ENOSPC` at the epoll watch limit.
 *
 * @example Restart whichever worker dies first
 * ```ts ignore
 * import { Pidfd, waitAny } from "@pidfd/pidfd";
 * const pidfds = [Pidfd.open(1234), Pidfd.open(1235)];
 * const { pidfd, status } = await waitAny(pidfds, { timeout: 60_000 });
 * console.log(pidfd.pid, status.code ?? status.signal);
 * ```
 */
export function waitAny(pidfds: Iterable<Pidfd>, options?: WaitOptions): Promise<PidfdExit> {
  let any: AnyWait | undefined;
  try {
    const l = waitLimits(options);
    const list = pidfdList(pidfds);
    if (list.length === 0) throw new RangeError("Expected pidfds to contain at least one Pidfd");
    for (const pidfd of list) {
      const status = statuses.get(pidfd);
      if (status !== undefined) return Promise.resolve({ pidfd, status });
    }
    if (isAborted(l.signal)) return Promise.reject(reasonOf.call(l.signal!));
    any = new AnyWait(l);
    for (const pidfd of list) any.listen(watchOf(pidfd));
    return any.promise;
  } catch (e) {
    any?.cancel(e); // an epoll error after some watches started: release them
    return any?.promise ?? Promise.reject(e);
  }
}

/** The iterator of {@link exits}. */
class ExitStream extends Waiting implements Listener, AsyncIterableIterator<PidfdExit> {
  readonly #watches: ExitWatch[] = [];
  readonly #queue: (PidfdExit | undefined)[] = [];
  #head = 0;
  #remaining: number;
  #failure: { error: unknown } | undefined;
  readonly #pending: { resolve(r: IteratorResult<PidfdExit>): void; reject(e: unknown): void }[] = [];

  constructor(limits: WaitLimits, list: Pidfd[]) {
    super(limits);
    this.#remaining = list.length;
    try {
      for (const pidfd of list) {
        const status = statuses.get(pidfd);
        if (status !== undefined) this.#push({ pidfd, status });
        else {
          const watch = watchOf(pidfd);
          this.#watches.push(watch);
          watch.add(this);
        }
      }
    } catch (e) {
      this.cancel(e); // an epoll error: the first next() reports it
    }
    if (this.#remaining === 0 && !this.settled) this.finish(); // nothing to wait for
  }

  exit(pidfd: Pidfd, status: ExitStatus): void {
    if (!this.settled) this.#push({ pidfd, status });
  }

  error(_pidfd: Pidfd, error: unknown): void {
    this.cancel(error);
  }

  protected describe(): string {
    return `${this.#remaining} more process${this.#remaining === 1 ? "" : "es"}`;
  }

  protected release(): void {
    for (const w of this.#watches) w.remove(this);
    this.#watches.length = 0;
  }

  protected rejected(reason: unknown): void {
    const pending = this.#pending.shift();
    if (pending === undefined) this.#failure = { error: reason };
    else pending.reject(reason);
    for (const p of this.#pending.splice(0)) p.resolve({ value: undefined, done: true });
  }

  #push(exit: PidfdExit): void {
    if (--this.#remaining === 0 && !this.settled) this.finish();
    const pending = this.#pending.shift();
    if (pending !== undefined) pending.resolve({ value: exit, done: false });
    else this.#queue.push(exit);
  }

  next(): Promise<IteratorResult<PidfdExit>> {
    if (this.#head < this.#queue.length) {
      const value = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined; // let it be collected
      return Promise.resolve({ value, done: false });
    }
    if (this.#failure !== undefined) {
      const { error } = this.#failure;
      this.#failure = undefined; // reported once; the iteration is then over
      return Promise.reject(error);
    }
    if (this.settled) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<PidfdExit>> {
    if (!this.settled) {
      this.finish();
      this.release();
    }
    this.#failure = undefined;
    this.#queue.length = this.#head = 0;
    for (const p of this.#pending.splice(0)) p.resolve({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * Yields `{ pidfd, status }` as the given processes exit, in the order they exit, until all have: a
 * supervisor loop over `epoll(7)` (https://man7.org/linux/man-pages/man7/epoll.7.html) and the module's one
 * epoll set, statuses as for {@link Pidfd.wait}.
 *
 * Leaving the loop early (`break`, `return`, an exception) stops watching the rest; their pidfds stay open.
 * Requires Linux ≥ 5.3 (exit statuses: see {@link ExitStatus.source}). Deno: `--allow-ffi`.
 *
 * @param pidfds The processes; duplicates count once. Those already known to have exited come first.
 * @param options `signal` to abort, `timeout` in milliseconds for the whole iteration.
 * @returns An async iterator of exits.
 * @throws {TypeError} (from the first `next()`) If `pidfds` is not an iterable of open `Pidfd`s.
 * @throws {DOMException} (from `next()`) `TimeoutError` after `timeout`; `AbortError` if one of the pidfds is
 * closed meanwhile; or the abort `signal`'s reason.
 * @throws {SyscallError} (from `next()`) `EMFILE` creating the epoll set, `ENOSPC` at the epoll watch limit.
 *
 * @example Report each worker as it ends
 * ```ts ignore
 * import { exits, Pidfd } from "@pidfd/pidfd";
 * const pidfds = [1234, 1235, 1236].map((pid) => Pidfd.open(pid));
 * for await (const { pidfd, status } of exits(pidfds)) {
 *   console.log(pidfd.pid, status.code ?? status.signal);
 *   pidfd.close();
 * }
 * ```
 */
export function exits(pidfds: Iterable<Pidfd>, options?: WaitOptions): AsyncIterableIterator<PidfdExit> {
  let list: Pidfd[];
  let l: WaitLimits;
  try {
    l = waitLimits(options);
    list = pidfdList(pidfds);
  } catch (e) {
    return failedIterator(e);
  }
  if (isAborted(l.signal)) return failedIterator(reasonOf.call(l.signal!));
  return new ExitStream(l, list);
}

function failedIterator(error: unknown): AsyncIterableIterator<PidfdExit> {
  let reported = false;
  const iterator: AsyncIterableIterator<PidfdExit> = {
    next(): Promise<IteratorResult<PidfdExit>> {
      if (reported) return Promise.resolve({ value: undefined, done: true });
      reported = true;
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
