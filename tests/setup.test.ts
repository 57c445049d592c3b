/**
 * The README's commands work from a fresh clone anywhere: `npm install` leaves the lock file as committed, and
 * the tests that run the runtime as uid 65534 do so from a world-readable copy, so a checkout under a
 * directory only root may enter (a home directory, `mktemp -d`) passes too.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, linkSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { describe, test } from "node:test";
import config from "../deno.json" with { type: "json" };
import { asNobody, isBun, needsRoot, nobodyCanRun, nobodyCopy, ROOT, runtime } from "./helpers.ts";

const hasNpm = spawnSync("npm", ["--version"]).status === 0;

describe("set-up from a fresh clone", () => {
  test("npm install leaves package-lock.json as committed", { skip: !hasNpm && "needs npm" }, () => {
    const dir = mkdtempSync("/tmp/pidfd-lock-");
    try {
      for (const f of ["package.json", "package-lock.json"]) copyFileSync(ROOT + f, `${dir}/${f}`);
      const r = spawnSync(
        "npm",
        ["install", "--package-lock-only", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"],
        { cwd: dir, encoding: "utf8", timeout: 60_000 },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.equal(
        readFileSync(`${dir}/package-lock.json`, "utf8"),
        readFileSync(`${ROOT}package-lock.json`, "utf8"),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(
    "a checkout under a mode 0700 directory still runs as nobody, from a copy",
    { skip: needsRoot },
    () => {
      const dir = mkdtempSync("/tmp/pidfd-private-"); // mode 0700, as mktemp -d and home directories are
      try {
        const hidden = `${dir}/${runtime.split("/").at(-1)}`;
        try {
          linkSync(runtime, hidden);
        } catch {
          copyFileSync(runtime, hidden);
        }
        assert.equal(nobodyCanRun(hidden), false, "nobody cannot reach into a 0700 directory");
        using copy = nobodyCopy(hidden);
        assert.equal(nobodyCanRun(copy.runtime), true);
        const cli = copy.root + "cli.ts";
        const [command, ...args] = asNobody(
          copy.home,
          isBun ? [copy.runtime, cli, "--version"] : [copy.runtime, "run", "--allow-ffi", cli, "--version"],
        );
        const r = spawnSync(command!, args, { encoding: "utf8", cwd: copy.home, timeout: 60_000 });
        assert.equal(r.stderr, "");
        assert.equal(r.stdout, `pidfd ${config.version}\n`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
