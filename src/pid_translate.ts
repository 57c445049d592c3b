/**
 * PID-namespace mechanics on raw fds: translating pids between a PID namespace and the caller's (the nsfs
 * ioctls, and the procfs `NSpid` chains on kernels before 6.11), the levels of the tree, the `NSpid` chain of a
 * pidfd, and the wording of the errors a translation ends in. The handles (`PidNamespace`, `Pidfd`) and
 * `translatePid` sit above and pass their namespaces down as {@link PidNsRef}s; nothing here creates one.
 *
 * Three methods give the same answers:
 * - `"ioctl"`: the nsfs `NS_GET_{PID,TGID}_{FROM,IN}_PIDNS` ioctls (Linux ≥ 6.11), one syscall each;
 * - `"fdinfo"`: the `NSpid:` chain of a pidfd in `/proc/self/fdinfo/<pidfd>` (Linux ≥ 5.5);
 * - `"procfs"`: the `NSpid:`/`NStgid:` chains in `/proc/<pid>/status` (Linux ≥ 4.1).
 * The two procfs-based methods reach only the caller's PID namespace and its descendants, and translating into
 * the caller's view (`toCaller`) scans `/proc`, so its cost grows with the number of processes.
 *
 * @module
 */

import {
  Errno,
  libc,
  NS_GET_PARENT,
  NS_GET_PID_FROM_PIDNS,
  NS_GET_PID_IN_PIDNS,
  NS_GET_TGID_FROM_PIDNS,
  NS_GET_TGID_IN_PIDNS,
  NSFS_MAGIC,
  PIDFD_GET_PID_NAMESPACE,
  pidfd_open,
  PIDFD_THREAD,
} from "../ffi/mod.ts";
import { assertOptions, booleanOption, check, SyscallError, UnsupportedError } from "./errors.ts";
import { closeRaw, confirmNotReaped, fsTypeOf, inodeOf, notWhatItShouldBe } from "./fd.ts";
import type { Pidfd } from "./pidfd.ts";
import { intsField, listDir, openPath, readText } from "./procfs.ts";
import { supports } from "./supports.ts";

/**
 * A PID namespace as the mechanics need it: an open nsfs fd and its inode. A `PidNamespace` is one; so is a
 * raw fd paired with its inode.
 */
export interface PidNsRef {
  readonly fd: number;
  readonly inode: number;
}

/** How {@link translatePid} translates: `"auto"` picks the fastest method that works here and remembers it. */
export type TranslationMethod = "auto" | "ioctl" | "fdinfo" | "procfs";

/** Options of {@link PidNamespace.toCaller} and {@link PidNamespace.fromCaller}. */
export interface PidTranslateOptions {
  /**
   * Answer with the thread group id (the process id) of the task rather than its own pid, so that a thread id
   * translates to the pid of its process (`NS_GET_TGID_*`). Default `false`.
   */
  tgid?: boolean;
}

/** The method `"auto"` settled on in each direction. */
export interface ResolvedMethods {
  /** For {@link PidNamespace.toCaller} and `from` of {@link translatePid}. */
  readonly toCaller: Exclude<TranslationMethod, "auto">;
  /** For {@link PidNamespace.fromCaller} and `to` of {@link translatePid}. */
  readonly fromCaller: Exclude<TranslationMethod, "auto">;
}

export const METHODS: ReadonlySet<string> = new Set(["auto", "ioctl", "fdinfo", "procfs"]);
/** The longest chain of nested PID namespaces (`MAX_PID_NS_LEVEL`). */
const MAX_LEVELS = 32;

let autoMethods: ResolvedMethods | undefined;
// The caller's own PID namespace (it never changes for a process), opened once and kept.
let callerNs: PidNsRef | undefined;
// How many levels the PID namespace of `/proc` lies above the caller's (0 when /proc is the caller's own).
let procLevelCache: number | undefined;

// How many levels below the caller's each namespace lies, once known.
const depths = new WeakMap<PidNsRef, number>();

/**
 * The pid of a process in every PID namespace from the caller's down to its own (the `NSpid` chain), read from
 * `/proc/self/fdinfo/<pidfd>` (Linux ≥ 5.5). Backs `Pidfd.nspid()`.
 */
