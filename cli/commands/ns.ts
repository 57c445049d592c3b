/**
 * `pidfd ns <pid>`: every namespace of a process.
 *
 * @module
 */

import {
  type Namespace,
  NAMESPACE_KINDS,
  type NamespaceKind,
  Pidfd,
  PidNamespace,
  SyscallError,
} from "../../mod.ts";
import { parseCommand, parsePid } from "../args.ts";
import type { Context } from "../context.ts";
import { json, show, table } from "../format.ts";
import { reason } from "../errors.ts";
import { openPid } from "../procs.ts";
import { EXIT, UsageError } from "../usage.ts";

/** One namespace of the process, as `ns --json` prints it. */
export interface NamespaceRecord {
  /** How the process holds it: `/proc/<pid>/ns/<kind>`. */
  kind: NamespaceKind;
  /** The namespace type (`pid` for `pid_for_children`). */
  type: string;
  /** The namespace id (`NS_GET_ID`, Linux ≥ 6.18; the inode before). */
  id: bigint;
  /** The nsfs inode, as `lsns` and `readlink /proc/<pid>/ns/<kind>` show it. */
  inode: number;
  /** Whether the caller holds the same namespace of this kind. */
  callers: boolean;
  /** PID namespaces: the nesting level (0 initial); `null` for other types or when it cannot be known. */
  level: number | null;
  /** PID namespaces: the init's pid as the caller numbers it; `null` for other types or when not visible. */
  initPid: number | null;
}

/** Runs `pidfd ns`. */
export function ns(args: string[], ctx: Context): number {
  const { values, positionals } = parseCommand("ns", args, {});
  if (values.json) ctx.json = true;
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? "missing <pid>" : "expected one <pid>", "ns");
  }
  const pid = parsePid(positionals[0]!, "ns");
  let namespaces: NamespaceRecord[];
  try {
    namespaces = describe(pid);
  } catch (e) {
    ctx.fail(pid, e);
    return EXIT.FAILURE;
  }
  if (ctx.json) {
    ctx.out(json({ pid, namespaces }));
    return EXIT.OK;
  }
  const s = ctx.style;
  const rows = namespaces.map((n) => [
    n.kind,
    String(n.id),
    String(n.inode),
    n.callers ? "yes" : { text: "no", paint: s.yellow },
    show(n.level),
    show(n.initPid),
  ]);
  ctx.out(table(["KIND", "ID", "INODE", "CALLER'S", "LEVEL", "INIT"], rows, s, ["left", "right", "right"]));
  return EXIT.OK;
}

function describe(pid: number): NamespaceRecord[] {
  // Through the pidfd (PIDFD_GET_*_NAMESPACE): a pid reused meanwhile cannot answer. A zombie has none: ESRCH.
  using target = openPid(pid);
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
      throw e;
    }
    using _theirs = theirs;
    using mine = self.namespace(kind);
    records.push({
      kind,
      type: theirs.kind,
      id: theirs.id,
      inode: theirs.inode,
      callers: theirs.equals(mine),
      level: theirs instanceof PidNamespace ? unknownIfHidden(() => theirs.level) : null,
      initPid: theirs instanceof PidNamespace ? unknownIfHidden(() => theirs.initPid()) : null,
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

/**
 * A value the kernel may hide from the caller: the level of a namespace when the caller runs in a child PID
 * namespace (`EPERM`), the init of an ancestor namespace or of one whose init has exited (`ESRCH`).
 */
function unknownIfHidden<T>(get: () => T): T | null {
  try {
    return get();
  } catch (e) {
    if (e instanceof SyscallError && (e.code === "EPERM" || e.code === "ESRCH")) return null;
    throw e;
  }
}
