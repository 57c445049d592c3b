/**
 * The few things the CLI needs from its runtime, for Deno and Bun alike: arguments, synchronous writes to
 * stdout and stderr, terminal detection, `NO_COLOR`, and exit.
 *
 * Under Deno nothing here needs a permission (`Deno.noColor` reads `NO_COLOR` without `--allow-env`), so the
 * tool runs with `--allow-ffi` alone.
 *
 * @module
 */

import process from "node:process";
import { isBun } from "../ffi/runtime.ts";
import { bunIsatty, bunWrite, Errno } from "../ffi/stdio.ts";

const encoder = new TextEncoder();

/** The command-line arguments after the program (and script) name. */
export function argv(): string[] {
  return isBun ? process.argv.slice(2) : Deno.args;
}

/** Ends the process with `code`. */
export function exit(code: number): never {
  if (isBun) process.exit(code);
  Deno.exit(code);
}

/** Resolves on Ctrl-C (SIGINT) while it is not disposed; disposing restores the default action. */
export function interrupted(): Promise<void> & Disposable {
  let listener!: () => void;
  const promise = new Promise<void>((resolve) => listener = resolve);
  if (isBun) process.on("SIGINT", listener);
  else Deno.addSignalListener("SIGINT", listener);
  return Object.assign(promise, {
    [Symbol.dispose]: (): void => {
      if (isBun) process.off("SIGINT", listener);
      else Deno.removeSignalListener("SIGINT", listener);
    },
  });
}

/** Whether file descriptor 1 (stdout) or 2 (stderr) is a terminal. */
export function isTerminal(fd: 1 | 2): boolean {
  // Bun's process.stdout costs milliseconds to set up: ask libc.
  if (isBun) return bunIsatty(fd);
  return (fd === 1 ? Deno.stdout : Deno.stderr).isTerminal();
}

/** The width of the terminal on stdout, or `undefined` when stdout is not a terminal. */
export function terminalColumns(): number | undefined {
  if (!isTerminal(1)) return undefined;
  try {
    const columns = isBun ? process.stdout.columns : Deno.consoleSize().columns;
    return columns > 0 ? columns : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `NO_COLOR` is set to a non-empty value (https://no-color.org). */
export function noColor(): boolean {
  if (isBun) return (process.env["NO_COLOR"] ?? "") !== "";
  return Deno.noColor;
}

/**
 * Writes all of `text` to stdout (1) or stderr (2), synchronously, so that output and exit status never race.
 * A pipe that its creator made non-blocking (Node and Bun parents do) answers `EAGAIN` when full: then wait a
 * millisecond for the reader and go on. A closed pipe (`pidfd ps | head -1`) is not an error: the rest of the
 * output is dropped.
 */
export function write(fd: 1 | 2, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) {
    const n = isBun ? bunWrite(fd, bytes) : denoWrite(fd, bytes);
    if (n >= 0) bytes = bytes.subarray(n);
    else if (n === -Errno.EPIPE) return;
    else if (n === -Errno.EAGAIN) Atomics.wait(pause, 0, 0, 1);
    else if (n !== -Errno.EINTR) {
      throw new Error(`cannot write to ${fd === 1 ? "stdout" : "stderr"}: errno ${-n}`);
    }
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** `Deno.stdout.writeSync` or `Deno.stderr.writeSync`, its errors as `-errno` like {@link bunWrite}. */
function denoWrite(fd: 1 | 2, bytes: Uint8Array): number {
  try {
    return (fd === 1 ? Deno.stdout : Deno.stderr).writeSync(bytes);
  } catch (e) {
    if (e instanceof Error && e.name === "BrokenPipe") return -Errno.EPIPE;
    if (e instanceof Error && e.name === "WouldBlock") return -Errno.EAGAIN;
    throw e;
  }
}
