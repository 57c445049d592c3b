/**
 * {@link spawn}: start a process and hold its pidfd from the first instant.
 *
 * @module
 */

import {
  cPath,
  Errno,
  F_GETFL,
  F_SETFL,
  libc,
  memory,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDWR,
  P_PID,
  P_PIDFD,
  pidfd_open,
  pidfd_send_signal,
  POSIX_SPAWN_SETSIGDEF,
  POSIX_SPAWN_SETSIGMASK,
  SIGINFO,
  SIZEOF_POSIX_SPAWN_FILE_ACTIONS,
  SIZEOF_POSIX_SPAWNATTR,
  SIZEOF_SIGSET,
  WEXITED,
} from "../ffi/mod.ts";
import { assertOptions, SyscallError, UnsupportedError } from "./errors.ts";
import { closeRaw } from "./fd.ts";
import { adoptPidfd, EMFILE_HINT, type Pidfd } from "./pidfd.ts";
import { type Signal, signalNumber } from "./signals.ts";
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
const fileActions = new Uint8Array(SIZEOF_POSIX_SPAWN_FILE_ACTIONS);
const spawnAttr = new Uint8Array(SIZEOF_POSIX_SPAWNATTR);
const emptySigset = new Uint8Array(SIZEOF_SIGSET);
// Signals 1..64: reset every disposition in the child. Deno and Bun ignore SIGPIPE (and Bun SIGXFSZ), and an
// ignored disposition would otherwise survive exec.
const allSignals = new Uint8Array(SIZEOF_SIGSET).fill(0xff, 0, 8);
const devNull = encoder.encode("/dev/null\0");
const pipeFds = new Int32Array(2);
const outInt = new Int32Array(1);
const siginfo = new Uint8Array(SIGINFO.size);
const environName = encoder.encode("environ\0");

// Set by the class's static block: spawn() constructs, users may not.
let construct: (
  pidfd: Pidfd,
  pipes: readonly [number | null, number | null, number | null],
  killSignal: number,
  signal: AbortSignal | undefined,
) => Subprocess;

/**
 * A child started by {@link spawn}. This module owns its reaping: `status` comes from the child itself
 * (`waitid(P_PIDFD, WEXITED)`), and nothing else in the program may reap it.
 *
 * `await using` kills the child if it still runs, reaps it and closes every fd. Closing `pidfd` yourself before
 * the child has exited leaves it unreaped (a zombie until this program ends) and rejects `status`.
 *
 * @example Stop a server after five seconds
 * ```ts ignore
 * import { spawn } from "@pidfd/pidfd";
 * await using server = spawn("python3", ["-m", "http.server", "8000"], { stdout: "null" });
 * setTimeout(() => server.kill("SIGTERM"), 5_000);
 * const { code, signal } = await server.status;
 * ```
 */
export class Subprocess implements AsyncDisposable {
  /** The child's pid in the caller's PID namespace (reserved for it until it is reaped). */
  readonly pid: number;
  /** The child's pidfd, born before anyone could reap the child. */
  readonly pidfd: Pidfd;
  /** How the child ended, once it has; it is reaped by then. */
  readonly status: Promise<ExitStatus>;
  /** A stream to the child's stdin when it is `"pipe"`, else `null`. */
  readonly stdin: WritableStream<Uint8Array> | null;
  /** A stream of the child's stdout when it is `"pipe"`, else `null`. */
  readonly stdout: ReadableStream<Uint8Array> | null;
  /** A stream of the child's stderr when it is `"pipe"`, else `null`. */
  readonly stderr: ReadableStream<Uint8Array> | null;
  #killSignal: number;
  #unlisten: () => void;
  #closePipes: (() => void)[] = [];

