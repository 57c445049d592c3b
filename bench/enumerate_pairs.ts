/**
 * `processes()` against the bare `/proc` scan, in alternating rounds: each round times the bare scan, then the
 * library, and the figure is the median of the rounds' ratios, which holds when the machine's speed drifts
 * between rounds (a shared VM). Both forms of the loop: `using` (the runtime disposes each pidfd) and an
 * explicit `close()`. The same file runs under both runtimes:
 *   deno run --allow-ffi --allow-run --allow-read --allow-env bench/enumerate_pairs.ts
 *   bun bench/enumerate_pairs.ts
 */

import { processes } from "../mod.ts";
import { bareScan, manyProcesses } from "./identity_subject.ts";

const ROUNDS = 60;

const time = (f: () => void): number => {
  const start = performance.now();
  f();
  return performance.now() - start;
};
const withUsing = (): void => {
  for (using p of processes()) void p.fd;
};
const withClose = (): void => {
  for (const p of processes()) p.close();
};
const median = (values: number[]): number => values.sort((a, b) => a - b)[values.length >> 1]!;

const many = await manyProcesses();
try {
  for (let i = 0; i < 10; i++) { // warm-up
    bareScan();
    withUsing();
    withClose();
  }
  const scans: number[] = [];
  const usingRatios: number[] = [];
  const closeRatios: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const bare = time(bareScan);
    scans.push(bare);
    usingRatios.push(time(withUsing) / bare);
    closeRatios.push(time(withClose) / time(bareScan));
  }
  console.log(
    `${many.count} processes, bare scan ${median(scans).toFixed(1)} ms; processes() / bare scan, median of ` +
      `${ROUNDS} rounds: using ${median(usingRatios).toFixed(2)}×, close() ${
        median(closeRatios).toFixed(2)
      }×`,
  );
} finally {
  many.close();
}
