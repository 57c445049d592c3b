/**
 * spawn + wait of `/bin/true` inside a container's namespaces (every kind): `spawn({ namespaces })` against
 * util-linux `nsenter -t <pid> -a` (started by `spawn()` too) and a plain `spawn()`. Needs root.
 * Run: `deno bench --allow-ffi --allow-run --allow-read bench/spawn_ns_bench.ts`.
 */

import { cases, namespaceSubject } from "./spawn_ns_subject.ts";

const subject = await namespaceSubject();
if (subject !== null) {
  for (const [name, run] of cases(subject)) {
    Deno.bench(
      { group: "spawn /bin/true in a container", name, baseline: name.startsWith("nsenter") },
      async () => {
        await run();
      },
    );
  }
  globalThis.addEventListener("unload", () => subject.close());
}
