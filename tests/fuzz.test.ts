/**
 * Property-based fuzzing of the public surface (everything `mod.ts` exports except `spawn()`, which
 * tests/fuzz_spawn.test.ts covers) with fast-check: random and hostile arguments, option objects whose getters
 * and Proxy traps re-enter the library or close handles mid-call, and random close/abort/timeout interleavings
 * of waits. Every call must return or fail with a documented error class, never crash or hang, and the fd set
 * must be unchanged at the end.
 *
 * The default run is short; `PIDFD_FUZZ_RUNS=<n>` runs `n` cases per property (and scales the async one).
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { describe, test } from "node:test";
import process from "node:process";
import fc from "fast-check";
import { libc } from "../ffi/mod.ts";
import {
  exits,
  Namespace,
  NAMESPACE_KINDS,
  OwnedFd,
  Pidfd,
  PidNamespace,
  type ProcDir,
  signalName,
  signalNumber,
  supports,
  SyscallError,
  translatePid,
  UnsupportedError,
  waitAny,
} from "../mod.ts";
import { openPath } from "../src/procfs.ts";
import { fdSnapshot, fdsOpenedSince } from "./helpers.ts";

const RUNS = Number(process.env["PIDFD_FUZZ_RUNS"] ?? 1000);
const self = libc.getpid();
/** Long runs outlast bun test's default 5 s per test. */
const LONG = { timeout: 3_600_000 };

/** What a hostile getter throws: user code's own error may pass through, nothing else may. */
class HostileError extends Error {}

function documented(e: unknown): boolean {
  if (e instanceof HostileError) return true;
  if (e instanceof TypeError || e instanceof RangeError) return true;
  if (e instanceof SyscallError || e instanceof UnsupportedError) return true;
  return e instanceof DOMException && (e.name === "TimeoutError" || e.name === "AbortError");
}

function assertDocumented(e: unknown, what: string): void {
  if (!documented(e)) {
    const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    assert.fail(`${what} threw an undocumented ${text.slice(0, 300)}`);
  }
}

/** The handles one fuzz case works on; some are closed before the case starts. */
interface Pool {
  me: Pidfd;
  init: Pidfd;
  child: Pidfd;
  net: Namespace;
  pidns: PidNamespace;
  dir: ProcDir;
  owned: OwnedFd;
}

type Target = keyof Pool;
const TARGETS: Target[] = ["me", "init", "child", "net", "pidns", "dir", "owned"];

let childPid = 0;
let sacrificial: Pidfd | undefined;

/** A pidfd of the sacrificial process, or a closed one once the fuzzing has killed it (never a reused pid). */
function childPidfd(): Pidfd {
  if (sacrificial !== undefined && sacrificial.isAlive()) {
    const pidfd = Pidfd.open(childPid);
    if (pidfd.equals(sacrificial)) return pidfd;
    pidfd.close();
  }
  const closed = Pidfd.self();
  closed.close();
  return closed;
}

function makePool(): Pool {
  const me = Pidfd.self();
  return {
    me,
    init: Pidfd.open(1),
    child: childPidfd(),
    net: Namespace.open("/proc/self/ns/net"),
    pidns: PidNamespace.current(),
    dir: me.openProcDir(),
    owned: OwnedFd.unsafeFromRaw(openPath("/proc/self/status")),
  };
}

function closePool(p: Pool): void {
  for (const t of TARGETS) p[t].close();
}

/** Closes an owner a call handed out. */
function dispose(result: unknown): void {
  if (result instanceof OwnedFd) result.close();
}

// Things a getter or trap does before answering: re-enter the library, close a handle mid-call, throw.
const REENTRY: ((p: Pool) => void)[] = [
  () => {},
  (p) => p.init.info({ exit: true, coredump: true }),
  (p) => p.me.info(),
  () => translatePid(self),
  () => Pidfd.self().close(),
  () => Namespace.open("/proc/self/ns/uts").close(),
  () => PidNamespace.current().close(),
  (p) => p.me.namespace("pid").close(),
  (p) => p.dir.readText("stat"),
  (p) => p.me.close(),
  (p) => p.pidns.close(),
  (p) => p.net.close(),
  () => {
    throw new HostileError("from a getter");
  },
];

