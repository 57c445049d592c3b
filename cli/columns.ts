/**
 * Output control for the table commands, as `lsns` has it: `-o/--output <columns>` picks the columns (a
 * leading `+` adds to the default ones), `-n/--noheadings` drops the header, `-r/--raw` prints unaligned
 * columns separated by one space. The columns of each command are defined here, without the FFI, so that
 * `--help` can list them.
 *
 * @module
 */

import type { ExitStatus } from "../mod.ts";
import { type Align, type Cell, NONE, show, type Style, table } from "./format.ts";
import { UsageError } from "./usage.ts";

/** The options every table command accepts. */
export const TABLE_OPTIONS = {
  output: { type: "string", short: "o" },
  noheadings: { type: "boolean", short: "n" },
  raw: { type: "boolean", short: "r" },
} as const;

/** One column of a table: its header, what it shows, and how to fill it from a record. */
export interface Column<R> {
  name: string;
  help: string;
  align?: Align;
  /** The width its cells usually reach, for a table printed row by row as results come (`wait`). */
  width?: number;
  /** A free-text column (a command line): cut to this width when it is not the last, as `ps` and `lsns` do. */
  cut?: number;
  cell(record: R, s: Style): Cell;
}

/** How a table is printed, from {@link TABLE_OPTIONS}. */
export interface TableFormat<R> {
  columns: Column<R>[];
  noHeadings: boolean;
  raw: boolean;
}

/** A command's columns, and which of them it prints by default. */
export interface Columns<R> {
  all: Column<R>[];
  defaults: string[];
}

/**
 * Reads the table options of a command.
 *
 * @param values The parsed options (`output`, `noheadings`, `raw`).
 * @param columns The command's columns.
 * @param command The command, for usage errors.
 */
export function tableFormat<R>(
  values: { output?: string | undefined; noheadings?: boolean | undefined; raw?: boolean | undefined },
  columns: Columns<R>,
  command: string,
): TableFormat<R> {
  let names = columns.defaults;
  if (values.output !== undefined) {
    const list = values.output.replace(/^\+/, "").split(",").map((n) => n.trim().toUpperCase());
    if (list.some((n) => n === "")) {
      throw new UsageError(
        `invalid column list '${values.output}': expected names such as PID,COMMAND`,
        command,
      );
    }
    names = values.output.startsWith("+") ? [...columns.defaults, ...list] : list;
  }
  const picked = names.map((name) => {
    const c = columns.all.find((c) => c.name === name);
    if (c === undefined) {
      throw new UsageError(
        `unknown column '${name}': expected ${columns.all.map((c) => c.name).join(", ")}`,
        command,
      );
    }
    return c;
  });
  return { columns: picked, noHeadings: values.noheadings === true, raw: values.raw === true };
}

/** A command line that is not the last column: one long command would otherwise widen every row. */
const COMMAND_CUT = 40;

/** `cell` with its text cut to `n` code points. */
function cutCell(cell: Cell, n: number): Cell {
  const cut = (t: string): string => t.length <= n ? t : [...t].slice(0, n).join("");
  return typeof cell === "string" ? cut(cell) : { text: cut(cell.text), paint: cell.paint };
}

/**
 * Prints records as a table in the given format; `maxWidth` cuts the last column as `ps` does, and a free-text
 * column elsewhere is cut to its `cut` width (raw output keeps every cell whole).
 */
export function renderTable<R>(format: TableFormat<R>, records: R[], s: Style, maxWidth?: number): string {
  const header = format.columns.map((c) => c.name);
  const last = format.columns.length - 1;
  const rows = records.map((r) =>
    format.columns.map((c, i) => {
      const cell = c.cell(r, s);
      return c.cut === undefined || i === last || format.raw ? cell : cutCell(cell, c.cut);
    })
  );
  if (format.raw) {
    const text = (c: Cell): string => (typeof c === "string" ? c : c.text) || NONE;
    // One space between columns; spaces inside a value (a command line) are escaped as lsns -r does.
    const line = (cells: string[]): string => cells.map((c) => c.replaceAll(" ", "\\x20")).join(" ") + "\n";
    return (format.noHeadings ? "" : line(header)) + rows.map((r) => line(r.map(text))).join("");
  }
  const out = table(header, rows, s, format.columns.map((c) => c.align ?? "left"), maxWidth);
  return format.noHeadings ? out.slice(out.indexOf("\n") + 1) : out;
}