export function nspidOf(pidfd: Pidfd): number[] {
  const fd = pidfd.fd;
  const base = procLevel();
  const chain = supports().pidfdFdinfo ? fdinfoChain(fd) : null;
  if (chain === null) {
    throw new UnsupportedError("pidfdFdinfo", "/proc/self/fdinfo/<pidfd> has no NSpid: line (Linux < 5.5)");
  }
  if (chain[0] === -1) {
    throw new SyscallError({
      syscall: "read",
      operation: "Pidfd.nspid",
      errno: Errno.ESRCH,
      subject: pidfd.pid,
      detail: "the process has been reaped",
    });
  }
  const notVisible = (): SyscallError =>
    new SyscallError({
      syscall: "read",
      operation: "Pidfd.nspid",
      errno: Errno.EREMOTE,
      subject: pidfd.pid,
      detail: "the process is not visible in the caller's PID namespace",
    });
  if (chain[0] === 0) throw notVisible();
  if (base === 0) return chain;
  // /proc numbers pids from an ancestor namespace: the process must live in the caller's subtree.
  if (
    chain.length <= base || !taskIn(`/proc/${chain[0]}`, chain.length - 1 - base, callerRef().inode)
  ) {
    throw notVisible();
  }
  confirmNotReaped(fd, "NSpid", pidfd.pid);
  return chain.slice(base);
}

/**
 * The error a failed translation ioctl turns into: `ESRCH` naming both namespaces, with `ENOTTY` (a missing pid
 * on some 6.11+ kernels, once support is confirmed) and `EREMOTE` normalised to it.
 *
 * @param r The ioctl's result (`-errno`, or 0).
 */
export function translationError(
  ns: PidNsRef,
  pid: number,
  tgid: boolean,
  toCaller: boolean,
  r: number,
  context?: Context,
): Error {
  const name = requestName(tgid, toCaller);
  // ENOTTY can mean "not found" (some 6.11+ kernels) only from a real nsfs fd.
  if (r === -Errno.ENOTTY && fsTypeOf(ns.fd, name) !== NSFS_MAGIC) {
    return notWhatItShouldBe(name, Errno.ENOTTY, ns.fd, pid, "an nsfs fd");
  }
  if (r === -Errno.ENOTTY && !probeIoctl()) {
    return new UnsupportedError(
      "pidnsTranslation",
      `${name} needs Linux ≥ 6.11: use the "fdinfo" or "procfs" method`,
      { cause: new SyscallError({ syscall: name, errno: Errno.ENOTTY, subject: pid }) },
    );
  }
  if (r === 0 || r === -Errno.ESRCH) return notFound(ns, pid, toCaller, context, name);
  if (r === -Errno.ENOTTY || r === -Errno.EREMOTE) {
    return notFound(
      ns,
      pid,
      toCaller,
      context,
      name,
      new SyscallError({ syscall: name, errno: -r, subject: pid }),
    );
  }
  return new SyscallError({ syscall: name, errno: -r, subject: pid });
}

// ---------------------------------------------------------------------------------------------------------
// Internals

/** What a {@link translatePid} call was about, for error messages. */
export interface Context {
  readonly pid: number;
  readonly from: PidNsRef | undefined;
  readonly to: PidNsRef | undefined;
  /** The pid in the caller's namespace, once the first step succeeded. */
  via?: number;
}

export function tgidOption(options: PidTranslateOptions | undefined): boolean {
  assertOptions(options);
  return booleanOption(options, "tgid");
}

function requestName(tgid: boolean, toCaller: boolean): string {
  return toCaller
    ? (tgid ? "NS_GET_TGID_FROM_PIDNS" : "NS_GET_PID_FROM_PIDNS")
    : (tgid ? "NS_GET_TGID_IN_PIDNS" : "NS_GET_PID_IN_PIDNS");
}

/** `pid:[<inode>]`, as `readlink /proc/<pid>/ns/pid` shows a namespace. */
export function label(ns: PidNsRef): string {
  return `pid:[${ns.inode}]`;
}

export function callerLabel(): string {
  return `pid:[${callerRef().inode}] (the caller's)`;
}

