import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import process from "node:process";
import { describe, test } from "node:test";
import { EPOLL_EVENT } from "../ffi/mod.ts";
import { exits, type ExitStatus, Pidfd, supports, waitAny } from "../mod.ts";
import { readText } from "../src/procfs.ts";
import { watchedCount } from "../src/reactor.ts";
import { fdSnapshot, fdsOpenedSince, isBun, scriptCommand, sleeper } from "./helpers.ts";

/** Where a status of a process that is not our child (or was reaped by the runtime) comes from here. */
const afterReap: ExitStatus["source"] = supports().pidfdInfoExit ? "pidfd-info" : "unknown";
const fixture = new URL("./fixtures/wait_child.ts", import.meta.url).pathname;

/** Spawns through node:child_process and opens the pidfd before the runtime can possibly reap the child. */
function child(script: string): { child: ChildProcess; pidfd: Pidfd; exit: Promise<unknown[]> } {
  const c = spawn("sh", ["-c", script], { stdio: "ignore" });
  const pidfd = Pidfd.open(c.pid!); // synchronously: the runtime reaps only on a later event-loop turn
  return { child: c, pidfd, exit: once(c, "exit") };
}

/** `sh` that starts a grandchild running `inner` in the background, prints its pid and reaps it (`wait`). */
async function grandchild(inner: string): Promise<{
  outer: ChildProcess;
  pid: number;
  exit: Promise<unknown[]>;
  /** Ends both processes whatever state a failed test left them in (no orphan survives the test). */
  cleanup(pidfd: Pidfd): Promise<void>;
}> {
  // The shell's stdin stays reachable as fd 3: a background job's fd 0 is /dev/null.
  const outer = spawn("sh", ["-c", `exec 3<&0; ${inner} & echo $!; wait`], {
    stdio: ["pipe", "pipe", "ignore"],
  });
  const exit = once(outer, "exit");
  const [chunk] = await once(outer.stdout!, "data") as [Uint8Array];
  return {
    outer,
    exit,
    pid: Number(new TextDecoder().decode(chunk).trim()),
    async cleanup(pidfd): Promise<void> {
      if (outer.exitCode !== null || outer.signalCode !== null) return;
      if (pidfd.isAlive()) pidfd.sendSignal("SIGKILL"); // through the pidfd: never a recycled pid
      outer.kill("SIGCONT");
      await exit;
    },
  };
}