/**
 * A table printed row by row as its records come (`wait`): each column as wide as its title, its `width` and
 * `widths[name]`, whichever is wider; the header comes with the first row.
 */
export function tableStream<R>(
  format: TableFormat<R>,
  s: Style,
  widths: Record<string, number> = {},
): (record: R) => string {
  const title = (c: Column<R>): string => {
    const w = Math.max(c.width ?? 0, widths[c.name] ?? 0);
    return c.align === "right" ? c.name.padStart(w) : c.name.padEnd(w);
  };
  const padded = format.raw
    ? format
    : { ...format, columns: format.columns.map((c) => ({ ...c, name: title(c) })) };
  let first = true;
  return (record) => {
    const out = renderTable(padded, [record], s);
    const text = first || format.noHeadings ? out : out.slice(out.indexOf("\n") + 1);
    first = false;
    return text;
  };
}

/** The help text listing a command's columns. */
export function columnsHelp<R>(columns: Columns<R>): string {
  const w = Math.max(...columns.all.map((c) => c.name.length)) + 2;
  return `COLUMNS (default: ${columns.defaults.join(",")})\n` +
    columns.all.map((c) => `  ${c.name.padEnd(w)}${c.help}`).join("\n");
}

/** The output options' help lines. */
export const TABLE_OPTIONS_HELP =
  `  -o, --output <list>  the columns to print, comma-separated (a leading + adds to the default ones)
  -n, --noheadings     do not print the header line
  -r, --raw            unaligned columns separated by one space (spaces inside a value as \\x20)`;

// ---------------------------------------------------------------------------------------------------------
// The records the table commands print, and their columns.

/** One namespace of a process, as `ns --json` prints it. */
export interface NamespaceRecord {
  /** How the process holds it: `/proc/<pid>/ns/<kind>`. */
  kind: string;
  /** The namespace type (`pid` for `pid_for_children`). */
  type: string;
  /** The nsfs inode, as `lsns`, `ps -o pidns` and `readlink /proc/<pid>/ns/<kind>` show it; `null` if hidden. */
  nsInode: number | null;
  /** The namespace id (`NS_GET_ID`, Linux ≥ 6.18; the inode before); `null` when the kernel refuses. */
  nsId: bigint | null;
  /** Whether the caller holds the same namespace of this kind; `null` when it cannot be known. */
  callers: boolean | null;
  /** PID namespaces: the nesting level (0 initial); `null` for other types or when it cannot be known. */
  level: number | null;
  /** PID namespaces: the init's pid as the caller numbers it; `null` for other types or when not visible. */
  initPid: number | null;
}

/** The columns of `pidfd ns`. */
export const NS_COLUMNS: Columns<NamespaceRecord> = {
  all: [
    { name: "KIND", help: "how the process holds it: /proc/<pid>/ns/<kind>", cell: (n) => n.kind },
    {
      name: "NS",
      help: "the namespace's nsfs inode, as lsns shows it",
      align: "right",
      cell: (n) => show(n.nsInode),
    },
    { name: "TYPE", help: "the namespace type (pid for pid_for_children)", cell: (n) => n.type },
    {
      name: "CALLER'S",
      help: "whether the caller is in the same namespace",
      cell: (n, s) => n.callers === null ? NONE : n.callers ? "yes" : { text: "no", paint: s.yellow },
    },
    {
      name: "LEVEL",
      help: "PID namespaces: the nesting level (0 initial)",
      align: "right",
      cell: (n) => show(n.level),
    },
    {
      name: "INIT",
      help: "PID namespaces: the init's pid as the caller numbers it",
      align: "right",
      cell: (n) => show(n.initPid),
    },
    {
      name: "ID",
      help: "the namespace id (NS_GET_ID, Linux >= 6.18)",
      align: "right",
      cell: (n) => show(n.nsId),
    },
  ],
  defaults: ["KIND", "NS", "CALLER'S", "LEVEL", "INIT"],
};

