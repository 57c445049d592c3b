/**
 * Argument parsing for every command: options through `node:util` `parseArgs`, and the value syntaxes the
 * commands share (pids, signals, durations, counts, namespace specs). Every invalid value is a
 * {@link UsageError} that quotes it, raised before anything is done.
 *
 * @module
 */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { signalName, signalNumber } from "../mod.ts";
import { UsageError } from "./usage.ts";

/** The options every command accepts. */
export const COMMON_OPTIONS = {
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsOptionsConfig;

/** One token of the command line in order, as `parseArgs` reports it with `tokens: true`. */
export type Token = NonNullable<ReturnType<typeof parseArgs>["tokens"]>[number];

/** The parsed command line of one command. */
export interface Parsed<V> {
  values: V;
  positionals: string[];
  tokens: Token[];
}

/**
 * Parses a command's arguments (everything after the command name) with `parseArgs` in strict mode, turning
 * its errors into one-line {@link UsageError}s.
 *
 * @param command The command name, for the pointer to its `--help`.
 * @param args The arguments.
 * @param options The command's own options; {@link COMMON_OPTIONS} are added.
 */
export function parseCommand<O extends ParseArgsOptionsConfig>(
  command: string,
  args: string[],
  options: O,
): Parsed<ReturnType<typeof parseArgs<{ options: O & typeof COMMON_OPTIONS; tokens: true }>>["values"]> {
  try {
    const r = parseArgs({
      args,
      options: { ...options, ...COMMON_OPTIONS },
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
    return { values: { ...r.values }, positionals: r.positionals, tokens: r.tokens };
  } catch (e) {
    throw new UsageError(parseArgsMessage(e), command);
  }
}

/** A short message for a `parseArgs` error (its own messages run over several lines). */
function parseArgsMessage(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: unknown }).code;
  const quoted = /'([^']+)'/.exec(e.message)?.[1];
  const option = quoted?.split(/[ ,]/)[0];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) return `unknown option '${option}'`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) {
    if (/does not take an argument/.test(e.message)) return `option '${option}' does not take a value`;
    // Missing, or followed by something that looks like another option (`--timeout --then KILL`).
    return `option '${option}' needs a value${
      /ambiguous/.test(e.message) ? ` (write ${option}=<value>)` : ""
    }`;
  }
  return e.message.split("\n")[0]!;
}

/** Process ids above this cannot exist (`pid_t` is a signed 32-bit integer). */
const PID_MAX = 0x7fffffff;

/** Parses a pid: a positive decimal integer, no sign, no spaces. */
export function parsePid(text: string, command: string, what = "pid"): number {
  if (!/^[0-9]+$/.test(text) || /^0+$/.test(text) || Number(text) > PID_MAX) {
    throw new UsageError(`invalid ${what} '${text}': expected a positive integer`, command);
  }
  return Number(text);
}

/** Parses one or more pids (the positionals of `info`, `wait`, `kill`); at least one is required. */
export function parsePids(texts: string[], command: string): number[] {
  if (texts.length === 0) throw new UsageError("missing <pid>", command);
  return texts.map((t) => parsePid(t, command));
}

/** A parsed signal: its number and its conventional name (`"SIGTERM"`, or the number for unnamed ones). */
export interface ParsedSignal {
  number: number;
  name: string;
}

/**
 * Parses a signal as `kill(1)` takes it: a name with or without `SIG`, in any case (`TERM`, `sigkill`,
 * `RTMIN+2`), or a number from 0 to 64.
 */
export function parseSignal(text: string, command: string): ParsedSignal {
  let n: number;
  try {
    n = signalNumber(/^[0-9]+$/.test(text) ? Number(text) : text);
  } catch {
    throw new UsageError(
      `invalid signal '${text}': expected a name such as TERM or a number from 0 to 64`,
      command,
    );
  }
  return { number: n, name: signalName(n) ?? String(n) };
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The longest duration a timer can take (about 24.8 days). */
const MAX_DURATION_MS = 0x7fffffff;

/**
 * Parses a duration as `timeout(1)` does, plus milliseconds: a non-negative decimal number with an optional
 * unit `ms`, `s` (the default), `m`, `h` or `d`: `5`, `1.5s`, `250ms`, `2m`.
 *
 * @returns Milliseconds, rounded up.
 */
export function parseDuration(text: string, command: string, what = "duration"): number {
  const m = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ms|s|m|h|d)?$/.exec(text);
  const ms = m ? Math.ceil(Number(m[1]) * UNITS[m[2] ?? "s"]!) : NaN;
  if (!Number.isFinite(ms) || ms > MAX_DURATION_MS) {
    throw new UsageError(
      `invalid ${what} '${text}': expected a number with an optional unit ms, s, m, h or d (such as 5s)`,
      command,
    );
  }
  return ms;
}

/** Formats milliseconds the way a user would have written them: `250ms`, `5s`, `1.5s`. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;
}

/** Parses a positive integer count. */
export function parseCount(text: string, command: string, what: string): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`invalid ${what} '${text}': expected a positive integer`, command);
  }
  return Number(text);
}

/**
 * A PID namespace named on the command line: the caller's (`self`), that of a process (`pid:<pid>`), the
 * one a procfs instance numbers pids in (`proc:<root>`), or a namespace file (a path, which must contain a
 * `/`: `/proc/123/ns/pid`, `./ns`).
 */
export type NamespaceSpec =
  | { kind: "self"; text: string }
  | { kind: "pid"; pid: number; text: string }
  | { kind: "proc"; root: string; text: string }
  | { kind: "path"; path: string; text: string };

/** Parses a namespace spec (syntax only: nothing is opened). */
export function parseNamespaceSpec(text: string, command: string): NamespaceSpec {
  if (text === "self") return { kind: "self", text };
  if (text.startsWith("pid:")) {
    const pid = text.slice(4);
    if (!/^[0-9]+$/.test(pid) || /^0+$/.test(pid) || Number(pid) > PID_MAX) {
      throw new UsageError(
        `invalid namespace '${text}': expected pid:<pid> with a positive integer pid`,
        command,
      );
    }
    return { kind: "pid", pid: Number(pid), text };
  }
  if (text.startsWith("proc:")) {
    const root = text.slice(5);
    if (root === "" || root.includes("\0")) {
      throw new UsageError(`invalid namespace '${text}': proc: needs the procfs mount point`, command);
    }
    return { kind: "proc", root, text };
  }
  if (text.includes("/") && !text.includes("\0")) return { kind: "path", path: text, text };
  throw new UsageError(
    `invalid namespace '${text}': expected self, pid:<pid>, proc:<procfs root> or a path to a namespace file`,
    command,
  );
}
