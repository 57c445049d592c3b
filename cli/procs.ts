/**
 * What several commands read about a process and its PID namespace: the command line (through the race-free
 * `ProcDir`), the user's name, and the PID namespace a spec on the command line names.
 *
 * @module
 */

import { Pidfd, PidNamespace, supports, SyscallError, UnsupportedError } from "../mod.ts";
import { readText } from "../procfs.ts";
import type { NamespaceSpec, ProcessSpec } from "./args.ts";
import { reason } from "./errors.ts";
import { argvOf, commandLine } from "./format.ts";
import { UsageError } from "./usage.ts";

/** A command line: for display (as `ps -o args` shows it) and as the argument vector. */
export interface CommandLine {
  command: string;
  argv: string[];
}

/**
 * The command line of the process behind `pidfd`, read through its `/proc/<pid>` directory opened race-free
 * (`Pidfd.openProcDir`): once the process has been reaped the reads fail rather than answer for a process
 * that reused the pid.
 */
export function commandOf(pidfd: Pidfd): CommandLine {
  using dir = pidfd.openProcDir();
  const cmdline = dir.readText("cmdline");
  const comm = dir.readText("comm").replace(/\n$/, "");
  return { command: commandLine(cmdline, comm), argv: argvOf(cmdline) };
}

let users: Map<number, string> | undefined;

/** The name of a user id from `/etc/passwd`, or `null` when it has none there. */
export function userName(uid: number): string | null {
  if (users === undefined) {
    users = new Map();
    let passwd = "";
    try {
      passwd = readText("/etc/passwd");
    } catch {
      // No passwd file (a minimal container): numeric ids only.
    }
    for (const line of passwd.split("\n")) {
      const [name, , id] = line.split(":");
      if (name && id !== undefined && /^[0-9]+$/.test(id) && !users.has(Number(id))) {
        users.set(Number(id), name);
      }
    }
  }
  return users.get(uid) ?? null;
}

/**
 * Opens the PID namespace a spec names. A file that is not a PID namespace (or a path that is not a procfs
 * for `proc:`) is a usage error; kernel refusals (`ENOENT`, `ESRCH`, `EACCES`) are thrown as they are, for
 * the caller to report as operational errors about `spec.text`.
 *
 * @param spec The parsed spec.
 * @param command The command, for the usage error's pointer to `--help`.
 */
export function openNamespace(spec: NamespaceSpec, command: string): PidNamespace {
  try {
    switch (spec.kind) {
      case "self":
        return PidNamespace.current();
      case "pid": {
        using pidfd = Pidfd.open(spec.pid);
        return PidNamespace.of(pidfd);
      }
      case "proc":
        return PidNamespace.ofProcfs(spec.root);
      case "path":
        return PidNamespace.open(spec.path);
    }
  } catch (e) {
    // Problems with the argument itself: not a namespace file, not a procfs mount (EINVAL from the check).
    const notProcfs = spec.kind === "proc" && e instanceof SyscallError && e.code === "EINVAL" &&
      e.syscall === "fstatfs";
    if (e instanceof TypeError || notProcfs) {
      throw new UsageError(`invalid namespace '${spec.text}': ${notProcfs ? e.detail : e.message}`, command);
    }
    throw e;
  }
}

/**
 * Opens a pidfd for a process spec, `<pid>` or `<pid>:<id>` (then only the process with that pidfs id), for a
 * pid or a thread id, as util-linux `kill` takes either: `pidfd_open` refuses a thread that does not lead its
 * group (`ENOENT`), so a thread id is opened as a thread (`PIDFD_THREAD`, Linux ≥ 6.9); on older kernels the
 * error names the thread group to use instead. A mismatching id is `ESRCH (No such process: pid 4242 is now
 * another process)`.
 */
export function openPid(spec: ProcessSpec | number): Pidfd {
  const { pid, id } = typeof spec === "number" ? { pid: spec, id: null } : spec;
  const options = id === null ? {} : { id };
  try {
    try {
      return Pidfd.open(pid, options);
    } catch (e) {
      if (!(e instanceof SyscallError && e.code === "ENOENT")) throw e;
      const tgid = tgidOf(pid);
      if (tgid === null) throw e;
      if (supports().pidfdThread) return Pidfd.open(pid, { ...options, thread: true });
      const message = `${
        reason(e)
      }: ${pid} is a thread of process ${tgid} (this kernel has no thread pidfds)`;
      throw new Error(message, { cause: e });
    }
  } catch (e) {
    if (
      id !== null && e instanceof SyscallError && e.code === "ESRCH" && e.detail?.endsWith("another process")
    ) {
      throw new Error(`${e.code} (${e.description}: ${e.detail})`, { cause: e });
    }
    throw e;
  }
}

/** The pidfs id of a pidfd, or `null` before Linux 6.9 (no pidfs). */
export function pidfsId(pidfd: Pidfd): bigint | null {
  try {
    return pidfd.id;
  } catch (e) {
    if (e instanceof UnsupportedError) return null;
    throw e;
  }
}

/** The thread group of a thread id (`/proc/<tid>/status` shows every thread), or `null` if there is none. */
function tgidOf(tid: number): number | null {
  try {
    const m = /^Tgid:\s+(\d+)$/m.exec(readText(`/proc/${tid}/status`));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** The one-letter state of a process from its `status` (`R`, `S`, `Z` for a zombie …), or `null`. */
export function stateOf(pidfd: Pidfd): string | null {
  try {
    using dir = pidfd.openProcDir();
    return /^State:\s+(\S)/m.exec(dir.readText("status"))?.[1] ?? null;
  } catch {
    return null;
  }
}

/**
 * A value the kernel may hide from the caller, or `null` then: another user's namespaces (`EACCES`), the level
 * of a namespace when the caller runs in a child PID namespace (`EPERM`), the init of an ancestor namespace or
 * of one whose init has exited, or the namespaces of a zombie (`ESRCH`).
 */
export function unlessHidden<T>(get: () => T): T | null {
  try {
    return get();
  } catch (e) {
    if (e instanceof SyscallError && (e.code === "EACCES" || e.code === "EPERM" || e.code === "ESRCH")) {
      return null;
    }
    throw e;
  }
}
