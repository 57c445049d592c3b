/**
 * {@link ProcDir}: the `/proc/<pid>` directory of the process a pidfd refers to, opened race-free.
 *
 * @module
 */

import { Errno, O_DIRECTORY, pidfd_send_signal } from "../ffi/mod.ts";
import { describe, excerpt, SyscallError } from "./errors.ts";
import { assertOpen, closeRaw, constructOwner, inodeOf, OwnedFd } from "./fd.ts";
import { translateStep } from "./pid_translate.ts";
import type { Pidfd } from "./pidfd.ts";
import { intsField, openPath, openProcfsFile, readAll, readText } from "./procfs.ts";
import { openProcfsRoot, procfsNamespaceFd } from "./procfs_mount.ts";

// Set by the class's static block: module code may construct, users may not.
let construct: (fd: number, pid: number, root: string) => ProcDir;

/**
 * An open `/proc/<pid>` directory of one process, as `Pidfd.openProcDir` hands it out (what the proposed
 * `procfd_open` was meant to be). Files are read relative to the directory, so every read reaches the process
 * the pidfd referred to: once that process has been reaped, reads fail (`ENOENT` or `ESRCH`) instead of
 * returning another process's data, even if its pid number has been reused meanwhile.
 *
 * Close it with {@link ProcDir.close} or bind it with `using`.
 *
 * @example Read a process's status and command line without a pid-reuse race
 * ```ts
 * import { Pidfd } from "@pidfd/pidfd";
 * using pidfd = Pidfd.self();
 * using dir = pidfd.openProcDir();
 * console.log(dir.readText("status"), dir.readText("cmdline").split("\0"));
 * ```
 */
export class ProcDir extends OwnedFd {
  #pid: number;
  #root: string;

  private constructor(fd: number, pid: number, root: string) {
    super(fd);
    this.#pid = pid;
    this.#root = root;
  }

  /**
   * The pid as the procfs instance numbers it (the directory's name), in its PID namespace.
   *
   * @throws {TypeError} If the directory is closed.
   */
  get pid(): number {
    assertOpen(this); // use after close is an error here too
    return this.#pid;
  }

  /**
   * The procfs mount point the directory belongs to.
   *
   * @throws {TypeError} If the directory is closed.
   */
  get root(): string {
    assertOpen(this);
    return this.#root;
  }

  /**
   * Reads a file of the directory, such as `"status"`, `"cmdline"`, `"environ"` or `"task/1234/stat"`, with
   * `openat(2)` relative to it. Permission: that of the file (`environ` needs ptrace-read access; `status`
   * and `cmdline` are world-readable).
   *
   * Only procfs files are read: the path is looked at through an `O_PATH` fd first, so a link that leads out
   * of procfs (`fd/0` to a pipe or a FIFO, `cwd/…`) is a `TypeError` and never blocks. At most 16 MiB are read
   * (`pagemap` describes the whole address space): a larger file is a `RangeError`.
   *
   * @param name A relative path inside the directory, without `..` components.
   * @returns The file's contents as text.
   * @throws {TypeError} If the directory is closed, `name` is not a relative path inside it, or it names no
   * procfs file.
   * @throws {RangeError} If the file is larger than 16 MiB.
   * @throws {SyscallError} `ENOENT` or `ESRCH` once the process has been reaped; `EACCES` without permission.
   *
   * @example
   * ```ts
   * import { Pidfd } from "@pidfd/pidfd";
   * using pidfd = Pidfd.self();
   * using dir = pidfd.openProcDir();
   * const threads = /^Threads:\s+(\d+)/m.exec(dir.readText("status"))?.[1];
   * ```
   */
  readText(name: string): string {
    if (typeof name !== "string") throw new TypeError(`Expected name to be a string, got ${describe(name)}`);
    if (name === "" || name.startsWith("/") || name.split("/").includes("..")) {
      throw new TypeError(`Expected a relative path inside the directory, got ${describe(name)}`);
    }
    const fd = this.fd;
    const path = `${this.#root}/${this.#pid}/${excerpt(name)}`;
    let file: number;
    try {
      file = openProcfsFile(name, fd);
    } catch (e) {
      if (e instanceof SyscallError) {
        throw new SyscallError({ syscall: "open", errno: e.errno, subject: path, cause: e });
      }
      throw e;
    }
    try {
      return readAll(file, path);
    } finally {
      closeRaw(file);
    }
  }

