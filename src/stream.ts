/**
 * Web streams over non-blocking pipe fds, served by the module's one epoll waiter (`src/waiter.ts`): a read or
 * write that would block waits for readiness there instead of occupying a thread.
 *
 * @module
 */

import { EPOLLIN, EPOLLOUT, Errno, libc } from "../ffi/mod.ts";
import { SyscallError } from "./errors.ts";
import { closeRaw } from "./fd.ts";
import { type ReadyTarget, unwatch, watch } from "./waiter.ts";

const CHUNK = 65536;
const CHUNK_SIZE = BigInt(CHUNK);
const scratch = new Uint8Array(CHUNK);

/** An owned non-blocking fd with at most one pending readiness wait. */
class PipeEnd implements ReadyTarget {
  readonly fd: number;
  #closed = false;
  #token = 0;
  #pending: { resolve(): void; reject(e: unknown): void } | null = null;

  constructor(fd: number) {
    this.fd = fd;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The fd is readable (`EPOLLIN`), writable (`EPOLLOUT`) or hung up: the pending wait resolves. */
  ready(): void {
    this.#settle(null);
  }

  fail(cause: unknown): void {
    this.#settle(cause);
  }

  /** Waits until the fd can make progress. `out`: writable rather than readable. */
  wait(out: boolean): Promise<void> {
    if (this.#closed) return Promise.reject(new TypeError("The pipe is closed"));
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      try {
        this.#token = watch(this, this.fd, out ? EPOLLOUT : EPOLLIN);
      } catch (e) {
        this.#settle(e);
      }
    });
  }

  #settle(error: unknown): void {
    if (this.#token !== 0) unwatch(this, this.#token);
    this.#token = 0;
    const pending = this.#pending;
    this.#pending = null;
    if (pending === null) return;
    if (error === null) pending.resolve();
    else pending.reject(error);
  }

  /** Stops any wait (it rejects with `reason`) and closes the fd; idempotent. */
  close(reason: unknown = new TypeError("The pipe is closed")): void {
    if (this.#closed) return;
    this.#settle(reason);
    this.#closed = true;
    closeRaw(this.fd);
  }
}

/** A stream over a pipe fd it owns, and a way to close that fd whatever state the stream is in. */
export interface PipeStream<S> {
  readonly stream: S;
  /** Closes the fd (idempotent); a pending read or write fails. */
  close(): void;
}

/** A byte stream reading a non-blocking fd to EOF; the stream owns and closes the fd. */
export function readableFromFd(fd: number): PipeStream<ReadableStream<Uint8Array>> {
  const end = new PipeEnd(fd);
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller): Promise<void> {
      for (;;) {
        if (end.closed) return;
        const r = libc.read(end.fd, scratch, CHUNK_SIZE);
        if (r > 0) return controller.enqueue(scratch.slice(0, r));
        if (r === 0) {
          end.close();
          return controller.close();
        }
        if (r === -Errno.EAGAIN) await end.wait(false);
        else if (r !== -Errno.EINTR) {
          end.close();
          throw new SyscallError("read", -r, String(fd));
        }
      }
    },
    cancel(): void {
      end.close();
    },
  }, { highWaterMark: 4 }); // up to four chunks (256 KiB) read ahead; then the child blocks on a full pipe
  return { stream, close: () => end.close() };
}

/** A byte sink writing to a non-blocking fd; closing the stream closes the fd (the reader sees EOF). */
export function writableToFd(fd: number): PipeStream<WritableStream<Uint8Array>> {
  const end = new PipeEnd(fd);
  const stream = new WritableStream<Uint8Array>({
    async write(chunk): Promise<void> {
      if (!(chunk instanceof Uint8Array)) throw new TypeError("Expected a Uint8Array chunk");
      let offset = 0;
      while (offset < chunk.length) {
        const r = libc.write(end.fd, chunk.subarray(offset), BigInt(chunk.length - offset));
        if (r >= 0) offset += r;
        else if (r === -Errno.EAGAIN) await end.wait(true);
        else if (r !== -Errno.EINTR) {
          end.close(); // an errored stream gets no close() or abort() call
          throw new SyscallError("write", -r, String(fd)); // EPIPE: the reader is gone
        }
      }
    },
    close(): void {
      end.close();
    },
    abort(reason): void {
      end.close(reason);
    },
  });
  return { stream, close: () => end.close() };
}
