/**
 * `pidfd info <pid>…`: what the kernel knows about processes.
 *
 * @module
 */

import { parseCommand, parseProcessSpecs, type ProcessSpec, processText } from "../args.ts";
import type { Context } from "../context.ts";
import { json, pairs, show } from "../format.ts";
import { commandOf, openPid, pidfsId, userName } from "../procs.ts";
import { EXIT } from "../usage.ts";

/** Four ids of a credential: real, effective, saved, filesystem. */
export interface Ids {
  real: number | null;
  effective: number | null;
  saved: number | null;
  fs: number | null;
}

/** One process, as `info --json` prints it. */
export interface ProcessInfo {
  pid: number;
  tgid: number | null;
  ppid: number | null;
  uid: Ids;
  gid: Ids;
  user: string | null;
  cgroupId: bigint | null;
  id: bigint | null;
  nspid: number[];
  command: string;
  argv: string[];
}

/** Runs `pidfd info`. */
export function info(args: string[], ctx: Context): number {
  const { positionals } = parseCommand(ctx, "info", args, {});
  const specs = parseProcessSpecs(positionals, "info");
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
  else ctx.out(processes.map((p) => pairs(rows(p), ctx.style)).join("\n"));
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

function ids(x: Ids): string {
  return [x.real, x.effective, x.saved, x.fs].map(show).join(" ");
}

function rows(p: ProcessInfo): [string, string][] {
  return [
    ["pid", String(p.pid)],
    ["tgid", show(p.tgid)],
    ["ppid", show(p.ppid)],
    ["uid r/e/s/fs", ids(p.uid) + (p.user === null ? "" : ` (${p.user})`)],
    ["gid r/e/s/fs", ids(p.gid)],
    ["cgroup id", show(p.cgroupId)],
    ["pidfs id", show(p.id)],
    ["pid:id", processText(p.pid, p.id)],
    ["nspid", p.nspid.join(" ")],
    ["command", p.command],
  ];
}
