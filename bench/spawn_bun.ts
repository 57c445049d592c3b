/** spawn + wait of `/bin/true` under Bun: `spawn()`, `Bun.spawn` and `node:child_process`. `bun bench/spawn_bun.ts` */

import { spawn as nodeSpawn } from "node:child_process";
import { once } from "node:events";
import { spawn } from "../mod.ts";
import { benchAsync } from "./bun_harness.ts";

const bun = (globalThis as unknown as {
  Bun: { spawn(cmd: string[], o: object): { exited: Promise<number> } };
}).Bun;

await benchAsync("spawn+wait", "Bun.spawn", async () => {
  await bun.spawn(["/bin/true"], { stdio: ["ignore", "ignore", "ignore"] }).exited;
});
await benchAsync("spawn+wait", "@pidfd/pidfd spawn()", async () => {
  const child = spawn("/bin/true", [], { stdin: "null", stdout: "null", stderr: "null" });
  await child.status;
});
await benchAsync("spawn+wait", "node:child_process spawn", async () => {
  await once(nodeSpawn("/bin/true", [], { stdio: "ignore" }), "exit");
});