/** The `ESRCH` of a translation, with a message naming the namespaces on both sides. */
function notFound(
  ns: PidNsRef,
  pid: number,
  toCaller: boolean,
  context: Context | undefined,
  syscall: string,
  cause?: Error,
): SyscallError {
  let detail: string;
  if (context !== undefined && context.from === undefined && context.to === undefined) {
    detail = `pid ${pid} does not exist in ${callerLabel()}`;
  } else if (context !== undefined) {
    // Each namespace named once: the caller's as such, and one namespace on both sides only once.
    const caller = callerRef();
    const fromNs = context.from ?? caller;
    const toNs = context.to ?? caller;
    const name = (ns: PidNsRef): string => same(ns, caller) ? callerLabel() : label(ns);
    const from = name(fromNs);
    const to = name(toNs);
    if (same(fromNs, toNs)) {
      detail = `pid ${context.pid} does not exist in ${from}`;
    } else if (toCaller && !same(toNs, caller)) {
      detail = `pid ${context.pid} of ${from} does not exist or is not visible in ${callerLabel()}, ` +
        `through which the translation to ${to} goes`;
    } else if (!toCaller && !same(fromNs, caller)) {
      detail =
        `pid ${context.pid} of ${from} (pid ${context.via} in ${callerLabel()}) is not visible in ${to}`;
    } else {
      detail = `pid ${context.pid} of ${from} does not exist or is not visible in ${to}`;
    }
  } else {
    detail = toCaller
      ? `pid ${pid} of ${label(ns)} does not exist or is not visible in ${callerLabel()}`
      : `pid ${pid} of ${callerLabel()} does not exist or is not visible in ${label(ns)}`;
  }
  return new SyscallError({ syscall, errno: Errno.ESRCH, subject: pid, cause, detail });
}

export function initGone(ns: PidNsRef, cause: Error): SyscallError {
  // The caller is visible in its own namespace and in every ancestor: then the init is merely out of view.
  const ancestor = libc.ioctl_val(ns.fd, NS_GET_PID_IN_PIDNS, libc.getpid()) > 0 &&
    !same(ns, callerRef());
  return new SyscallError({
    syscall: "NS_GET_PID_FROM_PIDNS",
    errno: Errno.ESRCH,
    subject: "1",
    cause,
    detail: ancestor
      ? `${
        label(ns)
      } is an ancestor of the caller's PID namespace: its init is not visible from ${callerLabel()}`
      : `the init (pid 1) of ${label(ns)} has exited: the namespace is empty`,
  });
}

/**
 * The caller's own PID namespace, opened once and kept for the life of the process:
 * `PIDFD_GET_PID_NAMESPACE` on a pidfd of the caller where {@link supports} found it, else
 * `/proc/self/ns/pid`.
 */
export function callerRef(): PidNsRef {
  if (callerNs !== undefined) return callerNs;
  let fd = -1;
  if (supports().pidfdNamespaceIoctls) {
    const self = pidfd_open(libc.getpid(), 0);
    if (self >= 0) {
      fd = libc.ioctl_val(self, PIDFD_GET_PID_NAMESPACE, 0);
      closeRaw(self);
    } else if (self === -Errno.EMFILE || self === -Errno.ENFILE) {
      check(self, "pidfd_open", libc.getpid());
    }
  }
  if (fd < 0) fd = openPath("/proc/self/ns/pid");
  return callerNs = { fd, inode: Number(inodeOf(fd, "/proc/self/ns/pid")) };
}

/** Whether two refs name the same PID namespace (nsfs inodes are unique among live namespaces). */
export function same(a: PidNsRef, b: PidNsRef): boolean {
  return a.inode === b.inode;
}

/** How many levels `ns` lies below the caller's PID namespace; `UnsupportedError` outside its subtree. */
export function depthBelowCaller(ns: PidNsRef): number {
  const known = depths.get(ns);
  if (known !== undefined) return known;
  const walk = walkUp(ns, callerRef().inode);
  if (!walk.found) {
    throw new UnsupportedError(
      "pidnsTranslation",
      `${label(ns)} is not the caller's PID namespace or one below it: only the NS_GET_*_PIDNS ioctls ` +
        "(Linux ≥ 6.11) translate into or out of it",
    );
  }
  depths.set(ns, walk.steps);
  return walk.steps;
}

/**
 * Whether the translation ioctls work, as {@link supports} probed them once: `NS_GET_PID_IN_PIDNS(own
 * namespace, getpid())` must answer `getpid()` (`ENOTTY` from a translation ioctl can mean
 * "not found" on some 6.11+ kernels). Afterwards `ENOTTY` on a known PID namespace means "not
 * found".
 */
function probeIoctl(): boolean {
  return supports().pidnsTranslation;
}

