import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { Namespace, Pidfd, SyscallError } from "../mod.ts";
import { fdSnapshot, fdsOpenedSince, isBun, scriptCommand, sleeper } from "./helpers.ts";

describe("fd hygiene", () => {
  test("10,000 open/info/namespace/dispose cycles leave the fd count unchanged", async () => {
    const s = await sleeper();
    try {
      const before = fdSnapshot();
      for (let i = 0; i < 10_000; i++) {
        using pidfd = Pidfd.open(s.pid);
        pidfd.info();
        using ns = pidfd.namespace(i % 2 ? "net" : "pid");
        ns.id;
        pidfd.isAlive();
      }
      assert.deepEqual(fdsOpenedSince(before), []);
    } finally {
      await s.kill();
    }
  });

  test("error paths leave the fd count unchanged", async () => {
    const s = await sleeper();
    await s.kill();
    const before = fdSnapshot();
    for (let i = 0; i < 1_000; i++) {
      assert.throws(() => Pidfd.open(s.pid), SyscallError);
      assert.throws(() => Namespace.open("/proc/self/status"), TypeError);
      assert.throws(() => Namespace.open("/nonexistent"), SyscallError);
      using me = Pidfd.self();
      assert.throws(() => me.getfd(100_000), SyscallError);
      assert.throws(() => me.namespace("bogus" as never), TypeError);
    }
    assert.deepEqual(fdsOpenedSince(before), []);
  });

  test("the FinalizationRegistry closes pidfds that were never closed", () => {
    const flags = isBun ? [] : ["--v8-flags=--expose-gc"];
    const fixture = new URL("./fixtures/leak_guard.ts", import.meta.url).pathname;
    const [cmd, ...args] = scriptCommand(fixture, flags);
    const r = spawnSync(cmd!, args, { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const { before, held, after, heldMixed, afterMixed } = JSON.parse(r.stdout.trim());
    assert.equal(held, before + 100);
    assert.equal(after, before);
    assert.equal(heldMixed, before + 300);
    assert.equal(afterMixed, before);
  });
});
