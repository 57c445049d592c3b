/**
 * The raw layer: picks the FFI backend once at load time and exposes libc with errno folded into results
 * (a failed call returns `-errno`). Everything in `src/` goes through {@link libc} and the syscall helpers here.
 *
 * @module
 */

import { bunBackend, bunMemory, requireBunFfi } from "./bun.ts";
import { type Arch, SYSCALLS } from "./constants.ts";
import { denoBackend, denoMemory } from "./deno.ts";
import { isBun } from "./runtime.ts";
import { type Libc, LIBC_PATH, type Memory } from "./symbols.ts";

function detectArch(): Arch {
  const arch = isBun
    ? (globalThis as unknown as { process: { arch: string } }).process.arch
    : Deno.build.arch;
  if (arch === "x64" || arch === "x86_64") return "x86_64";
  if (arch === "arm64" || arch === "aarch64") return "aarch64";
  throw new Error(`@pidfd/pidfd supports x86_64 and aarch64 Linux, not ${arch}`);
}

/** The CPU architecture, which selects syscall numbers and struct layouts. */
export const arch: Arch = detectArch();

/** Syscall numbers for this architecture. */
export const SYS: (typeof SYSCALLS)[Arch] = SYSCALLS[arch];

function load(): { libc: Libc; bindAll(): void; memory: Memory } {
  try {
    if (!isBun) return { ...denoBackend(LIBC_PATH), memory: denoMemory };
    const ffi = requireBunFfi();
    return { ...bunBackend(ffi, LIBC_PATH), memory: bunMemory(ffi) };
  } catch (cause) {
    if (cause instanceof Error && cause.name === "NotCapable") throw cause; // Deno without --allow-ffi
    throw new Error(`@pidfd/pidfd could not load ${LIBC_PATH} (glibc on Linux is required)`, { cause });
  }
}

const backend = load();

/**
 * libc, through the backend of the running runtime. Every call returns its result or `-errno`. Symbols are bound
 * on first call (`ffi/bind.ts`).
 */
export const libc: Libc = backend.libc;

/** Binds every symbol of the table now: for the test that the whole table matches this libc. */
export const bindAllSymbols: () => void = backend.bindAll;

/** Raw memory access of the running runtime's FFI. */
export const memory: Memory = backend.memory;

/** `pidfd_open(2)`: glibc's wrapper where it exists, else the raw syscall. Returns an fd or `-errno`. */
export const pidfd_open: (pid: number, flags: number) => number = libc.pidfd_open === null
  ? (pid, flags) => libc.syscall4(SYS.pidfd_open, pid, flags, 0, 0)
  : (pid, flags) => libc.pidfd_open!(pid, flags);

/** `pidfd_send_signal(2)` without a `siginfo_t` (like `kill`). Returns 0 or `-errno`. */
export const pidfd_send_signal: (pidfd: number, sig: number, flags: number) => number =
  libc.pidfd_send_signal === null
    ? (pidfd, sig, flags) => libc.syscall4(SYS.pidfd_send_signal, pidfd, sig, 0, flags)
    : (pidfd, sig, flags) => libc.pidfd_send_signal!(pidfd, sig, null, flags);

/** `pidfd_getfd(2)`. Returns an fd or `-errno`. */
export const pidfd_getfd: (pidfd: number, targetfd: number, flags: number) => number =
  libc.pidfd_getfd === null
    ? (pidfd, targetfd, flags) => libc.syscall4(SYS.pidfd_getfd, pidfd, targetfd, flags, 0)
    : (pidfd, targetfd, flags) => libc.pidfd_getfd!(pidfd, targetfd, flags);

const environName = new TextEncoder().encode("environ\0");
let environLocation = 0;

/**
 * libc's `environ` (a `char **`, what the process's own `execve` would pass) when it is the running runtime's
 * view of the environment, so that a child can get it as it is: under Deno, whose `Deno.env` reads and writes
 * it. `null` under Bun, which keeps its changes in `process.env` and never in `environ`; also `null` when libc
 * has no `dlsym` to find it (glibc < 2.34).
 */
export function runtimeEnviron(): number | null {
  if (isBun) return null;
  if (environLocation === 0 && libc.dlsym !== null) environLocation = Number(libc.dlsym(0n, environName));
  return environLocation === 0 ? null : memory.readPointer(environLocation, 0);
}

/**
 * The environment as the running runtime sees it now, as `node:child_process` passes it to a child by default:
 * Bun's `process.env`, or Deno's `Deno.env` read from {@link runtimeEnviron} (so that no `--allow-env` is
 * needed). `null` under Deno when libc has no `dlsym` to find `environ` (glibc < 2.34).
 */
export function runtimeEnv(): [name: string, value: string][] | null {
  if (isBun) {
    const env = (globalThis as unknown as { process: { env: Record<string, unknown> } }).process.env;
    return Object.entries(env).filter((e): e is [string, string] => typeof e[1] === "string");
  }
  const table = runtimeEnviron();
  if (table === null) return null;
  const entries: [string, string][] = [];
  for (let i = 0; table !== 0; i++) {
    const entry = memory.readPointer(table, i);
    if (entry === 0) break;
    const text = memory.readCString(entry);
    const eq = text.indexOf("=");
    if (eq > 0) entries.push([text.slice(0, eq), text.slice(eq + 1)]);
  }
  return entries;
}

/** One variable of {@link runtimeEnv}, or `undefined` when it is unset (or the environment cannot be read). */
export function runtimeEnvVar(name: string): string | undefined {
  return runtimeEnv()?.find(([key]) => key === name)?.[1];
}

/**
 * `process_madvise(2)` over `n` iovecs at the start of `iov`. Returns the bytes advised or `-errno`; the
 * result is below 2^31 (the kernel stops at `MAX_RW_COUNT` per call).
 */
export const process_madvise: (pidfd: number, iov: Uint8Array, n: bigint, advice: number) => number =
  libc.process_madvise === null
    ? (pidfd, iov, n, advice) => libc.syscall_iov(SYS.process_madvise, pidfd, iov, n, advice, 0)
    : (pidfd, iov, n, advice) => libc.process_madvise!(pidfd, iov, n, advice, 0);

/** `process_mrelease(2)`. Returns 0 or `-errno`. */
export const process_mrelease: (pidfd: number) => number = libc.process_mrelease === null
  ? (pidfd) => libc.syscall4(SYS.process_mrelease, pidfd, 0, 0, 0)
  : (pidfd) => libc.process_mrelease!(pidfd, 0);

export * from "./constants.ts";
export * from "./structs.ts";