const special = fc.constantFrom<unknown>(
  -0,
  0,
  1,
  -1,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 53,
  0n,
  "",
  "x".repeat(100_000),
  "__proto__",
  "constructor",
  "length",
  "toString",
  "hasOwnProperty",
  "ſigterm",
  "SIGTERM",
  "term",
  "SIGRTMIN+3",
  "SIGRTMAX-40",
  "SIGRTMIN-1",
  "thread",
  "process",
  "process-group",
  "auto",
  "ioctl",
  "fdinfo",
  "procfs",
  ...NAMESPACE_KINDS,
  null,
  undefined,
  true,
  false,
  [],
  {},
  Symbol("s"),
  () => 1,
  new Date(0),
  new Map(),
  Object.create(null),
);

const plain = fc.oneof(
  { arbitrary: special, weight: 3 },
  { arbitrary: fc.anything({ withBigInt: true, withNullPrototype: true, maxDepth: 2 }), weight: 1 },
);

const OPTION_KEYS = [
  "exit",
  "coredump",
  "thread",
  "nonblock",
  "scope",
  "tgid",
  "method",
  "timeout",
  "signal",
];

/** An option object: plain values, getters that re-enter first, or a Proxy whose every trap re-enters. */
const options = fc.oneof(
  fc.constant(undefined),
  plain,
  fc.dictionary(fc.constantFrom(...OPTION_KEYS), fc.tuple(fc.nat(REENTRY.length - 1), plain), { maxKeys: 4 })
    .chain((spec) => fc.boolean().map((asProxy) => ({ spec, asProxy }))),
);

/** Turns an options spec into the object passed to the library, bound to the case's pool. */
function build(o: unknown, p: Pool): unknown {
  if (o === null || typeof o !== "object" || !("spec" in o) || !("asProxy" in o)) return o;
  const { spec, asProxy } = o as { spec: Record<string, [number, unknown]>; asProxy: boolean };
  if (asProxy) {
    return new Proxy({}, {
      get(_, key): unknown {
        const entry = spec[key as string];
        REENTRY[entry?.[0] ?? 0]!(p);
        return entry?.[1];
      },
      has(_, key): boolean {
        REENTRY[spec[key as string]?.[0] ?? 0]!(p);
        return key in spec;
      },
    });
  }
  const object = {};
  for (const [key, [action, value]] of Object.entries(spec)) {
    Object.defineProperty(object, key, {
      enumerable: true,
      get(): unknown {
        REENTRY[action]!(p);
        return value;
      },
    });
  }
  return object;
}

const pidArg = fc.oneof(fc.constantFrom<unknown>(self, 1, "child"), plain, fc.integer());
const pathArg = fc.oneof(
  fc.constantFrom<unknown>(
    "/proc/self/ns/net",
    "/proc/self/ns/pid",
    "/proc/self/ns/user",
    "/proc/self/status",
    "/proc",
    "/",
    "/dev/null",
    "/nonexistent",
    "proc/self/ns/net",
    "/proc/self/fd/0",
    "/proc/1/root/proc",
  ),
  plain,
  fc.string(),
);
const nameArg = fc.oneof(
  fc.constantFrom<unknown>(
    "status",
    "stat",
    "cmdline",
    "fd/0",
    "fd/1",
    "pagemap",
    "../1/status",
    "ns/net",
    "task",
  ),
  plain,
  fc.string(),
);

/** One synchronous call: which member, on which handle, with which arguments. */
const call = fc.record({
  op: fc.constantFrom(
    "open",
    "fromChild",
    "info",
    "isAlive",
    "pid",
    "id",
    "equals",
    "nspid",
    "getfd",
    "namespace",
    "openProcDir",
    "sendSignal",
    "nsOpen",
    "pidnsOpen",
    "pidnsOf",
    "ofProcfs",
    "current",
    "nsMembers",
    "toCaller",
    "fromCaller",
    "initPid",
    "initPidfd",
    "translate",
    "readText",
    "unsafeFromRaw",
    "signalName",
    "signalNumber",
    "supports",
    "close",
    "intoRaw",
  ),
  target: fc.constantFrom(...TARGETS),
  other: fc.constantFrom(...TARGETS),
  a: plain,
  pid: pidArg,
  path: pathArg,
  name: nameArg,
  options,
  signal: fc.oneof(fc.integer({ min: 0, max: 64 }), plain),
  small: fc.integer({ min: -2, max: 8 }),
});

type Call = typeof call extends fc.Arbitrary<infer T> ? T : never;

