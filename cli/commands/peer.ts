/**
 * `pidfd peer <socket path>`: the process that serves an AF_UNIX socket, as the kernel identifies it.
 *
 * @module
 */

import { connectUnix, type Pidfd } from "../../mod.ts";
import { parseCommand } from "../args.ts";
import type { Context } from "../context.ts";
import { json, pairs, show } from "../format.ts";
import { commandOf, pidfsId, unlessHidden, userName } from "../procs.ts";
import { EXIT, UsageError } from "../usage.ts";

/** The peer, as `peer --json` prints it. */
export interface PeerInfo {
  socket: string;
  pid: number;
  id: bigint | null;
  uid: number | null;
  user: string | null;
  gid: number | null;
  command: string;
  argv: string[];
  pidNamespace: number | null;
  pidInNamespace: number | null;
  nspid: number[];
  cgroupId: bigint | null;
  cgroup: string | null;
}

/** Runs `pidfd peer`. */
export async function peer(args: string[], ctx: Context): Promise<number> {
  const { positionals } = parseCommand(ctx, "peer", args, {});
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0 ? "missing <socket path>" : "expected one <socket path>",
      "peer",
    );
  }
  const path = positionals[0]!;
  if (path === "") throw new UsageError("the socket path is empty", "peer");
  let info: PeerInfo;
  try {
    await using connection = await connectUnix(path);
    using pidfd = connection.peer(); // who called listen(), captured by the kernel then
    info = describe(path, pidfd);
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message, "peer");
    ctx.fail(path, e);
    return EXIT.FAILURE;
  }
  if (ctx.json) ctx.out(json(info));
  else ctx.out(pairs(rows(info), ctx.style));
  return EXIT.OK;
}

function describe(socket: string, pidfd: Pidfd): PeerInfo {
  const i = pidfd.info();
  const nspid = pidfd.nspid();
  const { command, argv } = commandOf(pidfd);
  const pidNamespace = unlessHidden(() => {
    using ns = pidfd.namespace("pid");
    return ns.inode;
  });
  const cgroup = unlessHidden(() => {
    using dir = pidfd.openProcDir();
    return /^0::(.*)$/m.exec(dir.readText("cgroup"))?.[1] ?? null;
  });
  return {
    socket,
    pid: pidfd.pid,
    id: pidfsId(pidfd),
    uid: i.euid,
    user: i.euid === null ? null : userName(i.euid),
    gid: i.egid,
    command,
    argv,
    pidNamespace,
    pidInNamespace: nspid.at(-1) ?? null,
    nspid,
    cgroupId: i.cgroupId,
    cgroup,
  };
}

function rows(p: PeerInfo): [string, string][] {
  return [
    ["socket", p.socket],
    ["pid", String(p.pid)],
    ["pidfs id", show(p.id)],
    ["uid", show(p.uid) + (p.user === null ? "" : ` (${p.user})`)],
    ["gid", show(p.gid)],
    ["command", p.command],
    ["pid namespace", show(p.pidNamespace)],
    ["pid inside", show(p.pidInNamespace)],
    ["nspid", p.nspid.join(" ")],
    ["cgroup id", show(p.cgroupId)],
    ["cgroup", show(p.cgroup)],
  ];
}
