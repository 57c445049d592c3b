/**
 * Awaiting process exits at scale: N sleeping children, all watched through `Pidfd.wait()` (one epoll set),
 * then SIGKILLed, in two rounds:
 * - sequential: kill one, await its wait, N times: kill → resolve latency p50/p99 with N processes watched;
 * - burst: kill all at once: total drain time (first kill → last resolve) and per-process latency.
 * Also: whether every exit was delivered (status SIGKILL), and the JS heap per watched process (a
 * `Pidfd.wait()` promise and its watch, measured after a forced GC). The same rounds in C
 * (`bench/wait_ref.c`, compiled with gcc at run time when gcc exists) give the reference.
 *
 * The sleepers are children of the runtime, which reaps them (Deno, Bun); when the fd limit cannot hold two
 * fds per process (the runtime keeps a pidfd per child too), they are children of the C helper instead
 * (`wait_ref spawn N`), so the statuses come from `PIDFD_INFO_EXIT` after the helper reaps.
 *
 * Run (N defaults to 1,000 and 10,000; the fd limit is raised for the run where permitted):
 *   deno run --allow-ffi --allow-run --allow-read --allow-env --v8-flags=--expose-gc bench/wait_bench.ts [N…]
 *   bun bench/wait_bench.ts [N…]          (also `bun bench/wait_bun.ts`, which `npm run bench:bun` runs)
 * Under `deno bench` this file registers one lighter case (burst drain of 1,000 exits).
 */

import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import process from "node:process";
import { Pidfd } from "../mod.ts";
import { readText } from "../src/procfs.ts";
import { isBun } from "../ffi/runtime.ts";

const SIGKILL = 9;

/** A running sleeper and the promise of its (runtime- or helper-side) reaping. */
interface Sleeper {
  readonly pid: number;
  readonly done: Promise<unknown>;
}

interface BunSpawn {
  spawn(cmd: string[], options: object): { pid: number; exited: Promise<number> };
}

function spawnSleeper(): Sleeper {
  if (isBun) {
    const bun = (globalThis as unknown as { Bun: BunSpawn }).Bun;
    const p = bun.spawn(["sleep", "1000"], { stdio: ["ignore", "ignore", "ignore"] });
    return { pid: p.pid, done: p.exited };
  }
  const p = new Deno.Command("sleep", { args: ["1000"], stdin: "null", stdout: "null", stderr: "null" })
    .spawn();
  return { pid: p.pid, done: p.status };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function gc(): void {
  const g = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.();
}

const canGc = isBun || typeof (globalThis as { gc?: unknown }).gc === "function";

function percentile(values: number[], p: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.round(p * (sorted.length - 1))]!;
}

function nofile(): number {
  return Number(/^Max open files\s+(\d+)/m.exec(readText("/proc/self/limits"))![1]);
}

/** Makes room for `fds` open fds; Deno and Bun already raised their soft limit to the hard one at startup. */
function ensureFds(fds: number): boolean {
  if (nofile() >= fds) return true;
  const want = Math.max(fds, 65536);
  spawnSync("prlimit", [`--pid=${process.pid}`, `--nofile=${want}:${want}`]); // raising the hard one needs root
  return nofile() >= fds;
}

/** How the sleepers are started: as children of the runtime, or by the C helper (non-children). */
type Source = "children" | "non-children";

/** Starts `n` sleepers and opens their pidfds; waits until they all run `sleep`. */
async function start(n: number, source: Source): Promise<{ sleepers: Sleeper[]; pidfds: Pidfd[] }> {
  const sleepers: Sleeper[] = [];
  const pidfds: Pidfd[] = [];
  if (source === "children") {
    for (let i = 0; i < n; i++) {
      const s = spawnSleeper();
      sleepers.push(s);
      pidfds.push(Pidfd.open(s.pid)); // before the runtime could reap it
    }
  } else {
    // The helper reaps each sleeper as it dies: open every pidfd before killing any.
    const helper = spawn(refBinary()!, ["spawn", String(n)], { stdio: ["ignore", "pipe", "inherit"] });
    const done = once(helper, "exit");
    let text = "";
    for await (const chunk of helper.stdout!) {
      text += new TextDecoder().decode(chunk as Uint8Array);
      if (text.split("\n").length > n) break;
    }
    for (const line of text.trim().split("\n")) {
      const pid = Number(line);
      pidfds.push(Pidfd.open(pid));
      sleepers.push({ pid, done });
    }
  }
  await delay(200 + n / 20); // let every child finish exec
  return { sleepers, pidfds };
}

async function stop(sleepers: Sleeper[], pidfds: Pidfd[]): Promise<void> {
  for (const p of pidfds) {
    try {
      p.sendSignal(SIGKILL); // through the pidfd: a reaped sleeper's pid may already be another process's
    } catch { /* already gone */ }
    p.close();
  }
  await Promise.all(sleepers.map((s) => s.done.catch(() => {})));
}

let refPath: string | null | undefined;

/** `bench/wait_ref.c` compiled once per run with gcc, or `null` without gcc. */
function refBinary(): string | null {
  if (refPath !== undefined) return refPath;
  const source = new URL("./wait_ref.c", import.meta.url).pathname;
  const binary = `/tmp/pidfd_wait_ref_${process.pid}`;
  const cc = spawnSync("gcc", ["-O2", "-o", binary, source], { encoding: "utf8" });
  return refPath = cc.error || cc.status !== 0 ? null : binary;
}

