/**
 * `pidfd ps [--ns <ns>] [--container]`: a container-aware process table.
 *
 * @module
 */

import { Pidfd, PidNamespace, SyscallError, translatePid } from "../../mod.ts";
import { listDir } from "../../procfs.ts";
import { parseCommand, parseNamespaceSpec } from "../args.ts";
import type { Context } from "../context.ts";
import { json, show } from "../format.ts";
import { commandOf, openNamespace, pidfsId, stateOf, unlessHidden, userName } from "../procs.ts";
import {
  PS_COLUMNS,
  type PsRecord,
  renderTable,
  TABLE_OPTIONS,
  type TableFormat,
  tableFormat,
} from "../columns.ts";
import { EXIT, UsageError } from "../usage.ts";

/** One PID namespace with its processes, as `ps --container --json` prints it. */
export interface PsGroup {
  /** The nsfs inode of the namespace, as `lsns` shows it; `null` for the processes the caller may not inspect. */
  nsInode: number | null;
  /** Its id (`NS_GET_ID`). */
  nsId: bigint | null;
  level: number | null;
  /** The init's pid as the caller numbers it; `null` when it cannot be known. */
  initPid: number | null;
  processes: PsRecord[];
}

/** Runs `pidfd ps`. */
export function ps(args: string[], ctx: Context): number {
  const { values, positionals } = parseCommand(ctx, "ps", args, {
    ns: { type: "string" },
    container: { type: "boolean" },
    ...TABLE_OPTIONS,
  });
  if (positionals.length > 0) {
    // ps takes no pids; a stray argument is most likely a forgotten option name.
    throw new UsageError(`unexpected argument '${positionals[0]}'`, "ps");
  }
  const spec = values.ns === undefined ? undefined : parseNamespaceSpec(values.ns, "ps");
  const format = tableFormat(values, PS_COLUMNS, "ps");
  // Grouped by namespace, the namespace is in each group's title.
  if (values.container && values.output === undefined) {
    format.columns = format.columns.filter((c) => c.name !== "PIDNS" && c.name !== "LEVEL");
  }

  const namespaces = new Namespaces();
  let filter: PidNamespace | undefined;
  try {
    if (spec !== undefined) {
      try {
        filter = openNamespace(spec, "ps");
      } catch (e) {
        if (e instanceof UsageError) throw e;
        ctx.fail(spec.text, e);
        return EXIT.FAILURE;
      }
    }
    let status: number = EXIT.OK;
    const records: PsRecord[] = [];
    const member = filter === undefined ? undefined : membership(filter);
    for (const pid of visiblePids()) {
      try {
        const r = describe(pid, namespaces);
        if (r === null) continue;
        if (member !== undefined && !member(r)) continue;
        records.push(r);
      } catch (e) {
        ctx.fail(pid, e);
        status = EXIT.FAILURE;
      }
    }
    if (spec !== undefined && records.length === 0) {
      // Never an empty success: a PID namespace that can be named has or had processes.
      ctx.errLine(
        `pidfd: ${spec.text}: no process of PID namespace ${filter!.inode} is visible here ` +
          "(it has none left, or the caller may not inspect them)",
      );
      return EXIT.FAILURE;
    }
    if (values.container) printGroups(ctx, group(records, namespaces), format);
    else if (ctx.json) ctx.out(json({ processes: records }));
    else ctx.out(renderTable(format, records, ctx.style, ctx.columns));
    return status;
  } finally {
    filter?.close();
    namespaces.close();
  }
}

/**
 * Whether a process lives in `ns` itself. Its own namespace may be hidden from the caller (another user's
 * process): then the translation ioctls decide, which need no access to the process: it is in `ns` or below
 * when `ns` numbers it, and in `ns` itself when its NSpid chain is as long as that of `ns`'s init. A record
 * found so gets `ns` as its namespace.
 */
function membership(ns: PidNamespace): (r: PsRecord) => boolean {
  let depth: number | null | undefined;
  const initDepth = (): number | null => {
    try {
      using init = ns.initPidfd();
      return init.nspid().length;
    } catch (e) {
      if (hidden(e) || vanished(e)) return null;
      throw e;
    }
  };
  return (r) => {
    if (r.pidNsId !== null) return r.pidNsId === ns.id;
    depth ??= initDepth();
    if (depth === null || r.nspid.length !== depth) return false;
    try {
      if (ns.fromCaller(r.pid) !== r.innerPid) return false;
    } catch (e) {
      if (hidden(e) || vanished(e)) return false;
      throw e;
    }
    r.pidNsInode = ns.inode;
    r.pidNsId = ns.id;
    r.level = unlessHidden(() => ns.level);
    return true;
  };
}

/**
 * The pids in `/proc`, as the caller numbers them. If `/proc` is a procfs of another PID namespace (the
 * caller ran `unshare --pid` without mounting one), each number is translated; those not visible here are
 * left out.
 */
function visiblePids(): number[] {
  const listed = listDir("/proc").filter((n) => /^[0-9]+$/.test(n)).map(Number);
  using procNs = PidNamespace.ofProcfs("/proc");
  using mine = PidNamespace.current();
  const pids = procNs.equals(mine) ? listed : listed.flatMap((n) => {
    try {
      return [translatePid(n, { from: procNs })];
    } catch (e) {
      if (e instanceof SyscallError && e.code === "ESRCH") return [];
      throw e;
    }
  });
  return pids.sort((a, b) => a - b);
}

