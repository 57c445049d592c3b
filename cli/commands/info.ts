/**
 * `pidfd info <pid>…`: what the kernel knows about processes.
 *
 * @module
 */

import { type Pidfd, UnsupportedError } from "../../mod.ts";
import { parseCommand, parsePids } from "../args.ts";
import type { Context } from "../context.ts";
import {
  idsText,
  INFO_COLUMNS,
  type ProcessInfo,
  renderTable,
  TABLE_OPTIONS,
  tableFormat,
} from "../columns.ts";
import { json, pairs, show } from "../format.ts";
import { commandOf, openPid, userName } from "../procs.ts";
import { EXIT } from "../usage.ts";

/** Runs `pidfd info`. */
export function info(args: string[], ctx: Context): number {
  const { values, positionals } = parseCommand(ctx, "info", args, TABLE_OPTIONS);
  const pids = parsePids(positionals, "info");
  // A table with -o, -n or -r; one block of fields per process without them.
  const tabular = values.output !== undefined || values.noheadings === true || values.raw === true;
  const format = tableFormat(values, INFO_COLUMNS, "info");
  let status: number = EXIT.OK;
  const processes: ProcessInfo[] = [];
  for (const pid of pids) {
    try {
      processes.push(describe(pid));
    } catch (e) {
      ctx.fail(pid, e);
      status = EXIT.FAILURE;
    }
  }
  if (ctx.json) ctx.out(json({ processes }));
  else if (tabular) {
    if (processes.length > 0) ctx.out(renderTable(format, processes, ctx.style));
  } else ctx.out(processes.map((p) => pairs(rows(p), ctx.style)).join("\n"));
  return status;
}

function describe(pid: number): ProcessInfo {
  using pidfd = openPid(pid);
  const i = pidfd.info();
  const nspid = pidfd.nspid();
  const { command, argv } = commandOf(pidfd);
  return {
    pid,
    tgid: i.tgid,
    ppid: i.ppid,
    uid: { real: i.ruid, effective: i.euid, saved: i.suid, fs: i.fsuid },
    gid: { real: i.rgid, effective: i.egid, saved: i.sgid, fs: i.fsgid },
    user: i.euid === null ? null : userName(i.euid),
    cgroupId: i.cgroupId,
    id: pidfsId(pidfd),
    nspid,
    command,
    argv,
  };
}

/** The pidfs id, or `null` before Linux 6.9 (no pidfs). */
function pidfsId(pidfd: Pidfd): bigint | null {
  try {
    return pidfd.id;
  } catch (e) {
    if (e instanceof UnsupportedError) return null;
    throw e;
  }
}

function rows(p: ProcessInfo): [string, string][] {
  return [
    ["pid", String(p.pid)],
    ["tgid", show(p.tgid)],
    ["ppid", show(p.ppid)],
    ["uid r/e/s/fs", idsText(p.uid) + (p.user === null ? "" : ` (${p.user})`)],
    ["gid r/e/s/fs", idsText(p.gid)],
    ["cgroup id", show(p.cgroupId)],
    ["pidfs id", show(p.id)],
    ["nspid", p.nspid.join(" ")],
    ["command", p.command],
  ];
}
