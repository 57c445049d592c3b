/**
 * Test helpers shared by every test file; they run unchanged under `deno test` and `bun test`.
 *
 * @module
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { libc } from "../ffi/mod.ts";
import { listDir, readText } from "../src/procfs.ts";

/** True under Bun. */
export const isBun: boolean = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";

/** The running runtime's executable (deno or bun), for child scripts. */
export const runtime: string = isBun
  ? (globalThis as unknown as { process: { execPath: string } }).process.execPath
  : Deno.execPath();

/** Whether the tests run as root (needed for namespaces and ns_last_pid). */
export const isRoot: boolean = libc.getpid() > 0 && readText("/proc/self/status").includes("\nUid:\t0\t");

/** The reason root-only tests are skipped, or `false` when they run. */
export const needsRoot: string | false = isRoot ? false : "needs root (unshare, ns_last_pid)";

/** The number of fds this process has open, counted through the FFI (the listing's own fd excluded). */
export function openFds(): number {
  return listDir("/proc/self/fd").length - 1;
}

/** A live `sleep` child. */
export interface Sleeper {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Kills it (SIGKILL) and waits until the runtime has reaped it. */
  kill(): Promise<void>;
}

/** Starts `sleep <seconds>` and resolves once it runs. */
export async function sleeper(seconds = 60): Promise<Sleeper> {
  const child = spawn("sleep", [String(seconds)], { stdio: "ignore" });
  await once(child, "spawn");
  const pid = child.pid!;
  let exited = false;
  const exit = once(child, "exit").then(() => exited = true);
  return {
    child,
    pid,
    async kill() {
      if (!exited) child.kill("SIGKILL");
      await exit;
    },
  };
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
