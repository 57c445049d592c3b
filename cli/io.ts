/**
 * The few things the CLI needs from its runtime, for Deno and Bun alike: arguments, synchronous writes to
 * stdout and stderr, terminal detection, `NO_COLOR`, and exit.
 *
 * Under Deno nothing here needs a permission (`Deno.noColor` reads `NO_COLOR` without `--allow-env`), so the
 * tool runs with `--allow-ffi` alone.
 *
 * @module
 */

import { fstatSync, writeSync } from "node:fs";
import process from "node:process";
import { isBun } from "../ffi/runtime.ts";

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
  if (isBun) {
    // Bun's process.stdout costs milliseconds to set up: ask it only about what can be a terminal, a
    // character device other than a memory device (/dev/null, major 1).
    let st;
    try {
      st = fstatSync(fd);
    } catch {
      return false;
    }
    if (!st.isCharacterDevice() || Math.floor(Number(st.rdev) / 256) % 4096 === 1) return false;
    return (fd === 1 ? process.stdout : process.stderr).isTTY === true;
  }
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
    try {
      const n = isBun ? writeSync(fd, bytes) : (fd === 1 ? Deno.stdout : Deno.stderr).writeSync(bytes);
      bytes = bytes.subarray(n);
    } catch (e) {
      if (isBrokenPipe(e)) return;
      if (!isWouldBlock(e)) throw e;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

function errorCode(e: unknown): unknown {
  return e instanceof Error ? (e as { code?: unknown }).code : undefined;
}

function isBrokenPipe(e: unknown): boolean {
  return errorCode(e) === "EPIPE" || (e instanceof Error && e.name === "BrokenPipe");
}

function isWouldBlock(e: unknown): boolean {
  return errorCode(e) === "EAGAIN" || errorCode(e) === "EWOULDBLOCK" ||
    (e instanceof Error && e.name === "WouldBlock");
}
