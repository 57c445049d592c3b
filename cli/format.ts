/**
 * Output: aligned tables and key/value blocks for people, coloured only on a terminal and never with
 * `NO_COLOR`; one JSON document for scripts (64-bit ids as decimal strings, so no precision is lost).
 *
 * @module
 */

/** ANSI styles; identity functions when colour is off. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
}

const sgr = (open: number, close: number) => (text: string): string =>
  text === "" ? text : `\x1b[${open}m${text}\x1b[${close}m`;

const plain = (text: string): string => text;

/** The style to use: ANSI colours when `color` is true, plain text otherwise. */
export function style(color: boolean): Style {
  return color
    ? { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39) }
    : { bold: plain, dim: plain, red: plain, green: plain, yellow: plain };
}

/** A table cell: its text, and optionally a style applied after alignment (so widths ignore escapes). */
export type Cell = string | { text: string; paint: (text: string) => string };

/** Column alignment: numbers right, text left. */
export type Align = "left" | "right";

/**
 * Lays out rows as an aligned table: columns separated by two spaces, the header painted bold, the last column
 * never padded (so lines carry no trailing spaces).
 *
 * @param header The column titles.
 * @param rows The cells of each row.
 * @param s The style.
 * @param align The alignment of each column (default left).
 * @param maxWidth Cut the last column so that lines fit this width (a terminal's), as `ps` does.
 * @returns The table, one line per row, each ending with a newline.
 */
export function table(
  header: string[],
  rows: Cell[][],
  s: Style,
  align: Align[] = [],
  maxWidth?: number,
): string {
  const text = (c: Cell): string => typeof c === "string" ? c : c.text;
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(text(r[i] ?? "")))));
  const lastStart = widths.slice(0, -1).reduce((sum, w) => sum + w + 2, 0);
  const line = (cells: Cell[], paintAll?: (t: string) => string): string =>
    cells.map((c, i) => {
      let t = text(c);
      const last = i === cells.length - 1;
      if (last && maxWidth !== undefined && lastStart + width(t) > maxWidth) {
        t = [...t].slice(0, Math.max(1, maxWidth - lastStart)).join("");
      }
      const pad = " ".repeat(Math.max(0, widths[i]! - width(t)));
      const paint = paintAll ?? (typeof c === "string" ? plain : c.paint);
      // Paint the text only, not the padding.
      return align[i] === "right" ? pad + paint(t) : paint(t) + (last ? "" : pad);
    }).join("  ").replace(/\s+$/, "") + "\n";
  return line(header, s.bold) + rows.map((r) => line(r)).join("");
}

/** Lays out key/value pairs as two aligned columns, the keys dim. */
export function pairs(entries: [string, string][], s: Style): string {
  const w = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${s.dim(k.padEnd(w))}  ${v}`.replace(/\s+$/, "") + "\n").join("");
}

/** Display width: code points, which is right for the text this tool prints (no wide characters assumed). */
function width(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** One JSON document, indented, with bigints as decimal strings. */
export function json(doc: unknown): string {
  return JSON.stringify(doc, (_key, value) => typeof value === "bigint" ? value.toString() : value, 2) + "\n";
}

/** Text for an absent value in a table. */
export const NONE = "-";

/** A number, bigint or `null` as table text. */
export function show(value: number | bigint | string | null | undefined): string {
  return value === null || value === undefined ? NONE : String(value);
}

/**
 * A command line from `/proc/<pid>/cmdline` (NUL-separated) for display, as `ps -o args` shows it: the
 * arguments joined by spaces; `[comm]` for a process without one (kernel threads, zombies).
 */
export function commandLine(cmdline: string, comm: string): string {
  const args = cmdline.replace(/\0+$/, "");
  if (args === "") return `[${comm}]`;
  // Control characters would corrupt a terminal; show them as `?` as ps does.
  let out = "";
  for (const ch of args) {
    const c = ch.charCodeAt(0);
    out += c === 0 ? " " : c < 0x20 || c === 0x7f ? "?" : ch;
  }
  return out;
}

/** The argument vector from `/proc/<pid>/cmdline`, for `--json`. */
export function argvOf(cmdline: string): string[] {
  const args = cmdline.replace(/\0$/, "");
  return args === "" ? [] : args.split("\0");
}