/** One process, as `ps --json` prints it. */
export interface PsRecord {
  /** The pid as the caller numbers it. */
  pid: number;
  /** The pidfs id (`Pidfd.id`, never reused during a boot); `null` before Linux 6.9. */
  id: bigint | null;
  /** The pid inside its own PID namespace (the last of `nspid`). */
  innerPid: number;
  /** The pid in every PID namespace from the caller's down to its own. */
  nspid: number[];
  /**
   * The nsfs inode of its PID namespace, as `lsns` and `ps -o pidns` show it; `null` when the kernel will not
   * tell (a zombie or another user's process in a namespace below the caller's).
   */
  pidNsInode: number | null;
  /** The id of that namespace (`NS_GET_ID`); `null` when unknown. */
  pidNsId: bigint | null;
  /** That namespace's level (0 initial); `null` when unknown. */
  level: number | null;
  /** The parent's pid as the caller numbers it (0 when the parent is not visible). */
  ppid: number | null;
  /** The effective user id. */
  uid: number | null;
  /** Its name from `/etc/passwd`. */
  user: string | null;
  /** The state letter from `/proc/<pid>/status`: `R`, `S`, `D`, `Z` (a zombie) …; `null` when unknown. */
  state: string | null;
  /** The command line as `ps -o args` shows it (`[comm] <defunct>` for a zombie). */
  command: string;
  /** The argument vector. */
  argv: string[];
}

/** The columns of `pidfd ps`. */
export const PS_COLUMNS: Columns<PsRecord> = {
  all: [
    { name: "PID", help: "the pid as the caller numbers it", align: "right", cell: (r) => String(r.pid) },
    ...identityColumns<PsRecord>(),
    {
      name: "NSPID",
      help: "the pid inside its own PID namespace",
      align: "right",
      cell: (r, s) =>
        r.innerPid === r.pid ? String(r.innerPid) : { text: String(r.innerPid), paint: s.green },
    },
    {
      name: "PIDNS",
      help: "its PID namespace's nsfs inode, as lsns and ps -o pidns show it",
      align: "right",
      cell: (r) => show(r.pidNsInode),
    },
    { name: "LEVEL", help: "that namespace's level (0 initial)", align: "right", cell: (r) => show(r.level) },
    {
      name: "PPID",
      help: "the parent's pid as the caller numbers it",
      align: "right",
      cell: (r) => show(r.ppid),
    },
    { name: "USER", help: "the effective user", cell: (r) => r.user ?? show(r.uid) },
    {
      name: "S",
      help: "the state: R running, S sleeping, D disk wait, Z zombie, ...",
      cell: (r) => r.state ?? NONE,
    },
    {
      name: "NSID",
      help: "its PID namespace's id (NS_GET_ID)",
      align: "right",
      cell: (r) => show(r.pidNsId),
    },
    {
      name: "COMMAND",
      help: "the command line ([comm] without one, '<defunct>' for a zombie)",
      cut: COMMAND_CUT,
      cell: (r, s) => r.command.startsWith("[") ? { text: r.command, paint: s.dim } : r.command,
    },
  ],
  defaults: ["PID", "NSPID", "PIDNS", "LEVEL", "PPID", "USER", "COMMAND"],
};

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

/** Four ids of a credential: real, effective, saved, filesystem. */
export interface Ids {
  real: number | null;
  effective: number | null;
  saved: number | null;
  fs: number | null;
}

/** `real effective saved fs`, `-` for an unknown one. */
export function idsText(x: Ids): string {
  return [x.real, x.effective, x.saved, x.fs].map(show).join(" ");
}

