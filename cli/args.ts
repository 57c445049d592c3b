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
 * @param ctx The run's context: the common `--json` sets `ctx.json`, here once for every command.
 * @param command The command name, for the pointer to its `--help`.
 * @param args The arguments.
 * @param options The command's own options; {@link COMMON_OPTIONS} are added.
 */
export function parseCommand<O extends ParseArgsOptionsConfig>(
  ctx: { json: boolean },
  command: string,
  args: string[],
  options: O,
): Parsed<ReturnType<typeof parseArgs<{ options: O & typeof COMMON_OPTIONS; tokens: true }>>["values"]> {
  try {
    const r = parseArgs({
      args: negativeValues(args, options),
      options: { ...options, ...COMMON_OPTIONS },
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
    if ((r.values as { json?: boolean }).json === true) ctx.json = true;
    return { values: { ...r.values }, positionals: r.positionals, tokens: r.tokens };
  } catch (e) {
    throw new UsageError(parseArgsMessage(e), command);
  }
}

/**
 * Joins a value that starts with `-` to the option before it that takes one (`--timeout -1` becomes
 * `--timeout=-1`, `-s -1` becomes `-s-1`), so that the value gets checked and its error names it, instead of
 * `parseArgs` calling the option's value missing and the number an unknown option.
 */
function negativeValues(args: string[], options: ParseArgsOptionsConfig): string[] {
  const takesValue = new Set<string>();
  for (const [name, o] of Object.entries(options)) {
    if (o.type !== "string") continue;
    takesValue.add(`--${name}`);
    if (o.short !== undefined) takesValue.add(`-${o.short}`);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    if (takesValue.has(arg) && next !== undefined && /^-[0-9.]/.test(next)) {
      out.push(arg.startsWith("--") ? `${arg}=${next}` : arg + next);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** A short message for a `parseArgs` error (its own messages run over several lines). */
function parseArgsMessage(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: unknown }).code;
  const quoted = /'([^']+)'/.exec(e.message)?.[1];
  const option = quoted?.split(/[ ,]/)[0];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option && /^-[0-9]/.test(option)) {
    return `invalid argument '${option}': negative numbers are not pids`;
  }
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
  if (!/^[0-9]+$/.test(text) || /^0+$/.test(text)) {
    throw new UsageError(`invalid ${what} '${text}': expected a positive integer`, command);
  }
  if (Number(text) > PID_MAX) {
    throw new UsageError(`invalid ${what} '${text}': out of range (pids are at most ${PID_MAX})`, command);
  }
  return Number(text);
}

/**
 * A process named on the command line: `<pid>`, or `<pid>:<id>` with its pidfs id (util-linux 2.42's
 * `PID:INODE`, as `pidfd ps -o pid:id` prints it), which only that process satisfies.
 */
export interface ProcessSpec {
  pid: number;
  /** The pidfs id the process must have, or `null` for any process with that pid. */
  id: bigint | null;
  /** The spec as given, for messages. */
  text: string;
}

const MAX_ID = (1n << 64n) - 1n;

/** Parses `<pid>` or `<pid>:<id>`. */
export function parseProcessSpec(text: string, command: string): ProcessSpec {
  const m = /^([^:]*):(.*)$/.exec(text);
  if (m === null) return { pid: parsePid(text, command), id: null, text };
  const [, pidText, idText] = m;
  if (
    !/^[0-9]+$/.test(pidText!) || !/^[0-9]+$/.test(idText!) || BigInt(idText!) === 0n ||
    BigInt(idText!) > MAX_ID
  ) {
    throw new UsageError(
      `invalid process '${text}': expected <pid> or <pid>:<id> with a positive pidfs id (as ps -o pid:id prints)`,
      command,
    );
  }
  return { pid: parsePid(pidText!, command), id: BigInt(idText!), text };
}

/** Parses one or more processes (the positionals of `info`, `wait`, `kill`); at least one is required. */
export function parseProcessSpecs(texts: string[], command: string): ProcessSpec[] {
  if (texts.length === 0) throw new UsageError("missing <pid>", command);
  const specs = texts.map((t) => parseProcessSpec(t, command));
  // The same process named twice (the same text) counts once.
  return [...new Map(specs.map((s) => [`${s.pid}:${s.id}`, s])).values()];
}

/** `<pid>:<id>` of an open pidfd, as util-linux 2.42 takes it; just the pid before pidfs (Linux < 6.9). */
export function processText(pid: number, id: bigint | null): string {
  return id === null ? String(pid) : `${pid}:${id}`;
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

/** The longest duration accepted: beyond this, milliseconds are no longer exact integers. */
const MAX_DURATION_MS = Number.MAX_SAFE_INTEGER;

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

/** The longest timeout one timer can take (about 24.8 days). */
const MAX_TIMER_MS = 0x7fffffff;

/**
 * An `AbortSignal` that aborts with a `TimeoutError` `DOMException` after `ms` milliseconds, any number of
 * them: longer than one timer can take, the timers are chained. Dispose it to stop the timer.
 */
export function timeoutSignal(ms: number): { signal: AbortSignal } & Disposable {
  const controller = new AbortController();
  let left = ms;
  let timer: ReturnType<typeof setTimeout>;
  const arm = (): void => {
    const step = Math.min(left, MAX_TIMER_MS);
    left -= step;
    timer = setTimeout(() => {
      if (left > 0) arm();
      else controller.abort(new DOMException(`Timed out after ${formatDuration(ms)}`, "TimeoutError"));
    }, step);
  };
  arm();
  return { signal: controller.signal, [Symbol.dispose]: () => clearTimeout(timer) };
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