/** Polls `/proc/<pid>/status` until its state is `state` (`Z` zombie, `T` stopped). */
async function state(pid: number, state: string): Promise<void> {
  for (let i = 0; i < 400 && !readText(`/proc/${pid}/status`).includes(`State:\t${state}`); i++) {
    await delay(5);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs the fixture in a fresh runtime; a guard timeout turns a hang into a failure. */
// deno-lint-ignore no-explicit-any
function runFixture(mode: string, options: { env?: Record<string, string>; prefix?: string[] } = {}): any {
  const [cmd, ...args] = [...options.prefix ?? [], ...scriptCommand(fixture), mode];
  const r = spawnSync(cmd!, args, {
    encoding: "utf8",
    timeout: 60_000,
    killSignal: "SIGKILL",
    env: { ...process.env, ...options.env },
  });
  assert.equal(r.signal, null, `the ${mode} fixture did not exit by itself: ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

describe("Pidfd.wait()", () => {
  test("reports the exit code of a child of the runtime, which still gets its own status", async () => {
    const { pidfd, exit } = child("exit 7");
    using _ = pidfd;
    const [status, [code, signal]] = await Promise.all([pidfd.wait(), exit]);
    assert.equal(status.code, 7);
    assert.equal(status.signal, null);
    assert.equal(status.coreDumped, false);
    assert.equal(status.raw, 7 << 8);
    assert.ok(status.source === "waitid" || status.source === afterReap, status.source);
    assert.equal(code, 7);
    assert.equal(signal, null);
  });

  test("works for a child of Deno.Command / Bun.spawn, which still gets its own status", async () => {
    let pidfd: Pidfd;
    let runtimeStatus: Promise<number | null>;
    if (isBun) {
      const bun = (globalThis as unknown as {
        Bun: { spawn(cmd: string[], o: object): { pid: number; exited: Promise<number> } };
      }).Bun;
      const proc = bun.spawn(["sh", "-c", "exit 5"], { stdio: ["ignore", "ignore", "ignore"] });
      pidfd = Pidfd.open(proc.pid);
      runtimeStatus = proc.exited;
    } else {
      const proc = new Deno.Command("sh", { args: ["-c", "exit 5"], stdout: "null", stderr: "null" }).spawn();
      pidfd = Pidfd.open(proc.pid);
      runtimeStatus = proc.status.then((s) => s.code);
    }
    using _ = pidfd;
    const [status, code] = await Promise.all([pidfd.wait(), runtimeStatus]);
    assert.equal(status.code, 5);
    assert.equal(status.signal, null);
    assert.equal(code, 5);
  });

  test("reports SIGKILL for a killed process", async () => {
    const s = await sleeper();
    using pidfd = Pidfd.open(s.pid);
    const waiting = pidfd.wait();
    const runtimeExit = once(s.child, "exit");
    pidfd.sendSignal("SIGKILL");
    const status = await waiting;
    assert.deepEqual({ ...status, source: undefined }, {
      code: null,
      signal: "SIGKILL",
      coreDumped: false,
      raw: 9,
      source: undefined,
    });
    const [, signal] = await runtimeExit;
    assert.equal(signal, "SIGKILL");
  });

  test("reports a signal a process sends itself", async () => {
    const { pidfd, exit } = child("kill -TERM $$");
    using _ = pidfd;
    const [status] = await Promise.all([pidfd.wait(), exit]);
    assert.equal(status.signal, "SIGTERM");
    assert.equal(status.code, null);
    assert.equal(status.raw! & 0x7f, 15);
  });

  test("reports the status of a grandchild reaped by its own parent (a true non-child)", async () => {
    // The grandchild exits once a line arrives on the outer shell's stdin.
    const g = await grandchild(`sh -c 'read line; exit 7' <&3`);
    using pidfd = Pidfd.open(g.pid);
    try {
      assert.equal(pidfd.info().ppid, g.outer.pid);
      const waiting = pidfd.wait();
      g.outer.stdin!.end("go\n");
      const status = await waiting;
      assert.equal(status.source, afterReap);
      if (afterReap === "pidfd-info") {
        assert.equal(status.code, 7);
        assert.equal(status.raw, 7 << 8);
      }
      assert.deepEqual(await g.exit, [0, null]);
    } finally {
      await g.cleanup(pidfd);
    }
  });

  test("keeps waiting through the zombie state of a non-child until its parent reaps it", {
    skip: supports().pidfdInfoExit ? false : "needs PIDFD_INFO_EXIT (Linux 6.15)",
  }, async () => {
    const g = await grandchild("sleep 60");
    using pidfd = Pidfd.open(g.pid);
    try {
      // A stopped parent cannot reap: the grandchild stays a zombie until SIGCONT.
      process.kill(g.outer.pid!, "SIGSTOP");
      await state(g.outer.pid!, "T");
      let settled = false;
      const waiting = pidfd.wait().finally(() => settled = true);
      pidfd.sendSignal("SIGKILL");
      await state(g.pid, "Z");
      await delay(20); // let the exit event (EPOLLIN) arrive and be handled
      assert.equal(settled, false);
      assert.equal(watchedCount(), 1);
      process.kill(g.outer.pid!, "SIGCONT");
      const status = await waiting;
      assert.equal(status.signal, "SIGKILL");
      assert.equal(status.source, "pidfd-info");
    } finally {
      await g.cleanup(pidfd);
    }
  });

  test("resolves for a process that was already dead and reaped, and again with the same status", async () => {
    const { pidfd, exit } = child("exit 3");
    using _ = pidfd;
    await exit;
    assert.equal(pidfd.isAlive(), false);
    const status = await pidfd.wait();
    assert.equal(status.code, 3);
    assert.equal(status.source, afterReap === "pidfd-info" ? "pidfd-info" : status.source);
    assert.equal(await pidfd.wait(), status);
    assert.equal(await pidfd.exited, status);
  });

  test("rejects with the abort reason and stops watching", async () => {
    const s = await sleeper();
    using pidfd = Pidfd.open(s.pid);
    const reason = new Error("stop");
    const controller = new AbortController();
    const waiting = pidfd.wait({ signal: controller.signal });
    assert.equal(watchedCount(), 1);
    controller.abort(reason);
    await assert.rejects(waiting, (e) => e === reason);
    assert.equal(watchedCount(), 0);
    // An already aborted signal rejects at once, without watching.
    await assert.rejects(pidfd.wait({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
    assert.equal(watchedCount(), 0);
    // The pidfd can still be waited on.
    const later = pidfd.wait();
    await s.kill();
    assert.equal((await later).signal, "SIGKILL");
  });

  test("rejects with a TimeoutError DOMException after the timeout and stops watching", async () => {
    const s = await sleeper();
    using pidfd = Pidfd.open(s.pid);
    const other = pidfd.wait(); // a second wait on the same pidfd is unaffected
    await assert.rejects(pidfd.wait({ timeout: 10 }), (e) => {
      assert.ok(e instanceof DOMException);
      assert.equal(e.name, "TimeoutError");
      return true;
    });
    assert.equal(watchedCount(), 1);
    await s.kill();
    assert.equal((await other).signal, "SIGKILL");
    assert.equal(watchedCount(), 0);
  });

  test("rejects with an AbortError when the pidfd is disposed during the wait", async () => {
    const s = await sleeper();
    let waiting: Promise<ExitStatus>;
    {
      using pidfd = Pidfd.open(s.pid);
      waiting = pidfd.wait();
      assert.equal(watchedCount(), 1);
    }
    await assert.rejects(waiting, (e) => e instanceof DOMException && e.name === "AbortError");
    assert.equal(watchedCount(), 0);
    await s.kill();
  });

  test("rejects bad arguments and closed pidfds", async () => {
    const s = await sleeper();
    const pidfd = Pidfd.open(s.pid);
    await assert.rejects(pidfd.wait({ timeout: -1 }), RangeError);
    await assert.rejects(pidfd.wait({ timeout: Number.NaN }), RangeError);
    await assert.rejects(pidfd.wait({ timeout: "1" as unknown as number }), TypeError);
    await assert.rejects(pidfd.wait({ signal: {} as AbortSignal }), TypeError);
    await assert.rejects(pidfd.wait(null as unknown as undefined), TypeError);
    pidfd.close();
    await assert.rejects(pidfd.wait(), TypeError);
    assert.throws(() => pidfd.exited, TypeError);
    assert.equal(watchedCount(), 0);
    await s.kill();
  });
});

describe("Pidfd.exited", () => {
  test("is one lazily made promise that resolves with the exit status", async () => {
    const { pidfd, exit } = child("exit 9");
    using _ = pidfd;
    assert.equal(pidfd.exited, pidfd.exited);
    const [status] = await Promise.all([pidfd.exited, exit]);
    assert.equal(status.code, 9);
  });

  test("rejects with an AbortError when the pidfd is closed", async () => {
    const s = await sleeper();
    const pidfd = Pidfd.open(s.pid);
    const exited = pidfd.exited;
    pidfd.close();
    await assert.rejects(exited, (e) => e instanceof DOMException && e.name === "AbortError");
    await s.kill();
  });
});

describe("waitAny()", () => {
  test("resolves with the first process to exit and stops watching the others", async () => {
    const sleepers = await Promise.all([sleeper(), sleeper(), sleeper()]);
    const pidfds = sleepers.map((s) => Pidfd.open(s.pid));
    try {
      const waiting = waitAny(pidfds);
      assert.equal(watchedCount(), 3);
      await sleepers[1]!.kill();
      const { pidfd, status } = await waiting;
      assert.equal(pidfd, pidfds[1]);
      assert.equal(status.signal, "SIGKILL");
      assert.equal(watchedCount(), 0);
      // An exit already known wins at once.
      assert.equal((await waitAny(pidfds)).pidfd, pidfds[1]);
    } finally {
      for (const p of pidfds) p.close();
      for (const s of sleepers) await s.kill();
    }
  });

  test("rejects on timeout, abort, closing, an empty set and non-pidfds", async () => {
    const s = await sleeper();
    using pidfd = Pidfd.open(s.pid);
    await assert.rejects(
      waitAny([pidfd], { timeout: 5 }),
      (e) => (e as DOMException).name === "TimeoutError",
    );
    await assert.rejects(
      waitAny([pidfd], { signal: AbortSignal.abort() }),
      (e) => (e as Error).name === "AbortError",
    );
    await assert.rejects(waitAny([]), RangeError);
    await assert.rejects(waitAny([1 as unknown as Pidfd]), TypeError);
    await assert.rejects(waitAny(42 as unknown as Pidfd[]), TypeError);
    const other = Pidfd.open(s.pid);
    const waiting = waitAny([pidfd, other]);
    other.close();
    await assert.rejects(waiting, (e) => (e as DOMException).name === "AbortError");
    assert.equal(watchedCount(), 0);
    await s.kill();
  });
});

describe("exits()", () => {
  test("yields each process as it exits, in exit order", async () => {
    const sleepers = await Promise.all([sleeper(), sleeper(), sleeper()]);
    const pidfds = sleepers.map((s) => Pidfd.open(s.pid));
    const order = [2, 0, 1];
    try {
      let next = 0;
      sleepers[order[next++]!]!.child.kill("SIGKILL");
      const seen: number[] = [];
      for await (const { pidfd, status } of exits(pidfds)) {
        seen.push(pidfds.indexOf(pidfd));
        assert.equal(status.signal, "SIGKILL");
        if (next < order.length) sleepers[order[next++]!]!.child.kill("SIGKILL");
      }
      assert.deepEqual(seen, order);
      assert.equal(watchedCount(), 0);
    } finally {
      for (const p of pidfds) p.close();
      for (const s of sleepers) await s.kill();
    }
  });

  test("stops watching the rest when the loop is left early", async () => {
    const sleepers = await Promise.all([sleeper(), sleeper()]);
    const pidfds = sleepers.map((s) => Pidfd.open(s.pid));
    try {
      await sleepers[0]!.kill();
      for await (const { pidfd } of exits(pidfds)) {
        assert.equal(pidfd, pidfds[0]);
        break;
      }
      assert.equal(watchedCount(), 0);
    } finally {
      for (const p of pidfds) p.close();
      for (const s of sleepers) await s.kill();
    }
  });

  test("ends with the timeout error, after the exits already seen", async () => {
    const sleepers = await Promise.all([sleeper(), sleeper()]);
    const pidfds = sleepers.map((s) => Pidfd.open(s.pid));
    try {
      await sleepers[0]!.kill();
      const seen: Pidfd[] = [];
      await assert.rejects(async () => {
        for await (const { pidfd } of exits(pidfds, { timeout: 50 })) seen.push(pidfd);
      }, (e) => (e as DOMException).name === "TimeoutError");
      assert.deepEqual(seen, [pidfds[0]]);
      assert.equal(watchedCount(), 0);
      const empty = exits([]);
      assert.equal((await empty.next()).done, true);
    } finally {
      for (const p of pidfds) p.close();
      for (const s of sleepers) await s.kill();
    }
  });
});

describe("waiting at scale", () => {
  const N = 1_000;

  test("1,000 concurrent waits all resolve, and no fd is left behind", async () => {
    // Deno and Bun raise their soft fd limit to the hard one at startup; each child costs the runtime an fd
    // (its own pidfd or pipe) and us one pidfd.
    const limit = Number(/^Max open files\s+(\d+)/m.exec(readText("/proc/self/limits"))![1]);
    if (limit < 2 * N + 200) {
      spawnSync("prlimit", [`--pid=${process.pid}`, `--nofile=${4 * N}:${4 * N}`]);
      const raised = Number(/^Max open files\s+(\d+)/m.exec(readText("/proc/self/limits"))![1]);
      if (raised < 2 * N + 200) return console.log(`skipped: RLIMIT_NOFILE ${raised} is too low`);
    }
    {
      using me = Pidfd.self();
      await me.wait({ timeout: 0 }).catch(() => {}); // the epoll set exists from now on
    }
    const before = fdSnapshot();
    const children: ChildProcess[] = [];
    const pidfds: Pidfd[] = [];
    try {
      for (let i = 0; i < N; i++) {
        const c = spawn("sleep", ["60"], { stdio: "ignore" });
        children.push(c);
        pidfds.push(Pidfd.open(c.pid!));
      }
      const runtimeExits = children.map((c) => once(c, "exit"));
      const waits = pidfds.map((p) => p.wait());
      assert.equal(watchedCount(), N);
      for (const p of pidfds) p.sendSignal("SIGKILL");
      const statuses = await Promise.all(waits);
      assert.equal(statuses.filter((s) => s.signal === "SIGKILL").length, N);
      assert.equal(watchedCount(), 0);
      await Promise.all(runtimeExits);
    } finally {
      for (const p of pidfds) p.close();
      for (const c of children) c.kill("SIGKILL");
    }
    assert.deepEqual(fdsOpenedSince(before), []);
  });
});

describe("epoll layout", () => {
  test("EPOLL_EVENT is 12 bytes packed on x86_64 and 16 bytes with data at 8 on aarch64", () => {
    assert.deepEqual({ ...EPOLL_EVENT.x86_64 }, { size: 12, events: 0, data: 4 });
    assert.deepEqual({ ...EPOLL_EVENT.aarch64 }, { size: 16, events: 0, data: 8 });
  });
});

describe("runtime integration", () => {
  test("the runtime exits by itself once nothing is watched", () => {
    const out = runFixture("idle");
    assert.deepEqual(out, {
      code: 4,
      timedOut: "TimeoutError",
      aborted: "AbortError",
      anyTimedOut: "TimeoutError",
      brokenDone: true,
      closed: "AbortError",
    });
  });

  test("EMFILE while opening many pidfds says how to raise RLIMIT_NOFILE", () => {
    const out = runFixture("emfile", { prefix: ["prlimit", "--nofile=200:200"] });
    assert.equal(out.code, "EMFILE");
    assert.match(out.message, /RLIMIT_NOFILE/);
    assert.match(out.message, /ulimit -n|prlimit/);
    assert.ok(out.opened > 100);
  });

  test(
    "a failing Bun Worker rejects every pending wait instead of hanging",
    { skip: !isBun && "Bun only" },
    () => {
      const out = runFixture("worker", {
        env: { PIDFD_EPOLL_WORKER: "file:///nonexistent/epoll_worker.ts" },
      });
      assert.match(out.first, /epoll Worker/);
      assert.match(out.second, /extra entry point/);
    },
  );
});
