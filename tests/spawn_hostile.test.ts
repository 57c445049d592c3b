/**
 * spawn() under hostile callers and faults: re-entrant options, streams used after dispose, fd exhaustion,
 * dropped pipes, the runtime's environment, strict option types. Cases that once crashed or hung the runtime
 * run in a child runtime (tests/fixtures/spawn_hostile.ts) with a timeout.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { describe, test } from "node:test";
import { spawn, Subprocess, SyscallError } from "../mod.ts";
import { Errno, libc, O_CLOEXEC, O_NONBLOCK } from "../ffi/mod.ts";
import { fdSnapshot, fdsOpenedSince, isBun, scriptCommand } from "./helpers.ts";

const decoder = new TextDecoder();
const FIXTURE = new URL("./fixtures/spawn_hostile.ts", import.meta.url).pathname;

/** Runs a fixture mode in a fresh runtime (optionally under `prlimit --nofile=<n>`) and parses its JSON line. */
function fixture(
  mode: string[],
  options: { nofile?: number; flags?: string[] } = {},
): Record<string, unknown> {
  const [cmd, ...args] = scriptCommand(FIXTURE, options.flags);
  const argv = options.nofile === undefined
    ? [cmd!, ...args, ...mode]
    : ["prlimit", `--nofile=${options.nofile}`, cmd!, ...args, ...mode];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", timeout: 30_000 });
  assert.equal(r.signal, null, `${mode.join(" ")}: killed by ${r.signal} (a hang or crash)\n${r.stderr}`);
  assert.equal(r.status, 0, `${mode.join(" ")}: exit ${r.status}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

describe("spawn under hostile callers (crash and hang cases in a child runtime)", () => {
  test("case 1: nested spawn() from getters, a Proxy and addEventListener leaves the outer call intact", () => {
    const r = fixture(["reentrant"]);
    // Every outer call got its own stdout, cwd and env; the nested ones theirs.
    assert.deepEqual(r.outers, ["outer yes /tmp\n", "proxy proxied\n", "signalled\n"]);
    assert.deepEqual(r.innerOutputs, ["0", "inner\n"]);
    // Each getter and each Proxy key read exactly once per call (20 calls each).
    for (const [key, n] of Object.entries(r.reads as Record<string, number>)) assert.equal(n, 20, key);
    assert.equal((r.reads as Record<string, number>)["proxy.stdout"], 20);
    assert.equal(r.aborted, "SIGTERM", "the listener added through the patched addEventListener still kills");
    assert.deepEqual(r.leaked, []);
  });

  test("case 2: a disposed child's streams reject reads and writes at once, and never write elsewhere", () => {
    const r = fixture(["after-dispose"]);
    assert.deepEqual(r, { write: "TypeError", read: "TypeError", pending: "TypeError" });
  });

  test("case 2: a non-Uint8Array chunk errors stdin and closes it, so the child sees EOF", () => {
    assert.deepEqual(fixture(["errored-stream"]), { bad: "TypeError", code: 0, stdout: "before\n" });
  });

  test("case 3: pipe ends of dropped children are closed by garbage collection", () => {
    const r = fixture(["gc"], { flags: isBun ? [] : ["--v8-flags=--expose-gc"] });
    assert.equal(r.held, (r.before as number) + 100, "one unclosed stdin pipe per child until collected");
    assert.equal(r.after, r.before);
  });

  test("case 5: a throwing addEventListener kills and reaps the child and closes only the library's fds", () => {
    assert.deepEqual(fixture(["throwing-listener"]), {
      sameError: true,
      reaped: true,
      mineOpen: true,
      leaked: [],
    });
  });

  test("case 5: EMFILE is a SyscallError with the hint, and transient: status and dispose still complete", () => {
    // 0 free: spawn itself fails (pidfd_open) after killing the child. 1, 2: epoll_create1, eventfd fail.
    // 3-6: under Bun, the Worker finds no headroom (Bun aborts loading one with 3 or 4 fds left).
    for (const free of [0, 1, 2, 3, 4, 6]) {
      const r = fixture(["emfile", String(free)], { nofile: 64 });
      assert.equal(r.reaped, true, `free=${free}: no child left`);
      const errors = [r.spawnError, r.waitError].filter((e) => e !== null) as {
        name: string;
        code: string;
        message: string;
      }[];
      for (const e of errors) {
        assert.equal(e.name, "SyscallError", `free=${free}: ${e.message}`);
        assert.equal(e.code, "EMFILE", `free=${free}: ${e.message}`);
        assert.match(e.message, /RLIMIT_NOFILE/);
      }
      if (free === 0) assert.equal((r.spawnError as { code: string }).code, "EMFILE");
      else assert.equal(r.code, 42, `free=${free}: the real exit status once fds are free`);
      if (free === 1 || free === 2) assert.notEqual(r.waitError, null, `free=${free}: the waiter hit EMFILE`);
      if (free > 0) {
        const d = fixture(["emfile-dispose", String(free)], { nofile: 64 });
        assert.deepEqual(d, { spawnError: null, signal: "SIGKILL", reaped: true }, `free=${free}`);
      }
    }
  });
});

describe("spawn: finished children hold no fd", () => {
  test("case 3: status closes the pidfd; pid, status and kill() stay usable", async () => {
    const child = spawn("sh", ["-c", "exit 7"]);
    const status = await child.status;
    assert.equal(status.code, 7);
    assert.equal(child.pidfd.closed, true);
    assert.throws(() => child.pidfd.isAlive(), TypeError);
    assert.equal(typeof child.pid, "number");
    assert.equal(await child.status, status);
    child.kill(); // a no-op
    await child[Symbol.asyncDispose]();
  });

  test("case 3: 300 `await spawn(...).output()` without using leave no fd open", async () => {
    await spawn("true", [], { stdout: "pipe" }).output(); // the waiter's own fds, opened once
    const before = fdSnapshot();
    for (let i = 0; i < 300; i++) {
      const { status } = await spawn("true", [], { stdin: "pipe", stdout: "pipe", stderr: "pipe" }).output();
      assert.equal(status.code, 0);
    }
    assert.deepEqual(fdsOpenedSince(before), []);
  });

  test("case 2: a writer kept after dispose never writes into a pipe that reused its fd number", async () => {
    let writer: WritableStreamDefaultWriter<Uint8Array>;
    {
      await using child = spawn("cat", [], { stdin: "pipe", stdout: "null" });
      writer = child.stdin!.getWriter();
    }
    // New pipes take the numbers just freed; none of them may receive the bytes.
    const fds = new Int32Array(8);
    for (let i = 0; i < 4; i++) assert.equal(libc.pipe2(fds.subarray(2 * i), O_CLOEXEC | O_NONBLOCK), 0);
    try {
      await assert.rejects(writer.write(new Uint8Array([65, 66])), TypeError);
      const buf = new Uint8Array(16);
      for (let i = 0; i < 8; i += 2) {
        assert.equal(libc.read(fds[i]!, buf, 16n), -Errno.EAGAIN, "nothing written");
      }
    } finally {
      fds.forEach((fd) => libc.close(fd));
    }
  });
});

describe("spawn: the environment is the runtime's own view", () => {
  test("case 4: a variable set or deleted through process.env reaches the child as node:child_process passes it", async () => {
    const had = process.env.HOME;
    process.env.PIDFD_SPAWN_SET = "set by the program";
    delete process.env.HOME;
    try {
      const ours = decoder.decode((await spawn("/usr/bin/env", [], { stdout: "pipe" }).output()).stdout);
      const node = spawnSync("/usr/bin/env", [], { encoding: "utf8" }).stdout;
      const lines = (s: string): string[] => s.split("\n").filter(Boolean).sort();
      assert.ok(lines(ours).includes("PIDFD_SPAWN_SET=set by the program"));
      assert.ok(!lines(ours).some((l) => l.startsWith("HOME=")), "a deleted variable is gone");
      assert.deepEqual(lines(ours), lines(node));
      const over = decoder.decode(
        (await spawn("/usr/bin/env", [], { env: { PIDFD_SPAWN_SET: "overridden" }, stdout: "pipe" }).output())
          .stdout,
      );
      assert.deepEqual(lines(over).filter((l) => l.startsWith("PIDFD_SPAWN_SET=")), [
        "PIDFD_SPAWN_SET=overridden",
      ]);
    } finally {
      delete process.env.PIDFD_SPAWN_SET;
      if (had !== undefined) process.env.HOME = had;
    }
  });
});

describe("spawn: options are strict", () => {
  test("case 8: booleans are booleans, env is a plain object, -0 is fd 0", async () => {
    assert.throws(() => spawn("true", [], { clearEnv: "no" as never }), TypeError);
    assert.throws(() => spawn("true", [], { clearEnv: 1 as never }), TypeError);
    for (const env of [[], new Date(), new Map(), null, "A=B", Object.create({ A: "inherited" })]) {
      assert.throws(() => spawn("true", [], { env: env as never }), TypeError, String(env));
    }
    // Own enumerable keys only; a null-prototype object is plain too.
    const env = Object.assign(Object.create(null), { PIDFD_ONLY: "own" });
    const out = await spawn("/usr/bin/env", [], { clearEnv: true, env, stdout: "pipe" }).output();
    assert.equal(decoder.decode(out.stdout), "PIDFD_ONLY=own\n");
    // Deno's FFI refuses -0 as an i32 ("Invalid FFI i32 type"): it must arrive as 0.
    assert.equal((await spawn("true", [], { stdin: -0 }).status).code, 0);
    const Ctor = Subprocess as unknown as new (...a: unknown[]) => unknown;
    assert.throws(() => new Ctor({ pid: 1, wait: () => Promise.resolve() }, [], 15), TypeError);
    const nothing = await spawn("true", [], { stdin: "null", stdout: -0 as number }).status;
    assert.equal(nothing.code, 0);
  });

  test("issue 10 case 16: errors name the cwd or the fd that is wrong, not the command", () => {
    const before = fdSnapshot();
    assert.throws(
      () => spawn("true", [], { cwd: "/nonexistent", stdout: "pipe" }),
      (e) =>
        e instanceof SyscallError && e.syscall === "chdir" && e.code === "ENOENT" &&
        /\/nonexistent/.test(e.message),
    );
    assert.throws(
      () => spawn("true", [], { cwd: "/etc/passwd" }),
      (e) => e instanceof SyscallError && e.syscall === "chdir" && e.code === "ENOTDIR",
    );
    assert.throws(
      () => spawn("true", [], { stdout: 999 }),
      (e) =>
        e instanceof SyscallError && e.code === "EBADF" && /999/.test(e.message) && /stdout/.test(e.message),
    );
    // With a good cwd, a missing command is still the command's fault.
    assert.throws(
      () => spawn("/nonexistent/command", [], { cwd: "/tmp" }),
      (e) => e instanceof SyscallError && /spawnp$/.test(e.syscall) && /nonexistent\/command/.test(e.message),
    );
    assert.deepEqual(fdsOpenedSince(before), []);
  });
});
