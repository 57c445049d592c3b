/**
 * Test helpers shared by every test file; they run unchanged under `deno test` and `bun test`.
 *
 * @module
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import process from "node:process";
import { chmodSync, linkSync, mkdtempSync, rmSync } from "node:fs";
import { libc } from "../ffi/mod.ts";
import { listDir, readText } from "../procfs.ts";

import { isBun } from "../ffi/runtime.ts";

export { isBun };

/** The running runtime's executable (deno or bun), for child scripts. */
export const runtime: string = isBun
  ? (globalThis as unknown as { process: { execPath: string } }).process.execPath
  : Deno.execPath();

/** Whether the tests run as root (needed for namespaces and ns_last_pid). */
export const isRoot: boolean = libc.getpid() > 0 && readText("/proc/self/status").includes("\nUid:\t0\t");

/** The reason root-only tests are skipped, or `false` when they run. */
export const needsRoot: string | false = isRoot ? false : "needs root (unshare, ns_last_pid)";

/** The fds this process has open, each as `fd:inode`, so that a number reused for a new file counts as new. */
/** An fd as the `tfd:` lines of an epoll set's fdinfo name it: its number and inode (hex). */
export function epollKey(owner: { readonly fd: number }): string {
  const fd = owner.fd;
  const ino = /^ino:\s*(\d+)/m.exec(readText(`/proc/self/fdinfo/${fd}`))![1]!;
  return `${fd}:${BigInt(ino).toString(16)}`;
}

/**
 * How many of `fds` (open owners, or the {@link epollKey} of closed ones) an epoll set of this process watches:
 * the `tfd:` lines in the fdinfo of every epoll fd, matched by number and inode. What the kernel holds, not
 * what the library believes it holds.
 */
