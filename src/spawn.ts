/**
 * {@link spawn}: start a process and hold its pidfd from the first instant.
 *
 * @module
 */

import {
  AT_FDCWD,
  Errno,
  F_GETFL,
  F_SETFL,
  libc,
  memory,
  O_CLOEXEC,
  O_DIRECTORY,
  O_NONBLOCK,
  O_RDONLY,
  O_RDWR,
  P_PID,
  P_PIDFD,
  pidfd_open,
  pidfd_send_signal,
  POSIX_SPAWN_SETSIGDEF,
  POSIX_SPAWN_SETSIGMASK,
  runtimeEnv,
  runtimeEnviron,
  SIGINFO,
  SIZEOF_POSIX_SPAWN_FILE_ACTIONS,
  SIZEOF_POSIX_SPAWNATTR,
  SIZEOF_SIGSET,
  WEXITED,
} from "../ffi/mod.ts";
import { assertOptions, EMFILE_HINT, SyscallError, UnsupportedError } from "./errors.ts";
import { adoptFd, closeRaw, type OwnedFd } from "./fd.ts";
import { adoptPidfd, type Namespace, type Pidfd } from "./pidfd.ts";
import { type Signal, signalNumber } from "./signals.ts";
import { enter, type Entry, type NamespaceRequest, namespaceRequest } from "./spawn_namespaces.ts";
import { supports } from "./supports.ts";
import { type PipeStream, readableFromFd, writableToFd } from "./stream.ts";
import type { ExitStatus } from "./wait.ts";

/**
 * Where a child's standard stream goes: `"inherit"` (the caller's), `"null"` (`/dev/null`), `"pipe"` (a
 * stream on the {@link Subprocess}), or an open fd number to hand over (it stays the caller's to close).
 */
export type Stdio = "inherit" | "null" | "pipe" | number;

/** Options of {@link spawn}. */
export interface SpawnOptions {
  /** Environment variables to set. They are added to the inherited environment unless `clearEnv`. */
  env?: Record<string, string>;
  /** Start from an empty environment (then only `env` is passed). */
  clearEnv?: boolean;
  /** The child's working directory (`posix_spawn_file_actions_addchdir_np`, glibc ≥ 2.29). */
  cwd?: string;
  /** The child's stdin. Default `"inherit"`. */
  stdin?: Stdio;
  /** The child's stdout. Default `"inherit"`. */
  stdout?: Stdio;
  /** The child's stderr. Default `"inherit"`. */
  stderr?: Stdio;
  /** The child's `argv[0]`. Default: `command`. */
  argv0?: string;
  /** Kills the child with `killSignal` when aborted. */
  signal?: AbortSignal;
  /** The signal for `signal` aborts and for `Subprocess.kill()` without argument. Default `"SIGTERM"`. */
  killSignal?: Signal;
  /**
   * Start the child inside other namespaces (see "Entering namespaces" in {@link spawn}): a `Pidfd`'s, every
   * one of them that differs from the caller's (like `nsenter --all --target`), or exactly the given handles.
   */
  namespaces?: Pidfd | readonly Namespace[];
  /**
   * After joining a user namespace, keep the caller's uid and gid (nsenter `--preserve-credentials`) instead of
   * becoming uid 0 / gid 0 of that namespace. Default `false`.
   */
  preserveCredentials?: boolean;
}

/** What {@link Subprocess.output} collects. */
export interface SubprocessOutput {
  /** How the child ended. */
  readonly status: ExitStatus;
  /** Everything it wrote to stdout (empty unless stdout is `"pipe"`). */
  readonly stdout: Uint8Array;
  /** Everything it wrote to stderr (empty unless stderr is `"pipe"`). */
  readonly stderr: Uint8Array;
}

