/** The cases of `wait_bench.ts` under Bun: `bun bench/wait_bun.ts [N…]` (N defaults to 1,000 and 10,000). */

import process from "node:process";
import { main } from "./wait_bench.ts";

await main(process.argv.slice(2));
