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
import {
  RECLAIM_COLUMNS,
  type ReclaimRecord,
  renderTable,
  type Rss,
  TABLE_OPTIONS,
  tableFormat,
} from "../columns.ts";
import { json } from "../format.ts";
import { openPid } from "../procs.ts";
import { EXIT, UsageError } from "../usage.ts";

const ADVICES: readonly MemoryAdvice[] = ["cold", "pageout"];

/** Runs `pidfd reclaim`. */
export function reclaim(args: string[], ctx: Context): number {
  const { values, positionals } = parseCommand(ctx, "reclaim", args, {
    ...TABLE_OPTIONS,
    advice: { type: "string" },
  });
  const advice = (values.advice ?? "pageout") as MemoryAdvice;
  if (!ADVICES.includes(advice)) {
    throw new UsageError(`invalid advice '${values.advice}': expected cold or pageout`, "reclaim");
  }
  const specs = parseProcessSpecs(positionals, "reclaim");
  const format = tableFormat(values, RECLAIM_COLUMNS, "reclaim");
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
    ctx.out(renderTable(format, records, ctx.style));
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
