/**
 * A minimal benchmark harness for Bun, which has no `Deno.bench`: warm up, then report the best of several
 * timed rounds in ns per call, measured with `Bun.nanoseconds()`.
 *
 * @module
 */

const now: () => number = (globalThis as unknown as { Bun: { nanoseconds(): number } }).Bun.nanoseconds;

/** Times `fn` and prints `group  name  ns/op` (best of `rounds` rounds of `iterations` calls). */
export function bench(group: string, name: string, fn: () => void, iterations = 20_000, rounds = 7): number {
  for (let i = 0; i < Math.min(iterations, 5_000); i++) fn(); // warm-up: let the JIT settle
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = now();
    for (let i = 0; i < iterations; i++) fn();
    best = Math.min(best, (now() - start) / iterations);
  }
  console.log(`${group.padEnd(14)} ${name.padEnd(44)} ${best.toFixed(1).padStart(10)} ns/op`);
  return best;
}

/** Like {@link bench} for asynchronous operations, awaited one after another. */
export async function benchAsync(
  group: string,
  name: string,
  fn: () => Promise<void>,
  iterations = 300,
  rounds = 5,
): Promise<number> {
  for (let i = 0; i < Math.min(iterations, 50); i++) await fn();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = now();
    for (let i = 0; i < iterations; i++) await fn();
    best = Math.min(best, (now() - start) / iterations);
  }
  console.log(`${group.padEnd(14)} ${name.padEnd(44)} ${(best / 1000).toFixed(1).padStart(10)} µs/op`);
  return best;
}
