/**
 * Output control for the table commands, as `lsns` has it: `-o/--output <columns>` picks the columns (a
 * leading `+` adds to the default ones), `-n/--noheadings` drops the header, `-r/--raw` prints unaligned
 * columns separated by one space. The columns of each command are defined here, without the FFI, so that
 * `--help` can list them.
 *
 * @module
 */

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

/** Prints records as a table in the given format; `maxWidth` cuts the last column as `ps` does. */
export function renderTable<R>(format: TableFormat<R>, records: R[], s: Style, maxWidth?: number): string {
  const header = format.columns.map((c) => c.name);
  const rows = records.map((r) => format.columns.map((c) => c.cell(r, s)));
  if (format.raw) {
    const text = (c: Cell): string => (typeof c === "string" ? c : c.text) || NONE;
    // One space between columns; spaces inside a value (a command line) are escaped as lsns -r does.
    const line = (cells: string[]): string => cells.map((c) => c.replaceAll(" ", "\\x20")).join(" ") + "\n";
    return (format.noHeadings ? "" : line(header)) + rows.map((r) => line(r.map(text))).join("");
  }
  const out = table(header, rows, s, format.columns.map((c) => c.align ?? "left"), maxWidth);
  return format.noHeadings ? out.slice(out.indexOf("\n") + 1) : out;
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
    {
      name: "PID:ID",
      help: "the pid and pidfs id, as pidfd kill and util-linux >= 2.42 (kill, waitpid, nsenter) take them",
      align: "right",
      cell: (r) => r.id === null ? String(r.pid) : `${r.pid}:${r.id}`,
    },
    { name: "ID", help: "the pidfs id: never reused during a boot", align: "right", cell: (r) => show(r.id) },
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
      cell: (r, s) => r.command.startsWith("[") ? { text: r.command, paint: s.dim } : r.command,
    },
  ],
  defaults: ["PID", "NSPID", "PIDNS", "LEVEL", "PPID", "USER", "COMMAND"],
};