  private constructor(
    pidfd: Pidfd,
    pipes: readonly [number | null, number | null, number | null],
    killSignal: number,
    signal: AbortSignal | undefined,
  ) {
    this.pid = pidfd.pid;
    this.pidfd = pidfd;
    this.#killSignal = killSignal;
    const own = <S>(pipe: PipeStream<S>): S => {
      this.#closePipes.push(pipe.close);
      return pipe.stream;
    };
    this.stdin = pipes[0] === null ? null : own(writableToFd(pipes[0]));
    this.stdout = pipes[1] === null ? null : own(readableFromFd(pipes[1]));
    this.stderr = pipes[2] === null ? null : own(readableFromFd(pipes[2]));
    this.status = pidfd.exited;
    const onAbort = (): void => this.#killQuietly();
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#unlisten = () => signal?.removeEventListener("abort", onAbort);
    this.status.then(this.#unlisten, this.#unlisten);
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
    const sig = signal === undefined ? this.#killSignal : signalNumber(signal);
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
   *
   * @example
   * ```ts ignore
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
    construct = (...args) => new Subprocess(...args);
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
  if (typeof value !== "string") throw new TypeError(`Expected ${what} to be a string, got ${typeof value}`);
  if (value.includes("\0")) throw new TypeError(`${what} must not contain a NUL character`);
}

function assertStdio(value: unknown, what: string): asserts value is Stdio | undefined {
  if (value === undefined || value === "inherit" || value === "null" || value === "pipe") return;
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 0 && value <= 0x7fffffff) return;
    throw new RangeError(`Expected ${what} to be a non-negative fd, got ${value}`);
  }
  throw new TypeError(
    `Expected ${what} to be "inherit", "null", "pipe" or an fd number, got ${String(value)}`,
  );
}

/** A C `char *const[]`: NUL-terminated strings in one buffer and a NULL-terminated table of their addresses. */
class CStringArray {
  /** The address of the table, valid while this object is referenced. */
  readonly address: bigint;
  readonly #block: Uint8Array;
  readonly #table: BigUint64Array;

  /** Packs `strings`, then appends `borrowed`: addresses of strings that someone else (libc) keeps alive. */
  constructor(strings: readonly string[], borrowed: readonly number[] = []) {
    const encoded = strings.map((s) => encoder.encode(`${s}\0`));
    this.#block = new Uint8Array(encoded.reduce((n, e) => n + e.length, 0) || 1);
    this.#table = new BigUint64Array(strings.length + borrowed.length + 1);
    const base = memory.addressOf(this.#block);
    let offset = 0;
    encoded.forEach((e, i) => {
      this.#block.set(e, offset);
      this.#table[i] = BigInt(base + offset);
      offset += e.length;
    });
    borrowed.forEach((p, i) => this.#table[strings.length + i] = BigInt(p));
    this.address = BigInt(memory.addressOf(this.#table));
  }
}

let environLocation = 0;

/** The current value of libc's `environ` (a `char **`): what the process's own execve would pass. */
function environ(): number {
  if (environLocation === 0 && libc.dlsym !== null) environLocation = Number(libc.dlsym(0n, environName));
  if (environLocation === 0) {
    throw new UnsupportedError(
      "environ",
      "spawn() reads libc's environ through dlsym, in libc since glibc 2.34",
    );
  }
  return memory.readPointer(environLocation, 0);
}

/** The child's environment: `null` to pass libc's `environ` unchanged, else a table of our own. */
function buildEnv(options: SpawnOptions): CStringArray | null {
  const own = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`);
  if (options.clearEnv) return new CStringArray(own);
  if (own.length === 0) return null;
  // Keep the inherited entries whose key is not overridden; their strings stay libc's.
  const overridden = new Set(Object.keys(options.env!));
  const kept: number[] = [];
  const table = environ();
  for (let i = 0; table !== 0; i++) {
    const entry = memory.readPointer(table, i);
    if (entry === 0) break;
    const text = memory.readCString(entry);
    if (!overridden.has(text.slice(0, text.indexOf("=")))) kept.push(entry);
  }
  return new CStringArray(own, kept);
}

function spawnCheck(r: number, call: string, subject: string): void {
  if (r !== 0) throw new SyscallError(call, r < 0 ? -r : r, subject);
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
 * The child gets default signal dispositions and an empty signal mask (Deno and Bun ignore `SIGPIPE`, which
 * would otherwise be inherited). Every fd the parent opens for it is close-on-exec, so nothing leaks into
 * other children; pipe ends in the parent are non-blocking and served by the module's one epoll waiter.
 *
 * Requires Linux ≥ 5.3 (5.4 for the exit status through `waitid(P_PIDFD)`), glibc ≥ 2.29 for `cwd`. Deno:
 * `--allow-ffi` only.
 *
 * @param command The program: a path, or a name looked up in `PATH`.
 * @param args Its arguments (without `argv[0]`).
 * @param options Environment, working directory, stdio, `argv0`, abort signal and kill signal.
 * @returns The running child.
 * @throws {TypeError} For arguments that are not strings, contain NUL, or bad options.
 * @throws {SyscallError} `ENOENT` when the command is not found, `EACCES` when it is not executable,
 * `EMFILE` at the fd limit; every fd opened on the way is closed again.
 *
 * @example Run a command and read its output
 * ```ts ignore
 * import { spawn } from "@pidfd/pidfd";
 * await using child = spawn("sh", ["-c", "echo hi; exit 3"], { stdout: "pipe" });
 * const { status, stdout } = await child.output();
 * console.log(status.code, new TextDecoder().decode(stdout)); // 3 "hi\n"
 * ```
 */
export function spawn(command: string, args: readonly string[] = [], options: SpawnOptions = {}): Subprocess {
  assertCString(command, "command");
  if (command === "") throw new TypeError("Expected command to be a non-empty string");
  if (!Array.isArray(args)) throw new TypeError(`Expected args to be an array of strings`);
  args.forEach((a, i) => assertCString(a, `args[${i}]`));
  assertOptions(options);
  if (options.env !== undefined) {
    assertOptions(options.env, "options.env");
    for (const [k, v] of Object.entries(options.env)) {
      assertCString(k, "an env key");
      if (k === "" || k.includes("=")) throw new TypeError(`Invalid env key: ${JSON.stringify(k)}`);
      assertCString(v, `env.${k}`);
    }
  }
  if (options.cwd !== undefined) assertCString(options.cwd, "options.cwd");
  if (options.argv0 !== undefined) assertCString(options.argv0, "options.argv0");
  const stdio = [options.stdin, options.stdout, options.stderr] as const;
  stdio.forEach((s, i) => assertStdio(s, `options.${STDIO_NAMES[i]}`));
  const killSignal = signalNumber(options.killSignal ?? "SIGTERM");
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new TypeError("Expected options.signal to be an AbortSignal");
  }
  options.signal?.throwIfAborted();
  if (options.cwd !== undefined && libc.posix_spawn_file_actions_addchdir_np === null) {
    throw new UnsupportedError(
      "spawnCwd",
      "spawn({ cwd }) needs posix_spawn_file_actions_addchdir_np (glibc ≥ 2.29)",
    );
  }

  const file = encoder.encode(`${command}\0`);
  const argv = new CStringArray([options.argv0 ?? command, ...args]);
  const envp = buildEnv(options);

  const parentEnds: (number | null)[] = [null, null, null];
  const childEnds: number[] = [];
  let actionsReady = false;
  let attrReady = false;
  try {
    spawnCheck(libc.posix_spawn_file_actions_init(fileActions), "posix_spawn_file_actions_init", command);
    actionsReady = true;
    spawnCheck(libc.posix_spawnattr_init(spawnAttr), "posix_spawnattr_init", command);
    attrReady = true;
    spawnCheck(
      libc.posix_spawnattr_setsigmask(spawnAttr, emptySigset),
      "posix_spawnattr_setsigmask",
      command,
    );
    spawnCheck(
      libc.posix_spawnattr_setsigdefault(spawnAttr, allSignals),
      "posix_spawnattr_setsigdefault",
      command,
    );
    spawnCheck(
      libc.posix_spawnattr_setflags(spawnAttr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF),
      "posix_spawnattr_setflags",
      command,
    );

    for (let target = 0; target < 3; target++) {
      const how = stdio[target] ?? "inherit";
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
          throw new SyscallError("pipe2", -r, command, undefined, r === -Errno.EMFILE ? EMFILE_HINT : "");
        }
        // stdin: the child reads [0], the parent writes [1]; stdout/stderr the other way round.
        const [childEnd, parentEnd] = target === 0 ? [pipeFds[0]!, pipeFds[1]!] : [pipeFds[1]!, pipeFds[0]!];
        childEnds.push(childEnd);
        parentEnds[target] = parentEnd;
        const flags = libc.fcntl(parentEnd, F_GETFL, 0);
        if (flags < 0 || libc.fcntl(parentEnd, F_SETFL, flags | O_NONBLOCK) < 0) {
          throw new SyscallError("fcntl", flags < 0 ? -flags : Errno.EBADF, String(parentEnd));
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
          String(how),
        );
      }
    }
    if (options.cwd !== undefined) {
      const cwd = cPath(options.cwd);
      if (cwd === null) throw new TypeError(`Invalid cwd: ${JSON.stringify(options.cwd)}`);
      spawnCheck(
        libc.posix_spawn_file_actions_addchdir_np!(fileActions, cwd),
        "posix_spawn_file_actions_addchdir_np",
        options.cwd,
      );
    }