function removeRefBinary(): void {
  if (refPath) spawnSync("rm", ["-f", refPath]);
  refPath = undefined;
}

/** One row of results (milliseconds, bytes). */
export interface WaitBenchResult {
  runtime: string;
  source: Source | "own children";
  n: number;
  sequential: { delivered: number; p50: number; p99: number };
  burst: { delivered: number; p50: number; p99: number; drain: number };
  heapPerWatch: number | null;
}

/** Runs both rounds for `n` processes in this runtime. */
export async function measure(n: number, source: Source): Promise<WaitBenchResult> {
  // Sequential round.
  let { sleepers, pidfds } = await start(n, source);
  const latency = new Array<number>(n);
  let seqDelivered = 0;
  try {
    const waits = pidfds.map((p) => p.wait());
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      pidfds[i]!.sendSignal(SIGKILL);
      const status = await waits[i]!;
      latency[i] = performance.now() - t0;
      if (status.signal === "SIGKILL") seqDelivered++;
    }
  } finally {
    await stop(sleepers, pidfds);
  }
  const sequential = {
    delivered: seqDelivered,
    p50: percentile(latency, 0.5),
    p99: percentile(latency, 0.99),
  };

  // Burst round.
  ({ sleepers, pidfds } = await start(n, source));
  try {
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    const waits = pidfds.map((p) => p.wait());
    gc();
    const heapPerWatch = canGc ? (process.memoryUsage().heapUsed - heap0) / n : null;
    const killedAt = new Float64Array(n);
    const resolvedAt = new Float64Array(n);
    let delivered = 0;
    const recorded = waits.map((w, i) =>
      w.then((status) => {
        resolvedAt[i] = performance.now();
        if (status.signal === "SIGKILL") delivered++;
      })
    );
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      pidfds[i]!.sendSignal(SIGKILL);
      killedAt[i] = performance.now();
    }
    await Promise.all(recorded);
    const drain = Math.max(...resolvedAt) - t0;
    const burstLatency = Array.from(resolvedAt, (t, i) => t - killedAt[i]!);
    return {
      runtime: isBun ? "Bun" : "Deno",
      source,
      n,
      sequential,
      burst: { delivered, p50: percentile(burstLatency, 0.5), p99: percentile(burstLatency, 0.99), drain },
      heapPerWatch,
    };
  } finally {
    await stop(sleepers, pidfds);
  }
}

/** The same rounds in C, or `null` without gcc. */
export function measureC(n: number): WaitBenchResult | null {
  const binary = refBinary();
  if (binary === null) return null;
  const r = spawnSync(binary, [String(n)], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`wait_ref failed: ${r.stderr}`);
  return { runtime: "C", source: "own children", heapPerWatch: null, ...JSON.parse(r.stdout) };
}

function row(r: WaitBenchResult): string {
  const ms = (v: number): string => (v < 10 ? v.toFixed(3) : v.toFixed(1)).padStart(9);
  const all = r.sequential.delivered === r.n && r.burst.delivered === r.n ? "yes" : "NO";
  const heap = r.heapPerWatch === null ? "—" : `${Math.round(r.heapPerWatch)} B`;
  return `${r.runtime.padEnd(5)} ${r.source.padEnd(12)} ${String(r.n).padStart(6)}  ${all.padEnd(9)} ${
    ms(r.sequential.p50)
  } ${ms(r.sequential.p99)} ${ms(r.burst.p50)} ${ms(r.burst.p99)} ${ms(r.burst.drain)}  ${heap.padStart(8)}`;
}

/**
 * Runs the benchmark for each `n` and prints a table (times in ms). The sleepers are children of the runtime
 * when the fd limit allows (each costs the runtime an fd as well), else children of the C helper.
 */
export async function main(args: string[]): Promise<void> {
  const ns = args.length > 0 ? args.map(Number) : [1_000, 10_000];
  console.log(
    `wait_bench: ${isBun ? "Bun" : "Deno"}; times in ms${canGc ? "" : " (no GC access: heap not measured)"}`,
  );
  console.log(
    "      watched          N  delivered  seq p50   seq p99 burst p50 burst p99     drain  heap/watch",
  );
  try {
    for (const n of ns) {
      const source: Source = ensureFds(2 * n + 256) ? "children" : "non-children";
      if (source === "non-children" && (refBinary() === null || !ensureFds(n + 256))) {
        console.log(`${String(n).padStart(24)}  skipped: RLIMIT_NOFILE ${nofile()} is too low (or no gcc)`);
        continue;
      }
      const js = await measure(n, source);
      console.log(row(js));
      const c = measureC(n);
      if (c === null) console.log("C: skipped (no gcc)");
      else {
        console.log(row(c));
        console.log(`      drain ${js.runtime}/C = ${(js.burst.drain / c.burst.drain).toFixed(2)}×`);
      }
    }
  } finally {
    removeRefBinary();
  }
}

if (!isBun && nofile() >= 2_300) {
  Deno.bench({ name: "1,000 exits: SIGKILL all, drain every wait", n: 3, warmup: 1 }, async (b) => {
    const { sleepers, pidfds } = await start(1_000, "children");
    try {
      const waits = pidfds.map((p) => p.wait());
      b.start();
      for (const p of pidfds) p.sendSignal(SIGKILL);
      await Promise.all(waits);
      b.end();
    } finally {
      await stop(sleepers, pidfds);
    }
  });
}

if (import.meta.main) await main(isBun ? process.argv.slice(2) : Deno.args);
