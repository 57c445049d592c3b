import assert from "node:assert/strict";
import { spawn as nodeSpawn } from "node:child_process";
import { once } from "node:events";
import { describe, test } from "node:test";
import { Pidfd, spawn, SyscallError } from "../mod.ts";
import { readText } from "../procfs.ts";
import { fdSnapshot, fdsOpenedSince, isBun, sleeper } from "./helpers.ts";

const decoder = new TextDecoder();

/** Starts `args` with the runtime's own API (Deno.Command or Bun.spawn); resolves to its pid and exit code. */
function runtimeSpawn(args: string[]): { pid: number; code: Promise<number> } {
  if (isBun) {
    const bun = (globalThis as unknown as {
      Bun: { spawn(cmd: string[], o: object): { pid: number; exited: Promise<number> } };
    }).Bun;
    const p = bun.spawn(args, { stdio: ["ignore", "ignore", "ignore"] });
    return { pid: p.pid, code: p.exited };
  }
  const child = new Deno.Command(args[0]!, {
    args: args.slice(1),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  })
    .spawn();
  return { pid: child.pid, code: child.status.then((s) => s.code) };
}

/** True once `/proc/<pid>` is gone: reaped, no zombie left behind. */
function reaped(pid: number): boolean {
  try {
    const state = /^State:\s+(\S)/m.exec(readText(`/proc/${pid}/status`))?.[1];
    return state === undefined;
  } catch {
    return true;
  }
}