function resolveAuto(toCaller: boolean): Exclude<TranslationMethod, "auto"> {
  if (autoMethods === undefined) {
    if (probeIoctl()) {
      autoMethods = { toCaller: "ioctl", fromCaller: "ioctl" };
    } else {
      // fdinfo (a pidfd and one small file) beats status for a known pid; scanning /proc for a pid of another
      // namespace is cheapest through status alone.
      const fdinfo = supports().pidfdFdinfo;
      autoMethods = { toCaller: "procfs", fromCaller: fdinfo ? "fdinfo" : "procfs" };
    }
  }
  return toCaller ? autoMethods.toCaller : autoMethods.fromCaller;
}

/** One translation between `ns` and the caller's namespace, in the direction `toCaller`. */
export function translateStep(
  ns: PidNsRef,
  pid: number,
  tgid: boolean,
  method: TranslationMethod,
  toCaller: boolean,
  context: Context | undefined,
): number {
  const fd = ns.fd;
  switch (method === "auto" ? resolveAuto(toCaller) : method) {
    case "ioctl": {
      const request = toCaller
        ? (tgid ? NS_GET_TGID_FROM_PIDNS : NS_GET_PID_FROM_PIDNS)
        : (tgid ? NS_GET_TGID_IN_PIDNS : NS_GET_PID_IN_PIDNS);
      const r = libc.ioctl_val(fd, request, pid);
      if (r > 0) return r;
      throw translationError(ns, pid, tgid, toCaller, r, context);
    }
    case "fdinfo":
      return toCaller
        ? scanToCaller(ns, pid, tgid, true, context)
        : chainFromCaller(ns, pid, tgid, true, context);
    case "procfs":
      return toCaller
        ? scanToCaller(ns, pid, tgid, false, context)
        : chainFromCaller(ns, pid, tgid, false, context);
  }
}

/**
 * How many levels the PID namespace of `/proc` lies above the caller's: 0 when `/proc` is the caller's own
 * procfs. Index `procLevel() + depth` of an `NSpid` chain read through `/proc` is the pid in the namespace
 * `depth` levels below the caller's.
 */
export function procLevel(): number {
  if (procLevelCache !== undefined) return procLevelCache;
  if (!supports().procfsNspid) {
    throw new UnsupportedError("procfsNspid", "/proc/self/status shows no NSpid: line of the caller");
  }
  let text: string;
  try {
    text = readText("/proc/self/status");
  } catch (e) {
    if (e instanceof SyscallError && e.code === "ENOENT") {
      throw new UnsupportedError(
        "procfsNspid",
        "/proc does not show the calling process: it is the procfs of a PID namespace the caller is not in",
        { cause: e },
      );
    }
    throw e;
  }
  const chain = intsField(text, "NSpid");
  if (chain === null) {
    throw new UnsupportedError("procfsNspid", "/proc/self/status has no NSpid: line (Linux < 4.1)");
  }
  return procLevelCache = chain.length - 1;
}

/**
 * Walks `NS_GET_PARENT` up from `ns` until the namespace with inode `target` (found) or the top of the
 * caller's view (not found). Every fd it opens is closed.
 */
export function walkUp(ns: PidNsRef, target: number): { steps: number; found: boolean; topInode: number } {
  let fd = ns.fd;
  let owned = -1;
  try {
    for (let steps = 0; steps <= MAX_LEVELS; steps++) {
      const inode = Number(inodeOf(fd, fd));
      if (inode === target) return { steps, found: true, topInode: inode };
      const r = libc.ioctl_val(fd, NS_GET_PARENT, 0);
      if (r === -Errno.EPERM) return { steps, found: false, topInode: inode };
      check(r, "NS_GET_PARENT", label(ns));
      if (owned >= 0) closeRaw(owned);
      owned = fd = r;
    }
    throw new Error(`${label(ns)}: more than ${MAX_LEVELS} levels of PID namespaces`);
  } finally {
    if (owned >= 0) closeRaw(owned);
  }
}

/**
 * Whether the task whose procfs directory is `dir` lives in the namespace with inode `nsInode`, `up` levels
 * above the task's own namespace. `false` when the task is gone. Needs ptrace-read access to the task.
 */
