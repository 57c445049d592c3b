/**
 * {@link listenUnix} and {@link connectUnix}: AF_UNIX stream sockets whose reason to exist is peer identity
 * (`SO_PEERPIDFD`, `SCM_PIDFD`, pidfds over `SCM_RIGHTS`), served by the module's one epoll set like every
 * other fd of the library. This layer sits above {@link Pidfd} (it makes pidfds); `src/pidfd.ts` never imports it.
 *
 * Every socket fd is non-blocking and close-on-exec, and owned by exactly one {@link OwnedFd}. A connection's
 * `readable` and `writable` each own a duplicate of the socket fd (so that each can close at its own end, and
 * each has its own epoll registration); the connection keeps the original for `peer()`, `send()` and
 * `receive()`.
 *
 * @module
 */

import {
  AF_UNIX,
  AT_FDCWD,
  AT_REMOVEDIR,
  AT_SYMLINK_NOFOLLOW,
  CMSGHDR,
  cmsgSpace,
  cPath,
  EPOLLERR,
  EPOLLHUP,
  EPOLLIN,
  EPOLLOUT,
  Errno,
  F_DUPFD_CLOEXEC,
  IOVEC,
  LE,
  libc,
  memory,
  MSG_CMSG_CLOEXEC,
  MSG_CTRUNC,
  MSG_NOSIGNAL,
  MSGHDR,
  O_CLOEXEC,
  O_DIRECTORY,
  O_PATH,
  RENAME_NOREPLACE,
  SCM_MAX_FD,
  SCM_PIDFD,
  SCM_RIGHTS,
  SO_PASSPIDFD,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOCKADDR_UN,
  SOL_SOCKET,
  STAT,
  structBuffer,
} from "../ffi/mod.ts";
import { assertOptions, booleanOption, describe, EMFILE_HINT, SyscallError } from "./errors.ts";
import { adoptFd, closeRaw, type OwnedFd } from "./fd.ts";
import { adoptPidfd, Pidfd } from "./pidfd.ts";
import { isPidfd, type PeerCredentials, peerCredentials, peerPidfd, pidOfPidfd } from "./socket_peer.ts";
import { type PipeStream, readableFromFd, writableToFd } from "./stream.ts";
import { type ReadyTarget, rearm, unwatch, watch } from "./reactor.ts";

export type { PeerCredentials } from "./socket_peer.ts";

/** Options of {@link listenUnix}. */
export interface ListenUnixOptions {
  /**
   * The socket file's permission bits (such as `0o660`), applied before the file appears at `path`: there is
   * never a moment in which it is more permissive. Not for abstract names. Default: as `bind(2)` leaves it
   * (`0o777` less the process's umask).
   */
  mode?: number;
  /** The `listen(2)` backlog. Default 4096 (the kernel caps it at `net.core.somaxconn`). */
  backlog?: number;
  /** Every message received on accepted connections carries its sender's pidfd (`SO_PASSPIDFD`, Linux ≥ 6.5). */
  passPidfd?: boolean;
}

/** Options of {@link connectUnix}. */
export interface ConnectUnixOptions {
  /** Every message received carries its sender's pidfd (`SO_PASSPIDFD`, Linux ≥ 6.5). */
  passPidfd?: boolean;
  /** Aborts the connection attempt: the promise rejects with the signal's reason and the socket is closed. */
  signal?: AbortSignal;
}

/** Options of {@link UnixConnection.send}. */
export interface UnixSendOptions {
  /** Pidfds to pass along (`SCM_RIGHTS`), at most 253; the receiver gets its own pidfds of these processes. */
  pidfds?: readonly Pidfd[];
}

/** What {@link UnixConnection.receive} returns: the bytes of one `recvmsg(2)` and what came with them. */
export interface UnixMessage {
  /** The bytes received (a stream socket keeps no message boundaries: frame your own). */
  readonly data: Uint8Array;
  /**
   * The sender's pidfd (`SCM_PIDFD`) when the connection has `passPidfd`, else `null`. Its `pid` is 0 when the
   * sender has already been reaped (the pidfd still answers `info({ exit: true })`). Like `SCM_CREDENTIALS`, a
   * sender with `CAP_SYS_ADMIN` can name another process here by passing credentials of its choice; `peer()`
   * cannot be changed that way.
   */
  readonly sender: Pidfd | null;
  /**
   * The pidfds that came with the data (`SCM_RIGHTS`), each verified to be a pidfd. The caller owns them. A `pid`
   * is 0 for a process already reaped or not visible in the caller's PID namespace.
   */
  readonly pidfds: Pidfd[];
  /** How many other fds came with the data: they were not pidfds, and were closed unused. */
  readonly refused: number;
}

/**
 * The most pidfds one received message may carry. A peer that sends more gets the message refused: the kernel
 * truncates the control data (`MSG_CTRUNC`), every fd that arrived is closed, and `receive()` rejects.
 */
export const MAX_RECEIVED_PIDFDS = 64;
const DEFAULT_BACKLOG = 4096;
const RECEIVE_SIZE = 65536;
/** `connect` on a full backlog answers `EAGAIN` and polls nothing useful: it is retried after these pauses. */
const RETRY_MAX_MS = 50;
const encoder = new TextEncoder();
const INTERNAL = Symbol("UnixSocket");

