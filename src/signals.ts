/**
 * Signal names and numbers (Linux; identical on x86_64 and aarch64).
 *
 * @module
 */

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

/**
 * The number of a signal given by name or number. Names may omit the `SIG` prefix and are case-insensitive
 * (`"term"`, `"SIGTERM"`). Throws a `TypeError` for an unknown name and a `RangeError` for a number outside
 * 0..64.
 */
export function signalNumber(signal: unknown): number {
  if (typeof signal === "number") {
    if (!Number.isInteger(signal) || signal < 0 || signal > SIGRTMAX) {
      throw new RangeError(`Expected a signal number from 0 to ${SIGRTMAX}, got ${signal}`);
    }
    return signal;
  }
  if (typeof signal !== "string") {
    throw new TypeError(`Expected a signal name or number, got ${signal === null ? "null" : typeof signal}`);
  }
  let name = signal.toUpperCase();
  if (!name.startsWith("SIG")) name = `SIG${name}`;
  const classic = (SIGNALS as Record<string, number>)[name];
  if (classic !== undefined) return classic;
  const m = RT.exec(name);
  if (m) {
    const offset = m[3] === undefined ? 0 : Number(m[3]);
    const n = m[1] === "MIN" ? SIGRTMIN + offset : SIGRTMAX - offset;
    const wrongWay = (m[1] === "MIN" && m[2] === "-") || (m[1] === "MAX" && m[2] === "+");
    if (!wrongWay && n >= SIGRTMIN && n <= SIGRTMAX) return n;
  }
  throw new TypeError(`Unknown signal name: "${signal}"`);
}

const NAMES: string[] = [];
for (const [name, n] of Object.entries(SIGNALS)) NAMES[n] ??= name;

/** The conventional name of a signal number (`15` → `"SIGTERM"`, `36` → `"SIGRTMIN+2"`), or `null`. */
export function signalName(signal: number): string | null {
  const classic = NAMES[signal];
  if (classic !== undefined) return classic;
  if (Number.isInteger(signal) && signal >= SIGRTMIN && signal <= SIGRTMAX) {
    return signal === SIGRTMIN ? "SIGRTMIN" : `SIGRTMIN+${signal - SIGRTMIN}`;
  }
  return null;
}
