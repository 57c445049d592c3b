/**
 * `pidfd kill [-s <signal>] [--timeout <d> --then <signal>]… [--mrelease] [--ids] <pid>[:<id>]…`: race-free
 * signalling with escalation, and with SIGKILL the killed processes' memory released at once.
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
  timeoutSignal,
  type Token,
} from "../args.ts";
import type { Context } from "../context.ts";
import {
  KILL_COLUMNS,
  type KillRecord,
  renderTable,
  TABLE_OPTIONS,
  type TableFormat,
  tableFormat,
  withIds,
} from "../columns.ts";
import { json } from "../format.ts";
import { interrupted } from "../io.ts";
import { openPid, pidfsId } from "../procs.ts";
import { EXIT, UsageError } from "../usage.ts";

/** One escalation step: wait this long for the exit, then send this signal. */
interface Step {
  ms: number;
  signal: ParsedSignal;
}

/** Runs `pidfd kill`. */
export async function kill(args: string[], ctx: Context): Promise<number> {
  const { values, positionals, tokens } = parseCommand(ctx, "kill", signalShorthand(args), {
    ...TABLE_OPTIONS,
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
  const format = tableFormat(values, values.ids ? withIds(KILL_COLUMNS) : KILL_COLUMNS, "kill");

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
      report(ctx, format, records);
      return EXIT.INTERRUPTED;
    }
    const records: KillRecord[] = [];
    for (const r of results) {
      if (r === null) status = EXIT.FAILURE;
      else records.push(r);
    }
    report(ctx, format, records);
    return status;
  } finally {
    for (const pidfd of targets) pidfd.close();
  }
}

/** Prints the records: JSON, or a table (nothing when no process was signalled). */
function report(ctx: Context, format: TableFormat<KillRecord>, records: KillRecord[]): void {
  if (ctx.json) ctx.out(json({ processes: records }));
  else if (records.length > 0) ctx.out(renderTable(format, records, ctx.style));
}

/**
 * util-linux `kill -9 <pid>` and `kill -KILL <pid>`: a leading `-<signal>` (the first argument) is
 * `-s <signal>`. As in util-linux, only the first: there a later `-9` is a process group (pid -9), which a
 * pidfd cannot name, so it is refused with the reason.
 */
function signalShorthand(args: string[]): string[] {
  const end = args.indexOf("--");
  args.slice(1, end === -1 ? args.length : end).forEach((arg, i) => {
    if (isSignal(arg) && !VALUE_OPTIONS.has(args[i]!)) {
      throw new UsageError(
        `'${arg}' after other arguments: a signal as -<signal> goes first (pidfd kill ${arg} <pid>…, as in ` +
          `util-linux kill, where a later one is a process group), or anywhere as -s ${arg.slice(1)}`,
        "kill",
      );
    }
  });
  const first = args[0];
  return first !== undefined && SHORTHAND.test(first) ? ["-s", first.slice(1), ...args.slice(1)] : args;
}

/** `-<number>` or `-<name>` (two characters at least: `-h`, `-s`, `-n`, `-r`, `-o` are options). */
const SHORTHAND = /^-(?:[0-9]+|[A-Za-z][A-Za-z0-9+-]+)$/;

/** The options of `kill` that take a value (the argument after them is theirs). */
const VALUE_OPTIONS = new Set(["-s", "--signal", "--timeout", "--then", "-o", "--output"]);

/** Whether an argument is `-<signal>`: a number or a signal name that `-s` accepts. */
function isSignal(arg: string): boolean {
  if (!SHORTHAND.test(arg)) return false;
  try {
    parseSignal(arg.slice(1), "kill");
    return true;
  } catch {
    return false;
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
  signals: string[],
  fail: (pid: number, error: unknown) => void,
): Promise<KillRecord | null> {
  const pid = pidfd.pid;
  const id = pidfsId(pidfd);
  let memoryReleased: boolean | undefined;
  const done = (exit: ExitStatus | null, unreaped = false): KillRecord => ({
    pid,
    id,
    signals,
    exit: exit === null
      ? null
      : { code: exit.code, signal: exit.signal, coreDumped: exit.coreDumped, source: exit.source },
    unreaped,
    ...(memoryReleased === undefined ? {} : { memoryReleased }),
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
