/**
 * How the CLI reports operational failures: one line on stderr naming the subject and the errno code, exit
 * status 1.
 *
 * @module
 */

import { SyscallError, UnsupportedError } from "../mod.ts";
import { oneLine } from "./usage.ts";

/**
 * The one line an operational error prints: `pidfd: <subject>: <reason>`, where the reason of a
 * {@link SyscallError} is its code and description (`ESRCH (No such process)`) plus any detail the library
 * added.
 *
 * @param subject What the command was working on: a pid, a namespace spec.
 * @param error What was thrown.
 */
export function errorLine(subject: string, error: unknown): string {
  return `pidfd: ${subject}: ${oneLine(reason(error))}`;
}

/** The reason part of {@link errorLine}, without the subject. */
export function reason(error: unknown): string {
  if (error instanceof SyscallError) {
    return `${error.code} (${error.description})${error.detail ? `: ${error.detail}` : ""}`;
  }
  if (error instanceof UnsupportedError) return `unsupported: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The error code of a {@link SyscallError} (`"ESRCH"`), for `--json` output; `null` for other errors. */
export function errorCode(error: unknown): string | null {
  if (error instanceof SyscallError) return error.code;
  return error instanceof Error && error.cause instanceof SyscallError ? error.cause.code : null;
}
