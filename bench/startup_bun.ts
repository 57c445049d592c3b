/**
 * Start-up of the `pidfd` command under Bun (see `startup_bench.ts`): `dist/pidfd info 1` and `bun cli.ts
 * info 1` beside `ps -p 1 -o pid,ppid,pidns,user,args`, whole processes, in µs per run. `bun bench/startup_bun.ts`
 */

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";
import { bench } from "./bun_harness.ts";

const root = new URL("../", import.meta.url).pathname;
const binary = `${root}dist/pidfd`;

function run(command: string, args: string[]): void {
  const r = spawnSync(command, args, { stdio: "ignore" });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.status}`);
}

const group = "start-up";
const us = (ns: number): string => `${(ns / 1000).toFixed(0)} µs`;
const ps = bench(
  group,
  "ps -p 1 -o pid,ppid,pidns,user,args",
  () => run("ps", ["-p", "1", "-o", "pid,ppid,pidns,user,args"]),
  20,
  5,
);
if (existsSync(binary)) {
  const info = bench(group, "dist/pidfd info 1", () => run(binary, ["info", "1"]), 20, 5);
  bench(group, "dist/pidfd --help (no library)", () => run(binary, ["--help"]), 20, 5);
  console.log(`dist/pidfd info 1: ${us(info)}, ${(info / ps).toFixed(2)}× ps (${us(ps)})`);
} else console.error(`${binary} is missing: run \`npm run compile\` first`);
bench(group, "bun cli.ts info 1", () => run(process.execPath, [`${root}cli.ts`, "info", "1"]), 20, 5);
