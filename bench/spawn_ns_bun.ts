/**
 * The cases of `spawn_ns_bench.ts` under Bun: `bun bench/spawn_ns_bun.ts` (as root). Same container, best of
 * several rounds after a warm-up.
 */

import { benchAsync } from "./bun_harness.ts";
import { cases, namespaceSubject } from "./spawn_ns_subject.ts";

const subject = await namespaceSubject();
if (subject === null) {
  console.log("spawn_ns_bun: needs root (unshare); skipped");
} else {
  try {
    for (const [name, run] of cases(subject)) {
      await benchAsync(
        "spawn-in-ns",
        name,
        async () => {
          await run();
        },
        200,
        5,
      );
    }
  } finally {
    subject.close();
  }
}