const encoder = new TextEncoder();
const STDIO_NAMES = ["stdin", "stdout", "stderr"] as const;
const emptySigset = new Uint8Array(SIZEOF_SIGSET);
// Signals 1..64: reset every disposition in the child. Deno and Bun ignore SIGPIPE (and Bun SIGXFSZ), and an
// ignored disposition would otherwise survive exec.
const allSignals = new Uint8Array(SIZEOF_SIGSET).fill(0xff, 0, 8);
const devNull = encoder.encode("/dev/null\0");
/** Wait failures that end when fds or memory are free again: `status` retries them. */
const TRANSIENT = new Set(["EMFILE", "ENFILE", "ENOMEM", "ENOSPC"]);
/** The longest pause between two retries of a transient wait failure, in milliseconds. */
const MAX_RETRY_DELAY = 1000;

// Set by the class's static block: spawn() constructs and listens, users may not.
let construct: (
  pidfd: Pidfd,
  pipes: readonly (OwnedFd | null)[],
  killSignal: number,
) => Subprocess;
let listen: (child: Subprocess, signal: AbortSignal) => void;
/** True only inside `construct`: JavaScript can call the TypeScript-private constructor otherwise. */
let constructing = false;

/**
 * A child started by {@link spawn}. This module owns its reaping: `status` comes from the child itself
 * (`waitid(P_PIDFD, WEXITED)`), and nothing else in the program may reap it.
 *
 * Once `status` has resolved the child is reaped and `pidfd` is closed (it has nothing left to tell, and a loop
 * of `await spawn(...).output()` must not pile up fds): `pid` and `status` stay readable, `kill()` does
 * nothing, and every member of `pidfd` throws `TypeError` like any closed {@link Pidfd}. Each pipe end closes
 * at its EOF, error, cancel or close, and at the latest when its dropped stream is garbage-collected; so a
 * finished child whose pipes are drained or closed holds no fd.
 *
 * `await using` kills the child if it still runs, reaps it and closes every fd; reads and writes on its
 * streams then reject with a `TypeError`. Closing `pidfd` yourself before the child has exited leaves it
 * unreaped (a zombie until this program ends) and rejects `status`. A wait that fails for want of fds or
 * memory (`EMFILE`, `ENFILE`, `ENOMEM`, `ENOSPC`) is retried, up to once a second, so `status` still resolves
 * with the real exit status once they are free.
 *
 * @example Stop a process after a while
 * ```ts
 * import { spawn } from "@pidfd/pidfd";
 * await using server = spawn("sleep", ["60"], { stdout: "null" });
 * setTimeout(() => server.kill("SIGTERM"), 50);
 * const { code, signal } = await server.status;
 * console.log(code, signal); // null "SIGTERM"
 * ```
 */
export class Subprocess implements AsyncDisposable {
  /** The child's pid in the caller's PID namespace (reserved for it until it is reaped). */
  readonly pid: number;
  /** The child's pidfd, born before anyone could reap the child; closed once `status` has resolved. */
  readonly pidfd: Pidfd;
  /** How the child ended, once it has; it is reaped (and `pidfd` closed) by then. */
  readonly status: Promise<ExitStatus>;
  /** A stream to the child's stdin when it is `"pipe"`, else `null`. */
  readonly stdin: WritableStream<Uint8Array> | null;
  /** A byte stream of the child's stdout when it is `"pipe"` (BYOB readers read into their own buffer), else `null`. */
  readonly stdout: ReadableStream<Uint8Array> | null;
  /** A byte stream of the child's stderr when it is `"pipe"`, else `null`. */
  readonly stderr: ReadableStream<Uint8Array> | null;
  #killSignal: number;
  #closePipes: (() => void)[] = [];

  private constructor(pidfd: Pidfd, pipes: readonly (OwnedFd | null)[], killSignal: number) {
    if (!constructing) throw new TypeError("Illegal constructor: a Subprocess comes from spawn()");
    constructing = false;
    this.pid = pidfd.pid;
    this.pidfd = pidfd;
    this.#killSignal = killSignal;
    const own = <S>(pipe: PipeStream<S>): S => {
      this.#closePipes.push(pipe.close);
      return pipe.stream;
    };
    this.stdin = pipes[0] ? own(writableToFd(pipes[0])) : null;
    this.stdout = pipes[1] ? own(readableFromFd(pipes[1])) : null;
    this.stderr = pipes[2] ? own(readableFromFd(pipes[2])) : null;
    this.status = this.#exit();
    this.status.catch(() => {}); // closing the pidfd is deliberate: never reported as unhandled
  }