function taskIn(dir: string, up: number, nsInode: number): boolean {
  let fd: number;
  try {
    fd = openPath(`${dir}/ns/pid`);
  } catch (e) {
    if (e instanceof SyscallError && (e.code === "ENOENT" || e.code === "ESRCH")) return false;
    if (e instanceof SyscallError && e.code === "EACCES") {
      throw new SyscallError({
        syscall: "open",
        errno: Errno.EACCES,
        subject: `${dir}/ns/pid`,
        cause: e,
        detail:
          `the fdinfo and procfs translation methods confirm a process's PID namespace through ${dir}/ns/pid, ` +
          "which needs ptrace-read access; the ioctl method (Linux ≥ 6.11) needs none",
      });
    }
    throw e;
  }
  try {
    for (let i = 0; i < up; i++) {
      const r = check(libc.ioctl_val(fd, NS_GET_PARENT, 0), "NS_GET_PARENT", `${dir}/ns/pid`);
      closeRaw(fd);
      fd = r;
    }
    return Number(inodeOf(fd, fd)) === nsInode;
  } finally {
    closeRaw(fd);
  }
}

/** `/proc/<pid>/status` as text, or `null` when the task is gone. */
function statusOf(dir: string): string | null {
  try {
    return readText(`${dir}/status`);
  } catch (e) {
    if (e instanceof SyscallError && (e.code === "ENOENT" || e.code === "ESRCH")) return null;
    throw e;
  }
}

/** The `NSpid:` chain of an open pidfd, or `null` when the kernel does not show one (before 5.5). */
export function fdinfoChain(pidfd: number): number[] | null {
  return intsField(readText(`/proc/self/fdinfo/${pidfd}`), "NSpid");
}

/** `pidfd_open` of any task: a thread pidfd where the kernel has them (6.9+), so that any tid works. */
function openTaskPidfd(pid: number): number {
  return pidfd_open(pid, supports().pidfdThread ? PIDFD_THREAD : 0);
}

/**
 * fdinfo/procfs translation from the caller's namespace into `ns` (a descendant or the caller's own): the
 * task's pid chain as `/proc` numbers it, indexed at `ns`'s level, after confirming that the task lives in `ns`.
 */
function chainFromCaller(
  ns: PidNsRef,
  pid: number,
  tgid: boolean,
  viaFdinfo: boolean,
  context: Context | undefined,
): number {
  const name = requestName(tgid, false);
  const depth = depthBelowCaller(ns);
  const base = procLevel();
  const index = base + depth;
  let pidfd = -1;
  try {
    let dir = `/proc/${pid}`;
    let chain: number[] | null = null;
    let levels = 0; // the length of the task's own NSpid chain
    if (viaFdinfo || base > 0) {
      // A process pidfd (flags 0) opens only for a thread-group leader, whose pid chain is the tgid chain.
      let leader = false;
      if (viaFdinfo && tgid) {
        pidfd = pidfd_open(pid, 0);
        leader = pidfd >= 0;
        if (pidfd === -Errno.ENOENT) pidfd = openTaskPidfd(pid); // another thread: NStgid comes from status
      } else {
        pidfd = openTaskPidfd(pid);
      }
      if (pidfd < 0) {
        const cause = pidfd === -Errno.ESRCH
          ? undefined
          : new SyscallError({ syscall: "pidfd_open", errno: -pidfd, subject: pid });
        throw notFound(ns, pid, false, context, name, cause);
      }
      const nspid = fdinfoChain(pidfd);
      if (nspid === null) {
        throw new UnsupportedError(
          "pidfdFdinfo",
          "/proc/self/fdinfo/<pidfd> has no NSpid: line (Linux < 5.5)",
        );
      }
      if (nspid[0] === -1) throw notFound(ns, pid, false, context, name);
      if (nspid[0] === 0) {
        throw notFound(
          ns,
          pid,
          false,
          context,
          name,
          new SyscallError({ syscall: "pidfd_getpid", errno: Errno.EREMOTE, subject: pid }),
        );
      }
      dir = `/proc/${nspid[0]}`;
      levels = nspid.length;
      if (viaFdinfo && (!tgid || leader)) chain = nspid;
    }
    if (chain === null) {
      const key = tgid ? "NStgid" : "NSpid";
      const text = statusOf(dir);
      if (text === null) throw notFound(ns, pid, false, context, name);
      chain = intsField(text, key);
      const nspid = intsField(text, "NSpid");
      if (chain === null || nspid === null) {
        throw new UnsupportedError("procfsNspid", `${dir}/status has no ${key}: line (Linux < 4.1)`);
      }
      levels = nspid.length;
    }
    const answer = chain[index];
    if (answer === undefined || answer <= 0) throw notFound(ns, pid, false, context, name);
    // In the caller's own namespace the task is visible by construction; below it, it could be in a sibling.
    if (depth > 0 && !taskIn(dir, levels - 1 - index, ns.inode)) {
      throw notFound(ns, pid, false, context, name);
    }
    if (pidfd >= 0) confirmNotReaped(pidfd, name, pid);
    return answer;
  } finally {
    if (pidfd >= 0) closeRaw(pidfd);
  }
}