/** Errors that mean "the process is gone": it exited and was reaped while we looked. */
function vanished(e: unknown): boolean {
  return e instanceof SyscallError && (e.code === "ESRCH" || e.code === "ENOENT");
}

/** Errors that mean "the kernel will not tell us": permission, or a zombie that has no namespaces left. */
function hidden(e: unknown): boolean {
  return e instanceof SyscallError && (e.code === "EACCES" || e.code === "EPERM" || e.code === "ESRCH");
}

/** Describes one process; `null` if it vanished meanwhile. */
function describe(pid: number, namespaces: Namespaces): PsRecord | null {
  let pidfd: Pidfd;
  try {
    pidfd = Pidfd.open(pid);
  } catch (e) {
    if (vanished(e)) return null;
    throw e;
  }
  try {
    const info = pidfd.info();
    const nspid = pidfd.nspid();
    let ns: NamespaceEntry | null = null;
    try {
      ns = namespaces.add(PidNamespace.of(pidfd));
    } catch (e) {
      if (!hidden(e)) throw e;
      // Without access to its namespace (another user's process, a zombie), the NSpid chain still tells when
      // the process lives in the caller's own PID namespace: the chain then has only the caller's level.
      if (nspid.length === 1) ns = namespaces.add(PidNamespace.current());
    }
    const { command, argv } = commandOf(pidfd);
    const state = stateOf(pidfd);
    return {
      pid,
      id: pidfsId(pidfd),
      innerPid: nspid[nspid.length - 1]!,
      nspid,
      pidNsInode: ns?.inode ?? null,
      pidNsId: ns?.id ?? null,
      level: ns?.level ?? null,
      ppid: info.ppid,
      uid: info.euid,
      user: info.euid === null ? null : userName(info.euid),
      state,
      // As procps shows a zombie.
      command: state === "Z" ? `${command} <defunct>` : command,
      argv,
    };
  } catch (e) {
    if (vanished(e)) return null;
    throw e;
  } finally {
    pidfd.close();
  }
}

/** One distinct PID namespace seen, with one open handle to it. */
interface NamespaceEntry {
  handle: PidNamespace;
  id: bigint;
  inode: number;
  level: number | null;
}

/** The distinct PID namespaces seen, one open handle each (for their init), keyed by id. */
class Namespaces {
  readonly #byId = new Map<bigint, NamespaceEntry>();

  /** Records a namespace (taking ownership of the handle) and returns its entry. */
  add(ns: PidNamespace): NamespaceEntry {
    const known = this.#byId.get(ns.id);
    if (known !== undefined) {
      ns.close();
      return known;
    }
    let level: number | null = null;
    try {
      level = ns.level;
    } catch (e) {
      if (!hidden(e)) {
        ns.close();
        throw e;
      }
    }
    const entry = { handle: ns, id: ns.id, inode: ns.inode, level };
    this.#byId.set(entry.id, entry);
    return entry;
  }

  get(id: bigint): NamespaceEntry | undefined {
    return this.#byId.get(id);
  }

  close(): void {
    for (const e of this.#byId.values()) e.handle.close();
    this.#byId.clear();
  }
}

/** Groups the processes by PID namespace: by level, then by init pid; unknown namespaces last. */
function group(records: PsRecord[], namespaces: Namespaces): PsGroup[] {
  const groups = new Map<bigint | null, PsGroup>();
  for (const r of records) {
    let g = groups.get(r.pidNsId);
    if (g === undefined) {
      const entry = r.pidNsId === null ? undefined : namespaces.get(r.pidNsId);
      let initPid: number | null = null;
      if (entry !== undefined) {
        try {
          initPid = entry.handle.initPid();
        } catch (e) {
          if (!hidden(e)) throw e;
        }
      }
      g = {
        nsInode: r.pidNsInode,
        nsId: r.pidNsId,
        level: r.level,
        initPid,
        processes: [],
      };
      groups.set(r.pidNsId, g);
    }
    g.processes.push(r);
  }
  const rank = (g: PsGroup): number => g.nsId === null ? Infinity : g.level ?? Number.MAX_SAFE_INTEGER;
  return [...groups.values()].sort((a, b) =>
    rank(a) - rank(b) || (a.initPid ?? Infinity) - (b.initPid ?? Infinity) ||
    a.processes[0]!.pid - b.processes[0]!.pid
  );
}

function printGroups(ctx: Context, groups: PsGroup[], format: TableFormat<PsRecord>): void {
  if (ctx.json) {
    ctx.out(json({ namespaces: groups }));
    return;
  }
  const s = ctx.style;
  ctx.out(
    groups.map((g) => {
      const init = g.processes.find((p) => p.pid === g.initPid);
      const title = g.nsInode === null
        ? "PID namespace unknown (zombies, or processes the caller may not inspect)"
        : `PID namespace ${g.nsInode} (level ${show(g.level)}, init ${show(g.initPid)}` +
          `${init === undefined ? "" : `: ${init.command}`})`;
      const fitted = ctx.columns === undefined ? title : [...title].slice(0, ctx.columns).join("");
      return s.bold(fitted) + "\n" + renderTable(format, g.processes, s, ctx.columns);
    }).join("\n"),
  );
}
