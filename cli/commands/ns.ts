/**
 * `pidfd ns <pid>`: every namespace of a process.
 *
 * @module
 */

import { type Namespace, NAMESPACE_KINDS, Pidfd, PidNamespace, SyscallError } from "../../mod.ts";
import { parseCommand, parseProcessSpec, type ProcessSpec } from "../args.ts";
import type { Context } from "../context.ts";
import { json } from "../format.ts";
import { type NamespaceRecord, NS_COLUMNS, renderTable, TABLE_OPTIONS, tableFormat } from "../columns.ts";
import { reason } from "../errors.ts";
import { openPid, unlessHidden } from "../procs.ts";
import { EXIT, UsageError } from "../usage.ts";

/** Runs `pidfd ns`. */
export function ns(args: string[], ctx: Context): number {
  const { values, positionals } = parseCommand(ctx, "ns", args, TABLE_OPTIONS);
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? "missing <pid>" : "expected one <pid>", "ns");
  }
  const spec = parseProcessSpec(positionals[0]!, "ns");
  const pid = spec.pid;
  const format = tableFormat(values, NS_COLUMNS, "ns");
  let namespaces: NamespaceRecord[];
  try {
    namespaces = describe(spec);
  } catch (e) {
    ctx.fail(spec.text, e);
    return EXIT.FAILURE;
  }
  if (ctx.json) {
    ctx.out(json({ pid, namespaces }));
    return EXIT.OK;
  }
  ctx.out(renderTable(format, namespaces, ctx.style));
  return EXIT.OK;
}

function describe(spec: ProcessSpec): NamespaceRecord[] {
  // Through the pidfd (PIDFD_GET_*_NAMESPACE): a pid reused meanwhile cannot answer. A zombie has none: ESRCH.
  using target = openPid(spec);
  using self = Pidfd.self();
  const records: NamespaceRecord[] = [];
  for (const kind of NAMESPACE_KINDS) {
    let theirs: Namespace;
    try {
      theirs = target.namespace(kind);
    } catch (e) {
      if (e instanceof SyscallError && e.code === "ESRCH" && !target.isAlive()) {
        throw new ZombieError(e);
      }
      // Another user's process: the kernel will not reveal its namespaces (ptrace access needed): show `-`.
      if (e instanceof SyscallError && (e.code === "EACCES" || e.code === "EPERM")) {
        records.push({
          kind,
          type: kind.replace(/_for_children$/, ""),
          nsInode: null,
          nsId: null,
          callers: null,
          level: null,
          initPid: null,
        });
        continue;
      }
      throw e;
    }
    using _theirs = theirs;
    using mine = self.namespace(kind);
    records.push({
      kind,
      type: theirs.kind,
      nsInode: theirs.inode,
      nsId: theirs.id,
      callers: theirs.equals(mine),
      level: theirs instanceof PidNamespace ? unlessHidden(() => theirs.level) : null,
      initPid: theirs instanceof PidNamespace ? unlessHidden(() => theirs.initPid()) : null,
    });
  }
  return records;
}

/** `ESRCH` from a process that has exited but was not reaped: say why there is nothing to show. */
class ZombieError extends Error {
  constructor(cause: SyscallError) {
    super(`${reason(cause)}: it has exited (a zombie has no namespaces left)`, { cause });
  }
}