function closedError(what: string): DOMException {
  return new DOMException(`The ${what} is closed`, "AbortError");
}

// ---- Addresses ---------------------------------------------------------------------------------------------

interface Address {
  /** `struct sockaddr_un`, and the length to pass with it. */
  readonly bytes: Uint8Array;
  readonly length: number;
  /** `null` for an abstract name. */
  readonly file: string | null;
  /** How errors name it: the path, or `@name` as `ss` prints an abstract name. */
  readonly display: string;
}

/** Builds the address of `path`: a file path, or an abstract name starting with `"\0"` or `"@"`. */
function unixAddress(path: unknown): Address {
  if (typeof path !== "string") throw new TypeError(`Expected path to be a string, got ${describe(path)}`);
  if (path === "") throw new TypeError("Expected a socket path, got an empty string");
  const abstract = path[0] === "\0" || path[0] === "@";
  const name = abstract ? path.slice(1) : path;
  if (!abstract && path.includes("\0")) {
    throw new TypeError(`A socket path cannot contain NUL: ${describe(path)}`);
  }
  const encoded = encoder.encode(name);
  // sun_path holds 108 bytes: a path with its terminating NUL, or an abstract name after its leading NUL.
  if (encoded.length + 1 > SOCKADDR_UN.pathMax) {
    throw new RangeError(
      `${abstract ? "Abstract socket name" : "Socket path"} ${describe(path)} is ${encoded.length} bytes: ` +
        `sun_path holds ${SOCKADDR_UN.pathMax} bytes ${abstract ? "with the leading NUL" : "with the NUL"}`,
    );
  }
  const bytes = new Uint8Array(SOCKADDR_UN.size);
  new DataView(bytes.buffer).setUint16(SOCKADDR_UN.sun_family, AF_UNIX, LE);
  bytes.set(encoded, SOCKADDR_UN.sun_path + (abstract ? 1 : 0));
  return {
    bytes,
    length: SOCKADDR_UN.sun_path + encoded.length + 1,
    file: abstract ? null : path,
    display: abstract ? `@${name}` : path,
  };
}

function newSocket(what: string): OwnedFd {
  const fd = libc.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    throw new SyscallError({
      syscall: "socket",
      errno: -fd,
      subject: what,
      detail: fd === -Errno.EMFILE ? EMFILE_HINT : undefined,
    });
  }
  return adoptFd(fd);
}

function setPassPidfd(fd: number, display: string): void {
  const one = structBuffer(4);
  one.view.setInt32(0, 1, LE);
  const r = libc.setsockopt(fd, SOL_SOCKET, SO_PASSPIDFD, one.bytes, 4);
  if (r < 0) {
    throw new SyscallError({ syscall: "setsockopt", errno: -r, subject: `${display}, SO_PASSPIDFD` });
  }
}

// ---- Binding with a mode -----------------------------------------------------------------------------------

const statBuf = structBuffer(STAT.size);

/** The (st_dev, st_ino) of a path, without following a final symlink; `null` if it does not exist. */
function fileId(dirfd: number, path: string): string | null {
  const c = cPath(path);
  if (c === null || libc.fstatat(dirfd, c, statBuf.bytes, AT_SYMLINK_NOFOLLOW) < 0) return null;
  return `${statBuf.view.getBigUint64(STAT.st_dev, LE)}:${statBuf.view.getBigUint64(STAT.st_ino, LE)}`;
}

