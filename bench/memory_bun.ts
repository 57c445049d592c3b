/** The cases of `memory_bench.ts` under Bun: `bun bench/memory_bun.ts [rounds]`. */

import process from "node:process";
import { main } from "./memory_bench.ts";

await main(process.argv.slice(2));
