/**
 * Memory control, timed against real victims (`tests/fixtures/memory_victim.c`, compiled with gcc at run time):
 * 1. `adviseMemory("pageout")` of a touched 256 MiB file mapping, as 1 range and as 4,096 ranges of 64 KiB
 *    (four IOV_MAX batches), against the same `process_madvise` loop in C (`bench/memory_ref.c`) on the same
 *    victim in the same run, alternating; the victim touches every page again before each call.
 * 2. The time from SIGKILL until a victim's 1 GiB of touched anonymous memory is available again
 *    (`MemAvailable` in `/proc/meminfo` risen by 768 MiB, 3/4 of it: other processes move it too), when the
 *    exit frees it and when `releaseMemory()` (process_mrelease) is called right after the signal.
 *
 * Run (as root, for pageout of another process; rounds default to 7):
 *   deno run --allow-ffi --allow-run --allow-read --allow-env bench/memory_bench.ts [rounds]
 *   bun bench/memory_bun.ts [rounds]
 * Under `deno bench` this file registers one lighter case (pageout of 256 MiB, one range).
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import process from "node:process";
import { Pidfd, SyscallError } from "../mod.ts";
import { readText } from "../src/procfs.ts";
import { isBun } from "../ffi/runtime.ts";

const runtime = isBun
  ? `bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}`
  : `deno ${Deno.version.deno}`;
const now: () => number = isBun
  ? (globalThis as unknown as { Bun: { nanoseconds(): number } }).Bun.nanoseconds
  : () => performance.now() * 1e6;
const MiB = 1024 * 1024;

/** Compiled helpers and the data file, in a fresh temporary directory. */
interface Setup {
  dir: string;
  victim: string;
  ref: string;
  data: string;
}

function sh(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

function setup(): Setup {
  const dir = sh("mktemp", ["-d", "/tmp/pidfd-memory-bench-XXXXXX"]).trim();
  const root = new URL("../", import.meta.url).pathname;
  const s = { dir, victim: `${dir}/victim`, ref: `${dir}/ref`, data: `${dir}/data` };
  sh("gcc", ["-O2", "-o", s.victim, `${root}tests/fixtures/memory_victim.c`]);
  sh("gcc", ["-O2", "-o", s.ref, `${root}bench/memory_ref.c`]);
  sh("truncate", ["-s", "256M", s.data]); // on a disk filesystem: tmpfs pages cannot be paged out without swap
  return s;
}

/** A child whose stdout is read line by line. */
class Lines {
  readonly child: ChildProcess;
  #buffer = "";
  #waiting: ((line: string) => void)[] = [];
  #lines: string[] = [];

  constructor(command: string, args: string[]) {
    this.child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
    this.child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      this.#buffer += d;
      let at;
      while ((at = this.#buffer.indexOf("\n")) !== -1) {
        const line = this.#buffer.slice(0, at);
        this.#buffer = this.#buffer.slice(at + 1);
        const w = this.#waiting.shift();
        if (w) w(line);
        else this.#lines.push(line);
      }
    });
  }

  next(): Promise<string> {
    const line = this.#lines.shift();
    return line !== undefined ? Promise.resolve(line) : new Promise((r) => this.#waiting.push(r));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exit = once(this.child, "exit");
      this.child.kill("SIGKILL");
      await exit;
    }
  }
}

