/**
 * `pidfd kill [-s <signal>] [--timeout <d> --then <signal>]… [--mrelease] <pid>…`: race-free signalling with
 * escalation, and with SIGKILL the killed processes' memory released at once.
 *
 * @module
 */

import { type ExitStatus, Pidfd, signalNumber, SyscallError } from "../../mod.ts";
import {
  parseCommand,
  type ParsedSignal,
  parseDuration,
  parsePids,
  parseSignal,
  type Token,
} from "../args.ts";
import type { Context } from "../context.ts";
import { json, NONE, table } from "../format.ts";
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
  /** The signals sent, in order. */
  signals: string[];
  /** The exit, when it was seen during a `--timeout`; `null` when not waited for or not seen. */
  exit: Omit<ExitRecord, "pid"> | null;
  /** With `--mrelease`: whether `process_mrelease` freed the memory (`false`: it was already gone). */
  memoryReleased?: boolean;
}

/** Runs `pidfd kill`. */
export async function kill(args: string[], ctx: Context): Promise<number> {
  const end = args.indexOf("--");
  const bad = (end === -1 ? args : args.slice(0, end)).find((a) => /^-(?:[0-9]+|[A-Z][A-Z0-9+-]*)$/.test(a));
  if (bad !== undefined) {
    throw new UsageError(`unknown option '${bad}': give the signal as -s ${bad.slice(1)}`, "kill");
  }
  const { values, positionals, tokens } = parseCommand("kill", args, {
    signal: { type: "string", short: "s" },
    timeout: { type: "string", multiple: true },
    then: { type: "string", multiple: true },
    mrelease: { type: "boolean" },
  });
  if (values.json) ctx.json = true;
  const signal = parseSignal(values.signal ?? "TERM", "kill");
  const steps = escalation(tokens);
  const mrelease = values.mrelease === true;
  if (mrelease && (signal.number !== SIGKILL || steps.length > 0)) {
    throw new UsageError(
      "--mrelease goes with -s KILL only (and no --timeout): it frees a killed process's memory",
      "kill",
    );
  }
  const pids = [...new Set(parsePids(positionals, "kill"))];

  let status: number = EXIT.OK;
  // Open every pidfd before the first signal: each then refers to its process for good.
  const targets: Pidfd[] = [];
  try {
    for (const pid of pids) {
      try {
        targets.push(Pidfd.open(pid));
      } catch (e) {
        ctx.fail(pid, e);
        status = EXIT.FAILURE;
      }
    }
    const results = await Promise.all(targets.map((pidfd) => escalate(pidfd, signal, steps, mrelease, ctx)));
    const records: KillRecord[] = [];
    for (const r of results) {
      if (r === null) status = EXIT.FAILURE;
      else records.push(r.record);
    }
    if (ctx.json) ctx.out(json({ processes: records }));
    else if (records.length > 0) {
      const rows = results.flatMap((r) =>
        r === null ? [] : [[
          String(r.record.pid),
          r.record.signals.join(","),
          r.exit === null ? NONE : describeExit(r.exit, ctx.style),
        ]]
      );
      ctx.out(table(["PID", "SENT", "EXIT"], rows, ctx.style, ["right"]));
    }
    return status;
  } finally {
    for (const pidfd of targets) pidfd.close();
  }
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
  ctx: Context,
): Promise<{ record: KillRecord; exit: ExitStatus | null } | null> {
  const pid = pidfd.pid;
  const signals: string[] = [];
  let memoryReleased: boolean | undefined;
  const done = (exit: ExitStatus | null) => ({
    record: {
      pid,
      signals,
      exit: exit === null
        ? null
        : { code: exit.code, signal: exit.signal, coreDumped: exit.coreDumped, source: exit.source },
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
        return done(await pidfd.wait({ timeout: step.ms }));
      } catch (e) {
        if (!(e instanceof DOMException && e.name === "TimeoutError")) throw e;
      }
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
    ctx.fail(pid, e);
    return null;
  }
}