/** The columns of `pidfd info` with `-o`, `-n` or `-r` (without them it prints one block per process). */
export const INFO_COLUMNS: Columns<ProcessInfo> = {
  all: [
    { name: "PID", help: "the pid as the caller numbers it", align: "right", cell: (p) => String(p.pid) },
    { name: "TGID", help: "its thread group (process) id", align: "right", cell: (p) => show(p.tgid) },
    { name: "PPID", help: "the parent's pid", align: "right", cell: (p) => show(p.ppid) },
    { name: "UID", help: "the effective user id", align: "right", cell: (p) => show(p.uid.effective) },
    { name: "UIDS", help: "the real, effective, saved and filesystem user ids", cell: (p) => idsText(p.uid) },
    { name: "GID", help: "the effective group id", align: "right", cell: (p) => show(p.gid.effective) },
    {
      name: "GIDS",
      help: "the real, effective, saved and filesystem group ids",
      cell: (p) => idsText(p.gid),
    },
    { name: "USER", help: "the effective user", cell: (p) => p.user ?? show(p.uid.effective) },
    { name: "CGROUPID", help: "its cgroup's id", align: "right", cell: (p) => show(p.cgroupId) },
    { name: "PIDFSID", help: "its pidfs id (Linux >= 6.9)", align: "right", cell: (p) => show(p.id) },
    { name: "NSPID", help: "its pid in every PID namespace down to its own", cell: (p) => p.nspid.join(" ") },
    { name: "COMMAND", help: "the command line", cut: COMMAND_CUT, cell: (p) => p.command },
  ],
  defaults: ["PID", "TGID", "PPID", "USER", "CGROUPID", "PIDFSID", "NSPID", "COMMAND"],
};

/** An exit status, as `wait --json` and `kill --json` print it. */
export interface ExitFields {
  code: number | null;
  signal: string | null;
  coreDumped: boolean;
  source: ExitStatus["source"];
}

/** One exit, as `wait --json` prints it. */
export interface ExitRecord extends ExitFields {
  pid: number;
  /** The pidfs id (`null` before Linux 6.9): `<pid>:<id>` names this process for good. */
  id: bigint | null;
}

/** The `PID:ID` and `ID` columns of a record with a pid and a pidfs id. */
function identityColumns<R extends { pid: number; id: bigint | null }>(): Column<R>[] {
  return [
    {
      name: "PID:ID",
      help: "the pid and pidfs id, as pidfd kill and util-linux >= 2.42 (kill, waitpid, nsenter) take them",
      align: "right",
      cell: (r) => r.id === null ? String(r.pid) : `${r.pid}:${r.id}`,
    },
    { name: "ID", help: "the pidfs id: never reused during a boot", align: "right", cell: (r) => show(r.id) },
  ];
}

/** `--ids`: the same columns, with `PID:ID` in place of `PID` among the defaults. */
export function withIds<R>(columns: Columns<R>): Columns<R> {
  return { ...columns, defaults: columns.defaults.map((name) => name === "PID" ? "PID:ID" : name) };
}

/** `exited with code 0`, `killed by SIGKILL (core dumped)`, or `exited (status unknown)`. */
export function describeExit(status: Omit<ExitFields, "source">, s: Style): Cell {
  if (status.code !== null) {
    const text = `exited with code ${status.code}`;
    return { text, paint: status.code === 0 ? s.green : s.yellow };
  }
  if (status.signal !== null) {
    return { text: `killed by ${status.signal}${status.coreDumped ? " (core dumped)" : ""}`, paint: s.red };
  }
  return "exited (status unknown)";
}

