/**
 * The wording of the errors a PID translation ends in, built once at the edge from what a step of
 * `pid_translate.ts` returned: the `ESRCH` of a pid not found (naming the namespaces on both sides) and of a
 * namespace whose init is gone or out of view.
 *
 * @module
 */

import { Errno } from "../ffi/mod.ts";
import { SyscallError } from "./errors.ts";
import {
  callerRef,
  type Direction,
  holdsCaller,
  label,
  type NotFound,
  type PidNsRef,
  same,
  type StepResult,
} from "./pid_translate.ts";

/** What a {@link translatePid} call was about, for error messages. */
export interface Context {
  readonly pid: number;
  readonly from: PidNsRef | undefined;
  readonly to: PidNsRef | undefined;
  /** The pid in the caller's namespace, once the first step succeeded. */
  via?: number;
}

/**
 * The pid a step found, or its {@link NotFound} as an `ESRCH` naming the namespaces: the one edge where a
 * translation's result becomes an error.
 */
export function found(
  result: StepResult,
  ns: PidNsRef,
  pid: number,
  dir: Direction,
  context?: Context,
): number {
  if (typeof result === "number") return result;
  throw notFoundError(result, ns, pid, dir, context);
}

function callerLabel(): string {
  return `pid:[${callerRef().inode}] (the caller's)`;
}

/** The `ESRCH` of a translation, with a message naming the namespaces on both sides. */
export function notFoundError(
  result: NotFound,
  ns: PidNsRef,
  pid: number,
  dir: Direction,
  context?: Context,
): SyscallError {
  const toCaller = dir.toCaller;
  let detail: string;
  if (context !== undefined && context.from === undefined && context.to === undefined) {
    detail = `pid ${pid} does not exist in ${callerLabel()}`;
  } else if (context !== undefined) {
    // Each namespace named once: the caller's as such, and one namespace on both sides only once.
    const caller = callerRef();
    const fromNs = context.from ?? caller;
    const toNs = context.to ?? caller;
    const name = (ns: PidNsRef): string => same(ns, caller) ? callerLabel() : label(ns);
    const from = name(fromNs);
    const to = name(toNs);
    if (same(fromNs, toNs)) {
      detail = `pid ${context.pid} does not exist in ${from}`;
    } else if (toCaller && !same(toNs, caller)) {
      detail = `pid ${context.pid} of ${from} does not exist or is not visible in ${callerLabel()}, ` +
        `through which the translation to ${to} goes`;
    } else if (!toCaller && !same(fromNs, caller)) {
      detail =
        `pid ${context.pid} of ${from} (pid ${context.via} in ${callerLabel()}) is not visible in ${to}`;
    } else {
      detail = `pid ${context.pid} of ${from} does not exist or is not visible in ${to}`;
    }
  } else {
    detail = toCaller
      ? `pid ${pid} of ${label(ns)} does not exist or is not visible in ${callerLabel()}`
      : `pid ${pid} of ${callerLabel()} does not exist or is not visible in ${label(ns)}`;
  }
  return new SyscallError({
    syscall: result.syscall,
    errno: Errno.ESRCH,
    subject: pid,
    cause: result.cause,
    detail,
  });
}

/**
 * The `ESRCH` of a namespace whose init cannot be reached: it has exited (the namespace is empty), or the
 * namespace is an ancestor of the caller's, whose init the caller cannot see.
 */
export function initGone(ns: PidNsRef, cause: Error): SyscallError {
  // The caller is visible in its own namespace and in every ancestor: then the init is merely out of view.
  const ancestor = holdsCaller(ns) && !same(ns, callerRef());
  return new SyscallError({
    syscall: "NS_GET_PID_FROM_PIDNS",
    errno: Errno.ESRCH,
    subject: "1",
    cause,
    detail: ancestor
      ? `${
        label(ns)
      } is an ancestor of the caller's PID namespace: its init is not visible from ${callerLabel()}`
      : `the init (pid 1) of ${label(ns)} has exited: the namespace is empty`,
  });
}

/** {@link initGone} for a step that did not find pid 1 (or, verifying the init, its pid inside). */
export function initNotFound(ns: PidNsRef, result: NotFound, pid: number, dir: Direction): SyscallError {
  return initGone(ns, notFoundError(result, ns, pid, dir));
}