/**
 * fdinfo/procfs translation from `ns` (a descendant or the caller's own) into the caller's namespace: find the
 * task whose chain has `pid` at `ns`'s level and that lives in `ns`, by scanning `/proc`. With `viaFdinfo` the
 * find is confirmed through a pidfd of the task.
 */
function scanToCaller(
  ns: PidNsRef,
  pid: number,
  tgid: boolean,
  viaFdinfo: boolean,
  context: Context | undefined,
): number {
  const name = requestName(tgid, true);
  const depth = depthBelowCaller(ns);
  const base = procLevel();
  const index = base + depth;
  const key = tgid ? "NStgid" : "NSpid";
  let text: string | null;
  let dir: string;
  if (index === 0) {
    // `ns` is the caller's namespace and `/proc` numbers pids as it does: the pid is a /proc entry.
    dir = `/proc/${pid}`;
    text = statusOf(dir);
  } else {
    ({ dir, text } = findTask(ns.inode, index, pid) ?? { dir: "", text: null });
  }
  if (text === null) throw notFound(ns, pid, true, context, name);
  const chain = intsField(text, key);
  const nspid = intsField(text, "NSpid");
  if (chain === null || nspid === null) {
    throw new UnsupportedError("procfsNspid", `${dir}/status has no ${key}: line`);
  }
  const answer = chain[base];
  if (answer === undefined || answer <= 0) throw notFound(ns, pid, true, context, name);
  if (viaFdinfo) {
    // The number came from a file read by pid: confirm through a pidfd that the task still has that chain.
    const fd = openTaskPidfd(nspid[base]!);
    if (fd < 0) {
      throw notFound(
        ns,
        pid,
        true,
        context,
        name,
        new SyscallError({ syscall: "pidfd_open", errno: -fd, subject: String(nspid[base]) }),
      );
    }
    try {
      const now = fdinfoChain(fd);
      if (now === null || now.length !== nspid.length || now.some((v, i) => v !== nspid[i])) {
        throw notFound(ns, pid, true, context, name);
      }
    } finally {
      closeRaw(fd);
    }
  }
  return answer;
}

/**
 * Scans `/proc` for the task whose `NSpid` has `pid` at `index` and whose namespace at that level has inode
 * `nsInode`: thread-group leaders first, then the other threads of multithreaded processes.
 */
function findTask(nsInode: number, index: number, pid: number): { dir: string; text: string } | null {
  const threaded: string[] = [];
  // Another user's task with the same number in some other namespace may refuse the check: skip it, and
  // report the refusal only if no task answers.
  let refused: SyscallError | undefined;
  const checked = (dir: string, up: number): boolean => {
    try {
      return taskIn(dir, up, nsInode);
    } catch (e) {
      if (!(e instanceof SyscallError && e.code === "EACCES")) throw e;
      refused ??= e;
      return false;
    }
  };
  for (const entry of listDir("/proc")) {
    if (!isPidName(entry)) continue;
    const dir = `/proc/${entry}`;
    const text = statusOf(dir);
    if (text === null) continue;
    const nspid = intsField(text, "NSpid");
    if (nspid === null || nspid.length <= index) continue;
    if (nspid[index] === pid && checked(dir, nspid.length - 1 - index)) return { dir, text };
    if ((intsField(text, "Threads")?.[0] ?? 1) > 1) threaded.push(entry);
  }
  for (const entry of threaded) {
    let tids: string[];
    try {
      tids = listDir(`/proc/${entry}/task`);
    } catch {
      continue; // exited meanwhile
    }
    for (const tid of tids) {
      if (tid === entry || !isPidName(tid)) continue;
      const dir = `/proc/${entry}/task/${tid}`;
      const text = statusOf(dir);
      if (text === null) continue;
      const nspid = intsField(text, "NSpid");
      if (nspid === null || nspid.length <= index) continue;
      if (nspid[index] === pid && checked(dir, nspid.length - 1 - index)) return { dir, text };
    }
  }
  if (refused !== undefined) throw refused;
  return null;
}

function isPidName(name: string): boolean {
  const c = name.charCodeAt(0);
  return c >= 48 && c <= 57;
}
