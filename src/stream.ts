/**
 * Web streams over non-blocking pipe fds, served by the module's one epoll reactor (`src/reactor.ts`): a read or
 * write that would block waits for readiness there instead of occupying a thread.
 *
 * Each pipe end is an {@link OwnedFd} held by exactly one stream: the number is read through the owner at every
 * call, so once the end is closed (EOF, an error, `cancel`, `close`, `abort`, the owner's `close()` or garbage
 * collection of a dropped stream) nothing reaches the kernel with it again.
 *
 * @module
 */

import { EPOLLIN, EPOLLOUT, Errno, libc, memory, MSG_NOSIGNAL, SHUT_WR } from "../ffi/mod.ts";
import { SyscallError } from "./errors.ts";
import type { OwnedFd } from "./fd.ts";
import { type ReadyTarget, unwatch, watch } from "./reactor.ts";

const CHUNK = 65536;
const CHUNK_SIZE = BigInt(CHUNK);
const scratch = new Uint8Array(CHUNK);
/**
 * A socket holds far more than a pipe's 64 KiB: it is read up to 256 KiB at a time, into a buffer that is not
 * zeroed first (under Bun): what the kernel did not fill is zeroed before the buffer is handed out, and a short
 * read is copied out of it.
 */
const SOCKET_CHUNK = 4 * CHUNK;
const SOCKET_CHUNK_SIZE = BigInt(SOCKET_CHUNK);
let socketScratch = memory.uninitialized(SOCKET_CHUNK);

let lastLength = -1;
let lastSize = 0n;
/** `BigInt(length)` for a `size_t` argument, remembered for the last length: streams tend to move one size. */
function sizeArgument(length: number): bigint {
  if (length !== lastLength) lastSize = BigInt(lastLength = length);
  return lastSize;
}

function closedError(): TypeError {
  return new TypeError("The pipe is closed");
}

/**
 * A non-blocking pipe end (or socket end), owned through an {@link OwnedFd}, with at most one pending readiness
 * wait.
 */
class PipeEnd implements ReadyTarget {
  readonly #owner: OwnedFd;
  readonly #shutdownOnClose: boolean;
  #token = 0;
  #pending: { resolve(): void; reject(e: unknown): void } | null = null;

  /** @param shutdownOnClose A socket's writing end: `shutdown(SHUT_WR)` before closing, so the peer sees EOF. */
  constructor(owner: OwnedFd, shutdownOnClose = false) {
    this.#owner = owner;
    this.#shutdownOnClose = shutdownOnClose;
  }

  /** The fd number; a `TypeError` once closed. */
  get fd(): number {
    return this.#owner.fd;
  }

