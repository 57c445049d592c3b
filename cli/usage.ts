/**
 * Exit statuses and usage errors. This module loads no FFI, so `--help`, `--version` and usage errors work
 * even where the FFI cannot be loaded.
 *
 * @module
 */

/** Exit statuses of the tool. */
export const EXIT = Object.freeze({ OK: 0, FAILURE: 1, USAGE: 2, TIMEOUT: 124, INTERRUPTED: 130 });

/**
 * A usage error: bad arguments, found before anything was done. `command` names the command whose `--help`
 * the message points to (none for the tool's own).
 */
export class UsageError extends Error {
  override name = "UsageError";
  /** The command whose help to point to, or `undefined` for `pidfd --help`. */
  command: string | undefined;

  /**
   * @param message What is wrong, quoting the offending value.
   * @param command The command whose `--help` applies.
   */
  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

/** The one line a usage error prints: `pidfd: <message> (see 'pidfd <command> --help')`. */
export function usageLine(error: UsageError): string {
  const help = error.command === undefined ? "pidfd --help" : `pidfd ${error.command} --help`;
  return `pidfd: ${oneLine(error.message)} (see '${help}')`;
}

/** Collapses whitespace runs that contain a newline, so every message is one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}
