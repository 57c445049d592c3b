/**
 * Property-based test of spawn() with fast-check: random and hostile arguments, option objects whose getters
 * and Proxy traps re-enter spawn(), abort signals with patched listeners, and random dispose/abort/read/write
 * interleavings of up to three scenarios at a time. Only documented errors may come out (TypeError, RangeError,
 * SyscallError, UnsupportedError, DOMException TimeoutError/AbortError, or the caller's own error rethrown);
 * nothing crashes or hangs; at the end no child is left and the fd set is what it was.
 *
 * `PIDFD_FUZZ_RUNS=<n>` runs it longer (default 300 runs, a second or two).
 */

import assert from "node:assert/strict";
import { closeSync, openSync } from "node:fs";
import process from "node:process";
import { describe, test } from "node:test";
import fc from "fast-check";
import { spawn, type Subprocess, SyscallError, UnsupportedError } from "../mod.ts";
import { listDir, readText } from "../procfs.ts";
import { fdSnapshot, fdsOpenedSince } from "./helpers.ts";

const RUNS = Number(process.env.PIDFD_FUZZ_RUNS ?? "") || 300;
/** A run that takes longer than this has hung. */
const RUN_TIMEOUT = 10_000;

/** The caller's own error, thrown from a patched addEventListener: spawn() must rethrow it unchanged. */
const callerError = new Error("thrown by the caller's addEventListener");

function documented(e: unknown): boolean {
  if (e === callerError) return true;
  if (e instanceof DOMException) return e.name === "TimeoutError" || e.name === "AbortError";
  return e instanceof TypeError || e instanceof RangeError || e instanceof SyscallError ||
    e instanceof UnsupportedError;
}

/** Children of this process still known to the kernel (zombies included). */
function children(): number[] {
  const pid = process.pid;
  return listDir(`/proc/${pid}/task`).flatMap((tid) =>
    readText(`/proc/${pid}/task/${tid}/children`).trim().split(" ").filter(Boolean).map(Number)
  );
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface World {
  /** Every Subprocess made, nested ones included: disposed at the end of the run. */
  readonly started: Subprocess[];
  /** Every error seen, to be checked. */
  readonly errors: unknown[];
  /** An open fd (of /dev/null) to hand over as stdio. */
  readonly devNull: number;
}

/** Calls spawn() and records what comes out; used for the outer call and for every nested one. */
function attempt(world: World, call: () => Subprocess): Subprocess | null {
  try {
    const child = call();
    world.started.push(child);
    return child;
  } catch (e) {
    world.errors.push(e);
    return null;
  }
}

/** A nested spawn() started from inside a getter, a trap or a listener. */
function nested(world: World, kind: number): void {
  if (kind === 0) return;
  attempt(world, () => spawn("true", [], kind === 1 ? {} : { stdout: "pipe", stdin: "pipe" }));
}

/** Mostly one of `valid`, sometimes one of `hostile`: most runs then get as far as starting a child. */
function mostly(valid: readonly unknown[], hostile: readonly unknown[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...valid) },
    { weight: 1, arbitrary: fc.constantFrom(...hostile) },
  );
}

const stdioValue = mostly(
  ["inherit", "null", "pipe", "pipe", "pipe", "devNull", undefined],
  [999, -1, 1.5, NaN, 2 ** 31, "file", null, {}],
);
const optionValues = fc.record({
  env: mostly([undefined, { FUZZ: "1" }, {}, Object.create(null)], [
    [],
    new Date(0),
    new Map(),
    null,
    { "A=B": "x" },
    { A: 1 },
    { "": "x" },
  ]),
  clearEnv: mostly([undefined, true, false], ["no", 1]),
  cwd: mostly([undefined, "/tmp", "/"], ["/nonexistent", "/etc/passwd", "", "a\0b", 5]),
  stdin: mostly(["inherit", "null", "pipe", "pipe", -0, 0, undefined], [999, -1, "file", null]),
  stdout: stdioValue,
  stderr: stdioValue,
  argv0: mostly([undefined, "renamed"], [7, "x\0"]),
  killSignal: mostly([undefined, "SIGTERM", "SIGKILL", 9, -0, 0], ["SIGNOPE", 1e9, {}]),
});

const scenario = fc.record({
  command: mostly(["true", "sh", "cat"], ["/nonexistent/command", "", "a\0b", 42]),
  args: mostly([[], ["-c", "exit 3"], ["-c", "read x; exit 4"]], [
    "x",
    [1],
    null,
  ]),
  options: optionValues,
  /** 0 plain object, 1 getters, 2 Proxy, 3 not an object at all. */
  wrapper: fc.oneof({ weight: 10, arbitrary: fc.integer({ min: 0, max: 2 }) }, {
    weight: 1,
    arbitrary: fc.constant(3),
  }),
  /** What a getter/trap/listener starts from inside: 0 nothing, 1 a bare child, 2 one with pipes. */
  reenter: fc.integer({ min: 0, max: 2 }),
  /** 0 none, 1 a signal, 2 already aborted, 3 addEventListener re-enters, 4 it throws, 5 it aborts, 6 not one. */
  signal: fc.integer({ min: 0, max: 6 }),
  /** What happens after spawn(), in order. */
  actions: fc.array(
    fc.constantFrom("output", "dispose", "abort", "kill", "write", "read", "cancel", "closeStdin", "tick"),
    { maxLength: 4 },
  ),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function optionsFor(world: World, s: Scenario, signal: unknown): unknown {
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s.options)) values[k] = v === "devNull" ? world.devNull : v;
  // Programs that read stdin never get the test runner's.
  const reads = s.command === "cat" || (Array.isArray(s.args) && s.args.includes("read x; exit 4"));
  if (reads && [undefined, "inherit", 0].includes(values.stdin as never)) values.stdin = "null";
  if (s.signal !== 0) values.signal = signal;
  if (s.wrapper === 3) return "not options";
  if (s.wrapper === 0) return values;
  if (s.wrapper === 1) {
    const withGetters = {};
    for (const [k, v] of Object.entries(values)) {
      Object.defineProperty(withGetters, k, {
        enumerable: true,
        get(): unknown {
          nested(world, s.reenter);
          return v;
        },
      });
    }
    return withGetters;
  }
  return new Proxy(values, {
    get(target, key): unknown {
      nested(world, s.reenter);
      return target[key as string];
    },
  });
}

