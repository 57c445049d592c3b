/**
 * Hostile callers and faults: re-entrant options, fds closed behind the library's back, use after close,
 * `-0`, non-boolean flags, prototype lookups, huge inputs, forged constructors, and paths that could block the
 * event loop (those run in a child process with a timeout, so a regression fails one test, not the suite).
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { libc } from "../ffi/mod.ts";
import {
  Namespace,
  OwnedFd,
  Pidfd,
  PidNamespace,
  ProcDir,
  signalName,
  signalNumber,
  supports,
  SyscallError,
  translatePid,
} from "../mod.ts";
import { openPath } from "../src/procfs.ts";
import { fdSnapshot, fdsOpenedSince, isBun, scriptCommand } from "./helpers.ts";

const self = libc.getpid();

/** Puts a regular file on `fd`'s number after closing it behind its owner's back; returns the extra opens. */
function replaceBehindTheBack(fd: number): void {
  libc.close(fd);
  const extra: number[] = [];
  for (;;) {
    const f = openPath("/proc/self/status");
    if (f === fd) break;
    extra.push(f);
    assert.ok(extra.length < 4096, "could not reuse the fd number");
  }
  for (const f of extra) libc.close(f);
}

function isSyscallError(code: string, pattern?: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof SyscallError, `expected a SyscallError, got ${e}`);
    assert.equal(e.code, code);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

describe("re-entrancy: options are read once, before any shared buffer is filled", () => {
  test("an info() option getter that calls info() of another process does not change the outer answer", () => {
    using me = Pidfd.self();
    using init = Pidfd.open(1);
    let reads = 0;
    const options = {
      get exit(): boolean {
        reads++;
        assert.equal(init.info().pid, 1); // fills the shared buffer with pid 1's data
        return false;
      },
      get coredump(): boolean {
        reads++;
        init.info({ coredump: true });
        return true;
      },
    };
    const info = me.info(options);
    assert.equal(info.pid, self);
    assert.equal(info.ppid, me.info().ppid);
    assert.equal(reads, 2, "each option is read exactly once");
  });

  test("a Proxy options object that re-enters the library is read once per key", () => {
    using me = Pidfd.self();
    using init = Pidfd.open(1);
    const seen: PropertyKey[] = [];
    const proxy = new Proxy({}, {
      get(_, key): undefined {
        seen.push(key);
        init.info({ exit: true });
        return undefined;
      },
    });
    assert.equal(me.info(proxy).pid, self);
    assert.deepEqual(seen.sort(), ["coredump", "exit"]);
  });

  test("a scope getter cannot change between validation and use", () => {
    using me = Pidfd.self();
    let reads = 0;
    me.sendSignal(0, {
      get scope(): string {
        return reads++ === 0 ? "process" : "no-such-scope";
      },
    } as never);
    assert.equal(reads, 1);
  });

  test("open, translatePid and wait options re-entering the library are read once", async () => {
    let reads = 0;
    using p = Pidfd.open(self, {
      get nonblock(): boolean {
        reads++;
        Pidfd.self().close();
        return true;
      },
    });
    assert.equal(reads, 1);
    assert.equal(
      translatePid(self, {
        get method(): string {
          reads++;
          return translatePid(self) === self ? "auto" : "nope";
        },
      } as never),
      self,
    );
    assert.equal(reads, 2);
    const signal = AbortSignal.abort(new Error("stop"));
    // Own members on the signal are never consulted: the platform's are.
    Object.defineProperty(signal, "aborted", { get: () => (reads++, false) });
    Object.defineProperty(signal, "addEventListener", { value: () => reads++ });
    await assert.rejects(p.wait({ signal }), /stop/);
    assert.equal(reads, 2);
  });
});

describe("capabilities come from the probe, never from a failure on a caller's fd", () => {
  test("ENOTTY on a pidfd replaced behind the library's back is an error about that fd; nothing is downgraded", () => {
    const before = structuredClone(supports());
    using reference = Namespace.open("/proc/self/ns/net");
    const netId = reference.id;
    const stale = Pidfd.self();
    const number = stale.fd;
    replaceBehindTheBack(number);
    assert.throws(() => stale.info(), isSyscallError("ENOTTY", new RegExp(`fd ${number} is not a pidfd`)));
    assert.throws(() => stale.namespace("net"), isSyscallError("ENOTTY", new RegExp(`fd ${number}`)));
    // A regular file polls readable like an exited process: that is not taken as "exited".
    assert.throws(() => stale.isAlive(), isSyscallError("EBADF", new RegExp(`fd ${number} is not a pidfd`)));
    stale.close(); // closes the file that took the number

    using healthy = Pidfd.self();
    const info = healthy.info();
    assert.equal(info.source, "ioctl");
    assert.equal(info.pid, self);
    assert.notEqual(info.cgroupId, null);
    assert.deepEqual(supports(), before);
    using net = healthy.namespace("net");
    assert.equal(net.id, netId);
    assert.ok(net.equals(reference));
  });

  test("ENOTTY from NS_GET_ID on a replaced namespace fd leaves Namespace.id of every other handle alone", () => {
    const before = structuredClone(supports());
    using a = Namespace.open("/proc/self/ns/uts");
    const id = a.id;
    const stale = Namespace.open("/proc/self/ns/uts");
    const number = stale.fd;
    replaceBehindTheBack(number);
    assert.throws(() => stale.id, isSyscallError("ENOTTY", new RegExp(`fd ${number} is not an nsfs fd`)));
    stale.close();
    // A translation ioctl's ENOTTY ("not found" on some kernels) is about the fd when it is no nsfs fd.
    const pidns = PidNamespace.current();
    const pidnsNumber = pidns.fd;
    replaceBehindTheBack(pidnsNumber);
    assert.throws(
      () => pidns.fromCaller(self),
      isSyscallError("ENOTTY", new RegExp(`fd ${pidnsNumber} is not an nsfs fd`)),
    );
    pidns.close();
    using fresh = PidNamespace.current();
    assert.equal(fresh.fromCaller(self), self);
    using b = Namespace.open("/proc/self/ns/uts");
    assert.equal(b.id, id);
    assert.ok(a.equals(b));
    assert.deepEqual(supports(), before);
  });
});

