/**
 * The context a command runs in: where it writes and how.
 *
 * @module
 */

import { errorLine } from "./errors.ts";
import { type Style, style } from "./format.ts";
import { isTerminal, noColor, terminalColumns, write } from "./io.ts";

/** Where a command writes, and how. */
export class Context {
  /** `--json` was given: print one JSON document on stdout and nothing else there. */
  json: boolean;
  /** Styles for stdout (plain unless stdout is a terminal and `NO_COLOR` is unset). */
  readonly style: Style;
  /** The terminal's width when stdout is one: wide tables are cut to it, as `ps` does. */
  readonly columns: number | undefined;

  /** @param json Whether `--json` was given before the command. */
  constructor(json = false) {
    this.json = json;
    this.style = style(isTerminal(1) && !noColor());
    this.columns = terminalColumns();
  }

  /** Writes text to stdout. */
  out(text: string): void {
    write(1, text);
  }

  /** Writes one line to stderr. */
  errLine(line: string): void {
    write(2, line + "\n");
  }

  /** Reports an operational error about `subject` on stderr: `pidfd: <subject>: <reason>`. */
  fail(subject: string | number, error: unknown): void {
    this.errLine(errorLine(String(subject), error));
  }
}

/** A command: runs with the arguments after its name and returns the exit status. */
export type Command = (args: string[], ctx: Context) => number | Promise<number>;
