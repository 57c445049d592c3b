/**
 * The README's TypeScript examples run verbatim, as files in the checkout, under the runtime running the tests
 * (`deno run --allow-ffi <file>` or `bun <file>`, as the README says), and print what their comments promise.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { describe, test } from "node:test";
import { readText } from "../procfs.ts";
import { isBun, needsRoot, ROOT, runtime } from "./helpers.ts";

const blocks = [...readText(`${ROOT}README.md`).matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);

/** What each example prints, by a line of its code. */
const EXPECTED: [string, RegExp][] = [
  // Each new example before the older ones whose markers it also contains.
  ["Pidfd.fromHandle(handle)", /^true true true\ngone for good\ntrue true\n$/],
  ["connection.peer()", /^true \d+\nhi true\n$/],
  ['spawn("sleep", ["60"])', /^ppid \d+, euid \d+, cgroup \d+, net namespace \d+\nalready gone\n$/],
  ["exits(workers)", /^server: code 3, signal null\n(\d+ (0|SIGTERM)\n){2}$/],
  ["child.output()", /^3 "hello\\n"\n$/],
  ["processes({ ns: container })", /^\[ 1, 2 \]\nsleep 60\n$/],
  ["pidfd.memoryMaps()", /^true\ntrue\n$/],
  ["PidNamespace.of(init)", /^true\n1\n\[ \d+, 1 \]\nName:\tsh true\n$/],
  ["namespaces: box.pidfd", /^box 0 1\n$/],
];

describe("README examples", () => {
  test("there are examples, each with its expected output", () => {
    assert.ok(blocks.length >= EXPECTED.length);
    for (const code of blocks) assert.ok(EXPECTED.some(([marker]) => code.includes(marker)), code);
  });

  for (const [i, code] of blocks.entries()) {
    const expected = EXPECTED.find(([marker]) => code.includes(marker))?.[1];
    test(`example ${i + 1} runs verbatim`, {
      // Namespaces from `unshare`, and advising another process's memory (CAP_SYS_NICE), need root.
      skip: code.includes("unshare") || code.includes("adviseMemory") ? needsRoot : false,
    }, () => {
      // Inside the checkout, so that `@pidfd/pidfd` resolves as the README says.
      const dir = mkdtempSync(`${ROOT}.readme-`);
      try {
        const file = `${dir}/example.ts`;
        writeFileSync(file, code);
        const argv = isBun ? [file] : ["run", "--allow-ffi", file];
        const r = spawnSync(runtime, argv, { encoding: "utf8", cwd: dir, timeout: 60_000 });
        assert.equal(r.stderr, "");
        assert.equal(r.status, 0);
        assert.match(r.stdout, expected!);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