describe("fd exhaustion is transient", () => {
  test("EMFILE during the capability probe is an error that caches nothing (child process at 256 fds)", () => {
    const fixture = new URL("./fixtures/probe_emfile.ts", import.meta.url).pathname;
    const r = spawnSync("prlimit", ["--nofile=256:256", ...scriptCommand(fixture)], {
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim());
    assert.ok(out.filled > 0);
    assert.equal(out.during, "EMFILE");
    assert.equal(out.source, "ioctl"); // not downgraded to procfs by the failed probe
    assert.equal(out.cgroupId, true);
  });
});

describe("calls on caller-supplied paths never block the event loop; procfs reads are bounded", () => {
  test("FIFO namespace opens, pipe and pagemap reads (in a child process with a timeout)", () => {
    const fixture = new URL("./fixtures/no_block.ts", import.meta.url).pathname;
    const [cmd, ...args] = scriptCommand(fixture);
    const r = spawnSync(cmd!, args, { encoding: "utf8", timeout: 30_000 });
    assert.equal(r.signal, null, `the child hung and was killed: ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    const results = JSON.parse(r.stdout.trim());
    assert.deepEqual(results.namespaceOpen, {
      name: "TypeError",
      message: `Not a namespace file: ${results.fifo}`,
    });
    assert.deepEqual(results.pidNamespaceOpen.name, "TypeError");
    assert.match(results.pipe.message, /Not a procfs file/);
    assert.equal(results.pipe.name, "TypeError");
    assert.equal(results.pagemap.name, "RangeError");
    assert.match(results.pagemap.message, /larger than 16777216 bytes/);
    assert.ok(results.ticks > 0, "timers ran meanwhile");
    assert.deepEqual(results.leaked, [], "fds the failed calls left open in the child");
  });
});

describe("contract: closed handles, -0, booleans, lookups, bounded messages, constructors", () => {
  /** Every member of `object`'s prototype chain (up to OwnedFd's) except the few that must answer after close. */
  function members(object: object): [string, PropertyDescriptor][] {
    const out: [string, PropertyDescriptor][] = [];
    for (let p = Object.getPrototypeOf(object); p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      for (const key of Object.getOwnPropertyNames(p)) {
        if (["constructor", "close", "closed"].includes(key)) continue;
        out.push([key, Object.getOwnPropertyDescriptor(p, key)!]);
      }
    }
    return out;
  }

  async function assertAllThrowAfterClose(object: OwnedFd, args: Record<string, unknown[]>): Promise<void> {
    object.close();
    for (const [key, d] of members(object)) {
      const use = d.get
        ? () => d.get!.call(object)
        : () => (d.value as (...a: unknown[]) => unknown).apply(object, args[key] ?? []);
      let result: unknown;
      try {
        result = use();
      } catch (e) {
        assert.ok(e instanceof TypeError, `${object.constructor.name}.${key} after close threw ${e}`);
        continue;
      }
      assert.ok(result instanceof Promise, `${object.constructor.name}.${key} answered after close`);
      await assert.rejects(result as Promise<unknown>, TypeError, `${key} after close`);
    }
    assert.doesNotThrow(() => object.close());
    assert.equal(object.closed, true);
  }

  test("every member of every fd-owning class throws TypeError after close, cached values included", async () => {
    const before = fdSnapshot();
    {
      const pidfd = Pidfd.self();
      const other = Pidfd.self();
      pidfd.id, pidfd.pid, pidfd.equals(other); // cached before close
      await assertAllThrowAfterClose(pidfd, {
        equals: [other],
        namespace: ["net"],
        getfd: [0],
        sendSignal: [0],
      });

      const ns = Namespace.open("/proc/self/ns/net");
      using net = Namespace.open("/proc/self/ns/net");
      ns.id, ns.inode, ns.kind, ns.equals(net);
      await assertAllThrowAfterClose(ns, { equals: [net] });

      const pidns = PidNamespace.current();
      using pidns2 = PidNamespace.current();
      pidns.level, pidns.id, pidns.equals(pidns2);
      await assertAllThrowAfterClose(pidns, { equals: [pidns2], toCaller: [1], fromCaller: [self] });
      // equals() with a closed argument is a TypeError too.
      assert.throws(() => pidns2.equals(pidns), TypeError);
      assert.throws(() => other.equals(pidfd), TypeError);

      const dir = other.openProcDir();
      dir.pid, dir.root;
      await assertAllThrowAfterClose(dir, { readText: ["status"] });
      other.close();
      const owned = OwnedFd.unsafeFromRaw(openPath("/proc/self/status"));
      await assertAllThrowAfterClose(owned, {});
    }
    assert.deepEqual(fdsOpenedSince(before), []);
  });

  test("-0 as an fd or signal is 0, never Deno's 'Invalid FFI i32 type'", () => {
    using me = Pidfd.self();
    me.sendSignal(-0);
    try {
      me.getfd(-0).close(); // a copy of our own stdin, or a refusal from the kernel
    } catch (e) {
      assert.ok(e instanceof SyscallError, String(e));
    }
    assert.ok(Object.is(signalNumber(-0), 0));
    const raw = OwnedFd.unsafeFromRaw(-0).intoRaw();
    assert.ok(Object.is(raw, 0));
  });

  test("owners of -0 are closed by the FinalizationRegistry without an error at exit (child process)", () => {
    const fixture = new URL("./fixtures/negative_zero.ts", import.meta.url).pathname;
    const [cmd, ...args] = scriptCommand(fixture, isBun ? [] : ["--v8-flags=--expose-gc"]);
    const r = spawnSync(cmd!, args, { encoding: "utf8", timeout: 30_000, stdio: ["pipe", "pipe", "pipe"] });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), "done");
    assert.doesNotMatch(r.stderr, /Invalid FFI|error/i);
  });

  test("thread, nonblock, exit, coredump and tgid accept only booleans", () => {
    using me = Pidfd.self();
    for (const bad of [1, "yes", "no", {}, null, 0n]) {
      assert.throws(() => Pidfd.open(self, { thread: bad } as never), TypeError);
      assert.throws(() => Pidfd.open(self, { nonblock: bad } as never), TypeError);
      assert.throws(() => me.info({ exit: bad } as never), TypeError);
      assert.throws(() => me.info({ coredump: bad } as never), TypeError);
      assert.throws(() => translatePid(self, { tgid: bad } as never), TypeError);
    }
    Pidfd.open(self, { thread: false, nonblock: true }).close();
  });

  test("signal lookups are own-property and ASCII-case-insensitive only", () => {
    for (const key of ["length", "constructor", "__proto__", "toString"]) {
      assert.throws(() => signalName(key as never), TypeError);
      assert.throws(() => signalNumber(key), TypeError);
      assert.throws(() => signalNumber(`SIG${key}`), TypeError);
    }
    assert.throws(() => signalNumber("ſigterm"), TypeError); // ſ upper-cases to S in Unicode
    assert.throws(() => signalNumber("SIGTERM\u0130"), TypeError);
    assert.equal(signalNumber("sigTerm"), 15);
    assert.equal(signalName(15), "SIGTERM");
    assert.equal(signalName(32), null);
    assert.equal(signalName(1.5), null);
  });

  test("error messages quote at most a bounded prefix of an input", () => {
    using me = Pidfd.self();
    const huge = "x".repeat(1_000_000);
    const messages: string[] = [];
    const catching = (fn: () => unknown): void => {
      try {
        fn();
      } catch (e) {
        messages.push((e as Error).message);
        return;
      }
      assert.fail("expected an error");
    };
    catching(() => signalNumber(huge));
    catching(() => me.sendSignal(0, { scope: huge as never }));
    catching(() => me.namespace(huge as never));
    catching(() => translatePid(1, { method: huge as never }));
    catching(() => Namespace.open(`/${huge}`));
    catching(() => PidNamespace.ofProcfs(`/${huge}`));
    catching(() => me.openProcDir(`/${huge}`));
    using dir = me.openProcDir();
    catching(() => dir.readText(huge));
    catching(() => signalName(huge as never));
    for (const m of messages) {
      assert.ok(m.length < 400, `message of ${m.length} characters: ${m.slice(0, 80)}…`);
    }
  });

  test("constructors cannot be reached from JavaScript with an unchecked fd", () => {
    using me = Pidfd.self();
    const fd = me.fd;
    const forge = (C: unknown, ...args: unknown[]) => () =>
      new (C as new (...a: unknown[]) => unknown)(...args);
    assert.throws(forge(OwnedFd, fd), TypeError);
    assert.throws(forge(Pidfd, fd, self), TypeError);
    assert.throws(forge(Namespace, fd, "net"), TypeError);
    assert.throws(forge(PidNamespace, fd), TypeError);
    assert.throws(forge(ProcDir, fd, self, "/proc"), TypeError);
    class Sub extends (OwnedFd as unknown as new (fd: number) => OwnedFd) {}
    assert.throws(() => new Sub(fd), TypeError);
    assert.equal(me.pid, self); // the real owner is untouched
  });
});
