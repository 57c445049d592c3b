/**
 * `pidfd info <pid>…`: what the kernel knows about processes.
 *
 * @module
 */

import { parseCommand, parseProcessSpecs, type ProcessSpec, processText } from "../args.ts";
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
import { commandOf, openPid, pidfsId, userName } from "../procs.ts";
import { EXIT } from "../usage.ts";

/** Runs `pidfd info`. */
export function info(args: string[], ctx: Context): number {
  const { values, positionals } = parseCommand(ctx, "info", args, TABLE_OPTIONS);
  const specs = parseProcessSpecs(positionals, "info");
  // A table with -o, -n or -r; one block of fields per process without them.
  const tabular = values.output !== undefined || values.noheadings === true || values.raw === true;
  const format = tableFormat(values, INFO_COLUMNS, "info");
  let status: number = EXIT.OK;
  const processes: ProcessInfo[] = [];
  for (const spec of specs) {
    try {
      processes.push(describe(spec));
    } catch (e) {
      ctx.fail(spec.text, e);
      status = EXIT.FAILURE;
    }
  }
  if (ctx.json) ctx.out(json({ processes }));
  else if (tabular) {
    if (processes.length > 0) ctx.out(renderTable(format, processes, ctx.style));
  } else ctx.out(processes.map((p) => pairs(rows(p), ctx.style)).join("\n"));
  return status;
}

function describe(spec: ProcessSpec): ProcessInfo {
  using pidfd = openPid(spec);
  const pid = pidfd.pid;
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

function rows(p: ProcessInfo): [string, string][] {
  return [
    ["pid", String(p.pid)],
    ["tgid", show(p.tgid)],
    ["ppid", show(p.ppid)],
    ["uid r/e/s/fs", idsText(p.uid) + (p.user === null ? "" : ` (${p.user})`)],
    ["gid r/e/s/fs", idsText(p.gid)],
    ["cgroup id", show(p.cgroupId)],
    ["pidfs id", show(p.id)],
    ["pid:id", processText(p.pid, p.id)],
    ["nspid", p.nspid.join(" ")],
    ["command", p.command],
  ];
}
