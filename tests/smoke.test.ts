import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Pidfd } from "../mod.ts";
import { sleeper } from "./helpers.ts";

describe("smoke", () => {
  test("open a child", async () => {
    const s = await sleeper();
    using p = Pidfd.open(s.pid);
    assert.equal(p.info().ppid, (globalThis as any).process?.pid ?? Deno.pid);
    await s.kill();
  });
});