  static {
    construct = (fd, pid, root) => constructOwner(() => new ProcDir(fd, pid, root));
  }
}

/** `Pidfd.openProcDir`: see there. */
export function openProcDir(pidfd: Pidfd, root: string): ProcDir {
  if (typeof root !== "string") throw new TypeError(`Expected root to be a string, got ${describe(root)}`);
  const fd = pidfd.fd; // a closed pidfd is a TypeError before any syscall
  const rootFd = openProcfsRoot(root);
  try {
    const pid = pidInProcfs(pidfd, fd, rootFd, root);
    let dir: number;
    try {
      dir = openPath(String(pid), O_DIRECTORY, rootFd);
    } catch (e) {
      if (e instanceof SyscallError && e.code === "ENOENT") throw reaped(pidfd, root, e);
      throw e;
    }
    // The pid was the process's when it was read; if the process has not been reaped since, nobody else can
    // have taken the number, so `dir` is its directory.
    if (pidfd_send_signal(fd, 0, 0) === -Errno.ESRCH) {
      closeRaw(dir);
      throw reaped(pidfd, root);
    }
    return construct(dir, pid, root);
  } finally {
    closeRaw(rootFd);
  }
}

function reaped(pidfd: Pidfd, root: string, cause?: Error): SyscallError {
  return new SyscallError({
    syscall: "pidfd_send_signal",
    operation: "Pidfd.openProcDir",
    errno: Errno.ESRCH,
    subject: pidfd.pid,
    cause,
    detail: `the process has been reaped, so ${root} has no directory for it`,
  });
}

/** The pidfd's pid as the procfs open as `rootFd` numbers it. */
function pidInProcfs(pidfd: Pidfd, fd: number, rootFd: number, root: string): number {
  let text: string | null = null;
  try {
    // Read through this procfs instance, `Pid:` is already in its namespace (the instance's pid namespace).
    text = readText(`self/fdinfo/${fd}`, rootFd);
  } catch (e) {
    if (!(e instanceof SyscallError && e.code === "ENOENT")) throw e;
  }
  if (text !== null) {
    const pid = intsField(text, "Pid")?.[0];
    if (pid === undefined) {
      throw new SyscallError({
        syscall: "read",
        operation: "Pidfd.openProcDir",
        errno: Errno.ENOENT,
        subject: `${root}/self/fdinfo/${fd}`,
      });
    }
    if (pid === -1) throw reaped(pidfd, root);
    if (pid === 0) {
      throw new SyscallError({
        syscall: "read",
        operation: "Pidfd.openProcDir",
        errno: Errno.ESRCH,
        subject: pidfd.pid,
        cause: new SyscallError({
          syscall: "pidfd_getpid",
          errno: Errno.EREMOTE,
          subject: pidfd.pid,
        }),
        detail: `the process is not visible in the PID namespace of ${root}`,
      });
    }
    return pid;
  }
  // The caller is not visible in this instance (`<root>/self` is missing): translate into its namespace. The
  // pidfd's pid stays valid while the process is not reaped, which openProcDir confirms afterwards.
  const nsFd = procfsNamespaceFd(rootFd, root);
  try {
    const ns = { fd: nsFd, inode: Number(inodeOf(nsFd, root)) };
    return translateStep(ns, pidfd.pid, false, "auto", false, undefined);
  } catch (e) {
    if (e instanceof SyscallError && e.code === "ESRCH") {
      throw new SyscallError({
        syscall: "NS_GET_PID_IN_PIDNS",
        operation: "Pidfd.openProcDir",
        errno: Errno.ESRCH,
        subject: pidfd.pid,
        cause: e,
        detail: `the process is not visible in the PID namespace of ${root}, or has exited`,
      });
    }
    throw e;
  } finally {
    closeRaw(nsFd);
  }
}
