/**
 * `pidfd ps [--ns <ns>] [--container]`: a container-aware process table.
 *
 * @module
 */

import { Pidfd, PidNamespace, SyscallError, translatePid } from "../../mod.ts";
import { listDir } from "../../src/procfs.ts";
import { parseCommand, parseNamespaceSpec } from "../args.ts";
import type { Context } from "../context.ts";
import { type Align, type Cell, json, show, table } from "../format.ts";
import { commandOf, openNamespace, userName } from "../procs.ts";
import { EXIT, UsageError } from "../usage.ts";

/** One process, as `ps --json` prints it. */
export interface PsRecord {
  /** The pid as the caller numbers it. */
  pid: number;
  /** The pid inside its own PID namespace (the last of `nspid`). */
  nsPid: number;
  /** The pid in every PID namespace from the caller's down to its own. */
  nspid: number[];
  /**
   * The id of its PID namespace; `null` when the kernel will not tell (a zombie or another user's process in a
   * namespace below the caller's).
   */
  pidNamespace: bigint | null;
  /** That namespace's nsfs inode, as `lsns` shows it. */
  pidNamespaceInode: number | null;
  /** That namespace's level (0 initial); `null` when unknown. */
  level: number | null;
  /** The parent's pid as the caller numbers it (0 when the parent is not visible). */
  ppid: number | null;
  /** The effective user id. */
  uid: number | null;
  /** Its name from `/etc/passwd`. */
  user: string | null;
  /** The command line as `ps -o args` shows it. */
  command: string;
  /** The argument vector. */
  argv: string[];
}

/** One PID namespace with its processes, as `ps --container --json` prints it. */
export interface PsGroup {
  id: bigint | null;
  inode: number | null;
  level: number | null;
  /** The init's pid as the caller numbers it; `null` when it cannot be known. */
  initPid: number | null;
  processes: PsRecord[];
}

/** Runs `pidfd ps`. */
export function ps(args: string[], ctx: Context): number {
  const { values, positionals } = parseCommand("ps", args, {
    ns: { type: "string" },
    container: { type: "boolean" },
  });
  if (values.json) ctx.json = true;
  if (positionals.length > 0) {
    // ps takes no pids; a stray argument is most likely a forgotten option name.
    throw new UsageError(`unexpected argument '${positionals[0]}'`, "ps");
  }
  const spec = values.ns === undefined ? undefined : parseNamespaceSpec(values.ns, "ps");

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
    for (const pid of visiblePids()) {
      try {
        const r = describe(pid, namespaces);
        if (r === null) continue;
        if (filter !== undefined && r.pidNamespace !== filter.id) continue;
        records.push(r);
      } catch (e) {
        ctx.fail(pid, e);
        status = EXIT.FAILURE;
      }
    }
    if (values.container) printGroups(ctx, group(records, namespaces));
    else if (ctx.json) ctx.out(json({ processes: records }));
    else ctx.out(processTable(records, ctx, true));
    return status;
  } finally {
    filter?.close();
    namespaces.close();
  }
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
    return {
      pid,
      nsPid: nspid[nspid.length - 1]!,
      nspid,
      pidNamespace: ns?.id ?? null,
      pidNamespaceInode: ns?.inode ?? null,
      level: ns?.level ?? null,
      ppid: info.ppid,
      uid: info.euid,
      user: info.euid === null ? null : userName(info.euid),
      command,
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
    let g = groups.get(r.pidNamespace);
    if (g === undefined) {
      const entry = r.pidNamespace === null ? undefined : namespaces.get(r.pidNamespace);
      let initPid: number | null = null;
      if (entry !== undefined) {
        try {
          initPid = entry.handle.initPid();
        } catch (e) {
          if (!hidden(e)) throw e;
        }
      }
      g = {
        id: r.pidNamespace,
        inode: r.pidNamespaceInode,
        level: r.level,
        initPid,
        processes: [],
      };
      groups.set(r.pidNamespace, g);
    }
    g.processes.push(r);
  }
  const rank = (g: PsGroup): number => g.id === null ? Infinity : g.level ?? Number.MAX_SAFE_INTEGER;
  return [...groups.values()].sort((a, b) =>
    rank(a) - rank(b) || (a.initPid ?? Infinity) - (b.initPid ?? Infinity) ||
    a.processes[0]!.pid - b.processes[0]!.pid
  );
}

function printGroups(ctx: Context, groups: PsGroup[]): void {
  if (ctx.json) {
    ctx.out(json({ namespaces: groups }));
    return;
  }
  const s = ctx.style;
  ctx.out(
    groups.map((g) => {
      const init = g.processes.find((p) => p.pid === g.initPid);
      const title = g.id === null
        ? "PID namespace unknown (zombies, or processes the caller may not inspect)"
        : `PID namespace ${g.id} (inode ${g.inode}, level ${show(g.level)}, init ${show(g.initPid)}` +
          `${init === undefined ? "" : `: ${init.command}`})`;
      const fitted = ctx.columns === undefined ? title : [...title].slice(0, ctx.columns).join("");
      return s.bold(fitted) + "\n" + processTable(g.processes, ctx, false);
    }).join("\n"),
  );
}

function processTable(records: PsRecord[], ctx: Context, withNamespace: boolean): string {
  const s = ctx.style;
  const header = withNamespace
    ? ["PID", "NSPID", "PIDNS", "LEVEL", "PPID", "USER", "COMMAND"]
    : ["PID", "NSPID", "PPID", "USER", "COMMAND"];
  const align: Align[] = withNamespace
    ? ["right", "right", "right", "right", "right"]
    : ["right", "right", "right"];
  const rows = records.map((r): Cell[] => {
    const nsPid: Cell = r.nsPid === r.pid ? String(r.nsPid) : { text: String(r.nsPid), paint: s.green };
    const user = r.user ?? show(r.uid);
    const command: Cell = r.command.startsWith("[") ? { text: r.command, paint: s.dim } : r.command;
    return withNamespace
      ? [String(r.pid), nsPid, show(r.pidNamespace), show(r.level), show(r.ppid), user, command]
      : [String(r.pid), nsPid, show(r.ppid), user, command];
  });
  return table(header, rows, s, align, ctx.columns);
}