    // Both tables stay referenced (argv, envp) until the call returns.
    const pidfd = startChild(command, file, argv.address, envp?.address ?? BigInt(environ()));
    for (const fd of childEnds.splice(0)) closeRaw(fd);
    const subprocess = construct(
      pidfd,
      parentEnds as [number | null, number | null, number | null],
      killSignal,
      options.signal,
    );
    parentEnds.fill(null); // owned by the streams now
    return subprocess;
  } finally {
    if (actionsReady) libc.posix_spawn_file_actions_destroy(fileActions);
    if (attrReady) libc.posix_spawnattr_destroy(spawnAttr);
    for (const fd of childEnds) closeRaw(fd);
    for (const fd of parentEnds) if (fd !== null) closeRaw(fd);
  }
}

/** Creates the child and returns its pidfd (marked as this module's child, so it is reaped by waitid). */
function startChild(command: string, file: Uint8Array, argv: bigint, envp: bigint): Pidfd {
  if (libc.pidfd_spawnp !== null) {
    spawnCheck(
      libc.pidfd_spawnp(outInt, file, fileActions, spawnAttr, argv, envp),
      "pidfd_spawnp",
      command,
    );
    const fd = outInt[0]!;
    const pid = libc.pidfd_getpid!(fd);
    if (pid < 0) {
      // Do not leave an unwatched child behind: kill and reap it through the pidfd.
      pidfd_send_signal(fd, 9, 0);
      libc.waitid(P_PIDFD, fd, siginfo, WEXITED);
      closeRaw(fd);
      throw new SyscallError("pidfd_getpid", -pid, command);
    }
    return adoptPidfd(fd, pid, true);
  }
  spawnCheck(
    libc.posix_spawnp(outInt, file, fileActions, spawnAttr, argv, envp),
    "posix_spawnp",
    command,
  );
  const pid = outInt[0]!;
  const fd = pidfd_open(pid, 0);
  if (fd < 0) {
    // No pidfd (EMFILE, ENOMEM): do not leave an unwatched child behind. It is ours and unreaped, so its pid
    // cannot have been reused: kill and reap it by pid.
    libc.kill(pid, 9);
    libc.waitid(P_PID, pid, siginfo, WEXITED);
    throw new SyscallError(
      "pidfd_open",
      -fd,
      String(pid),
      undefined,
      fd === -Errno.EMFILE ? EMFILE_HINT : "",
    );
  }
  return adoptPidfd(fd, pid, true);
}
