/**
 * `pidfd wait [--timeout <d>] [--count <n>] <pid>…`: wait for any processes to exit.
 *
 * @module
 */

import { exits, type ExitStatus, type Pidfd } from "../../mod.ts";
import {
  formatDuration,
  parseCommand,
  parseCount,
  parseDuration,
  parseProcessSpecs,
  processText,
  timeoutSignal,
} from "../args.ts";
import type { Context } from "../context.ts";
import { json, type Style } from "../format.ts";
import { openPid, pidfsId } from "../procs.ts";
import { EXIT, UsageError } from "../usage.ts";

/** One exit, as `wait --json` prints it. */
export interface ExitRecord {
  pid: number;
  /** The pidfs id (`null` before Linux 6.9): `<pid>:<id>` names this process for good. */
  id: bigint | null;
  code: number | null;
  signal: string | null;
  coreDumped: boolean;
  source: ExitStatus["source"];
}

/** Runs `pidfd wait`. */
export async function wait(args: string[], ctx: Context): Promise<number> {
  const { values, positionals } = parseCommand(ctx, "wait", args, {
    timeout: { type: "string" },
    count: { type: "string" },
    ids: { type: "boolean" },
  });
  const specs = parseProcessSpecs(positionals, "wait");
  const pids = specs.map((s) => s.pid);
  const timeout = values.timeout === undefined ? undefined : parseDuration(values.timeout, "wait", "timeout");
  const count = values.count === undefined ? pids.length : parseCount(values.count, "wait", "count");
  if (count > pids.length) {
    throw new UsageError(`--count ${count} is more than the ${pids.length} processes given`, "wait");
  }

  // Open every pidfd first: from then on each refers to its process for good, whatever happens to the pids.
  // A pid that cannot be opened (gone already) is reported, and the others are still waited for.
  const pidfds: Pidfd[] = [];
  const gone: number[] = [];
  using deadline = timeout === undefined ? undefined : timeoutSignal(timeout);
  try {
    for (const spec of specs) {
      try {
        pidfds.push(openPid(spec));
      } catch (e) {
        ctx.fail(spec.text, e);
        gone.push(spec.pid);
      }
    }
    const failed = gone.length > 0 ? EXIT.FAILURE : EXIT.OK;
    if (pidfds.length === 0) {
      if (ctx.json) ctx.out(json({ exited: [], running: [], unreaped: [], gone, timedOut: false }));
      return failed;
    }

    const exited: ExitRecord[] = [];
    const label = (p: Pidfd): string => values.ids ? processText(p.pid, pidfsId(p)) : String(p.pid);
    const width = Math.max(3, ...pids.map((p) => String(p).length), ...pidfds.map((p) => label(p).length));
    const line = (pid: string, text: string): string => `${pid.padStart(width)}  ${text}\n`;
    // The header comes with the first exit: a timeout or Ctrl-C before any leaves no bare header behind.
    let header = ctx.json;
    let timedOut = false;
    try {
      const wanted = Math.max(0, count - gone.length);
      const options = deadline === undefined ? {} : { signal: deadline.signal };
      if (wanted > 0) {
        for await (const { pidfd, status } of exits(pidfds, options)) {
          const record = { pid: pidfd.pid, id: pidfsId(pidfd), ...pick(status) };
          exited.push(record);
          if (!header) ctx.out(ctx.style.bold(line(values.ids ? "PID:ID" : "PID", "EXIT").trimEnd()) + "\n");
          header = true;
          if (!ctx.json) ctx.out(line(label(pidfd), describeExit(status, ctx.style)));
          if (exited.length >= wanted) break;
        }
      }
    } catch (e) {
      if (!(e instanceof DOMException && e.name === "TimeoutError")) {
        ctx.fail(pids.join(", "), e);
        return EXIT.FAILURE;
      }
      timedOut = true;
    }
    const done = new Set(exited.map((r) => r.pid));
    const left = pidfds.filter((p) => !done.has(p.pid));
    // Exited but not reaped by their parent (zombies): the kernel tells their status only at the reap.
    const unreaped = left.filter((p) => !p.isAlive()).map((p) => p.pid);
    const running = left.filter((p) => !unreaped.includes(p.pid)).map((p) => p.pid);
    if (ctx.json) ctx.out(json({ exited, running, unreaped, gone, timedOut }));
    if (timedOut) {
      const after = `after ${formatDuration(timeout!)} (timed out)`;
      if (running.length > 0) ctx.errLine(`pidfd: ${running.join(", ")}: still running ${after}`);
      if (unreaped.length > 0) {
        ctx.errLine(`pidfd: ${unreaped.join(", ")}: exited, but not yet reaped by the parent ${after}`);
      }
      return EXIT.TIMEOUT;
    }
    return failed;
  } finally {
    for (const pidfd of pidfds) pidfd.close();
  }
}

function pick(status: ExitStatus): Omit<ExitRecord, "pid" | "id"> {
  return { code: status.code, signal: status.signal, coreDumped: status.coreDumped, source: status.source };
}

/** `exited with code 0`, `killed by SIGKILL (core dumped)`, or `exited (status unknown)`. */
export function describeExit(status: ExitStatus, s: Style): string {
  if (status.code !== null) {
    const text = `exited with code ${status.code}`;
    return status.code === 0 ? s.green(text) : s.yellow(text);
  }
  if (status.signal !== null) {
    return s.red(`killed by ${status.signal}${status.coreDumped ? " (core dumped)" : ""}`);
  }
  return "exited (status unknown)";
}