/** Runs one call; its result (an owner) is disposed. Only `child` is ever sent a real signal. */
function perform(c: Call, p: Pool): unknown {
  const t = p[c.target] as unknown as Record<string, unknown>;
  const opts = build(c.options, p);
  const pid = c.pid === "child" ? childPid : c.pid;
  const loose = (x: unknown): never => x as never; // hostile values go where the types say they may not
  switch (c.op) {
    case "open":
      return Pidfd.open(loose(pid), loose(opts));
    case "fromChild":
      return Pidfd.fromChild(loose(c.a === undefined ? { pid } : c.a));
    case "info":
      return (c.target === "init" || c.target === "child" ? p[c.target] : p.me).info(loose(opts));
    case "isAlive":
      return p.child.isAlive();
    case "pid":
      return (t as { pid?: unknown }).pid;
    case "id":
      return (t as { id?: unknown }).id;
    case "equals": {
      const f = (t as { equals?: (o: unknown) => boolean }).equals;
      return f === undefined ? undefined : f.call(t, c.a === undefined ? p[c.other] : c.a);
    }
    case "nspid":
      return p.init.nspid();
    case "getfd":
      return p.me.getfd(loose(typeof c.a === "number" ? c.a : c.small));
    case "namespace":
      return p.me.namespace(loose(c.a));
    case "openProcDir":
      return p.me.openProcDir(loose(c.path));
    case "sendSignal":
      // Real signals only to the sacrificial child (in its own process group); to the caller only probes.
      p.me.sendSignal(0, loose(opts));
      return p.child.sendSignal(loose(c.signal), loose(opts));
    case "nsOpen":
      return Namespace.open(loose(c.path));
    case "pidnsOpen":
      return PidNamespace.open(loose(c.path));
    case "pidnsOf":
      return PidNamespace.of(loose(c.a === undefined ? p.init : pid));
    case "ofProcfs":
      return PidNamespace.ofProcfs(loose(c.path));
    case "current":
      return PidNamespace.current();
    case "nsMembers": {
      const ns = c.target === "pidns" ? p.pidns : p.net;
      void ns.kind, ns.inode, ns.id;
      dispose(ns.owner());
      return ns.parent();
    }
    case "toCaller":
      return p.pidns.toCaller(loose(pid), loose(opts));
    case "fromCaller":
      return p.pidns.fromCaller(loose(pid), loose(opts));
    case "initPid":
      return p.pidns.initPid();
    case "initPidfd":
      return p.pidns.initPidfd();
    case "translate": {
      const o = build(c.options, p);
      const withNs = c.small % 3 === 0 && o !== null && typeof o === "object"
        ? Object.assign(Object.create(o as object), { from: p.pidns, to: c.small > 3 ? p.pidns : undefined })
        : o;
      return translatePid(loose(pid), loose(withNs));
    }
    case "readText":
      return p.dir.readText(loose(c.name));
    case "unsafeFromRaw": {
      // Adopting a valid number would take an fd the runtime owns: only invalid ones, and -0 given back at once.
      const valid = typeof c.a === "number" && Number.isInteger(c.a) && c.a >= 0 && c.a < 2 ** 31;
      if (valid && !Object.is(c.a, -0)) return undefined;
      const raw = OwnedFd.unsafeFromRaw(loose(c.a)).intoRaw();
      assert.ok(Object.is(raw, 0));
      return undefined;
    }
    case "signalName":
      return signalName(loose(c.a));
    case "signalNumber":
      return signalNumber(c.a);
    case "supports":
      return supports();
    case "close":
      return p[c.target].close();
    case "intoRaw": {
      if (c.target === "owned" || c.target === "dir") libc.close(p[c.target].intoRaw());
      return undefined;
    }
  }
}

async function settlesWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<"hang">((r) => timer = setTimeout(() => r("hang"), ms));
  try {
    const r = await Promise.race([promise.then((v) => ({ v }), (e) => ({ e })), hang]);
    if (r === "hang") assert.fail(`${what} did not settle within ${ms} ms`);
    if ("e" in r) {
      assertDocumented(r.e, what);
      return undefined;
    }
    return r.v;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls until no fd opened since `before` is left (Bun opens and closes fds of its own lazily). An event-loop fd
 * (`anon_inode:[eventpoll]`, `[eventfd]`, `[timerfd]`) is the runtime's own: the library's epoll set and
 * eventfd are opened once, before `before`, and kept.
 */
async function assertNoNewFds(before: Set<string>): Promise<void> {
  const ours = (): string[] =>
    fdsOpenedSince(before).filter((entry) => {
      // `readlink(1)`, not node:fs: Deno refuses `/proc/self` links to anything short of --allow-all.
      const link = spawnSync("readlink", [`/proc/${process.pid}/fd/${entry.split(":")[0]}`], {
        encoding: "utf8",
      });
      if (link.status !== 0) return false; // closed meanwhile
      return !/^anon_inode:\[(eventpoll|eventfd|timerfd)\]$/.test(link.stdout.trim());
    });
  let left = ours();
  for (let i = 0; i < 50 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 10));
    left = ours();
  }
  assert.deepEqual(left, [], "fds left open after fuzzing");
}