export function epollWatched(...fds: ({ readonly fd: number } | string)[]): number {
  const keys = new Set(fds.map((f) => typeof f === "string" ? f : epollKey(f)));
  let n = 0;
  for (const fd of listDir("/proc/self/fd")) {
    let text: string;
    try {
      text = readText(`/proc/self/fdinfo/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    for (const m of text.matchAll(/^tfd:\s*(\d+)\s.*\bino:([0-9a-f]+)/gm)) {
      if (keys.has(`${m[1]}:${m[2]}`)) n++;
    }
  }
  return n;
}

export function fdSnapshot(): Set<string> {
  const fds = new Set<string>();
  for (const fd of listDir("/proc/self/fd")) {
    try {
      fds.add(`${fd}:${/^ino:\s*(\d+)/m.exec(readText(`/proc/self/fdinfo/${fd}`))?.[1]}`);
    } catch {
      // Closed meanwhile: the listing's own fd, or one the runtime closed.
    }
  }
  return fds;
}

/**
 * The fds open now that were not open in `before`: what a leak looks like. Counting alone is not enough: Bun
 * closes fds of its own lazily, at any time, which would hide a leak or fail a count for nothing.
 */
export function fdsOpenedSince(before: Set<string>): string[] {
  return [...fdSnapshot()].filter((fd) => !before.has(fd));
}

/** A live `sleep` child. */
export interface Sleeper {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Kills it (SIGKILL) and waits until the runtime has reaped it. */
  kill(): Promise<void>;
}

/**
 * Starts `sleep <seconds>` and resolves once it sleeps. The runtime's "spawn" comes at `execve`, before the
 * dynamic loader has mapped libc: a test reading its maps or status then would race against the loader.
 */
export async function sleeper(seconds = 60): Promise<Sleeper> {
  const s = await started("sleep", [String(seconds)]);
  for (let i = 0; i < 2000 && !/^\d+ \(.*\) S /.test(readText(`/proc/${s.pid}/stat`)); i++) {
    await new Promise((r) => setTimeout(r, 1));
  }
  return s;
}

/** The `/proc/<pid>/status` fields as ints, the ground truth tests compare against. */
export function statusInts(pid: number, key: string): number[] {
  const line = readText(`/proc/${pid}/status`).split("\n").find((l) => l.startsWith(`${key}:`));
  if (line === undefined) throw new Error(`no ${key} in /proc/${pid}/status`);
  return line.slice(key.length + 1).trim().split(/\s+/).map(Number);
}

/** Runs a command to completion and returns its stdout; throws with stderr on a non-zero exit. */
export function run(command: string, args: string[], input?: string): string {
  const r = spawnSync(command, args, { encoding: "utf8", input: input ?? "" });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** The command line that runs a script file with the current runtime and the test permissions. */
export function scriptCommand(path: string, extraFlags: string[] = []): string[] {
  return isBun
    ? [runtime, ...extraFlags, path]
    : [runtime, "run", "--allow-ffi", "--allow-run", "--allow-read", "--allow-env", ...extraFlags, path];
}

/** A zombie: `sleep 0` whose parent (`exec sleep 60`) never reaps it. Kill `parent` to clean up. */
export async function zombie(): Promise<{ pid: number; parent: Sleeper }> {
  const child = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 60"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  await once(child, "spawn");
  const [chunk] = await once(child.stdout!, "data") as [Uint8Array];
  const pid = Number(new TextDecoder().decode(chunk).trim());
  const parent = tracked(child);
  // Wait until the kernel shows it as a zombie.
  for (let i = 0; i < 200 && !readText(`/proc/${pid}/status`).includes("State:\tZ"); i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
  return { pid, parent };
}

/** The `ino:` of an fd as `/proc/<pid>/fdinfo/<fd>` reports it: the inode of the open file. */
export function fdinfoInode(pid: number | "self", fd: number): bigint {
  const m = /^ino:\s*(\d+)/m.exec(readText(`/proc/${pid}/fdinfo/${fd}`));
  if (!m) throw new Error(`no ino: in /proc/${pid}/fdinfo/${fd}`);
  return BigInt(m[1]!);
}

/** The first child of `pid` (for `unshare --fork`, the process inside the new namespaces), polled until it exists. */
export async function firstChild(pid: number): Promise<number> {
  for (let i = 0; i < 400; i++) {
    const children = readText(`/proc/${pid}/task/${pid}/children`).trim();
    if (children !== "") return Number(children.split(" ")[0]);
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`process ${pid} has no child`);
}

/** Starts a command as a child (like {@link sleeper}) and resolves once it runs. */
export async function started(command: string, args: string[]): Promise<Sleeper> {
  const child = spawn(command, args, { stdio: "ignore" });
  await once(child, "spawn");
  return tracked(child);
}

/** A started child as a {@link Sleeper}: `kill()` SIGKILLs it unless it already exited, then awaits its exit. */
export function tracked(child: ChildProcess): Sleeper {
  let exited = false;
  const exit = once(child, "exit").then(() => exited = true);
  return {
    child,
    pid: child.pid!,
    async kill(): Promise<void> {
      if (!exited) child.kill("SIGKILL");
      await exit;
    },
  };
}

/** Polls until process `pid` runs the program `comm` (for wrappers such as `unshare` that exec it). */
export async function execed(pid: number, comm: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (readText(`/proc/${pid}/comm`).trim() === comm) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`process ${pid} never ran ${comm}`);
}

/** The checkout's root directory, with a trailing slash. */
export const ROOT: string = decodeURIComponent(new URL("../", import.meta.url).pathname);

/** Whether uid 65534 (`nobody`) can execute `file` (it and every directory above it must let it through). */
export function nobodyCanRun(file: string): boolean {
  return spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "test", "-x", file])
    .status === 0;
}

/** A copy of the runtime and the checkout that uid 65534 can reach, removed on dispose. */
export interface NobodyCopy extends Disposable {
  /** The runtime executable (deno or bun) to run as nobody. */
  readonly runtime: string;
  /** The checkout's root, with a trailing slash. */
  readonly root: string;
  /** The compiled `pidfd` binary, when `binary` was given. */
  readonly binary: string | undefined;
  /** A world-writable directory for HOME, TMPDIR and DENO_DIR. */
  readonly home: string;
}

/** The parts of the checkout that the scripts run as nobody import. */
const CHECKOUT_PARTS = ["mod.ts", "procfs.ts", "cli.ts", "deno.json", "cli", "ffi", "src", "tests"];

/**
 * Everything a test needs to run the runtime as uid 65534: a fresh directory under `/tmp` (mode 0755) with the
 * runtime, the checkout's sources and optionally the compiled binary, hard-linked where the file system allows
 * and copied otherwise. A checkout under a directory only root may enter (a home directory, a `mktemp -d`) is
 * out of nobody's reach in place; the copy is not.
 *
 * @param runtime The runtime executable to provide.
 * @param binary The compiled binary to provide, if any.
 * @param root The checkout to copy (default this one).
 */
export function nobodyCopy(runtime_: string = runtime, binary?: string, root: string = ROOT): NobodyCopy {
  const dir = mkdtempSync("/tmp/pidfd-nobody-");
  try {
    chmodSync(dir, 0o755);
    const put = (from: string, to: string): void => {
      try {
        linkSync(from, to);
      } catch {
        run("cp", ["-p", from, to]);
      }
    };
    run("mkdir", ["-m", "755", `${dir}/bin`, `${dir}/checkout`]);
    run("mkdir", ["-m", "777", `${dir}/home`]);
    const rt = `${dir}/bin/${runtime_.split("/").at(-1)}`;
    put(runtime_, rt);
    let bin: string | undefined;
    if (binary !== undefined) put(binary, bin = `${dir}/bin/pidfd`);
    // `cp -l` hard-links the files (their modes let nobody read them); `cp -r` is the fallback across devices.
    const parts = CHECKOUT_PARTS.map((p) => root + p);
    if (spawnSync("cp", ["-rl", ...parts, `${dir}/checkout/`]).status !== 0) {
      run("cp", ["-r", ...parts, `${dir}/checkout/`]);
    }
    run("chmod", ["-R", "a+rX", `${dir}/checkout`]);
    return {
      runtime: rt,
      root: `${dir}/checkout/`,
      binary: bin,
      home: `${dir}/home`,
      [Symbol.dispose](): void {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * The command line that runs `argv` as uid 65534 with HOME, TMPDIR and DENO_DIR in `home` (the runtimes
 * write caches there).
 */
export function asNobody(home: string, argv: string[]): string[] {
  return [
    "setpriv",
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
    "env",
    `HOME=${home}`,
    `DENO_DIR=${home}/deno`,
    `TMPDIR=${home}`,
    ...argv,
  ];
}

/** The command line that runs a script of a {@link NobodyCopy} (a path relative to the checkout). */
export function nobodyScript(copy: NobodyCopy, script: string): string[] {
  const path = copy.root + script;
  return isBun
    ? [copy.runtime, path]
    : [copy.runtime, "run", "--allow-ffi", "--allow-run", "--allow-read", "--allow-env", path];
}

/**
 * Runs `tests/fixtures/hidden_features.ts <which>` in a child runtime with `PIDFD_HIDE_FEATURES=<hide>`, so that
 * the library takes the path it takes on a kernel without those features, and returns what the fixture printed.
 */
export function withHiddenFeatures(hide: string, which: string): Record<string, unknown> {
  const fixture = new URL("./fixtures/hidden_features.ts", import.meta.url).pathname;
  const [cmd, ...args] = scriptCommand(fixture);
  const r = spawnSync(cmd!, [...args, which, String(process.pid)], {
    encoding: "utf8",
    timeout: 30_000,
    env: { ...process.env, PIDFD_HIDE_FEATURES: hide },
  });
  if (r.status !== 0) throw new Error(`hidden_features.ts ${which} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim());
}

/**
 * Threads that live as long as the test needs them: a Worker each. The runtimes' own threads come and go (Deno's
 * tokio pool lets idle threads exit after 10 s), so a thread picked from `/proc/<pid>/task` may be gone when used.
 */
const WORKER_BODY = "postMessage(0); setInterval(() => {}, 1e6)";
const WORKER_NAME = "pidfd-test";

function idleWorker(): Worker {
  const url = URL.createObjectURL(new Blob([WORKER_BODY], { type: "text/javascript" }));
  return new Worker(url, { type: "module", name: WORKER_NAME });
}

/** The same {@link idleWorker} as source, for the runtime at the bottom of tree A. */
export const IDLE_WORKER = `new Worker(URL.createObjectURL(new Blob([${JSON.stringify(WORKER_BODY)}], ` +
  `{ type: "text/javascript" })), { type: "module", name: ${JSON.stringify(WORKER_NAME)} })`;

function commOf(pid: number, tid: number): string {
  try {
    return readText(`/proc/${pid}/task/${tid}/comm`).trim();
  } catch {
    return ""; // the thread is gone
  }
}

/** The Worker thread of process `pid`: Bun names the thread after the Worker, Deno numbers them. */
export function workerThread(pid: number): number | undefined {
  return listDir(`/proc/${pid}/task`).map(Number).find((tid) =>
    new RegExp(`^(${WORKER_NAME}|worker-\\d+)$`).test(commOf(pid, tid))
  );
}

/** Starts an idle Worker in this process; resolves with its thread id and a way to end it. */
export async function ownThread(): Promise<{ tid: number; stop(): void }> {
  const worker = idleWorker();
  await new Promise((resolve) => worker.onmessage = resolve);
  const tid = workerThread(process.pid);
  if (tid === undefined) {
    worker.terminate();
    throw new Error("no Worker thread found");
  }
  return { tid, stop: () => worker.terminate() };
}
