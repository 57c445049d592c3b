/**
 * Signal names and numbers (Linux; identical on x86_64 and aarch64).
 *
 * @module
 */

import { describe } from "./errors.ts";

/** The name of a classic (non-real-time) signal. */
export type ClassicSignalName =
  | "SIGHUP"
  | "SIGINT"
  | "SIGQUIT"
  | "SIGILL"
  | "SIGTRAP"
  | "SIGABRT"
  | "SIGIOT"
  | "SIGBUS"
  | "SIGFPE"
  | "SIGKILL"
  | "SIGUSR1"
  | "SIGSEGV"
  | "SIGUSR2"
  | "SIGPIPE"
  | "SIGALRM"
  | "SIGTERM"
  | "SIGSTKFLT"
  | "SIGCHLD"
  | "SIGCONT"
  | "SIGSTOP"
  | "SIGTSTP"
  | "SIGTTIN"
  | "SIGTTOU"
  | "SIGURG"
  | "SIGXCPU"
  | "SIGXFSZ"
  | "SIGVTALRM"
  | "SIGPROF"
  | "SIGWINCH"
  | "SIGIO"
  | "SIGPOLL"
  | "SIGPWR"
  | "SIGSYS";

/** The classic signals and their numbers (Linux; the same on x86_64 and aarch64). */
export const SIGNALS: Readonly<Record<ClassicSignalName, number>> = Object.freeze({
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGIOT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPOLL: 29,
  SIGPWR: 30,
  SIGSYS: 31,
});

/** glibc reserves signals 32 and 33 for itself, so its `SIGRTMIN` is 34. */
const SIGRTMIN = 34;
const SIGRTMAX = 64;

/**
 * A signal name: a classic name such as `"SIGTERM"`, or a real-time signal as `"SIGRTMIN"`, `"SIGRTMIN+3"`,
 * `"SIGRTMAX"` or `"SIGRTMAX-2"`.
 */
export type SignalName =
  | ClassicSignalName
  | "SIGRTMIN"
  | "SIGRTMAX"
  | `SIGRTMIN+${number}`
  | `SIGRTMAX-${number}`;

/** A signal given by name or number; 0 probes without sending anything. */
export type Signal = SignalName | number;

const RT = /^SIGRT(MIN|MAX)(?:([+-])(\d{1,2}))?$/;

/** Only ASCII letters fold: `"ſigterm"` (long s, which Unicode upper-cases to S) names no signal. */
const ASCII_NAME = /^[A-Za-z0-9+-]{1,16}$/;

/**
 * The number of a signal given by name or number. Names may omit the `SIG` prefix and are ASCII
 * case-insensitive (`"term"`, `"SIGTERM"`). Throws a `TypeError` for an unknown name and a `RangeError` for a
 * number outside 0..64. `-0` is 0.
 */
export function signalNumber(signal: unknown): number {
  if (typeof signal === "number") {
    if (!Number.isInteger(signal) || signal < 0 || signal > SIGRTMAX) {
      throw new RangeError(`Expected a signal number from 0 to ${SIGRTMAX}, got ${signal}`);
    }
    return signal | 0; // never -0, which Deno's FFI refuses as an i32
  }
  if (typeof signal !== "string") {
    throw new TypeError(`Expected a signal name or number, got ${describe(signal)}`);
  }
  if (!ASCII_NAME.test(signal)) throw new TypeError(`Unknown signal name: ${describe(signal)}`);
  let name = signal.toUpperCase();
  if (!name.startsWith("SIG")) name = `SIG${name}`;
  if (Object.hasOwn(SIGNALS, name)) return SIGNALS[name as ClassicSignalName];
  const m = RT.exec(name);
  if (m) {
    const offset = m[3] === undefined ? 0 : Number(m[3]);
    const n = m[1] === "MIN" ? SIGRTMIN + offset : SIGRTMAX - offset;
    const wrongWay = (m[1] === "MIN" && m[2] === "-") || (m[1] === "MAX" && m[2] === "+");
    if (!wrongWay && n >= SIGRTMIN && n <= SIGRTMAX) return n;
  }
  throw new TypeError(`Unknown signal name: ${describe(signal)}`);
}

const NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(SIGNALS)) if (!NAMES.has(n)) NAMES.set(n, name);

/**
 * The conventional name of a signal number (`15` → `"SIGTERM"`, `36` → `"SIGRTMIN+2"`), or `null` for a number
 * that names no signal (0, 32, 33, 65, 1.5, `NaN`). Throws a `TypeError` for anything but a number (a name
 * such as `"length"` is not looked up).
 */
export function signalName(signal: number): string | null {
  if (typeof signal !== "number") {
    throw new TypeError(`Expected a signal number, got ${describe(signal)}`);
  }
  const classic = NAMES.get(signal);
  if (classic !== undefined) return classic;
  if (Number.isInteger(signal) && signal >= SIGRTMIN && signal <= SIGRTMAX) {
    return signal === SIGRTMIN ? "SIGRTMIN" : `SIGRTMIN+${signal - SIGRTMIN}`;
  }
  return null;
}