describe("fuzz: the public surface (except spawn) under random and hostile calls", () => {
  test(`synchronous calls with hostile arguments and re-entrant options (${RUNS} runs)`, LONG, async () => {
    // The sacrificial process is a grandchild in its own process group (a "process-group" scope signals only
    // that group), adopted by init once `sh` exits: no runtime child-process machinery sees its fuzzed death.
    const sh = spawn("sh", ["-c", "sleep 600 & echo $!"], {
      stdio: ["ignore", "pipe", "ignore"],
      detached: true,
    });
    const [chunk] = await once(sh.stdout!, "data") as [Uint8Array];
    childPid = Number(new TextDecoder().decode(chunk).trim());
    await once(sh, "exit");
    sacrificial = Pidfd.open(childPid);
    // Kept for the life of the process by design: the caller's PID namespace and the capability record.
    translatePid(self);
    supports();
    const before = fdSnapshot();
    try {
      fc.assert(
        fc.property(
          fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
          fc.array(call, { maxLength: 12 }),
          (closed, calls) => {
            const p = makePool();
            try {
              TARGETS.forEach((t, i) => closed[i] && p[t].close());
              for (const c of calls) {
                try {
                  dispose(perform(c, p));
                } catch (e) {
                  assertDocumented(e, `${c.op} on ${c.target}`);
                }
              }
            } finally {
              closePool(p);
            }
          },
        ),
        { numRuns: RUNS },
      );
    } finally {
      // The fuzzing may have killed it already (then init reaped it and the pidfd answers ESRCH).
      if (sacrificial.isAlive()) sacrificial.sendSignal("SIGKILL");
      sacrificial.close();
    }
    await assertNoNewFds(before);
  });

  test(
    `waits with random timeouts, aborts and closes interleaved (${Math.ceil(RUNS / 5)} runs)`,
    LONG,
    async () => {
      {
        // The shared epoll set (and Deno's eventfd) is opened on the first wait and kept: open it first.
        using me = Pidfd.self();
        await assert.rejects(me.wait({ timeout: 0 }), { name: "TimeoutError" });
      }
      const before = fdSnapshot();
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 3 }),
          fc.constantFrom("wait", "exited", "waitAny", "exits"),
          fc.option(fc.oneof(fc.integer({ min: 0, max: 15 }), plain), { nil: undefined }),
          fc.option(fc.integer({ min: 0, max: 15 }), { nil: undefined }), // abort after ms
          fc.integer({ min: 0, max: 15 }), // close after ms
          fc.boolean(), // abort before the call
          fc.boolean(), // hostile own members on the signal
          async (count, kind, timeout, abortAfter, closeAfter, preAborted, patched) => {
            const victims = Array.from({ length: count }, () => Pidfd.self());
            const controller = new AbortController();
            if (preAborted) controller.abort(new DOMException("fuzz", "AbortError"));
            const signal = controller.signal;
            if (patched) {
              Object.defineProperty(signal, "aborted", { get: () => false });
              Object.defineProperty(signal, "addEventListener", {
                value: () => victims[0]!.close(),
              });
            }
            const opts: Record<string, unknown> = { signal };
            if (timeout !== undefined) opts["timeout"] = timeout;
            const timers = [setTimeout(() => victims.forEach((v) => v.close()), closeAfter)];
            if (abortAfter !== undefined) {
              timers.push(
                setTimeout(() => controller.abort(new DOMException("fuzz", "AbortError")), abortAfter),
              );
            }
            try {
              let promise: Promise<unknown>;
              try {
                if (kind === "wait") promise = victims[0]!.wait(opts as never);
                else if (kind === "exited") promise = victims[0]!.exited;
                else if (kind === "waitAny") promise = waitAny(victims, opts as never);
                else {
                  promise = (async () => {
                    for await (const _ of exits(victims, opts as never)) { /* none exit */ }
                  })();
                }
              } catch (e) {
                assertDocumented(e, kind);
                return;
              }
              await settlesWithin(promise, 5_000, kind);
            } finally {
              timers.forEach(clearTimeout);
              victims.forEach((v) => v.close());
            }
          },
        ),
        { numRuns: Math.ceil(RUNS / 5) },
      );
      await assertNoNewFds(before);
    },
  );
});