function randomName(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Binds `fd` to the file `address.file`, with `mode` applied before the file appears there: bound inside a
 * fresh directory of mode 0700 beside the target (nobody else can reach it), `chmod`ed there, then moved into
 * place with `renameat2(RENAME_NOREPLACE)`, so an existing path (a live or a stale socket) is `EADDRINUSE`
 * and is never replaced. The process's umask is not touched. Returns the file's identity.
 */
function bindWithMode(fd: number, address: Address, mode: number, backlog: number): string {
  const path = address.file!;
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  let tmp = "";
  for (let attempt = 0;; attempt++) {
    tmp = `${dir === "/" ? "" : dir}/.${path.slice(slash + 1).slice(0, 16)}.${randomName()}`;
    const c = cPath(tmp);
    if (c === null) throw new RangeError(`Socket path ${describe(path)} is too long`);
    const r = libc.mkdirat(AT_FDCWD, c, 0o700);
    if (r === 0) break;
    if (r !== -Errno.EEXIST || attempt === 8) {
      throw new SyscallError({
        syscall: "mkdirat",
        errno: -r,
        subject: path,
        detail: "creating a private directory beside the socket",
      });
    }
  }
  const dirfd = libc.openat(AT_FDCWD, cPath(tmp)!, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  const name = cPath("s")!.slice();
  try {
    if (dirfd < 0) throw new SyscallError({ syscall: "open", errno: -dirfd, subject: tmp });
    // The temporary name must fit sun_path too; through the directory's fd it always does.
    const inside = `${tmp}/s`;
    const tmpAddress = unixAddress(
      encoder.encode(inside).length < SOCKADDR_UN.pathMax ? inside : `/proc/self/fd/${dirfd}/s`,
    );
    let r = libc.bind(fd, tmpAddress.bytes, tmpAddress.length);
    if (r < 0) throw new SyscallError({ syscall: "bind", errno: -r, subject: path });
    r = libc.fchmodat(dirfd, name, mode, 0);
    if (r < 0) throw new SyscallError({ syscall: "fchmodat", errno: -r, subject: path });
    // Listening before the move: a client that finds the path never meets a socket that refuses it.
    listen(fd, backlog, path);
    const id = fileId(dirfd, "s");
    r = libc.renameat2(dirfd, name, AT_FDCWD, cPath(path)!.slice(), RENAME_NOREPLACE);
    if (r === -Errno.EEXIST) throw addressInUse(path);
    if (r < 0) {
      throw new SyscallError({
        syscall: "renameat2",
        errno: -r,
        subject: path,
        detail: "moving the socket into place",
      });
    }
    return id!;
  } finally {
    if (dirfd >= 0) {
      libc.unlinkat(dirfd, name, 0); // still there only after a failure
      closeRaw(dirfd);
    }
    libc.unlinkat(AT_FDCWD, cPath(tmp)!, AT_REMOVEDIR);
  }
}

function addressInUse(path: string): SyscallError {
  return new SyscallError({
    syscall: "bind",
    errno: Errno.EADDRINUSE,
    subject: path,
    detail: "the path exists; a stale socket file is never removed here: unlink it if no server uses it",
  });
}

// ---- Readiness -----------------------------------------------------------------------------------------------

interface Waiter {
  resolve(): void;
  reject(e: unknown): void;
}

/** Readiness of one socket fd for any number of waiters, in and out, under one epoll registration. */
class Readiness implements ReadyTarget {
  readonly #owner: OwnedFd;
  readonly #subject: string;
  #token = 0;
  #mask = 0;
  #in: Waiter[] = [];
  #out: Waiter[] = [];

  constructor(owner: OwnedFd, subject: string) {
    this.#owner = owner;
    this.#subject = subject;
  }

  get fd(): number {
    return this.#owner.fd;
  }

  /** Resolves once the fd is readable (or writable, `out`), hung up or in error. */
  wait(out: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const list = out ? this.#out : this.#in;
      const waiter = { resolve, reject };
      list.push(waiter);
      try {
        this.#update();
      } catch (e) {
        list.splice(list.indexOf(waiter), 1);
        reject(e);
      }
    });
  }

  ready(events: number): void {
    const broken = (events & (EPOLLHUP | EPOLLERR)) !== 0;
    const woken: Waiter[] = [];
    if (broken || events & EPOLLIN) woken.push(...this.#in.splice(0));
    if (broken || events & EPOLLOUT) woken.push(...this.#out.splice(0));
    this.#update();
    for (const w of woken) w.resolve();
  }

  fail(cause: unknown): void {
    this.cancel(() => cause);
  }

  /**
   * Rejects every waiter with `reason()` (made only when someone waits) and stops watching; call it before
   * closing the fd.
   */
  cancel(reason: () => unknown): void {
    if (this.#in.length === 0 && this.#out.length === 0) return; // nothing waits, so nothing is watched
    const waiters = [...this.#in.splice(0), ...this.#out.splice(0)];
    this.#update();
    const error = reason();
    for (const w of waiters) w.reject(error);
  }

  #update(): void {
    const mask = (this.#in.length > 0 ? EPOLLIN : 0) | (this.#out.length > 0 ? EPOLLOUT : 0);
    if (mask === this.#mask) return;
    if (mask === 0) {
      unwatch(this, this.#token);
      this.#token = 0;
    } else if (this.#token === 0) {
      this.#token = watch(this, this.#subject, mask);
    } else {
      rearm(this, this.#token, mask);
    }
    this.#mask = mask;
  }
}

// ---- Listener ------------------------------------------------------------------------------------------------

/**
 * Listens on an AF_UNIX stream socket: `socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK)`, `bind(2)`,
 * `listen(2)` (see unix(7)). A path starting with `"\0"` (or `"@"`, as `ss` prints it) is an abstract name,
 * which has no file.
 *
 * With `mode`, the socket is bound inside a fresh private directory (mode 0700) beside `path`, `chmod`ed there,
 * and moved into place with `renameat2(RENAME_NOREPLACE)`: the file never appears with looser permissions, and
 * the process's umask is not touched. The kernel keeps the name a socket was bound to, so `ss` and
 * `getsockname` then show that temporary name. Without `mode`, the socket is bound at `path` directly.
 * Either way an existing path is `EADDRINUSE`: a stale socket file is never silently unlinked.
 *
 * Requires Linux; `passPidfd` Linux ≥ 6.5. Permission: write access to the directory.
 *
 * @param path The socket file's path, or an abstract name (`"\0name"` or `"@name"`).
 * @param options `mode`, `backlog`, `passPidfd`.
 * @returns The listener; accept with `accept()` or `for await`.
 * @throws {TypeError} For a path that is not a non-empty string, or malformed options.
 * @throws {RangeError} For a path longer than `sun_path` (108 bytes with the NUL), a `mode` outside 0–0o7777,
 * a `mode` on an abstract name, or a `backlog` that is not a positive integer.
 * @throws {SyscallError} `EADDRINUSE` if the path exists, `ENOENT`, `EACCES`, naming the path; `EMFILE`.
 *
 * @example Serve clients and ask the kernel who each one is
 * ```ts ignore
 * import { listenUnix } from "@pidfd/pidfd";
 * await using listener = listenUnix("/run/mydaemon.sock", { mode: 0o660 });
 * for await (const connection of listener) {
 *   using peer = connection.peer();
 *   console.log("client", peer.pid, "uid", peer.info().euid);
 *   connection.close();
 * }
 * ```
 */
export function listenUnix(path: string, options?: ListenUnixOptions): UnixListener {
  const address = unixAddress(path);
  assertOptions(options);
  const mode = (options as Record<string, unknown> | undefined)?.["mode"];
  const backlog = (options as Record<string, unknown> | undefined)?.["backlog"] ?? DEFAULT_BACKLOG;
  const passPidfd = booleanOption(options, "passPidfd");
  if (mode !== undefined) {
    if (typeof mode !== "number") {
      throw new TypeError(`Expected options.mode to be a number, got ${describe(mode)}`);
    }
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
      throw new RangeError(`Expected options.mode to be a permission mode from 0 to 0o7777, got ${mode}`);
    }
    if (address.file === null) throw new RangeError("An abstract socket name has no file: it takes no mode");
  }
  if (typeof backlog !== "number") {
    throw new TypeError(`Expected options.backlog to be a number, got ${describe(backlog)}`);
  }
  if (!Number.isInteger(backlog) || backlog < 1 || backlog > 0x7fffffff) {
    throw new RangeError(`Expected options.backlog to be a positive integer, got ${backlog}`);
  }
  const socket = newSocket(address.display);
  let created: string | null = null;
  try {
    const fd = socket.fd;
    if (passPidfd) setPassPidfd(fd, address.display); // accepted sockets inherit it
    if (mode !== undefined) {
      created = bindWithMode(fd, address, mode as number, backlog);
    } else {
      const r = libc.bind(fd, address.bytes, address.length);
      if (r === -Errno.EADDRINUSE) throw addressInUse(address.display);
      if (r < 0) throw new SyscallError({ syscall: "bind", errno: -r, subject: address.display });
      if (address.file !== null) created = fileId(AT_FDCWD, address.file);
      listen(fd, backlog, address.display);
    }
    return new UnixListener(INTERNAL, path, socket, address, created);
  } catch (e) {
    if (created !== null) unlinkIfOurs(address.file!, created);
    socket.close();
    throw e;
  }
}

/** `listen(2)`, or a `SyscallError` naming the socket. */
function listen(fd: number, backlog: number, subject: string): void {
  const r = libc.listen(fd, backlog);
  if (r < 0) throw new SyscallError({ syscall: "listen", errno: -r, subject });
}

/** Removes the socket file at `path` if it is still the one that was bound (same device and inode). */
function unlinkIfOurs(path: string, id: string): void {
  if (fileId(AT_FDCWD, path) === id) libc.unlinkat(AT_FDCWD, cPath(path)!, 0);
}

/**
 * A listening AF_UNIX stream socket, made by {@link listenUnix}. Connections come from {@link UnixListener.accept}
 * or `for await`; all of them, and the listener, are served by the module's one epoll set.
 *
 * `close()` closes the socket (connections still in the backlog are refused; pending `accept()` calls reject
 * with an `AbortError` and a `for await` ends) and leaves the file; `await using` also removes the socket file
 * it created, if the path still names that same file.
 */
export class UnixListener implements AsyncDisposable, AsyncIterable<UnixConnection> {
  /** The path (or abstract name) as given to {@link listenUnix}. */
  readonly path: string;
  readonly #socket: OwnedFd;
  readonly #address: Address;
  readonly #created: string | null;
  readonly #ready: Readiness;
  #accepting: Promise<unknown> = Promise.resolve();

  /** @internal Made by {@link listenUnix} only. */
  constructor(token: symbol, path: string, socket: OwnedFd, address: Address, created: string | null) {
    if (token !== INTERNAL) throw new TypeError("Illegal constructor: use listenUnix()");
    this.path = path;
    this.#socket = socket;
    this.#address = address;
    this.#created = created;
    this.#ready = new Readiness(socket, address.display);
  }

  /** Whether {@link UnixListener.close} has happened. */
  get closed(): boolean {
    return this.#socket.closed;
  }

  /**
   * The next connection: `accept4(2)` with `SOCK_CLOEXEC | SOCK_NONBLOCK`, waiting in the epoll set while none
   * is pending. Concurrent calls are served in order.
   *
   * @returns The connection, which the caller owns.
   * @throws {TypeError} If the listener is closed.
   * @throws {DOMException} (as a rejection) `AbortError` when the listener is closed meanwhile.
   * @throws {SyscallError} (as a rejection) `EMFILE` at the fd limit (the connection stays in the backlog).
   */
  accept(): Promise<UnixConnection> {
    if (this.closed) return Promise.reject(new TypeError("Cannot accept on a closed UnixListener"));
    const next = this.#accepting.then(() => this.#acceptOne());
    this.#accepting = next.catch(() => {});
    return next;
  }

  async #acceptOne(): Promise<UnixConnection> {
    for (;;) {
      if (this.closed) throw closedError("listener");
      const fd = libc.accept4(this.#socket.fd, null, null, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd >= 0) return new UnixConnection(INTERNAL, adoptFd(fd), this.#address.display);
      if (fd === -Errno.EAGAIN) await this.#ready.wait(false);
      else if (fd !== -Errno.EINTR && fd !== -Errno.ECONNABORTED) {
        throw new SyscallError({
          syscall: "accept4",
          errno: -fd,
          subject: this.#address.display,
          detail: fd === -Errno.EMFILE ? EMFILE_HINT : undefined,
        });
      }
    }
  }

  /** Accepts connections until the listener is closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<UnixConnection> {
    while (!this.closed) {
      try {
        yield await this.accept();
      } catch (e) {
        if (this.closed) return;
        throw e;
      }
    }
  }

  /** Closes the listening socket; pending `accept()` calls reject with an `AbortError`. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.#ready.cancel(() => closedError("listener"));
    this.#socket.close();
  }

  /** Closes the listener, then removes the socket file it created if `path` still names that file. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    if (this.#created !== null) unlinkIfOurs(this.#address.file!, this.#created);
    return Promise.resolve();
  }
}

// ---- Connecting ----------------------------------------------------------------------------------------------

/**
 * Connects to an AF_UNIX stream socket: `socket(2)` (`SOCK_CLOEXEC | SOCK_NONBLOCK`) and `connect(2)`. A path
 * starting with `"\0"` or `"@"` is an abstract name. A server whose backlog is full makes `connect` answer
 * `EAGAIN`: it is retried after short pauses (up to 50 ms apart) until it succeeds, fails or `signal` aborts.
 *
 * Requires Linux; `passPidfd` Linux ≥ 6.5. Permission: write access to the socket file.
 *
 * @param path The socket file's path, or an abstract name.
 * @param options `passPidfd`, `signal`.
 * @returns The connection.
 * @throws {TypeError} For a path that is not a non-empty string, or malformed options.
 * @throws {RangeError} For a path longer than `sun_path` (108 bytes with the NUL).
 * @throws {SyscallError} (as a rejection) `ECONNREFUSED` (nobody listens), `ENOENT`, `EACCES`, naming the path.
 * @throws {unknown} (as a rejection) The signal's reason when it aborts; the socket is closed then.
 *
 * @example Ask the server who it is
 * ```ts ignore
 * import { connectUnix } from "@pidfd/pidfd";
 * await using connection = await connectUnix("/run/mydaemon.sock");
 * using server = connection.peer();
 * console.log("served by", server.pid);
 * ```
 */
export function connectUnix(path: string, options?: ConnectUnixOptions): Promise<UnixConnection> {
  try {
    const address = unixAddress(path);
    assertOptions(options);
    const passPidfd = booleanOption(options, "passPidfd");
    const signal = (options as Record<string, unknown> | undefined)?.["signal"];
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError(`Expected options.signal to be an AbortSignal, got ${describe(signal)}`);
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return connecting(address, passPidfd, signal);
  } catch (e) {
    return Promise.reject(e);
  }
}

async function connecting(
  address: Address,
  passPidfd: boolean,
  signal: AbortSignal | undefined,
): Promise<UnixConnection> {
  const socket = newSocket(address.display);
  try {
    if (passPidfd) setPassPidfd(socket.fd, address.display);
    for (let delay = 1;; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
      const r = libc.connect(socket.fd, address.bytes, address.length);
      if (r === 0) return new UnixConnection(INTERNAL, socket, address.display);
      if (r !== -Errno.EAGAIN && r !== -Errno.EINTR) {
        throw new SyscallError({ syscall: "connect", errno: -r, subject: address.display });
      }
      await pause(delay, signal);
    }
  } catch (e) {
    socket.close();
    throw e;
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

// ---- Connection ----------------------------------------------------------------------------------------------

// Shared message buffers, filled and consumed synchronously around each sendmsg/recvmsg: no user code runs in
// between. Their addresses are taken once (they are never resized).
const CONTROL_SIZE = cmsgSpace(4) + cmsgSpace(4 * MAX_RECEIVED_PIDFDS);
const SEND_CONTROL_SIZE = cmsgSpace(4 * SCM_MAX_FD);
const receiveData = new Uint8Array(RECEIVE_SIZE);
const receiveControl = structBuffer(CONTROL_SIZE);
const sendControl = structBuffer(SEND_CONTROL_SIZE);
const msg = structBuffer(MSGHDR.size);
const iov = structBuffer(IOVEC.size);
let addresses: { data: bigint; control: bigint; sendControl: bigint; iov: bigint } | undefined;

function bufferAddresses(): { data: bigint; control: bigint; sendControl: bigint; iov: bigint } {
  return addresses ??= {
    data: BigInt(memory.addressOf(receiveData)),
    control: BigInt(memory.addressOf(receiveControl.bytes)),
    sendControl: BigInt(memory.addressOf(sendControl.bytes)),
    iov: BigInt(memory.addressOf(iov.bytes)),
  };
}

function setAddress(view: DataView, offset: number, address: bigint | number): void {
  view.setBigUint64(offset, BigInt(address), LE);
}

/** Fills `msg` and `iov` for one call. */
function fillMessage(data: bigint, length: number, control: bigint, controlLength: number): void {
  setAddress(iov.view, IOVEC.iov_base, data);
  setAddress(iov.view, IOVEC.iov_len, length);
  const v = msg.view;
  setAddress(v, MSGHDR.msg_name, 0);
  v.setUint32(MSGHDR.msg_namelen, 0, LE);
  setAddress(v, MSGHDR.msg_iov, bufferAddresses().iov);
  setAddress(v, MSGHDR.msg_iovlen, 1);
  setAddress(v, MSGHDR.msg_control, controlLength === 0 ? 0 : control);
  setAddress(v, MSGHDR.msg_controllen, controlLength);
  v.setInt32(MSGHDR.msg_flags, 0, LE);
}

/**
 * One end of an AF_UNIX stream connection, from {@link UnixListener.accept} or {@link connectUnix}.
 *
 * Byte streams: `readable` and `writable` (backpressure through the epoll set, like {@link spawn}'s pipes;
 * closing `writable` shuts the socket down for writing, so the peer reads EOF). Messages with ancillary data:
 * `send()` and `receive()`. A connection is read one way: using both `readable` and `receive()` is a
 * `TypeError`. Identity: `peer()` (`SO_PEERPIDFD`, the kernel's own record of who connected) and
 * `peerCredentials()` (`SO_PEERCRED`, numbers for display).
 *
 * `close()` (or `await using`) closes every fd of the connection: pending reads, writes and `receive()` calls
 * settle at once.
 */
export class UnixConnection implements AsyncDisposable {
  readonly #socket: OwnedFd;
  readonly #subject: string;
  readonly #ready: Readiness;
  #reading: "stream" | "messages" | null = null;
  #readable: PipeStream<ReadableStream<Uint8Array>> | null = null;
  #writable: PipeStream<WritableStream<Uint8Array>> | null = null;
  #receiving = false;
  #sending: Promise<unknown> = Promise.resolve();
  #queuedSends = 0;

  /** @internal Made by {@link UnixListener.accept} and {@link connectUnix} only. */
  constructor(token: symbol, socket: OwnedFd, subject: string) {
    if (token !== INTERNAL) {
      throw new TypeError("Illegal constructor: use connectUnix() or UnixListener.accept()");
    }
    this.#socket = socket;
    this.#subject = subject;
    this.#ready = new Readiness(socket, subject);
  }

  /** Whether {@link UnixConnection.close} has happened. */
  get closed(): boolean {
    return this.#socket.closed;
  }

  #fd(): number {
    if (this.#socket.closed) throw new TypeError("Cannot use a closed UnixConnection");
    return this.#socket.fd;
  }

  #dup(): OwnedFd {
    const fd = libc.fcntl(this.#fd(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
      throw new SyscallError({
        syscall: "fcntl",
        errno: -fd,
        subject: `${this.#subject}, F_DUPFD_CLOEXEC`,
        detail: fd === -Errno.EMFILE ? EMFILE_HINT : undefined,
      });
    }
    return adoptFd(fd);
  }

  /**
   * The bytes the peer writes, to EOF: a byte stream, made on first access (it owns a duplicate of the socket
   * fd). `for await` gets a new chunk per read; a BYOB reader has the kernel copy into its own buffer, which it
   * can hand back for the next read (no allocation per read: the fastest way through).
   *
   * @example A BYOB reader
   * ```ts ignore
   * const reader = connection.readable.getReader({ mode: "byob" });
   * let buffer = new ArrayBuffer(256 * 1024);
   * for (;;) {
   *   const { value, done } = await reader.read(new Uint8Array(buffer));
   *   if (done) break;
   *   handle(value); // value is a view of buffer's memory, valid until the next read
   *   buffer = value.buffer;
   * }
   * ```
   *
   * @throws {TypeError} If the connection is closed, or `receive()` was used on it.
   */
  get readable(): ReadableStream<Uint8Array> {
    if (this.#reading === "messages") {
      throw new TypeError("This connection is read with receive(): it has no readable (pick one)");
    }
    this.#fd();
    this.#reading = "stream";
    return (this.#readable ??= readableFromFd(this.#dup(), true)).stream;
  }

  /**
   * A sink for bytes to the peer (`send(MSG_NOSIGNAL)`: a peer that went away is `EPIPE`, never `SIGPIPE`).
   * Closing it shuts the socket down for writing. Made on first access.
   *
   * @throws {TypeError} If the connection is closed.
   */
  get writable(): WritableStream<Uint8Array> {
    this.#fd();
    return (this.#writable ??= writableToFd(this.#dup(), true)).stream;
  }

  /**
   * The peer process: `getsockopt(SO_PEERPIDFD)` (Linux ≥ 6.5), a pidfd of the process that connected (or, for
   * a client, that called `listen()`), as the kernel captured it then: the pid cannot have been reused in
   * between, and a peer that has exited and been reaped still yields its pidfd (Linux ≥ 6.16), whose
   * `info({ exit: true })` has its exit status. A new `Pidfd` each call, which the caller owns. Never a
   * best-effort `pidfd_open` of the peer's pid. No permission needed.
   *
   * @returns A pidfd of the peer.
   * @throws {TypeError} If the connection is closed.
   * @throws {UnsupportedError} Before Linux 6.5.
   * @throws {SyscallError} `EINVAL` for a peer already reaped on Linux 6.5–6.15; `EMFILE` at the fd limit.
   *
   * @example Authorise a client by its identity
   * ```ts ignore
   * using peer = connection.peer();
   * if (peer.info().euid !== 0) connection.close();
   * ```
   */
  peer(): Pidfd {
    const { fd, pid } = peerPidfd(this.#fd(), this.#subject);
    return adoptPidfd(fd, pid);
  }

  /**
   * The peer's pid, uid and gid as the kernel recorded them at `connect()`/`listen()`: `SO_PEERCRED`. Works on
   * every kernel, but the pid is only a number: the process may have exited and its pid been reused by another
   * by the time you act on it. For display and logs; decide with {@link UnixConnection.peer}.
   *
   * @throws {TypeError} If the connection is closed.
   */
  peerCredentials(): PeerCredentials {
    return peerCredentials(this.#fd(), this.#subject);
  }

  /**
   * Sends `data`, with `pidfds` passed along (`sendmsg(2)` with `SCM_RIGHTS`, attached to the first byte):
   * the receiver gets its own pidfds of those processes. Waits in the epoll set while the socket buffer is
   * full; concurrent sends go out in order.
   *
   * @param data The bytes (at least one when pidfds are passed: a stream socket carries fds only with data).
   * @param options `pidfds`, at most 253 (`SCM_MAX_FD`).
   * @throws {TypeError} If the connection is closed, `data` is not a `Uint8Array`, or `pidfds` holds anything but
   * open `Pidfd`s.
   * @throws {RangeError} For more than 253 pidfds, or pidfds with empty data.
   * @throws {SyscallError} (as a rejection) `EPIPE` when the peer has gone.
   */
  send(data: Uint8Array, options?: UnixSendOptions): Promise<void> {
    try {
      this.#fd();
      if (!(data instanceof Uint8Array)) {
        throw new TypeError(`Expected data to be a Uint8Array, got ${describe(data)}`);
      }
      assertOptions(options);
      const list = (options as Record<string, unknown> | undefined)?.["pidfds"];
      let pidfds: Pidfd[] = [];
      if (list !== undefined) {
        if (!Array.isArray(list)) throw new TypeError("Expected options.pidfds to be an array of Pidfd");
        pidfds = [...list];
        for (const p of pidfds) {
          if (!(p instanceof Pidfd)) {
            throw new TypeError("Expected options.pidfds to hold only Pidfd objects");
          }
          p.fd; // closed: TypeError
        }
        if (pidfds.length > SCM_MAX_FD) {
          throw new RangeError(`At most ${SCM_MAX_FD} pidfds fit one message (SCM_MAX_FD)`);
        }
        if (pidfds.length > 0 && data.length === 0) {
          throw new RangeError(
            "Pidfds travel with data: a stream socket carries fds only with at least one byte",
          );
        }
      }
      // On an idle connection the send starts at once: what fits the socket buffer is sent before a close()
      // that follows without awaiting. Otherwise it waits for the sends before it.
      const start = (): Promise<void> => this.#sendAll(data, pidfds);
      const next = this.#queuedSends === 0 ? start() : this.#sending.then(start);
      this.#queuedSends++;
      const settled = (): void => {
        this.#queuedSends--;
      };
      next.then(settled, settled);
      this.#sending = next.catch(() => {});
      return next;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async #sendAll(data: Uint8Array, pidfds: Pidfd[]): Promise<void> {
    let offset = 0;
    while (offset < data.length || (offset === 0 && pidfds.length > 0)) {
      const fd = this.#fd();
      let controlLength = 0;
      if (offset === 0 && pidfds.length > 0) {
        // Read each fd number now, after any wait: a pidfd closed meanwhile is a TypeError, never a stale number.
        const numbers = pidfds.map((p) => p.fd);
        const v = sendControl.view;
        controlLength = cmsgSpace(4 * numbers.length);
        v.setBigUint64(CMSGHDR.cmsg_len, BigInt(CMSGHDR.data + 4 * numbers.length), LE);
        v.setInt32(CMSGHDR.cmsg_level, SOL_SOCKET, LE);
        v.setInt32(CMSGHDR.cmsg_type, SCM_RIGHTS, LE);
        numbers.forEach((n, i) => v.setInt32(CMSGHDR.data + 4 * i, n, LE));
      }
      const rest = data.subarray(offset);
      fillMessage(BigInt(memory.addressOf(rest)), rest.length, bufferAddresses().sendControl, controlLength);
      const r = libc.sendmsg(fd, msg.bytes, MSG_NOSIGNAL);
      if (r >= 0) offset += r;
      else if (r === -Errno.EAGAIN) await this.#ready.wait(true);
      else if (r !== -Errno.EINTR) {
        throw new SyscallError({ syscall: "sendmsg", errno: -r, subject: this.#subject });
      }
    }
  }

  /**
   * Receives what the peer sent next (`recvmsg(2)` with `MSG_CMSG_CLOEXEC`, up to 64 KiB), with its ancillary
   * data: the sender's pidfd (`SCM_PIDFD`, with `passPidfd`; a sender that exited right after sending still
   * yields its pidfd on Linux ≥ 6.17) and pidfds passed over `SCM_RIGHTS`. Every received fd is checked to be
   * a pidfd (pidfs, or `anon_inode:[pidfd]` before Linux 6.9); any other fd is closed and counted in `refused`.
   * One call at a time; a stream socket keeps no message boundaries, but the kernel never merges bytes that
   * came with fds or from another sender.
   *
   * @returns The message, or `null` at EOF (the peer closed or shut down writing).
   * @throws {TypeError} If the connection is closed, `readable` was used on it, or a `receive()` is pending.
   * @throws {SyscallError} (as a rejection) `EMSGSIZE` when the peer sent more fds than
   * {@link MAX_RECEIVED_PIDFDS} (`MSG_CTRUNC`): every fd that arrived was closed and the bytes are dropped.
   * @throws {DOMException} (as a rejection) `AbortError` when the connection is closed meanwhile.
   */
  receive(): Promise<UnixMessage | null> {
    try {
      if (this.#reading === "stream") {
        throw new TypeError(
          "This connection is read through readable: receive() is not available (pick one)",
        );
      }
      this.#fd();
      if (this.#receiving) throw new TypeError("A receive() is already pending on this connection");
      this.#reading = "messages";
      this.#receiving = true;
      const done = (): void => {
        this.#receiving = false;
      };
      const result = this.#receiveOne();
      result.then(done, done);
      return result;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async #receiveOne(): Promise<UnixMessage | null> {
    for (;;) {
      if (this.closed) throw closedError("connection");
      const a = bufferAddresses();
      fillMessage(a.data, RECEIVE_SIZE, a.control, CONTROL_SIZE);
      receiveControl.bytes.fill(0);
      const r = libc.recvmsg(this.#socket.fd, msg.bytes, MSG_CMSG_CLOEXEC);
      if (r >= 0) return this.#message(r);
      if (r === -Errno.EAGAIN) await this.#ready.wait(false);
      else if (r !== -Errno.EINTR) {
        throw new SyscallError({ syscall: "recvmsg", errno: -r, subject: this.#subject });
      }
    }
  }

  /** Turns the `recvmsg` result in the shared buffers into a message; every received fd ends owned or closed. */
  #message(length: number): UnixMessage | null {
    const flags = msg.view.getInt32(MSGHDR.msg_flags, LE);
    const controlLength = Number(msg.view.getBigUint64(MSGHDR.msg_controllen, LE));
    const data = receiveData.slice(0, length);
    const { senderFd, fds } = parseControl(controlLength);
    const owned: Pidfd[] = [];
    const pending = [...fds];
    if (senderFd >= 0) pending.push(senderFd);
    try {
      if (flags & MSG_CTRUNC) {
        throw new SyscallError({
          syscall: "recvmsg",
          errno: Errno.EMSGSIZE,
          subject: this.#subject,
          detail:
            `MSG_CTRUNC: the peer sent more fds than a message may carry here (${MAX_RECEIVED_PIDFDS}); ` +
            `the ${pending.length} that arrived were closed and the ${length} bytes dropped`,
        });
      }
      let sender: Pidfd | null = null;
      if (senderFd >= 0) {
        pending.pop();
        sender = adoptPidfd(senderFd, Math.max(pidOfPidfd(senderFd), 0));
        owned.push(sender);
      }
      const pidfds: Pidfd[] = [];
      let refused = 0;
      while (pending.length > 0) {
        const fd = pending.shift()!;
        if (!isPidfd(fd)) {
          closeRaw(fd);
          refused++;
          continue;
        }
        try {
          const pidfd = adoptPidfd(fd, Math.max(pidOfPidfd(fd), 0));
          owned.push(pidfd);
          pidfds.push(pidfd);
        } catch (e) {
          closeRaw(fd);
          throw e;
        }
      }
      if (length === 0 && sender === null && pidfds.length === 0 && refused === 0) return null;
      return { data, sender, pidfds, refused };
    } catch (e) {
      for (const fd of pending) closeRaw(fd);
      for (const p of owned) p.close();
      throw e;
    }
  }

  /**
   * Closes every fd of the connection; pending operations settle at once (what a pending `send()` or `writable`
   * has not handed to the kernel yet is dropped: await them first). Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.#ready.cancel(() => closedError("connection"));
    this.#readable?.close();
    this.#writable?.close();
    this.#socket.close();
  }

  /** Same as {@link UnixConnection.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}

/** The fds in the received control data: the `SCM_PIDFD` sender (or -1) and the `SCM_RIGHTS` fds. */
function parseControl(length: number): { senderFd: number; fds: number[] } {
  const v = receiveControl.view;
  const fds: number[] = [];
  let senderFd = -1;
  const end = Math.min(length, CONTROL_SIZE);
  for (let off = 0; off + CMSGHDR.data <= end;) {
    const len = Number(v.getBigUint64(off + CMSGHDR.cmsg_len, LE));
    if (len < CMSGHDR.data || off + len > end) break;
    const level = v.getInt32(off + CMSGHDR.cmsg_level, LE);
    const type = v.getInt32(off + CMSGHDR.cmsg_type, LE);
    const count = Math.floor((len - CMSGHDR.data) / 4);
    if (level === SOL_SOCKET && type === SCM_RIGHTS) {
      for (let i = 0; i < count; i++) fds.push(v.getInt32(off + CMSGHDR.data + 4 * i, LE));
    } else if (level === SOL_SOCKET && type === SCM_PIDFD && count >= 1) {
      const fd = v.getInt32(off + CMSGHDR.data, LE);
      if (fd >= 0) {
        if (senderFd >= 0) fds.push(fd); // never twice; a second one is checked and handed over like any other
        else senderFd = fd;
      }
    }
    off += CMSGHDR.data + Math.ceil((len - CMSGHDR.data) / CMSGHDR.align) * CMSGHDR.align;
  }
  return { senderFd, fds };
}
