/**
 * `pidfd wait [--timeout <d>] [--count <n>] [--ids] <pid>[:<id>]…`: wait for any processes to exit.
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
  timeoutSignal,
} from "../args.ts";
import type { Context } from "../context.ts";
import {
  type ExitRecord,
  TABLE_OPTIONS,
  tableFormat,
  tableStream,
  WAIT_COLUMNS,
  withIds,
} from "../columns.ts";
import { json } from "../format.ts";
import { openPid, pidfsId } from "../procs.ts";
import { EXIT, UsageError } from "../usage.ts";

/** Runs `pidfd wait`. */
export async function wait(args: string[], ctx: Context): Promise<number> {
  const { values, positionals } = parseCommand(ctx, "wait", args, {
    ...TABLE_OPTIONS,
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
  const format = tableFormat(values, values.ids ? withIds(WAIT_COLUMNS) : WAIT_COLUMNS, "wait");

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
    // The header comes with the first exit: a timeout or Ctrl-C before any leaves no bare header behind.
    const row = tableStream(format, ctx.style, {
      PID: Math.max(...pids.map((p) => String(p).length)),
      "PID:ID": Math.max(...pidfds.map((p) => `${p.pid}:${pidfsId(p)}`.length)),
    });
    let timedOut = false;
    try {
      const wanted = Math.max(0, count - gone.length);
      const options = deadline === undefined ? {} : { signal: deadline.signal };
      if (wanted > 0) {
        for await (const { pidfd, status } of exits(pidfds, options)) {
          const record = { pid: pidfd.pid, id: pidfsId(pidfd), ...pick(status) };
          exited.push(record);
          if (!ctx.json) ctx.out(row(record));
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
