/**
 * `pidfd reclaim [--advice cold|pageout] <pid>[:<id>]…`: advise processes' memory through `process_madvise(2)` and
 * show what it did to their resident set.
 *
 * @module
 */

import type { MemoryAdvice, Pidfd } from "../../mod.ts";
import { intsField } from "../../procfs.ts";
import { parseCommand, parseProcessSpecs } from "../args.ts";
import type { Context } from "../context.ts";
import { json, table } from "../format.ts";
import { openPid } from "../procs.ts";
import { EXIT, UsageError } from "../usage.ts";

const ADVICES: readonly MemoryAdvice[] = ["cold", "pageout"];

/** The resident set of a process, in bytes, from `/proc/<pid>/status`. */
export interface Rss {
  total: number;
  anon: number;
  file: number;
  shmem: number;
}

/** One process, as `reclaim --json` prints it. */
export interface ReclaimRecord {
  pid: number;
  advice: MemoryAdvice;
  /** The bytes the kernel advised (whole mappings, resident or not). */
  advised: number;
  before: Rss;
  after: Rss;
}

/** Runs `pidfd reclaim`. */
export function reclaim(args: string[], ctx: Context): number {
  const { values, positionals } = parseCommand(ctx, "reclaim", args, { advice: { type: "string" } });
  const advice = (values.advice ?? "pageout") as MemoryAdvice;
  if (!ADVICES.includes(advice)) {
    throw new UsageError(`invalid advice '${values.advice}': expected cold or pageout`, "reclaim");
  }
  const specs = parseProcessSpecs(positionals, "reclaim");
  let status: number = EXIT.OK;
  const records: ReclaimRecord[] = [];
  for (const spec of specs) {
    try {
      using pidfd = openPid(spec);
      const before = rssOf(pidfd);
      const advised = pidfd.adviseMemory(advice);
      records.push({ pid: pidfd.pid, advice, advised, before, after: rssOf(pidfd) });
    } catch (e) {
      ctx.fail(spec.text, e);
      status = EXIT.FAILURE;
    }
  }
  if (ctx.json) ctx.out(json({ processes: records }));
  else if (records.length > 0) {
    const rows = records.map((r) => [
      String(r.pid),
      r.advice,
      mib(r.advised),
      mib(r.before.total),
      mib(r.after.total),
      mib(r.before.file),
      mib(r.after.file),
    ]);
    ctx.out(
      table(
        ["PID", "ADVICE", "ADVISED", "RSS BEFORE", "RSS AFTER", "FILE BEFORE", "FILE AFTER"],
        rows,
        ctx.style,
        ["right", "left", "right", "right", "right", "right", "right"],
      ),
    );
  }
  return status;
}

/** `VmRSS`, `RssAnon`, `RssFile`, `RssShmem` of the process, read through its race-free proc directory. */
function rssOf(pidfd: Pidfd): Rss {
  using dir = pidfd.openProcDir();
  const status = dir.readText("status");
  const kb = (key: string): number => (intsField(status, key)?.[0] ?? 0) * 1024;
  return { total: kb("VmRSS"), anon: kb("RssAnon"), file: kb("RssFile"), shmem: kb("RssShmem") };
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)}M`;
}
