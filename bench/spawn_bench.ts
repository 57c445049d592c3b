/**
 * spawn + wait of `/bin/true`: this module's `spawn()` against `Deno.Command` and `node:child_process`.
 * Run: `deno bench --allow-ffi --allow-run bench/spawn_bench.ts`.
 */

import { spawn as nodeSpawn } from "node:child_process";
import { once } from "node:events";
import { spawn } from "../mod.ts";

Deno.bench({ group: "spawn /bin/true + wait", name: "Deno.Command", baseline: true }, async () => {
  await new Deno.Command("/bin/true", { stdin: "null", stdout: "null", stderr: "null" }).output();
});

Deno.bench({ group: "spawn /bin/true + wait", name: "@pidfd/pidfd spawn()" }, async () => {
  const child = spawn("/bin/true", [], { stdin: "null", stdout: "null", stderr: "null" });
  await child.status;
});

Deno.bench({ group: "spawn /bin/true + wait", name: "node:child_process spawn" }, async () => {
  await once(nodeSpawn("/bin/true", [], { stdio: "ignore" }), "exit");
});