  get closed(): boolean {
    return this.#owner.closed;
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

  /** The owner's close: closes the fd and errors the stream, so pending and later reads or writes reject. */
  closeStream(controller: { error(reason: unknown): void }): void {
    if (this.closed) return;
    this.close();
    controller.error(closedError());
  }

  /** Stops any wait (it rejects with `reason`, by default a `TypeError`) and closes the fd; idempotent. */
  close(reason?: unknown): void {
    if (this.closed) return;
    this.#settle(this.#pending === null ? null : reason === undefined ? closedError() : reason);
    // Other fds (dups) of the same socket may stay open: shutdown is what tells the peer that writing ended.
    if (this.#shutdownOnClose) libc.shutdown(this.#owner.fd, SHUT_WR);
    this.#owner.close();
  }
}

/** A stream over a pipe end it owns, and a way to close that end whatever state the stream is in. */
export interface PipeStream<S> {
  readonly stream: S;
  /** Closes the fd (idempotent) and errors the stream: pending and later reads or writes reject. */
  close(): void;
}

/**
 * A byte stream (`type: "bytes"`) reading a non-blocking pipe end (or socket fd, with `socket`) to EOF; the stream
 * owns and closes it. A BYOB reader (`getReader({ mode: "byob" })`) has the kernel copy straight into the caller's
 * buffer, which the caller can reuse: no allocation per read. A default reader gets a new chunk per read.
 */
export function readableFromFd(owner: OwnedFd, socket = false): PipeStream<ReadableStream<Uint8Array>> {
  const end = new PipeEnd(owner);
  const what = socket ? "socket" : "pipe";
  let controller!: ReadableByteStreamController;
  /**
   * One read, into the view of `request` (a waiting BYOB read) or a scratch buffer: true when it delivered
   * something (a chunk, the view filled, EOF), false when there was nothing to read yet. Throws when it fails.
   */
  const take = (c: ReadableByteStreamController, request: ReadableStreamBYOBRequest | null): boolean => {
    const into = request === null ? null : request.view as Uint8Array;
    const buffer = into ?? (socket ? socketScratch : scratch);
    const size = into !== null ? sizeArgument(into.length) : socket ? SOCKET_CHUNK_SIZE : CHUNK_SIZE;
    const r = libc.read(end.fd, buffer, size);
    if (r > 0) {
      if (request !== null) request.respond(r);
      else if (!socket || 2 * r < buffer.length) c.enqueue(buffer.slice(0, r));
      else {
        // A read that filled at least half of it takes the buffer itself as its chunk.
        buffer.fill(0, r);
        c.enqueue(buffer.subarray(0, r));
        socketScratch = memory.uninitialized(SOCKET_CHUNK);
      }
      return true;
    }
    if (r === 0) {
      end.close();
      c.close();
      request?.respond(0); // a waiting BYOB read resolves as done
      return true;
    }
    if (r === -Errno.EAGAIN || r === -Errno.EINTR) return false;
    throw new SyscallError({ syscall: "read", errno: -r, subject: `${what} fd ${end.fd}` });
  };
  const takeWhenReady = async (
    c: ReadableByteStreamController,
    request: ReadableStreamBYOBRequest | null,
  ): Promise<void> => {
    try {
      do await end.wait(false); while (!take(c, request));
    } catch (e) {
      end.close(); // an errored stream gets no cancel() call
      throw e;
    }
  };
  const stream = new ReadableStream({
    type: "bytes",
    start(c): void {
      controller = c;
    },
    // Synchronous when there is something to read, the common case: no promise of its own to settle.
    pull(c): Promise<void> | undefined {
      const request = c.byobRequest; // read once: a getter that builds the view
      try {
        return take(c, request) ? undefined : takeWhenReady(c, request);
      } catch (e) {
        end.close();
        throw e;
      }
    },
    cancel(): void {
      end.close();
    },
    // A pipe holds only 64 KiB: up to 256 KiB are read ahead, then the child blocks on a full pipe. A socket's
    // kernel buffer is the read-ahead: every read waits for a reader, so a BYOB reader's buffer gets it all.
  }, { highWaterMark: socket ? 0 : 4 * CHUNK });
  return { stream, close: () => end.closeStream(controller) };
}

/**
 * A byte sink writing to a non-blocking pipe end; closing the stream closes the fd (the reader sees EOF). With
 * `socket`, a socket fd: written with `send(MSG_NOSIGNAL)` (a closed peer is `EPIPE`, never a `SIGPIPE`) and
 * shut down for writing (`SHUT_WR`) when the stream ends, whatever other fds of the socket stay open.
 */
export function writableToFd(owner: OwnedFd, socket = false): PipeStream<WritableStream<Uint8Array>> {
  const end = new PipeEnd(owner, socket);
  const what = socket ? "socket" : "pipe";
  let controller!: WritableStreamDefaultController;
  /** One `send`/`write` of `chunk` from `offset`: the new offset (unchanged for `EAGAIN`); throws on failure. */
  const put = (chunk: Uint8Array, offset: number): number => {
    const rest = offset === 0 ? chunk : chunk.subarray(offset);
    const size = sizeArgument(rest.length);
    const r = socket ? libc.send(end.fd, rest, size, MSG_NOSIGNAL) : libc.write(end.fd, rest, size);
    if (r >= 0) return offset + r;
    if (r === -Errno.EAGAIN || r === -Errno.EINTR) return offset;
    throw new SyscallError({
      syscall: socket ? "send" : "write",
      errno: -r,
      subject: `${what} fd ${end.fd}`,
    }); // EPIPE
  };
  /** The rest of a chunk the kernel did not take at once: wait for room (a short write filled it) and go on. */
  const finish = async (chunk: Uint8Array, offset: number): Promise<void> => {
    try {
      while (offset < chunk.length) {
        await end.wait(true);
        offset = put(chunk, offset);
      }
    } catch (e) {
      end.close(); // an errored stream gets no close() or abort() call: the reader must still see EOF
      throw e;
    }
  };
  const stream = new WritableStream<Uint8Array>({
    start(c): void {
      controller = c;
    },
    // Synchronous when the kernel takes the whole chunk, the common case: no promise of its own to settle.
    write(chunk): Promise<void> | undefined {
      try {
        if (!(chunk instanceof Uint8Array)) throw new TypeError("Expected a Uint8Array chunk");
        const offset = chunk.length === 0 ? 0 : put(chunk, 0);
        return offset === chunk.length ? undefined : finish(chunk, offset);
      } catch (e) {
        end.close();
        throw e;
      }
    },
    close(): void {
      end.close();
    },
    abort(reason): void {
      end.close(reason);
    },
  });
  return { stream, close: () => end.closeStream(controller) };
}
