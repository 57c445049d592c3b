/**
 * Writes to a file descriptor and asks whether it is a terminal through libc's `write` and `isatty`, opened
 * alone on first use: for the command-line tool's output under Bun, before and without the rest of the
 * library (Bun's `node:fs` takes a millisecond to load, a tenth of the tool's start-up). Under Deno the tool
 * uses `Deno.stdout` and `Deno.stderr` instead, which need no permission.
 *
 * @module
 */

import { bunSymbols, requireBunFfi } from "./bun.ts";
import { type Libc, LIBC_PATH } from "./symbols.ts";

/** The errno values, for the `-errno` results of {@link bunWrite}. */
export { Errno } from "./constants.ts";

let stdio: Pick<Libc, "write" | "isatty"> | undefined;

function open(): Pick<Libc, "write" | "isatty"> {
  return bunSymbols(requireBunFfi(), LIBC_PATH, ["write", "isatty"]);
}

/** `write(2)` of `bytes` to `fd` under Bun: the bytes written, or `-errno`. */
export function bunWrite(fd: number, bytes: Uint8Array): number {
  stdio ??= open();
  return stdio.write(fd, bytes, BigInt(bytes.length));
}

/** `isatty(3)` under Bun: whether `fd` is a terminal. */
export function bunIsatty(fd: number): boolean {
  stdio ??= open();
  return stdio.isatty(fd) === 1;
}
