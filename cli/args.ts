/**
 * Argument parsing for every command: options as `node:util` `parseArgs` reads them in strict mode (its types,
 * and a small parser of the same rules: `node:util` alone takes 2 ms to load in the compiled tool, a fifth of
 * its start-up), and the value syntaxes the commands share (pids, signals, durations, counts, namespace specs). Every invalid value is a
 * {@link UsageError} that quotes it, raised before anything is done.
 *
 * @module
 */

import type { parseArgs, ParseArgsOptionsConfig } from "node:util";
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
 * Parses a command's arguments (everything after the command name) as `parseArgs` does in strict mode:
 * `--name value`, `--name=value`, `-s value`, `-svalue`, grouped short flags (`-nr`), repeatable options, `--`
 * ending the options. A value that starts with `-` is taken when it is a number (`--timeout -1`, `-s -1`), so
 * that the value gets checked and its error names it; otherwise the option is missing its value.
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
  const all: ParseArgsOptionsConfig = { ...options, ...COMMON_OPTIONS };
  const short = new Map(
    Object.entries(all).flatMap(([name, o]) => o.short === undefined ? [] : [[o.short, name]]),
  );
  const values: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  const tokens: Token[] = [];
  const usage = (message: string): UsageError => new UsageError(message, command);
  const set = (name: string, rawName: string, index: number, value: string | undefined, inline: boolean) => {
    const o = all[name]!;
    if (o.type === "boolean") {
      if (value !== undefined) throw usage(`option '${rawName}' does not take a value`);
      values[name] = true;
      tokens.push({ kind: "option", name, rawName, index, value: undefined, inlineValue: undefined });
      return;
    }
    if (value === undefined) throw usage(`option '${rawName}' needs a value`);
    values[name] = o.multiple ? [...(values[name] as string[] | undefined ?? []), value] : value;
    tokens.push({ kind: "option", name, rawName, index, value, inlineValue: inline });
  };
  // The next argument as the value of a string option: a number even when negative, never another option.
  const next = (i: number, rawName: string): string | undefined => {
    const arg = args[i + 1];
    if (arg === undefined || !arg.startsWith("-") || /^-[0-9.]/.test(arg)) return arg;
    const inline = rawName.startsWith("--") ? `${rawName}=<value>` : `${rawName}<value>`;
    throw usage(`option '${rawName}' needs a value (write ${inline})`);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      tokens.push({ kind: "option-terminator", index: i });
      for (let j = i + 1; j < args.length; j++) {
        positionals.push(args[j]!);
        tokens.push({ kind: "positional", index: j, value: args[j]! });
      }
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const rawName = eq === -1 ? arg : arg.slice(0, eq);
      const name = rawName.slice(2);
      if (!Object.hasOwn(all, name)) throw usage(`unknown option '${rawName}'`);
      if (eq !== -1) set(name, rawName, i, arg.slice(eq + 1), true);
      else if (all[name]!.type === "boolean") set(name, rawName, i, undefined, false);
      else {
        set(name, rawName, i, next(i, rawName), false);
        i++;
      }
    } else if (arg.startsWith("-") && arg !== "-") {
      if (/^-[0-9]/.test(arg)) throw usage(`invalid argument '${arg}': negative numbers are not pids`);
      // A group of short options: flags, the last of which may be a string option with its value.
      for (let c = 1; c < arg.length; c++) {
        const rawName = `-${arg[c]}`;
        const name = short.get(arg[c]!);
        if (name === undefined) throw usage(`unknown option '${rawName}'`);
        if (all[name]!.type === "boolean") {
          set(name, rawName, i, undefined, false);
          continue;
        }
        if (c + 1 < arg.length) set(name, rawName, i, arg.slice(c + 1), true);
        else {
          set(name, rawName, i, next(i, rawName), false);
          i++;
        }
        break;
      }
    } else {
      positionals.push(arg);
      tokens.push({ kind: "positional", index: i, value: arg });
    }
  }
  if (values["json"] === true) ctx.json = true;
  return { values: values as never, positionals, tokens };
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
