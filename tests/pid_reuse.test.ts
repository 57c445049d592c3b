import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { needsRoot, scriptCommand } from "./helpers.ts";

const fixture = new URL("./fixtures/pid_reuse.ts", import.meta.url).pathname;

describe("PID reuse", () => {
  test("a pidfd of a dead process never reaches the process that took its pid", { skip: needsRoot }, () => {
    const r = spawnSync("unshare", ["--pid", "--fork", "--mount-proc", ...scriptCommand(fixture)], {
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    assert.equal(result.newPid, result.oldPid, "the new process took the dead process's pid");
    assert.equal(result.signal, "ESRCH");
    assert.equal(result.info, "ESRCH");
    assert.equal(result.namespace, "ESRCH");
    assert.equal(result.fromHandle, "ESRCH", "the handle of the dead process");
    assert.equal(result.openById, "ESRCH", "open(pid, { id }) of the dead process");
    assert.equal(result.memoryMaps, "ESRCH");
    assert.equal(result.adviseMemory, "ESRCH");
    assert.equal(result.releaseMemory, "ESRCH");
    assert.equal(result.oldAlive, false);
    assert.equal(result.sameId, false, "pidfs ids differ");
    assert.match(result.newState, /^[RS]$/, "the new process was not signalled");
    assert.equal(result.newAlive, true);
  });
});