/** A started victim and the mapping it touched. */
async function victim(s: Setup, args: string[]): Promise<{ v: Lines; start: bigint; end: bigint }> {
  const v = new Lines(s.victim, args);
  const [start, end] = (await v.next()).split(" ").map((h) => BigInt(`0x${h}`));
  return { v, start: start!, end: end! };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function rssFileKb(pid: number): number {
  return Number(/^RssFile:\s+(\d+) kB$/m.exec(readText(`/proc/${pid}/status`))![1]);
}

function memAvailableKb(): number {
  return Number(/^MemAvailable:\s+(\d+) kB$/m.exec(readText("/proc/meminfo"))![1]);
}

/** Case 1: pageout of 256 MiB in `pieces` ranges, API and C alternating. Medians in ms. */
async function pageout(
  s: Setup,
  pieces: number,
  rounds: number,
): Promise<{ api: number; c: number; resident: number }> {
  const { v, start, end } = await victim(s, ["file", "256", s.data]);
  const ref = new Lines(s.ref, [String(v.child.pid), start.toString(16), end.toString(16), String(pieces)]);
  try {
    using pidfd = Pidfd.open(v.child.pid!);
    const piece = (end - start) / BigInt(pieces);
    const ranges = Array.from({ length: pieces }, (_, i) => ({
      start: start + BigInt(i) * piece,
      end: start + BigInt(i + 1) * piece,
    }));
    const api: number[] = [];
    const left: number[] = [];
    const c: number[] = [];
    const retouch = async (): Promise<void> => {
      pidfd.sendSignal("SIGUSR1"); // (Deno's ChildProcess.kill() sends one signal only)
      if (await v.next() !== "touched") throw new Error("the victim did not touch its pages again");
    };
    for (let r = 0; r < rounds + 1; r++) { // the first round warms up
      await retouch();
      const t0 = now();
      const bytes = pidfd.adviseMemory("pageout", ranges);
      const t = now() - t0;
      const apiLeft = rssFileKb(v.child.pid!);
      await retouch();
      ref.child.stdin!.write("go\n");
      const [cBytes, cNs] = (await ref.next()).split(" ").map(Number);
      if (bytes !== 256 * MiB || cBytes !== 256 * MiB) {
        throw new Error(`advised ${bytes} and ${cBytes} bytes`);
      }
      if (r === 0) continue;
      left.push(apiLeft, rssFileKb(v.child.pid!));
      api.push(t / 1e6);
      c.push(cNs! / 1e6);
    }
    return { api: median(api), c: median(c), resident: Math.max(...left) };
  } finally {
    ref.child.stdin!.end();
    await ref.stop();
    await v.stop();
  }
}

const SAMPLES = 200_000;
const sampleAt = new Float64Array(SAMPLES);
const sampleKb = new Float64Array(SAMPLES);

/**
 * Case 2: SIGKILL → memory available again, in ms. MemAvailable is sampled from the signal until the exit has
 * completed and 20 ms more; the rise it reached is what the victim gave back (freed pages parked in per-CPU
 * lists and other processes blur the full 1 GiB), and the time is the first sample at 90% of that rise.
 */
async function killToAvailable(
  s: Setup,
  release: boolean,
): Promise<{ ms: number; rise: number; call: number; gone: boolean; exit: number }> {
  const { v } = await victim(s, ["anon", "1024"]);
  try {
    using pidfd = Pidfd.open(v.child.pid!);
    await new Promise((r) => setTimeout(r, 50)); // let MemAvailable settle
    const before = memAvailableKb();
    let gone = false;
    let call = 0;
    const t0 = now();
    pidfd.sendSignal("SIGKILL");
    if (release) {
      try {
        pidfd.releaseMemory();
      } catch (e) {
        if (!(e instanceof SyscallError && e.code === "ESRCH")) throw e;
        gone = true; // the exit had already detached the memory (and frees it itself)
      }
      call = (now() - t0) / 1e6;
    }
    let n = 0;
    let exit = 0;
    for (; n < SAMPLES; n++) {
      sampleKb[n] = memAvailableKb();
      const t = sampleAt[n] = now() - t0;
      if (exit === 0 && !pidfd.isAlive()) exit = t;
      if (exit !== 0 && t > exit + 20e6) break;
    }
    let top = before;
    for (let i = 0; i < n; i++) top = Math.max(top, sampleKb[i]!);
    const rise = top - before;
    let i = 0;
    while (sampleKb[i]! < before + 0.9 * rise) i++;
    return { ms: sampleAt[i]! / 1e6, rise: rise / 1024, call, gone, exit: exit / 1e6 };
  } finally {
    await v.stop();
  }
}

/** Runs both cases and prints a table. */
export async function main(args: string[]): Promise<void> {
  const rounds = Number(args[0] ?? 7);
  const s = setup();
  try {
    console.log(`${runtime}, ${rounds} rounds, medians`);
    console.log("pageout of a touched 256 MiB file mapping     API ms      C ms   API/C");
    for (const pieces of [1, 4096]) {
      const { api, c, resident } = await pageout(s, pieces, rounds);
      const label = pieces === 1 ? "1 range" : `${pieces} ranges of ${256 * 1024 / pieces} KiB`;
      console.log(
        `  ${label.padEnd(42)} ${api.toFixed(2).padStart(8)}  ${c.toFixed(2).padStart(8)}  ${
          (api / c).toFixed(2).padStart(5)
        }×  (at most ${(resident / 1024).toFixed(1)} MiB of the file still resident after a call)`,
      );
    }
    console.log(
      "SIGKILL until 1 GiB is available again     avail ms   exit ms  rise MiB  (call ms, exit first)",
    );
    for (const release of [false, true]) {
      const runs: Awaited<ReturnType<typeof killToAvailable>>[] = [];
      for (let r = 0; r < rounds; r++) runs.push(await killToAvailable(s, release));
      const gone = runs.filter((r) => r.gone).length;
      const m = (key: "ms" | "exit" | "rise" | "call"): string => median(runs.map((r) => r[key])).toFixed(1);
      console.log(
        `  ${(release ? "with releaseMemory()" : "exit only").padEnd(42)} ${m("ms").padStart(8)}  ${
          m("exit").padStart(8)
        }  ${m("rise").padStart(8)}${release ? `  (${m("call")}, ${gone}/${rounds})` : ""}`,
      );
    }
  } finally {
    sh("rm", ["-rf", s.dir]);
  }
}

if (!isBun) {
  Deno.bench({ name: "adviseMemory pageout, 256 MiB file mapping, 1 range", n: 5, warmup: 1 }, async (b) => {
    const s = setup();
    try {
      const { v, start, end } = await victim(s, ["file", "256", s.data]);
      try {
        using pidfd = Pidfd.open(v.child.pid!);
        b.start();
        pidfd.adviseMemory("pageout", [{ start, end }]);
        b.end();
      } finally {
        await v.stop();
      }
    } finally {
      sh("rm", ["-rf", s.dir]);
    }
  });
}

if (import.meta.main) await main(isBun ? process.argv.slice(2) : Deno.args);
