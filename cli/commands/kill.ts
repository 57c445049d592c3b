/**
 * `pidfd kill [-s <signal>] [--timeout <d> --then <signal>]… [--mrelease] [--ids] <pid>[:<id>]…`: race-free signalling with
 * escalation, and with SIGKILL the killed processes' memory released at once.
 *
 * @module
 */

import { type ExitStatus, type Pidfd, signalNumber, SyscallError } from "../../mod.ts";
import {
  parseCommand,
  type ParsedSignal,
  parseDuration,
  parseProcessSpecs,
  parseSignal,
  processText,
  timeoutSignal,
  type Token,
} from "../args.ts";
import type { Context } from "../context.ts";
import { json, NONE, type Style, table } from "../format.ts";
import { interrupted } from "../io.ts";
import { openPid, pidfsId } from "../procs.ts";
import { EXIT, UsageError } from "../usage.ts";
import { describeExit, type ExitRecord } from "./wait.ts";

/** One escalation step: wait this long for the exit, then send this signal. */
interface Step {
  ms: number;
  signal: ParsedSignal;
}

/** What happened to one process, as `kill --json` prints it. */
export interface KillRecord {
  pid: number;
  /** The pidfs id (`null` before Linux 6.9): `<pid>:<id>` names this process for good. */
  id: bigint | null;
  /** The signals sent, in order. */
  signals: string[];
  /** The exit, when it was seen during a `--timeout`; `null` when not waited for or not seen. */
  exit: Omit<ExitRecord, "pid" | "id"> | null;
  /** It exited but its parent has not reaped it (a zombie): nothing more is sent to it. */
  unreaped: boolean;
  /** With `--mrelease`: whether `process_mrelease` freed the memory (`false`: it was already gone). */
  memoryReleased?: boolean;
}

/** Runs `pidfd kill`. */
export async function kill(args: string[], ctx: Context): Promise<number> {
  const { values, positionals, tokens } = parseCommand(ctx, "kill", signalShorthand(args), {
    signal: { type: "string", short: "s" },
    timeout: { type: "string", multiple: true },
    then: { type: "string", multiple: true },
    ids: { type: "boolean" },
    mrelease: { type: "boolean" },
  });
  const signal = parseSignal(values.signal ?? "TERM", "kill");
  const steps = escalation(tokens);
  const mrelease = values.mrelease === true;
  if (mrelease && (signal.number !== SIGKILL || steps.length > 0)) {
    throw new UsageError(
      "--mrelease goes with -s KILL only (and no --timeout): it frees a killed process's memory",
      "kill",
    );
  }
  const specs = parseProcessSpecs(positionals, "kill");
  const ids = values.ids === true;

  let status: number = EXIT.OK;
  // Open every pidfd before the first signal: each then refers to its process for good.
  const targets: Pidfd[] = [];
  try {
    for (const spec of specs) {
      try {
        targets.push(openPid(spec));
      } catch (e) {
        ctx.fail(spec.text, e);
        status = EXIT.FAILURE;
      }
    }
    // Ctrl-C during an escalation: report what was sent so far, then end as interrupted.
    const sent = targets.map(() => [] as string[]);
    using interrupt = interrupted();
    let stopped = false;
    const fail = (pid: number, e: unknown): void => {
      if (!stopped) ctx.fail(pid, e); // the escalations left behind fail once their pidfds are closed
    };
    const results = await Promise.race([
      Promise.all(targets.map((pidfd, i) => escalate(pidfd, signal, steps, mrelease, sent[i]!, fail))),
      interrupt.then(() => null),
    ]);
    if (results === null) {
      stopped = true;
      const records = targets.map((p, i) => ({
        pid: p.pid,
        id: pidfsId(p),
        signals: sent[i]!,
        exit: null,
        unreaped: false,
      }));
      report(ctx, records, [], ids);
      return EXIT.INTERRUPTED;
    }
    const records: KillRecord[] = [];
    const exits: (ExitStatus | null)[] = [];
    for (const r of results) {
      if (r === null) status = EXIT.FAILURE;
      else {
        records.push(r.record);
        exits.push(r.exit);
      }
    }
    report(ctx, records, exits, ids);
    return status;
  } finally {
    for (const pidfd of targets) pidfd.close();
  }
}