describe("spawn", () => {
  test("reports exit codes and reaps the child itself", async () => {
    for (const code of [0, 3, 255]) {
      await using child = spawn("sh", ["-c", `exit ${code}`]);
      const status = await child.status;
      assert.deepEqual(status, { code, signal: null, coreDumped: false, raw: code << 8, source: "waitid" });
      assert.ok(reaped(child.pid), "no zombie left");
    }
  });

  test("reports the killing signal; kill() goes through the pidfd", async () => {
    await using child = spawn("sleep", ["60"]);
    assert.ok(child.pidfd.isAlive());
    child.kill("SIGKILL");
    const status = await child.status;
    assert.equal(status.signal, "SIGKILL");
    assert.equal(status.code, null);
    assert.equal(status.raw, 9);
    child.kill(); // a finished child is not an error
  });

  test("passes env on top of the inherited environment, or alone with clearEnv", async () => {
    const inherited = await spawn("sh", ["-c", 'echo "$FOO:$PATH"'], { env: { FOO: "bar" }, stdout: "pipe" })
      .output();
    const [foo, path] = decoder.decode(inherited.stdout).trim().split(":");
    assert.equal(foo, "bar");
    assert.ok(path!.length > 0, "PATH was inherited");
    const clear = await spawn("/usr/bin/env", [], { clearEnv: true, env: { ONLY: "this" }, stdout: "pipe" })
      .output();
    assert.equal(decoder.decode(clear.stdout), "ONLY=this\n");
    const overridden = await spawn("/usr/bin/env", [], { env: { HOME: "/elsewhere" }, stdout: "pipe" })
      .output();
    const homes = decoder.decode(overridden.stdout).split("\n").filter((l) => l.startsWith("HOME="));
    assert.deepEqual(homes, ["HOME=/elsewhere"]);
  });

  test("runs in cwd and passes argv0", async () => {
    const pwd = await spawn("pwd", [], { cwd: "/tmp", stdout: "pipe" }).output();
    assert.equal(decoder.decode(pwd.stdout), "/tmp\n");
    const argv = await spawn("sh", ["-c", "tr '\\0' ' ' < /proc/$$/cmdline"], {
      argv0: "renamed",
      stdout: "pipe",
    })
      .output();
    assert.match(decoder.decode(argv.stdout), /^renamed -c /);
  });

  test("round-trips several MB through cat, byte for byte", async () => {
    const size = 4 * 1024 * 1024 + 17;
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) data[i] = (i * 31 + (i >> 11)) & 0xff;
    await using child = spawn("cat", [], { stdin: "pipe", stdout: "pipe" });
    const writing = (async () => {
      const writer = child.stdin!.getWriter();
      for (let off = 0; off < size; off += 100_000) await writer.write(data.subarray(off, off + 100_000));
      await writer.close();
    })();
    const { stdout, status } = await child.output();
    await writing;
    assert.equal(status.code, 0);
    assert.equal(stdout.length, size);
    assert.ok(stdout.every((b, i) => b === data[i]), "identical bytes");
  });

  test("stdout is a byte stream: a BYOB reader reads into its own buffer", async () => {
    await using child = spawn("head", ["-c", "300000", "/dev/zero"], { stdout: "pipe" });
    const reader = child.stdout!.getReader({ mode: "byob" });
    let buffer = new ArrayBuffer(10000);
    let total = 0;
    for (;;) {
      const { value, done } = await reader.read(new Uint8Array(buffer));
      if (done) break;
      assert.ok(value.length <= 10000 && value.every((b) => b === 0));
      total += value.length;
      buffer = value.buffer;
    }
    assert.equal(total, 300000);
    assert.equal((await child.status).code, 0);
  });

  test("keeps stdout and stderr apart, and null discards", async () => {
    const both = await spawn("sh", ["-c", "echo out; echo err >&2"], { stdout: "pipe", stderr: "pipe" })
      .output();
    assert.equal(decoder.decode(both.stdout), "out\n");
    assert.equal(decoder.decode(both.stderr), "err\n");
    const discarded = await spawn("sh", ["-c", "echo out; echo err >&2"], { stdout: "null", stderr: "pipe" })
      .output();
    assert.equal(discarded.stdout.length, 0);
    assert.equal(decoder.decode(discarded.stderr), "err\n");
  });

  test("hands an open fd over as a child's stdio", async () => {
    // The write end of a pipe that node:child_process reads: borrowed from its `sleep` child with getfd.
    const holder = nodeSpawn("sleep", ["60"], { stdio: ["ignore", "pipe", "ignore"] });
    await once(holder, "spawn");
    try {
      const received = once(holder.stdout!, "data");
      {
        using holderPidfd = Pidfd.open(holder.pid!);
        using writeEnd = holderPidfd.getfd(1);
        const echo = spawn("echo", ["handed over"], { stdout: writeEnd.fd });
        assert.equal((await echo.status).code, 0);
        echo.pidfd.close();
      }
      const [chunk] = await received;
      assert.equal(String(chunk), "handed over\n");
    } finally {
      holder.kill("SIGKILL");
      await once(holder, "exit");
    }
  });

  test("an abort signal kills the child with killSignal", async () => {
    const controller = new AbortController();
    await using child = spawn("sleep", ["60"], { signal: controller.signal, killSignal: "SIGUSR1" });
    controller.abort();
    assert.equal((await child.status).signal, "SIGUSR1");
    assert.throws(
      () => spawn("true", [], { signal: controller.signal }),
      (e) => e === controller.signal.reason,
    );
  });

  test("await using kills a running child, reaps it and closes its fds", async () => {
    const before = fdSnapshot();
    let pid: number;
    {
      await using child = spawn("sleep", ["60"], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
      pid = child.pid;
      assert.equal(fdsOpenedSince(before).length, 4); // pidfd + three pipe ends
    }
    assert.ok(reaped(pid));
    assert.deepEqual(fdsOpenedSince(before), []);
  });

  test("a missing command is ENOENT naming it, and leaves no fd behind", () => {
    const before = fdSnapshot();
    const missing = (codes: string[], name: string) => (e: unknown): boolean =>
      e instanceof SyscallError && codes.includes(e.code) && e.message.includes(name);
    assert.throws(
      () => spawn("/nonexistent/command", [], { stdout: "pipe", stderr: "pipe" }),
      missing(["ENOENT"], "/nonexistent/command"),
    );
    // Searched in PATH, libc (like execvp) answers EACCES instead when some PATH directory was not searchable.
    assert.throws(
      () => spawn("no-such-command-here", [], { stdout: "pipe" }),
      missing(["ENOENT", "EACCES"], "no-such-command-here"),
    );
    assert.deepEqual(fdsOpenedSince(before), []);
  });

  test("rejects bad arguments before spawning", () => {
    assert.throws(() => spawn(""), TypeError);
    assert.throws(() => spawn(1 as never), TypeError);
    assert.throws(() => spawn("a\0b"), TypeError);
    assert.throws(() => spawn("true", ["ok", 2 as never]), TypeError);
    assert.throws(() => spawn("true", "x" as never), TypeError);
    assert.throws(() => spawn("true", [], { env: { "A=B": "x" } }), TypeError);
    assert.throws(() => spawn("true", [], { env: { A: 1 as never } }), TypeError);
    assert.throws(() => spawn("true", [], { stdout: "file" as never }), TypeError);
    assert.throws(() => spawn("true", [], { stdout: -1 }), RangeError);
    assert.throws(() => spawn("true", [], { killSignal: "SIGNOPE" as never }), TypeError);
    assert.throws(() => spawn("true", [], { signal: {} as never }), TypeError);
  });

  test("500 spawns leave no fd and no zombie behind", async () => {
    // The module's epoll waiter (and under Bun its Worker) opens its fds once, at first use: start it first.
    {
      await using warmup = spawn("true", [], { stdout: "pipe" });
      await warmup.output();
    }
    const before = fdSnapshot();
    const pids: number[] = [];
    for (let i = 0; i < 500; i += 50) {
      await Promise.all(Array.from({ length: 50 }, async () => {
        await using child = spawn("true", [], { stdout: "pipe" });
        pids.push(child.pid);
        assert.equal((await child.output()).status.code, 0);
      }));
    }
    assert.deepEqual(fdsOpenedSince(before), []);
    assert.ok(pids.every(reaped), "every child was reaped");
  });

  test("the runtime's own children keep working while spawn() children come and go", async () => {
    const ours = Array.from({ length: 20 }, (_, i) => spawn("sh", ["-c", `exit ${i}`]));
    const theirs = Array.from({ length: 20 }, (_, i) => runtimeSpawn(["sh", "-c", `exit ${i + 100}`]));
    const node = nodeSpawn("sh", ["-c", "exit 42"]);
    const [nodeCode] = await once(node, "exit");
    assert.deepEqual(await Promise.all(theirs.map((t) => t.code)), theirs.map((_, i) => i + 100));
    const statuses = await Promise.all(ours.map((c) => c.status));
    assert.deepEqual(statuses.map((s) => s.code), ours.map((_, i) => i));
    // Reaped by us (waitid), not stolen by the runtime's reaper (which would leave only PIDFD_INFO_EXIT).
    assert.ok(statuses.every((s) => s.source === "waitid"));
    assert.equal(nodeCode, 42);
    for (const c of ours) await c[Symbol.asyncDispose]();
  });
});

describe("Pidfd.fromChild", () => {
  test("adopts a child of node:child_process and of the runtime's own spawn", async () => {
    const s = await sleeper();
    try {
      using pidfd = Pidfd.fromChild(s.child as { pid: number });
      assert.equal(pidfd.pid, s.pid);
      assert.equal(pidfd.info().ppid, pidfd.info().ppid);
    } finally {
      await s.kill();
    }
    const t = runtimeSpawn(["sleep", "60"]);
    using theirs = Pidfd.fromChild({ pid: t.pid });
    theirs.sendSignal("SIGKILL");
    assert.notEqual(await t.code, 0);
  });

  test("refuses a process that is not our child, and one that has exited", async () => {
    assert.throws(() => Pidfd.fromChild({ pid: 1 }), /not a child/);
    const s = await sleeper();
    await s.kill();
    assert.throws(() => Pidfd.fromChild({ pid: s.pid }), SyscallError);
    assert.throws(() => Pidfd.fromChild({} as never), TypeError);
  });
});
