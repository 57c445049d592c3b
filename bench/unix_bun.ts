/** The cases of `unix_bench.ts` under Bun: `bun bench/unix_bun.ts`. */

import { main } from "./unix_bench.ts";

await main();