/** Prints the records: JSON, or a table (nothing when no process was signalled). */
function report(ctx: Context, records: KillRecord[], exits: (ExitStatus | null)[], ids: boolean): void {
  if (ctx.json) ctx.out(json({ processes: records }));
  else if (records.length > 0) {
    const row = (r: KillRecord, i: number): string[] => [
      ids ? processText(r.pid, r.id) : String(r.pid),
      r.signals.join(",") || NONE,
      exitText(r, exits[i], ctx.style),
    ];
    const rows = records.map(row);
    ctx.out(table(["PID", "SENT", "EXIT"], rows, ctx.style, ["right"]));
  }
}

function exitText(r: KillRecord, exit: ExitStatus | null | undefined, s: Style): string {
  if (exit !== null && exit !== undefined) return describeExit(exit, s);
  return r.unreaped ? "exited (not yet reaped by its parent)" : NONE;
}

/**
 * util-linux `kill -9 <pid>` and `kill -KILL <pid>`: a leading `-<signal>` (before any other argument) is
 * `-s <signal>`.
 */
function signalShorthand(args: string[]): string[] {
  const first = args[0];
  if (
    first !== undefined && /^-(?:[0-9]+|[A-Za-z][A-Za-z0-9+-]*)$/.test(first) && first !== "-h" &&
    first !== "-s"
  ) {
    return ["-s", first.slice(1), ...args.slice(1)];
  }
  return args;
}

const SIGKILL = signalNumber("SIGKILL");

/** `process_mrelease` right after SIGKILL, as `pkill --mrelease`; `false` when the memory was already gone. */
function release(pidfd: Pidfd): boolean {
  try {
    pidfd.releaseMemory();
    return true;
  } catch (e) {
    if (e instanceof SyscallError && e.code === "ESRCH") return false;
    throw e;
  }
}

/** The `--timeout <d> --then <signal>` pairs, in command-line order; each `--timeout` needs its `--then`. */
function escalation(tokens: Token[]): Step[] {
  const steps: Step[] = [];
  let pending: number | undefined;
  for (const t of tokens) {
    if (t.kind !== "option") continue;
    if (t.name === "timeout") {
      if (pending !== undefined) {
        throw new UsageError("each --timeout needs a --then <signal> after it", "kill");
      }
      pending = parseDuration(t.value ?? "", "kill", "timeout");
    } else if (t.name === "then") {
      if (pending === undefined) {
        throw new UsageError("each --then needs a --timeout <duration> before it", "kill");
      }
      steps.push({ ms: pending, signal: parseSignal(t.value ?? "", "kill") });
      pending = undefined;
    }
  }
  if (pending !== undefined) throw new UsageError("each --timeout needs a --then <signal> after it", "kill");
  return steps;
}

/** Signals one process and escalates; reports failures itself and answers `null` for them. */
async function escalate(
  pidfd: Pidfd,
  signal: ParsedSignal,
  steps: Step[],
  mrelease: boolean,
  signals: string[],
  fail: (pid: number, error: unknown) => void,
): Promise<{ record: KillRecord; exit: ExitStatus | null } | null> {
  const pid = pidfd.pid;
  const id = pidfsId(pidfd);
  let memoryReleased: boolean | undefined;
  const done = (exit: ExitStatus | null, unreaped = false) => ({
    record: {
      pid,
      id,
      signals,
      exit: exit === null
        ? null
        : { code: exit.code, signal: exit.signal, coreDumped: exit.coreDumped, source: exit.source },
      unreaped,
      ...(memoryReleased === undefined ? {} : { memoryReleased }),
    },
    exit,
  });
  try {
    pidfd.sendSignal(signal.number);
    signals.push(signal.name);
    if (mrelease) memoryReleased = release(pidfd);
    for (const step of steps) {
      try {
        using deadline = timeoutSignal(step.ms);
        return done(await pidfd.wait({ signal: deadline.signal }));
      } catch (e) {
        if (!(e instanceof DOMException && e.name === "TimeoutError")) throw e;
      }
      // A zombie has exited: its status comes only when its parent reaps it, and no signal can reach it.
      if (!pidfd.isAlive()) return done(null, true);
      try {
        pidfd.sendSignal(step.signal.number);
      } catch (e) {
        // Exited and reaped just after the timeout: the exit is what the user wanted to know.
        if (e instanceof SyscallError && e.code === "ESRCH") return done(await pidfd.wait());
        throw e;
      }
      signals.push(step.signal.name);
    }
    return done(null);
  } catch (e) {
    fail(pid, e);
    return null;
  }
}
