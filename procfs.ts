/**
 * Bounded, non-blocking reads of procfs and other small text files through the FFI (`openat`, `read`,
 * `getdents64`), so that under Deno they need only `--allow-ffi` (Deno's own file APIs ask `--allow-all` for
 * `/proc`). Every open is `O_NONBLOCK | O_NOCTTY | O_CLOEXEC`, so a FIFO or a terminal can never stall the event
 * loop, and a read stops at 16 MiB.
 *
 * A file under `/proc/<pid>` read by number may belong to a recycled pid: to read a process's files race-free,
 * open its directory through its pidfd (`Pidfd.openProcDir()`, whose `readText` reads relative to it).
 *
 * @example The caller's own status
 * ```ts
 * import { field, intsField, readText } from "@pidfd/pidfd/procfs";
 * const status = readText("/proc/self/status");
 * console.log(field(status, "Name"), intsField(status, "Uid"));
 * ```
 *
 * @module
 */

import * as procfs from "./src/procfs.ts";

/**
 * Reads a whole file as text: `openat(2)` non-blocking, then `read(2)` until the end, at most 16 MiB.
 *
 * @param path An absolute path, or one relative to the working directory.
 * @returns The file's contents, decoded as UTF-8.
 * @throws {TypeError} If `path` contains a NUL byte.
 * @throws {RangeError} If the file is larger than 16 MiB.
 * @throws {SyscallError} From `open` or `read`: `ENOENT` for a missing file, `EACCES`, `EAGAIN` from an empty
 * FIFO, and so on.
 *
 * @example
 * ```ts
 * import { readText } from "@pidfd/pidfd/procfs";
 * console.log(readText("/proc/self/comm").trim());
 * ```
 */
export function readText(path: string): string {
  return procfs.readText(path);
}

/**
 * Lists the entries of a directory, without `.` and `..`: `openat(2)` with `O_DIRECTORY`, then `getdents64(2)`.
 *
 * @param path The directory.
 * @returns The entry names in the order the kernel returns them.
 * @throws {TypeError} If `path` contains a NUL byte.
 * @throws {SyscallError} From `open` or `getdents64`: `ENOENT`, `ENOTDIR`, `EACCES`, …
 *
 * @example The pids `/proc` shows
 * ```ts
 * import { listDir } from "@pidfd/pidfd/procfs";
 * const pids = listDir("/proc").filter((name) => /^[0-9]+$/.test(name)).map(Number);
 * console.log(pids.length);
 * ```
 */
export function listDir(path: string): string[] {
  return procfs.listDir(path);
}

/**
 * The value of a `Key:<whitespace>value` line in a procfs text file (`status`, `fdinfo/<fd>`, …), trimmed.
 *
 * @param text The file's contents, as {@link readText} returns them.
 * @param key The key without its colon, matched at the start of a line.
 * @returns The value, or `null` when no line has that key.
 *
 * @example
 * ```ts
 * import { field } from "@pidfd/pidfd/procfs";
 * console.log(field("Name:\tbash\nState:\tS (sleeping)\n", "State")); // "S (sleeping)"
 * ```
 */
export function field(text: string, key: string): string | null {
  return procfs.field(text, key);
}

/**
 * The whitespace-separated integers of a procfs field (`NSpid`, `Uid`, `VmRSS` in kB, …).
 *
 * @param text The file's contents, as {@link readText} returns them.
 * @param key The key without its colon.
 * @returns The integers, or `null` when no line has that key.
 *
 * @example
 * ```ts
 * import { intsField } from "@pidfd/pidfd/procfs";
 * console.log(intsField("Uid:\t0\t0\t0\t0\n", "Uid")); // [0, 0, 0, 0]
 * ```
 */
export function intsField(text: string, key: string): number[] | null {
  return procfs.intsField(text, key);
}