  /** Waits for the exit, retrying transient failures, then closes the pidfd: the child is reaped. */
  async #exit(): Promise<ExitStatus> {
    for (let delay = 1;; delay = Math.min(delay * 2, MAX_RETRY_DELAY)) {
      try {
        const status = await this.pidfd.wait();
        this.pidfd.close();
        return status;
      } catch (e) {
        if (this.pidfd.closed || !(e instanceof SyscallError && TRANSIENT.has(e.code))) throw e;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /** Kills the child with `killSignal` when `signal` aborts. Runs the caller's listener code: call it last. */
  #listen(signal: AbortSignal): void {
    const onAbort = (): void => this.#killQuietly();
    signal.addEventListener("abort", onAbort, { once: true });
    const unlisten = (): void => {
      try {
        signal.removeEventListener("abort", onAbort);
      } catch {
        // A patched removeEventListener: the listener stays, and kill() after the exit does nothing.
      }
    };
    this.status.then(unlisten, unlisten);
    if (signal.aborted) onAbort(); // aborted by the caller's addEventListener itself
  }

  /**
   * Sends a signal to the child through its pidfd (`pidfd_send_signal(2)`); never to a process that reused
   * its pid. Does nothing once the child has been reaped.
   *
   * @param signal A signal name or number. Default: the spawn's `killSignal`.
   * @throws {TypeError} For an unknown signal name.
   * @throws {SyscallError} `EPERM` and the like (not `ESRCH`: a finished child is not an error).
   */
  kill(signal?: Signal): void {
    const sig = signal === undefined ? this.#killSignal : signalNumber(signal) | 0; // -0 is 0
    if (this.pidfd.closed) return;
    try {
      this.pidfd.sendSignal(sig);
    } catch (e) {
      if (!(e instanceof SyscallError && e.code === "ESRCH")) throw e;
    }
  }

  #killQuietly(): void {
    try {
      this.kill();
    } catch {
      // Nothing to do: the child is gone or was never ours to signal.
    }
  }

  /**
   * Waits for the child to exit while collecting its piped stdout and stderr. Closes stdin first if it is a
   * pipe, so children that read to EOF finish.
   *
   * @returns The exit status and the collected bytes.
   * @throws {TypeError} (as a rejection) When the pipes were closed meanwhile (the child was disposed).
   *
   * @example
   * ```ts
   * import { spawn } from "@pidfd/pidfd";
   * await using child = spawn("uname", ["-r"], { stdout: "pipe" });
   * const { status, stdout } = await child.output();
   * console.log(status.code, new TextDecoder().decode(stdout));
   * ```
   */
  async output(): Promise<SubprocessOutput> {
    if (this.stdin !== null && !this.stdin.locked) await this.stdin.close().catch(() => {});
    const [stdout, stderr, status] = await Promise.all([
      collect(this.stdout),
      collect(this.stderr),
      this.status,
    ]);
    return { status, stdout, stderr };
  }

  static {
    construct = (...args) => {
      constructing = true;
      return new Subprocess(...args);
    };
    listen = (child, signal) => child.#listen(signal);
  }

  /** Kills the child if it still runs (SIGKILL), reaps it and closes every fd. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.pidfd.closed && this.pidfd.isAlive()) this.kill("SIGKILL");
    for (const close of this.#closePipes) close();
    await this.status.catch(() => {});
    this.pidfd.close();
  }
}

async function collect(stream: ReadableStream<Uint8Array> | null): Promise<Uint8Array> {
  if (stream === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of stream) {
    chunks.push(chunk);
    length += chunk.length;
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function assertCString(value: unknown, what: string): asserts value is string {
  if (typeof value !== "string") throw new TypeError(`Expected ${what} to be a string, got ${typeOf(value)}`);
  if (value.includes("\0")) throw new TypeError(`${what} must not contain a NUL character`);
}

/** What `value` is, for messages: `null`, `number`, `Array`, `Date`, … */
function typeOf(value: unknown): string {
  if (value === null || typeof value !== "object") return value === null ? "null" : typeof value;
  return Object.prototype.toString.call(value).slice(8, -1);
}

/** A validated stdio choice; fd numbers normalised (`-0` is 0). */
function stdioOf(value: unknown, what: string): Stdio {
  if (value === undefined || value === "inherit") return "inherit";
  if (value === "null" || value === "pipe") return value;
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 0 && value <= 0x7fffffff) return value | 0;
    throw new RangeError(`Expected ${what} to be a non-negative fd, got ${value}`);
  }
  throw new TypeError(
    `Expected ${what} to be "inherit", "null", "pipe" or an fd number, got ${typeOf(value)}`,
  );
}

