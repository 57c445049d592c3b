/**
 * {@link translatePid}: a pid from any PID namespace into any other, composed of the two steps between each
 * namespace and the caller's that `src/pid_translate.ts` makes.
 *
 * @module
 */

import { assertOptions, assertPid, describe } from "./errors.ts";
import { assertOpen } from "./fd.ts";
import { PidNamespace } from "./pidfd.ts";
import {
  callerRef,
  type Context,
  METHODS,
  type PidTranslateOptions,
  tgidOption,
  translateStep,
  type TranslationMethod,
} from "./pid_translate.ts";

/** Options of {@link translatePid}. */
export interface TranslatePidOptions extends PidTranslateOptions {
  /** The namespace `pid` is given in. Default: the caller's PID namespace. */
  from?: PidNamespace;
  /** The namespace to express it in. Default: the caller's PID namespace. */
  to?: PidNamespace;
  /** How to translate. Default `"auto"`. */
  method?: TranslationMethod;
}

function namespaceOption(ns: unknown, name: string): void {
  if (ns === undefined) return;
  if (!(ns instanceof PidNamespace)) throw new TypeError(`Expected options.${name} to be a PidNamespace`);
  assertOpen(ns); // a closed handle is a TypeError here, before any syscall
}

/**
 * Translates a pid between any two PID namespaces, by default the caller's. The translation composes through
 * the caller's namespace (`from` → caller → `to`), so the process must be visible there.
 *
 * Methods (all give the same answers):
 * - `"ioctl"`: `NS_GET_{PID,TGID}_{FROM,IN}_PIDNS` (ioctl_nsfs(2), Linux ≥ 6.11), a few hundred ns; no
 *   privilege beyond holding the namespace handles.
 * - `"fdinfo"`: a pidfd's `NSpid:` line in `/proc/self/fdinfo` (Linux ≥ 5.5); `toCaller` scans `/proc` and
 *   confirms the find through a pidfd.
 * - `"procfs"`: `NSpid:`/`NStgid:` in `/proc/<pid>/status` (Linux ≥ 4.1); `toCaller` scans `/proc`.
 * - `"auto"` (default): the fastest that works here, found once and remembered.
 * The procfs-based methods reach only the caller's namespace and those below it, and when a namespace other
 * than the caller's is involved they confirm where a process lives through `/proc/<pid>/ns/pid`, which needs
 * ptrace-read access to it. `/proc` must show the caller (a procfs of its namespace or of an ancestor's).
 *
 * The first call opens the caller's own PID namespace and keeps it open for the life of the process.
 * A missing pid is `ESRCH` whatever the kernel said: `ENOTTY` (what some 6.11+ kernels answer for a missing pid) and
 * `EREMOTE` (a process outside the procfs's namespace) are normalised, with the original as `cause`.
 *
 * @param pid The pid (or a thread id) in `from`.
 * @param options `from`, `to` (default: the caller's namespace), `tgid` for the process id of a thread,
 * `method`.
 * @returns The pid in `to`.
 * @throws {TypeError} For a closed namespace handle, a `from`/`to` that is not a `PidNamespace`, an unknown
 * method or malformed options (all before any syscall).
 * @throws {RangeError} If `pid` is not a positive integer below 2^31.
 * @throws {SyscallError} `ESRCH` if the pid does not exist in `from` or is not visible in `to` (or in the
 * caller's namespace in between); the message names the namespaces. `EACCES` when a procfs-based method
 * cannot confirm a process's namespace.
 * @throws {UnsupportedError} When `method: "ioctl"` is asked of a kernel before 6.11, or a procfs-based
 * method of a namespace outside the caller's subtree.
 *
 * @example From one container's view into another's
 * ```ts ignore
 * import { PidNamespace, translatePid } from "@pidfd/pidfd";
 * using outer = PidNamespace.of(4242);
 * using inner = PidNamespace.of(4300);
 * console.log(translatePid(7, { from: inner, to: outer }));
 * console.log(translatePid(1, { from: inner, method: "procfs" })); // the host pid of inner's init
 * ```
 */
export function translatePid(pid: number, options: TranslatePidOptions = {}): number {
  assertPid(pid);
  assertOptions(options);
  const { from, to } = options;
  const method = options.method ?? "auto";
  if (typeof method !== "string" || !METHODS.has(method)) {
    throw new TypeError(
      `Unknown translation method: ${describe(method)} (use auto, ioctl, fdinfo or procfs)`,
    );
  }
  const tgid = tgidOption(options);
  namespaceOption(from, "from");
  namespaceOption(to, "to");
  const context: Context = { pid, from, to };
  if (from === undefined) {
    // The step into `to` resolves the pid in the caller's namespace itself; alone, check that it exists there.
    return translateStep(to ?? callerRef(), pid, tgid, method, false, context);
  }
  const inCaller = translateStep(from, pid, tgid, method, true, context);
  if (to === undefined) return inCaller;
  context.via = inCaller;
  return translateStep(to, inCaller, tgid, method, false, context);
}
