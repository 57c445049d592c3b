/**
 * Procfs-mount identity: the root of a procfs instance, and the PID namespace it numbers pids in (what the
 * never-merged `PROCFS_GET_PID_NAMESPACE` ioctl would have answered). Raw fds only; `PidNamespace.ofProcfs`
 * and `Pidfd.openProcDir` wrap them.
 *
 * @module
 */

import { Errno, libc, NS_GET_PID_IN_PIDNS, O_DIRECTORY, PROC_SUPER_MAGIC } from "../ffi/mod.ts";
import { excerpt, SyscallError } from "./errors.ts";
import { closeRaw, fsTypeOf, inodeOf } from "./fd.ts";
import { namespaceTypeOf } from "./namespace.ts";
import { goneAsEsrch, intsField, listDir, openPath, readText } from "./procfs.ts";
import { supports } from "./supports.ts";

/**
 * Opens the root of a procfs mount as a directory, or throws a `SyscallError` `EINVAL` if it is not a procfs. Returns a raw
 * fd the caller must close.
 */
export function openProcfsRoot(root: string): number {
  const fd = openPath(root, O_DIRECTORY);
  try {
    if (fsTypeOf(fd, root) !== PROC_SUPER_MAGIC) {
      // Not an argument-type problem: the path is a directory, of another filesystem.
      throw new SyscallError({
        syscall: "fstatfs",
        errno: Errno.EINVAL,
        subject: root,
        detail: `Not a procfs mount: ${excerpt(root)}`,
      });
    }
    return fd;
  } catch (e) {
    closeRaw(fd);
    throw e;
  }
}

/**
 * Opens `<pid>/ns/pid` of some process that lives directly in the namespace of the procfs open as `rootFd`
 * (its `NSpid` there has one entry), trying at most 64 of them; `null` if none lets the caller in.
 */
function openAnyMember(rootFd: number): number | null {
  let tried = 0;
  for (const name of listDir(`/proc/self/fd/${rootFd}`)) {
    if (!/^[0-9]+$/.test(name) || name === "1") continue;
    if (++tried > 64) break;
    try {
      if (intsField(readText(`${name}/status`, rootFd), "NSpid")?.length !== 1) continue;
      return openPath(`${name}/ns/pid`, 0, rootFd);
    } catch (e) {
      if (!(e instanceof SyscallError)) throw e; // gone meanwhile, or refused: try the next
    }
  }
  return null;
}

/**
 * The PID namespace a procfs instance numbers pids in, whose root is open as `rootFd` (see
 * `PidNamespace.ofProcfs`): a raw nsfs fd of it, which the caller must close or adopt.
 */
export function procfsNamespaceFd(rootFd: number, root: string): number {
  // The caller's NSpid chain as this instance numbers it, or null when the caller is not visible there.
  let self: number[] | null = null;
  try {
    self = intsField(readText("self/status", rootFd), "NSpid");
  } catch (e) {
    if (!(e instanceof SyscallError && e.code === "ENOENT")) throw e;
  }
  let fd: number;
  try {
    fd = openPath("1/ns/pid", 0, rootFd);
  } catch (e) {
    if (e instanceof SyscallError && e.code === "ENOENT") {
      throw goneAsEsrch(e, {
        syscall: "open",
        subject: `${root}/1/ns/pid`,
        detail:
          "this procfs shows no pid 1: the init of its PID namespace has exited (or hidepid= hides it), so the namespace cannot be named",
      });
    }
    // Without ptrace access to that init: if the caller lives directly in the instance's namespace, its own
    // ns file names it; else another process that lives directly in it (an `NSpid` of one entry) may let
    // the caller in.
    if (e instanceof SyscallError && e.code === "EACCES" && self !== null && self.length === 1) {
      fd = openPath("self/ns/pid", 0, rootFd);
    } else if (e instanceof SyscallError && e.code === "EACCES") {
      const other = openAnyMember(rootFd);
      if (other === null) {
        throw new SyscallError({
          syscall: "open",
          errno: Errno.EACCES,
          subject: `${root}/1/ns/pid`,
          cause: e,
          detail:
            "naming the namespace of this procfs needs ptrace-read access to one of its processes, and its pid 1 " +
            "and every other one tried refuse the caller" +
            (self !== null && self.length > 1
              ? ` (this procfs is that of an ancestor of the caller's PID namespace: ${root} was not remounted ` +
                "after unshare --pid; unshare --mount-proc does that)"
              : ""),
        });
      }
      fd = other;
    } else {
      throw e;
    }
  }
  try {
    if (namespaceTypeOf(fd, `${root}/1/ns/pid`) !== "pid") {
      throw new TypeError(`${root}/1/ns/pid is not a PID namespace`);
    }
    // Cross-check: the caller's pid as the instance numbers it must be its pid in the candidate namespace.
    if (self !== null && self[0] !== undefined && supports().pidnsTranslation) {
      const r = libc.ioctl_val(fd, NS_GET_PID_IN_PIDNS, libc.getpid());
      if (r !== self[0]) {
        throw new Error(
          `${root}: pid 1 names pid:[${inodeOf(fd, root)}], but the caller is pid ${
            self[0]
          } there and ${r} in that namespace`,
        );
      }
    }
    return fd;
  } catch (e) {
    closeRaw(fd);
    throw e;
  }
}