function booleanOf(value: unknown, what: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") {
    throw new TypeError(`Expected ${what} to be a boolean, got ${typeOf(value)}`);
  }
  return value;
}

/** `env`: a plain object (`{}` or `Object.create(null)`) of string values; its own enumerable keys only. */
function envOf(value: unknown): [string, string][] {
  if (value === undefined) return [];
  const proto = value !== null && typeof value === "object" ? Object.getPrototypeOf(value) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError(`Expected options.env to be a plain object, got ${typeOf(value)}`);
  }
  const record = value as Record<string, unknown>;
  return Object.keys(record).map((k) => {
    if (k === "" || k.includes("=") || k.includes("\0")) {
      throw new TypeError(`Invalid env key: ${JSON.stringify(k)}`);
    }
    const v = record[k];
    assertCString(v, `options.env.${k}`);
    return [k, v];
  });
}

/** A C `char *const[]`: NUL-terminated strings in one buffer and a NULL-terminated table of their addresses. */
class CStringArray {
  /** The address of the table, valid while this object is referenced. */
  readonly address: bigint;
  readonly #block: Uint8Array;
  readonly #table: BigUint64Array;

  constructor(strings: readonly string[]) {
    const encoded = strings.map((s) => encoder.encode(`${s}\0`));
    this.#block = new Uint8Array(encoded.reduce((n, e) => n + e.length, 0) || 1);
    this.#table = new BigUint64Array(strings.length + 1);
    const base = memory.addressOf(this.#block);
    let offset = 0;
    encoded.forEach((e, i) => {
      this.#block.set(e, offset);
      this.#table[i] = BigInt(base + offset);
      offset += e.length;
    });
    this.address = BigInt(memory.addressOf(this.#table));
  }
}

/**
 * The child's environment: the runtime's view with `env` on top, or `env` alone with `clearEnv`. Where the
 * runtime's view is libc's `environ` itself (Deno) and nothing changes, that table is passed as it is.
 */
function envpOf(env: readonly [string, string][], clearEnv: boolean): CStringArray | bigint {
  const environ = clearEnv || env.length > 0 ? null : runtimeEnviron();
  if (environ !== null) return BigInt(environ);
  const inherited = clearEnv ? [] : runtimeEnv();
  if (inherited === null) {
    throw new UnsupportedError(
      "libcEnviron",
      "spawn() reads libc's environ through dlsym, in libc since glibc 2.34",
    );
  }
  const vars = new Map(inherited);
  for (const [k, v] of env) vars.set(k, v);
  return new CStringArray(Array.from(vars, ([k, v]) => `${k}=${v}`));
}

/** Everything {@link spawn} needs, read from the caller's arguments exactly once and validated. */
interface SpawnPlan {
  readonly command: string;
  readonly file: Uint8Array;
  readonly argv: CStringArray;
  readonly args: readonly string[];
  readonly argv0: string | undefined;
  readonly namespaces: NamespaceRequest | null;
  /** A table of this call's own, or the address of libc's `environ`. */
  readonly envp: CStringArray | bigint;
  readonly cwd: string | undefined;
  readonly stdio: readonly Stdio[];
  readonly signal: AbortSignal | undefined;
  readonly killSignal: number;
}

/**
 * Reads `command`, `args` and `options` into a {@link SpawnPlan}: each option (getter, Proxy trap) is read once,
 * here, before any buffer is filled or fd opened; afterwards no caller code runs until the child exists.
 */
function plan(command: unknown, args: unknown, options: unknown): SpawnPlan {
  assertCString(command, "command");
  if (command === "") throw new TypeError("Expected command to be a non-empty string");
  if (!Array.isArray(args)) {
    throw new TypeError(`Expected args to be an array of strings, got ${typeOf(args)}`);
  }
  const argList: string[] = [];
  for (let i = 0, n = args.length; i < n; i++) {
    const a: unknown = args[i];
    assertCString(a, `args[${i}]`);
    argList.push(a);
  }
  assertOptions(options);
  const o = (options ?? {}) as Record<keyof SpawnOptions, unknown>;
  const env = envOf(o.env);
  const clearEnv = booleanOf(o.clearEnv, "options.clearEnv");
  const cwd = o.cwd;
  if (cwd !== undefined) assertCString(cwd, "options.cwd");
  const stdio = [
    stdioOf(o.stdin, "options.stdin"),
    stdioOf(o.stdout, "options.stdout"),
    stdioOf(o.stderr, "options.stderr"),
  ];
  const argv0 = o.argv0;
  if (argv0 !== undefined) assertCString(argv0, "options.argv0");
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`Expected options.signal to be an AbortSignal, got ${typeOf(signal)}`);
  }
  const killSignal = o.killSignal;
  const killNumber = signalNumber(killSignal === undefined ? "SIGTERM" : killSignal) | 0;
  const namespaces = namespaceRequest(o.namespaces, o.preserveCredentials);
  if (signal?.aborted) throw signal.reason;
  if (cwd !== undefined && !supports().spawnCwd) {
    throw new UnsupportedError(
      "spawnCwd",
      "spawn({ cwd }) needs posix_spawn_file_actions_addchdir_np (glibc ≥ 2.29)",
    );
  }
  return {
    command,
    file: encoder.encode(`${command}\0`),
    argv: new CStringArray([argv0 ?? command, ...argList]),
    args: argList,
    argv0,
    namespaces,
    envp: envpOf(env, clearEnv),
    cwd,
    stdio,
    signal,
    killSignal: killNumber,
  };
}

function spawnCheck(r: number, call: string, subject: string): void {
  if (r !== 0) throw new SyscallError({ syscall: call, errno: r < 0 ? -r : r, subject });
}

/**
 * Starts a program and returns its {@link Subprocess}, whose `pidfd` refers to the child from its first
 * instant: no other process can ever be signalled or waited for in its place.
 *
 * With glibc ≥ 2.39 the child is created by `pidfd_spawnp(3)`, so the pidfd is born with it. With older glibc
 * it is created by `posix_spawnp(3)` and the pidfd opened right after: race-free, because nothing else in the
 * program reaps this module's children (Deno and Bun reap only the children they started, by pidfd or pid),
 * so the pid cannot be reused in between. The command is searched in `PATH` like a shell does.
 *
 * The child gets the runtime's environment as it is at the call (`process.env` under Bun, `Deno.env` under
 * Deno: what `node:child_process` passes), with `env` on top; default signal dispositions and an empty signal
 * mask (Deno and Bun ignore `SIGPIPE`, which would otherwise be inherited). Every fd the parent opens for it is
 * close-on-exec, so nothing leaks into other children; pipe ends in the parent are non-blocking and served by
 * the module's one epoll reactor.
 *
 * Re-entrancy: `args` and `options` are read exactly once (getters, Proxies), before anything is allocated or
 * opened, and the `posix_spawn` buffers are the call's own. The caller's code that runs later, the abort
 * signal's `addEventListener`, runs once the child exists; if it throws, the child is killed and reaped and
 * the error is rethrown. A nested `spawn()` from any of these places is an independent call.
 *
 * Entering namespaces (`namespaces`): the child joins a `Pidfd`'s namespaces that differ from the caller's
 * (like `nsenter --all --target`; fetched through the pidfd, never by pid), or exactly the given `Namespace`
 * handles. net, uts, ipc, cgroup and pid are joined with `setns(2)` on the calling thread only around the
 * spawn and restored before `spawn()` returns; mnt, user and time, which a multi-threaded process cannot join,
 * by util-linux `nsenter` exec'd in the child as a trampoline, with the target's root and cwd after a mount
 * namespace and uid 0 / gid 0 after a user namespace unless `preserveCredentials`. Permission: ptrace-read
 * access to the target and `CAP_SYS_ADMIN` over its namespaces (the owner of a rootless container has it
 * there). See the README's "Entering namespaces" for the limits.
 *
 * Requires Linux ≥ 5.3 (5.4 for the exit status through `waitid(P_PIDFD)`), glibc ≥ 2.29 for `cwd`. Deno:
 * `--allow-ffi` only.
 *
 * @param command The program: a path, or a name looked up in `PATH` (inside the container with a trampoline).
 * @param args Its arguments (without `argv[0]`).
 * @param options Environment, working directory, stdio, `argv0`, abort signal, kill signal, namespaces.
 * @returns The running child.
 * @throws {TypeError} For arguments that are not strings, contain NUL, or bad options (`env` not a plain
 * object, `clearEnv` not a boolean).
 * @throws {RangeError} For a negative or fractional stdio fd, or a signal number out of range.
 * @throws {SyscallError} `ENOENT` when the command is not found, `EACCES` when it is not executable, `chdir`
 * errors naming `cwd` when that is what is wrong, `EBADF` naming a stdio fd that is not open, `EMFILE` at the
 * fd limit; every fd opened on the way is closed again. With `namespaces`: `ESRCH` when the target has exited
 * (before or during the spawn: no child is left), `EPERM` naming the namespace kind that may not be joined.
 * @throws {SyscallError} `ENOENT` naming `nsenter` for `namespaces` that need it when it is not installed.
 * @throws {TypeError} For `argv0` with `namespaces` that need `nsenter`.
 *
 * @example Run a command and read its output
 * ```ts
 * import { spawn } from "@pidfd/pidfd";
 * await using child = spawn("sh", ["-c", "echo hi; exit 3"], { stdout: "pipe" });
 * const { status, stdout } = await child.output();
 * console.log(status.code, new TextDecoder().decode(stdout)); // 3 "hi\n"
 * ```
 *
 * @example Run a command inside a container's namespaces
 * Not run as a test: it needs a container's process and the privilege to enter its namespaces.
 * ```ts ignore
 * import { Pidfd, spawn } from "@pidfd/pidfd";
 * using target = Pidfd.open(4242);
 * await using child = spawn("hostname", [], { namespaces: target, stdout: "pipe" });
 * console.log(new TextDecoder().decode((await child.output()).stdout));
 * ```
 */
export function spawn(command: string, args: readonly string[] = [], options: SpawnOptions = {}): Subprocess {
  const p = plan(command, args, options);
  const child = launch(p);
  if (p.signal !== undefined) {
    try {
      listen(child, p.signal); // the caller's addEventListener: the buffers are gone, the child is watched
    } catch (e) {
      child[Symbol.asyncDispose]().catch(() => {}); // kills and reaps it, closes what it owns
      throw e;
    }
  }
  return child;
}

/** Fills this call's own spawn buffers, makes the pipes and starts the child. */
function launch(p: SpawnPlan): Subprocess {
  // From here to the child's creation no caller code runs, and every buffer is this call's own.
  for (let target = 0; target < 3; target++) {
    const how = p.stdio[target];
    // Checked before any pipe is made, so a closed number cannot name one of the new pipe ends meanwhile.
    if (typeof how === "number" && libc.fcntl(how, F_GETFL, 0) < 0) {
      throw new SyscallError({
        syscall: "fcntl",
        errno: Errno.EBADF,
        subject: how,
        detail: `options.${STDIO_NAMES[target]} is not an open fd`,
      });
    }
  }
  const fileActions = new Uint8Array(SIZEOF_POSIX_SPAWN_FILE_ACTIONS);
  const spawnAttr = new Uint8Array(SIZEOF_POSIX_SPAWNATTR);
  const parentEnds: (OwnedFd | null)[] = [null, null, null];
  const childEnds: OwnedFd[] = [];
  let actionsReady = false;
  let attrReady = false;
  let child: Subprocess | undefined;
  let entry: Entry | null = null;
  try {
    entry = p.namespaces === null ? null : enter(p.namespaces, p.cwd, p.argv0);
    const trampoline = entry?.trampoline ?? null;
    spawnCheck(libc.posix_spawn_file_actions_init(fileActions), "posix_spawn_file_actions_init", p.command);
    actionsReady = true;
    spawnCheck(libc.posix_spawnattr_init(spawnAttr), "posix_spawnattr_init", p.command);
    attrReady = true;
    spawnCheck(
      libc.posix_spawnattr_setsigmask(spawnAttr, emptySigset),
      "posix_spawnattr_setsigmask",
      p.command,
    );
    spawnCheck(
      libc.posix_spawnattr_setsigdefault(spawnAttr, allSignals),
      "posix_spawnattr_setsigdefault",
      p.command,
    );
    spawnCheck(
      libc.posix_spawnattr_setflags(spawnAttr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF),
      "posix_spawnattr_setflags",
      p.command,
    );

    const pipeFds = new Int32Array(2);
    for (let target = 0; target < 3; target++) {
      const how = p.stdio[target]!;
      if (how === "inherit") continue;
      if (how === "null") {
        spawnCheck(
          libc.posix_spawn_file_actions_addopen(fileActions, target, devNull, O_RDWR, 0),
          "posix_spawn_file_actions_addopen",
          "/dev/null",
        );
      } else if (how === "pipe") {
        const r = libc.pipe2(pipeFds, O_CLOEXEC);
        if (r < 0) {
          throw new SyscallError({
            syscall: "pipe2",
            errno: -r,
            subject: p.command,
            detail: r === -Errno.EMFILE ? EMFILE_HINT : "",
          });
        }
        // stdin: the child reads [0], the parent writes [1]; stdout/stderr the other way round.
        const [childEnd, parentEnd] = target === 0 ? [pipeFds[0]!, pipeFds[1]!] : [pipeFds[1]!, pipeFds[0]!];
        childEnds.push(adoptFd(childEnd));
        parentEnds[target] = adoptFd(parentEnd);
        const flags = libc.fcntl(parentEnd, F_GETFL, 0);
        if (flags < 0 || libc.fcntl(parentEnd, F_SETFL, flags | O_NONBLOCK) < 0) {
          throw new SyscallError({
            syscall: "fcntl",
            errno: flags < 0 ? -flags : Errno.EBADF,
            subject: parentEnd,
          });
        }
        spawnCheck(
          libc.posix_spawn_file_actions_adddup2(fileActions, childEnd, target),
          "posix_spawn_file_actions_adddup2",
          String(childEnd),
        );
      } else {
        spawnCheck(
          libc.posix_spawn_file_actions_adddup2(fileActions, how, target),
          "posix_spawn_file_actions_adddup2",
          `options.${STDIO_NAMES[target]} = ${how}`,
        );
      }
    }
    for (const fd of trampoline?.inherit ?? []) {
      spawnCheck(
        libc.posix_spawn_file_actions_adddup2(fileActions, fd, fd),
        "posix_spawn_file_actions_adddup2",
        String(fd),
      );
    }
    const cwd = p.cwd === undefined || trampoline?.cwdInside ? null : encoder.encode(`${p.cwd}\0`);
    if (cwd !== null) {
      spawnCheck(
        libc.posix_spawn_file_actions_addchdir_np!(fileActions, cwd),
        "posix_spawn_file_actions_addchdir_np",
        p.cwd!,
      );
    }

    const [file, argv] = trampoline === null ? [p.file, p.argv] : [
      encoder.encode(`${trampoline.file}\0`),
      new CStringArray([...trampoline.argv, p.command, ...p.args]),
    ];
    const start = (): Pidfd => startChild(p, file, argv, fileActions, spawnAttr, cwd);
    const pidfd = entry === null ? start() : startInside(entry, start);
    for (const end of childEnds) end.close();
    child = construct(pidfd, parentEnds, p.killSignal); // the streams own the parent ends now
  } finally {
    if (actionsReady) libc.posix_spawn_file_actions_destroy(fileActions);
    if (attrReady) libc.posix_spawnattr_destroy(spawnAttr);
    entry?.close();
    for (const end of childEnds) end.close();
    // After a failure the parent ends are still ours: close them.
    if (child === undefined) { for (const end of parentEnds) end?.close(); }
  }
  return child!;
}

/** Creates the child and returns its pidfd (marked as this module's child, so it is reaped by waitid). */
function startChild(
  p: SpawnPlan,
  file: Uint8Array,
  argv: CStringArray,
  fileActions: Uint8Array,
  spawnAttr: Uint8Array,
  cwd: Uint8Array | null,
): Pidfd {
  const out = new Int32Array(1);
  const siginfo = new Uint8Array(SIGINFO.size);
  const call = libc.pidfd_spawnp ?? libc.posix_spawnp;
  const envp = typeof p.envp === "bigint" ? p.envp : p.envp.address;
  const r = call(out, file, fileActions, spawnAttr, argv.address, envp);
  if (r !== 0) throw spawnError(libc.pidfd_spawnp ? "pidfd_spawnp" : "posix_spawnp", r < 0 ? -r : r, p, cwd);
  if (libc.pidfd_spawnp !== null) {
    const fd = out[0]!;
    const pid = libc.pidfd_getpid!(fd);
    if (pid < 0) {
      // Do not leave an unwatched child behind: kill and reap it through the pidfd.
      pidfd_send_signal(fd, 9, 0);
      libc.waitid(P_PIDFD, fd, siginfo, WEXITED);
      closeRaw(fd);
      throw new SyscallError({ syscall: "pidfd_getpid", errno: -pid, subject: p.command });
    }
    return adoptPidfd(fd, pid, { ownChild: true });
  }
  const pid = out[0]!;
  const fd = pidfd_open(pid, 0);
  if (fd < 0) {
    // No pidfd (EMFILE, ENOMEM): do not leave an unwatched child behind. It is ours and unreaped, so its pid
    // cannot have been reused: kill and reap it by pid.
    libc.kill(pid, 9);
    libc.waitid(P_PID, pid, siginfo, WEXITED);
    throw new SyscallError({
      syscall: "pidfd_open",
      errno: -fd,
      subject: pid,
      detail: fd === -Errno.EMFILE ? EMFILE_HINT : "",
    });
  }
  return adoptPidfd(fd, pid, { ownChild: true });
}

/**
 * Starts the child inside the entry's namespaces. A target that exited before the child existed is `ESRCH`,
 * whatever the spawn answered (a dead container's pid namespace refuses new members), and a child started
 * meanwhile is killed and reaped: nothing is left behind.
 */
function startInside(entry: Entry, start: () => Pidfd): Pidfd {
  let pidfd: Pidfd;
  try {
    pidfd = entry.inside(start, killAndReap);
  } catch (e) {
    throw entry.targetGone(e) ?? e;
  }
  const gone = entry.targetGone();
  if (gone === null) return pidfd;
  killAndReap(pidfd);
  throw gone;
}

/** Kills and reaps a child this module just started (its pidfd marks it as ours), and closes the pidfd. */
function killAndReap(pidfd: Pidfd): void {
  pidfd_send_signal(pidfd.fd, 9, 0);
  libc.waitid(P_PIDFD, pidfd.fd, new Uint8Array(SIGINFO.size), WEXITED);
  pidfd.close();
}

/**
 * The error of a failed spawn call. The child reports a failed `chdir` and a failed `exec` alike; when the
 * working directory cannot be opened as a directory, it is what is wrong, not the command.
 */
function spawnError(call: string, errno: number, p: SpawnPlan, cwd: Uint8Array | null): SyscallError {
  const error = new SyscallError({
    syscall: call,
    errno,
    subject: p.command,
    detail: errno === Errno.EMFILE ? EMFILE_HINT : "",
  });
  if (cwd === null) return error;
  const fd = libc.openat(AT_FDCWD, cwd, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd >= 0) {
    closeRaw(fd);
    return error;
  }
  if (-fd === Errno.EACCES && errno !== Errno.EACCES) return error; // unreadable, perhaps still searchable
  return new SyscallError({
    syscall: "chdir",
    errno: -fd,
    subject: p.cwd,
    cause: error,
    detail: `options.cwd of spawn(${p.command})`,
  });
}