function signalFor(world: World, s: Scenario): { signal: unknown; controller: AbortController | null } {
  if (s.signal === 0) return { signal: undefined, controller: null };
  if (s.signal === 6) return { signal: { aborted: false }, controller: null };
  const controller = new AbortController();
  if (s.signal === 2) controller.abort();
  const { signal } = controller;
  if (s.signal >= 3) {
    signal.addEventListener = function (...a: Parameters<AbortSignal["addEventListener"]>): void {
      if (s.signal === 4) throw callerError;
      if (s.signal === 5) controller.abort();
      nested(world, s.reenter);
      EventTarget.prototype.addEventListener.apply(this, a);
    };
  }
  return { signal, controller };
}

async function act(
  world: World,
  child: Subprocess,
  controller: AbortController | null,
  action: string,
): Promise<void> {
  const settle = (p: Promise<unknown>): Promise<void> => p.then(() => {}, (e) => void world.errors.push(e));
  switch (action) {
    case "output":
      // A child that waits for input it will never get (a `cat` on an inherited stdin) is killed first.
      if (child.stdin === null) child.kill("SIGKILL");
      return settle(child.output());
    case "dispose":
      return settle(child[Symbol.asyncDispose]());
    case "abort":
      return controller?.abort();
    case "kill":
      try {
        child.kill("SIGKILL");
      } catch (e) {
        world.errors.push(e);
      }
      return;
    case "write": {
      if (child.stdin === null || child.stdin.locked) return;
      const writer = child.stdin.getWriter();
      // Bytes only where they cannot reach the test runner's own stdout (`cat` on an inherited stdout).
      await settle(writer.write(child.stdout === null ? new Uint8Array(0) : new Uint8Array([1, 2, 3])));
      return writer.releaseLock();
    }
    case "read": {
      if (child.stdout === null || child.stdout.locked) return;
      const reader = child.stdout.getReader();
      // A child may rightly never write (`cat` waiting for input): read for a moment only.
      await Promise.race([settle(reader.read()), sleep(20)]);
      return reader.releaseLock(); // rejects a read still pending
    }
    case "cancel":
      if (child.stdout !== null && !child.stdout.locked) await settle(child.stdout.cancel());
      return;
    case "closeStdin":
      if (child.stdin !== null && !child.stdin.locked) await settle(child.stdin.close());
      return;
    default:
      return sleep(1);
  }
}

let outerStarted = 0;

async function runScenario(world: World, s: Scenario): Promise<void> {
  const { signal, controller } = signalFor(world, s);
  const options = optionsFor(world, s, signal);
  const args = s.command === "cat" && Array.isArray(s.args) ? [] : s.args; // cat takes no `-c`
  const child = attempt(world, () => spawn(s.command as string, args as string[], options as never));
  if (child === null) return;
  outerStarted++;
  for (const action of s.actions) await act(world, child, controller, action);
}

async function withTimeout(p: Promise<void>, ms: number, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hung for ${ms} ms: ${what}`)), ms);
  });
  try {
    await Promise.race([p, hang]);
  } finally {
    clearTimeout(timer);
  }
}

describe("spawn() fuzzed with hostile options", () => {
  const timeout = RUNS * RUN_TIMEOUT; // each run has its own hang guard
  test(
    `${RUNS} runs of random scenarios: documented errors only, no hang, no child or fd left`,
    { timeout },
    async () => {
      await spawn("true", [], { stdout: "pipe" }).output(); // the waiter's own fds, opened once
      const devNull = openSync("/dev/null", "r"); // a read-only fd as stdout: writes to it fail, nothing more
      const before = fdSnapshot();
      try {
        await fc.assert(
          // Up to three scenarios at once, so that their actions interleave.
          fc.asyncProperty(fc.array(scenario, { minLength: 1, maxLength: 3 }), async (list) => {
            const world: World = { started: [], errors: [], devNull };
            try {
              const runs = Promise.all(list.map((s) => runScenario(world, s))).then(() => {});
              await withTimeout(runs, RUN_TIMEOUT, JSON.stringify(list));
            } finally {
              // Whatever the run did, every child is disposed: killed, reaped, its fds closed.
              await withTimeout(
                Promise.all(world.started.map((c) => c[Symbol.asyncDispose]())).then(() => {}),
                RUN_TIMEOUT,
                "dispose",
              );
            }
            for (const e of world.errors) assert.ok(documented(e), `undocumented error: ${String(e)}`);
          }),
          { numRuns: RUNS },
        );
        assert.ok(outerStarted >= RUNS / 10, `only ${outerStarted} of ${RUNS} runs started a child`);
        for (let i = 0; i < 200 && children().length > 0; i++) await sleep(5);
        assert.deepEqual(children(), [], "every child was reaped");
        assert.deepEqual(fdsOpenedSince(before), [], "the fd set is unchanged");
      } finally {
        closeSync(devNull);
      }
    },
  );
});