/** The columns an exit status fills, for `wait` and `kill`. */
function exitColumns<R>(exit: (r: R) => ExitFields | null, none: (r: R) => string): Column<R>[] {
  return [
    {
      name: "EXIT",
      help: "how it ended: its exit code or the signal that killed it",
      width: 16,
      cell: (r, s) => {
        const e = exit(r);
        return e === null ? none(r) : describeExit(e, s);
      },
    },
    { name: "CODE", help: "its exit code", align: "right", width: 4, cell: (r) => show(exit(r)?.code) },
    { name: "SIGNAL", help: "the signal that killed it", width: 9, cell: (r) => show(exit(r)?.signal) },
    {
      name: "SOURCE",
      help: "who told the status: waitid (a child, or a zombie), pidfd-info (PIDFD_INFO_EXIT) or unknown",
      width: 10,
      cell: (r) => show(exit(r)?.source),
    },
  ];
}

/** The columns of `pidfd wait`. */
export const WAIT_COLUMNS: Columns<ExitRecord> = {
  all: [
    { name: "PID", help: "the pid", align: "right", cell: (r) => String(r.pid) },
    ...identityColumns<ExitRecord>(),
    ...exitColumns<ExitRecord>((r) => r, () => NONE),
  ],
  defaults: ["PID", "EXIT"],
};

/** What happened to one process, as `kill --json` prints it. */
export interface KillRecord {
  pid: number;
  /** The pidfs id (`null` before Linux 6.9). */
  id: bigint | null;
  /** The signals sent, in order. */
  signals: string[];
  /** The exit, when it was seen during a `--timeout`; `null` when not waited for or not seen. */
  exit: ExitFields | null;
  /** It exited but its parent has not reaped it (a zombie): nothing more is sent to it. */
  unreaped: boolean;
  /** With `--mrelease`: whether `process_mrelease` freed the memory (`false`: it was already gone). */
  memoryReleased?: boolean;
}

/** The columns of `pidfd kill`. */
export const KILL_COLUMNS: Columns<KillRecord> = {
  all: [
    { name: "PID", help: "the pid", align: "right", cell: (r) => String(r.pid) },
    ...identityColumns<KillRecord>(),
    { name: "SENT", help: "the signals sent, in order", cell: (r) => r.signals.join(",") || NONE },
    ...exitColumns<KillRecord>(
      (r) => r.exit,
      (r) => r.unreaped ? "exited (not yet reaped by its parent)" : NONE,
    ),
    {
      name: "RELEASED",
      help: "with --mrelease: whether process_mrelease freed its memory",
      cell: (r) => r.memoryReleased === undefined ? NONE : r.memoryReleased ? "yes" : "no",
    },
  ],
  defaults: ["PID", "SENT", "EXIT"],
};

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
  advice: string;
  /** The bytes the kernel advised (whole mappings, resident or not). */
  advised: number;
  before: Rss;
  after: Rss;
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)}M`;
}

function rssColumns(key: keyof Rss, title: string, what: string): Column<ReclaimRecord>[] {
  return [
    { name: `${title} BEFORE`, help: `${what} before`, align: "right", cell: (r) => mib(r.before[key]) },
    { name: `${title} AFTER`, help: `${what} after`, align: "right", cell: (r) => mib(r.after[key]) },
  ];
}

/** The columns of `pidfd reclaim`. */
export const RECLAIM_COLUMNS: Columns<ReclaimRecord> = {
  all: [
    { name: "PID", help: "the pid", align: "right", cell: (r) => String(r.pid) },
    { name: "ADVICE", help: "the advice given: cold or pageout", cell: (r) => r.advice },
    {
      name: "ADVISED",
      help: "the bytes the kernel advised (whole mappings, resident or not)",
      align: "right",
      cell: (r) => mib(r.advised),
    },
    ...rssColumns("total", "RSS", "the resident set (VmRSS)"),
    ...rssColumns("anon", "ANON", "its anonymous pages (RssAnon)"),
    ...rssColumns("file", "FILE", "its file pages (RssFile)"),
    ...rssColumns("shmem", "SHMEM", "its shared memory (RssShmem)"),
  ],
  defaults: ["PID", "ADVICE", "ADVISED", "RSS BEFORE", "RSS AFTER", "FILE BEFORE", "FILE AFTER"],
};
