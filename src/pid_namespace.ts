/**
 * {@link PidNamespace} and {@link translatePid}: translate pids between PID namespaces, name the init of a
 * namespace and the namespace of a procfs instance.
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
  O_DIRECTORY,
  PID_NS_INIT_INO,
  pidfd_open,
  PIDFD_THREAD,
  PROC_SUPER_MAGIC,
} from "../ffi/mod.ts";
import {
  assertOptions,
  assertPid,
  booleanOption,
  check,
  describe,
  excerpt,
  SyscallError,
  UnsupportedError,
} from "./errors.ts";
import { closeRaw, confirmNotReaped, fsTypeOf, inodeOf, notWhatItShouldBe } from "./fd.ts";
import { adoptNamespace, Namespace, registerNamespaceClass } from "./namespace.ts";
import { Pidfd } from "./pidfd.ts";
import { intsField, listDir, openPath, readText } from "./procfs.ts";
import { supports } from "./supports.ts";

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

/** Options of {@link translatePid}. */
export interface TranslatePidOptions extends PidTranslateOptions {
  /** The namespace `pid` is given in. Default: the caller's PID namespace. */
  from?: PidNamespace;
  /** The namespace to express it in. Default: the caller's PID namespace. */
  to?: PidNamespace;
  /** How to translate. Default `"auto"`. */
  method?: TranslationMethod;
}

/** The method `"auto"` settled on in each direction. */
export interface ResolvedMethods {
  /** For {@link PidNamespace.toCaller} and `from` of {@link translatePid}. */
  readonly toCaller: Exclude<TranslationMethod, "auto">;
  /** For {@link PidNamespace.fromCaller} and `to` of {@link translatePid}. */
  readonly fromCaller: Exclude<TranslationMethod, "auto">;
}

const METHODS: ReadonlySet<string> = new Set(["auto", "ioctl", "fdinfo", "procfs"]);
/** The longest chain of nested PID namespaces (`MAX_PID_NS_LEVEL`). */
const MAX_LEVELS = 32;

let autoMethods: ResolvedMethods | undefined;
// The caller's own PID namespace (it never changes for a process), opened once and kept.
let callerNs: PidNamespace | undefined;
// How many levels the PID namespace of `/proc` lies above the caller's (0 when /proc is the caller's own).
let procLevelCache: number | undefined;

// Set by the class's static block: module code may construct and read the caches, users may not.
let depthBelowCaller: (ns: PidNamespace) => number;

/**
 * A PID namespace: a {@link Namespace} that translates pids between itself and the caller's PID namespace,
 * names its init and its place in the tree. Every PID namespace this library hands out is one
 * (`Pidfd.namespace("pid")`, `Namespace.open()` of a `pid` file, `parent()`).
 *
 * Keep one open for repeated translations: {@link PidNamespace.toCaller} and {@link PidNamespace.fromCaller}
 * on an open handle cost one ioctl and allocate nothing.
 *
 * @example Which pid does a container's process have on the host, and the other way round?
 * ```ts ignore
 * import { PidNamespace } from "@pidfd/pidfd";
 * using container = PidNamespace.open("/proc/4242/ns/pid");
 * console.log(container.initPid()); // the host pid of the container's pid 1
 * console.log(container.toCaller(17)); // pid 17 inside → pid on the host
 * console.log(container.fromCaller(4250)); // host pid 4250 → pid inside
 * ```
 */
export class PidNamespace extends Namespace {
  #depth: number | undefined;
  #level: number | undefined;

  private constructor(fd: number) {
    super(fd, "pid");
  }

  /**
   * The caller's own PID namespace: `PIDFD_GET_PID_NAMESPACE` on a pidfd of the caller (Linux ≥ 6.11), else
   * `/proc/self/ns/pid`. Needs no privilege.
   *
   * @returns An owned handle; close it or bind it with `using`.
   * @throws {SyscallError} `EMFILE` at the fd limit.
   *
   * @example
   * ```ts ignore
   * import { PidNamespace } from "@pidfd/pidfd";
   * using mine = PidNamespace.current();
   * console.log(mine.level); // 0 on the host
   * ```
   */
  static current(): PidNamespace {
    let self: Pidfd;
    try {
      self = Pidfd.self();
    } catch (e) {
      // No pidfd_open (before Linux 5.3, or filtered): the caller's own ns file is always readable.
      if (e instanceof SyscallError && (e.code === "ENOSYS" || e.code === "EPERM")) {
        return PidNamespace.open("/proc/self/ns/pid");
      }
      throw e;
    }
    try {
      return self.namespace("pid");
    } finally {
      self.close();
    }
  }

  /**
   * The PID namespace of a process: `PIDFD_GET_PID_NAMESPACE` (Linux ≥ 6.11) through its pidfd, else
   * `/proc/<pid>/ns/pid` confirmed through the pidfd (see `Pidfd.namespace`). Given a number, it opens a pidfd
   * first, so a pid reuse cannot hand back another process's namespace.
   *
   * Permission: ptrace-read access to the process (`EACCES` for an unprivileged caller on another user's
   * process).
   *
   * @param target A pidfd, or a pid in the caller's PID namespace.
   * @returns An owned handle.
   * @throws {TypeError} If `target` is neither a `Pidfd` nor a number, or the pidfd is closed.
   * @throws {RangeError} If `target` is not a positive integer below 2^31.
   * @throws {SyscallError} `ESRCH` if the process has exited (a zombie has no namespaces); `EACCES` without
   * permission.
   *
   * @example
   * ```ts ignore
   * import { PidNamespace } from "@pidfd/pidfd";
   * using ns = PidNamespace.of(4242);
   * console.log(ns.level, ns.initPid());
   * ```
   */
  static of(target: Pidfd | number): PidNamespace {
    if (target instanceof Pidfd) return target.namespace("pid");
    if (typeof target !== "number") {
      throw new TypeError(
        `Expected target to be a Pidfd or a pid, got ${target === null ? "null" : typeof target}`,
      );
    }
    assertPid(target, "target");
    const pidfd = Pidfd.open(target);
    try {
      return pidfd.namespace("pid");
    } finally {
      pidfd.close();
    }
  }

  /**
   * Opens a PID namespace file, such as `/proc/4242/ns/pid` or a bind-mounted namespace, and checks its type
   * with `NS_GET_NSTYPE` (ioctl_nsfs(2), Linux ≥ 4.11).
   *
   * Permission: another process's `/proc/<pid>/ns/pid` needs ptrace-read access to it; a bind-mounted file
   * only the file's own permissions.
   *
   * @param path The namespace file.
   * @returns An owned handle.
   * @throws {TypeError} If `path` is not a string, the file is not a namespace file, or it is a namespace of
   * another type (the message names the type).
   * @throws {SyscallError} `ENOENT`, `EACCES` and the like from opening the file.
   *
   * @example
   * ```ts ignore
   * import { PidNamespace } from "@pidfd/pidfd";
   * using ns = PidNamespace.open("/proc/4242/ns/pid");
   * console.log(ns.level);
   * ```
   */
  static override open(path: string): PidNamespace {
    const ns = Namespace.open(path);
    if (ns instanceof PidNamespace) return ns;
    const kind = ns.kind;
    ns.close();
    throw new TypeError(`Not a PID namespace: ${excerpt(path)} is a ${kind} namespace`);
  }

  /**
   * The PID namespace a procfs instance translates pids in: what the never-merged `PROCFS_GET_PID_NAMESPACE`
   * ioctl would have answered (kernel-api.md §9.2). It opens `<root>/1/ns/pid` (the init of that namespace as
   * the instance numbers it) and, when the caller is visible there, cross-checks it with `<root>/self`.
   * Works for `/proc`, a procfs mounted inside another mount namespace (`/proc/<pid>/root/proc`) and a
   * `pidns=` instance (Linux ≥ 6.18).
   *
   * Permission: ptrace-read access to that init. Without it, and when the caller lives directly in the
   * instance's namespace, the answer comes from `<root>/self/ns/pid` instead.
   *
   * @param root The procfs mount point. Default `/proc`.
   * @returns An owned handle.
   * @throws {TypeError} If `root` is not a string or not a procfs mount.
   * @throws {SyscallError} `ESRCH` when the instance shows no pid 1: the namespace's init has exited (or
   * `hidepid=` hides it), so the namespace cannot be named; `EACCES` without permission; `ENOENT` for a
   * missing `root`.
   *
   * @example Which PID namespace does a container's /proc show?
   * ```ts ignore
   * import { PidNamespace } from "@pidfd/pidfd";
   * using ns = PidNamespace.ofProcfs("/proc/4242/root/proc");
   * using mine = PidNamespace.current();
   * console.log(ns.equals(mine)); // false: it numbers pids as the container does
   * ```
   */
  static ofProcfs(root: string = "/proc"): PidNamespace {
    if (typeof root !== "string") throw new TypeError(`Expected root to be a string, got ${describe(root)}`);
    const rootFd = openProcfsRoot(root);
    try {
      return namespaceOfProcfs(rootFd, root);
    } finally {
      closeRaw(rootFd);
    }
  }

  /**
   * Translates a pid as seen inside this namespace into the caller's PID namespace:
   * `NS_GET_PID_FROM_PIDNS` (`NS_GET_TGID_FROM_PIDNS` with `tgid`), ioctl_nsfs(2), Linux ≥ 6.11. On an open
   * handle this is one ioctl and allocates nothing. On older kernels it falls back to scanning `/proc` (see
   * {@link translatePid}). Needs no privilege beyond holding the handle.
   *
   * Kernels without the 2026 stable fix answer `ENOTTY` for a missing pid; that is reported as `ESRCH` with
   * the original error as `cause`.
   *
   * @param pid The pid (or a thread id) inside this namespace.
   * @param options `tgid` to get the process id of a thread.
   * @returns The pid in the caller's namespace.
   * @throws {TypeError} If the handle is closed or `options` is malformed.
   * @throws {RangeError} If `pid` is not a positive integer below 2^31.
   * @throws {SyscallError} `ESRCH` if no such pid exists in this namespace or the process is not visible in
   * the caller's (the message names both namespaces). Before 6.11 only: `EACCES` without ptrace-read access to
   * the process found.
   * @throws {UnsupportedError} Before 6.11 only: for a namespace outside the caller's subtree.
   *
   * @example
   * ```ts ignore
   * import { PidNamespace } from "@pidfd/pidfd";
   * using container = PidNamespace.of(4242);
   * const hostPid = container.toCaller(1); // same as container.initPid()
   * ```
   */
  toCaller(pid: number, options?: PidTranslateOptions): number {
    assertPid(pid);
    const tgid = tgidOption(options);
    const fd = this.fd;
    if (supports().pidnsTranslation) {
      const r = libc.ioctl_val(fd, tgid ? NS_GET_TGID_FROM_PIDNS : NS_GET_PID_FROM_PIDNS, pid);
      if (r > 0) return r;
      throw translationError(this, pid, tgid, true, r);
    }
    return translateStep(this, pid, tgid, "auto", true, undefined);
  }

  /**
   * Translates a pid of the caller's PID namespace into this namespace: `NS_GET_PID_IN_PIDNS`
   * (`NS_GET_TGID_IN_PIDNS` with `tgid`), ioctl_nsfs(2), Linux ≥ 6.11. On an open handle this is one ioctl and
   * allocates nothing. On older kernels it reads the pid's `NSpid` chain from procfs (see
   * {@link translatePid}). Needs no privilege beyond holding the handle.
   *
   * Kernels without the 2026 stable fix answer `ENOTTY` for a missing pid; that is reported as `ESRCH` with
   * the original error as `cause`.
   *
   * @param pid The pid (or a thread id) in the caller's namespace.
   * @param options `tgid` to get the process id of a thread.
   * @returns The pid inside this namespace.
   * @throws {TypeError} If the handle is closed or `options` is malformed.
   * @throws {RangeError} If `pid` is not a positive integer below 2^31.
   * @throws {SyscallError} `ESRCH` if no such pid exists or the process is not visible in this namespace (it
   * lives above it or in another branch; the message names both namespaces). Before 6.11 only: `EACCES`
   * without ptrace-read access to the process.
   * @throws {UnsupportedError} Before 6.11 only: for a namespace outside the caller's subtree.
   *
   * @example
   * ```ts ignore
   * import { PidNamespace } from "@pidfd/pidfd";
   * using container = PidNamespace.of(4242);
   * console.log(container.fromCaller(4242)); // 1 if 4242 is the container's init
   * ```
   */
  fromCaller(pid: number, options?: PidTranslateOptions): number {
    assertPid(pid);
    const tgid = tgidOption(options);
    const fd = this.fd;
    if (supports().pidnsTranslation) {
      const r = libc.ioctl_val(fd, tgid ? NS_GET_TGID_IN_PIDNS : NS_GET_PID_IN_PIDNS, pid);
      if (r > 0) return r;
      throw translationError(this, pid, tgid, false, r);
    }
    return translateStep(this, pid, tgid, "auto", false, undefined);
  }

  /**
   * The init (child reaper, pid 1) of this namespace as a pid in the caller's namespace: the
   * `NS_GET_INIT_PID` use case, answered by `NS_GET_PID_FROM_PIDNS(ns, 1)` (Linux ≥ 6.11; the proposed
   * `NS_GET_INIT_PID` ioctl was never merged). Older kernels scan `/proc`. Needs no privilege beyond holding
   * the handle.
   *
   * The number is a pid, and pids are reused: use {@link PidNamespace.initPidfd} to act on the init.
   *
   * @returns The init's pid in the caller's namespace.
   * @throws {TypeError} If the handle is closed.
   * @throws {SyscallError} `ESRCH` once the namespace's init has exited (the namespace is then empty), or when
   * this namespace is an ancestor of the caller's, whose init the caller cannot see; the message says which.
   *
   * @example
   * ```ts ignore
   * import { PidNamespace } from "@pidfd/pidfd";
   * using container = PidNamespace.of(4242);
   * console.log(container.initPid());
   * ```
   */
  initPid(): number {
    const fd = this.fd;
    if (supports().pidnsTranslation) {
      const r = libc.ioctl_val(fd, NS_GET_PID_FROM_PIDNS, 1);
      if (r > 0) return r;
      throw initGone(this, translationError(this, 1, false, true, r));
    }
    try {
      return translateStep(this, 1, false, "auto", true, undefined);
    } catch (e) {
      if (e instanceof SyscallError && e.code === "ESRCH") throw initGone(this, e);
      throw e;
    }
  }

  /**
   * The init of this namespace as a pidfd that is verified to be that init: the recipe the kernel authors gave
   * for `NS_GET_INIT_PID`. It opens a pidfd for {@link PidNamespace.initPid}, then checks through the pidfd
   * that the process has not exited, that its PID namespace is this one (`PIDFD_GET_PID_NAMESPACE`, skipped
   * without ptrace access) and that its pid here is still 1. Once the pidfd exists, pid reuse cannot fool
   * these checks.
   *
   * Requires Linux ≥ 5.3 (pidfds); translation as for {@link PidNamespace.initPid}.
   *
   * @returns An owned pidfd of the init.
   * @throws {TypeError} If the handle is closed.
   * @throws {SyscallError} `ESRCH` once the init has exited (the message says so).
   *
   * @example Signal a container's init without a pid-reuse race
   * ```ts ignore
   * import { PidNamespace } from "@pidfd/pidfd";
   * using container = PidNamespace.of(4242);
   * using init = container.initPidfd();
   * init.sendSignal("SIGTERM");
   * ```
   */
  initPidfd(): Pidfd {
    const pid = this.initPid();
    let pidfd: Pidfd;
    try {
      pidfd = Pidfd.open(pid);
    } catch (e) {
      if (e instanceof SyscallError && e.code === "ESRCH") throw initGone(this, e);
      throw e;
    }
    try {
      if (!pidfd.isAlive()) {
        throw initGone(
          this,
          new SyscallError({ syscall: "poll", errno: Errno.ESRCH, subject: pid, detail: "a zombie" }),
        );
      }
      let ns: PidNamespace | undefined;
      try {
        ns = pidfd.namespace("pid");
      } catch (e) {
        if (e instanceof SyscallError && e.code === "ESRCH") throw initGone(this, e);
        // Without ptrace access the namespace cannot be read; the pid-1 check below still proves identity.
        if (!(e instanceof SyscallError && (e.code === "EACCES" || e.code === "EPERM"))) throw e;
      }
      if (ns !== undefined) {
        let same: boolean;
        try {
          same = ns.equals(this);
        } finally {
          ns.close();
        }
        if (!same) {
          throw initGone(
            this,
            new SyscallError({
              syscall: "PIDFD_GET_PID_NAMESPACE",
              errno: Errno.ESRCH,
              subject: pid,
            }),
          );
        }
      }
      let inside: number;
      try {
        inside = translateStep(this, pid, false, "auto", false, undefined);
      } catch (e) {
        if (e instanceof SyscallError && e.code === "ESRCH") throw initGone(this, e);
        throw e;
      }
      if (inside !== 1) {
        throw initGone(
          this,
          new SyscallError({ syscall: "NS_GET_PID_IN_PIDNS", errno: Errno.ESRCH, subject: pid }),
        );
      }
      return pidfd;
    } catch (e) {
      pidfd.close();
      throw e;
    }
  }

  /**
   * The nesting level: 0 for the initial PID namespace, 1 for a namespace created from it, and so on (the
   * kernel's `pid_namespace.level`). Found by walking `NS_GET_PARENT` (ioctl_nsfs(2), Linux ≥ 4.9) up to the
   * initial namespace, recognised by its fixed inode; cached.
   *
   * @throws {TypeError} If the handle is closed.
   * @throws {SyscallError} `EPERM` when the caller itself runs in a child PID namespace: the kernel hides the
   * namespaces above the caller's, so the level cannot be known there.
   *
   * @example
   * ```ts ignore
   * import { PidNamespace } from "@pidfd/pidfd";
   * using container = PidNamespace.of(4242);
   * console.log(container.level); // 1 for a container started from the host
   * ```
   */
  get level(): number {
    this.fd; // use after close is an error even once the level is known
    if (this.#level !== undefined) return this.#level;
    const walk = walkUp(this, PID_NS_INIT_INO);
    if (!walk.found) {
      throw new SyscallError({
        syscall: "NS_GET_PARENT",
        errno: Errno.EPERM,
        subject: label(this),
        detail:
          `the walk up stopped at pid:[${walk.topInode}]: the caller runs in a child PID namespace and the kernel hides the namespaces above it`,
      });
    }
    return this.#level = walk.steps;
  }

  /**
   * The parent PID namespace: `NS_GET_PARENT` (ioctl_nsfs(2), Linux ≥ 4.9).
   *
   * @returns An owned handle to the parent, or `null` when the parent lies outside the caller's view (this is
   * the initial namespace, the caller's own namespace, or an ancestor of it).
   * @throws {TypeError} If the handle is closed.
   *
   * @example
   * ```ts ignore
   * import { PidNamespace } from "@pidfd/pidfd";
   * using container = PidNamespace.of(4242);
   * using up = container.parent();
   * ```
   */
  override parent(): PidNamespace | null {
    return super.parent() as PidNamespace | null;
  }

  static {
    registerNamespaceClass("pid", (fd) => new PidNamespace(fd));
    depthBelowCaller = (ns) => {
      if (ns.#depth !== undefined) return ns.#depth;
      const walk = walkUp(ns, callerNamespace().inode);
      if (!walk.found) {
        throw new UnsupportedError(
          "pidnsTranslation",
          `${label(ns)} is not the caller's PID namespace or one below it: only the NS_GET_*_PIDNS ioctls ` +
            "(Linux ≥ 6.11) translate into or out of it",
        );
      }
      return ns.#depth = walk.steps;
    };
  }
}

/**
 * Translates a pid between any two PID namespaces, by default the caller's. The translation composes through
 * the caller's namespace (`from` → caller → `to`), so the process must be visible there.
 *
 * Methods (all give the same answers):
 * - `"ioctl"`: `NS_GET_{PID,TGID}_{FROM,IN}_PIDNS` (ioctl_nsfs(2), Linux ≥ 6.11), a few hundred ns; no
 *   privilege beyond holding the namespace handles.
 * - `"fdinfo"`: a pidfd's `NSpid:` line in `/proc/self/fdinfo` (Linux ≥ 5.5); `toCaller` scans `/proc` and
 *   confirms the find through a pidfd.
 * - `"procfs"`: `NSpid:`/`NStgid:` in `/proc/<pid>/status` (Linux ≥ 4.1); `toCaller` scans `/proc`.
 * - `"auto"` (default): the fastest that works here, found once and remembered.
 * The procfs-based methods reach only the caller's namespace and those below it, and when a namespace other
 * than the caller's is involved they confirm where a process lives through `/proc/<pid>/ns/pid`, which needs
 * ptrace-read access to it. `/proc` must show the caller (a procfs of its namespace or of an ancestor's).
 *
 * The first call opens the caller's own PID namespace and keeps it open for the life of the process.
 * A missing pid is `ESRCH` whatever the kernel said: `ENOTTY` (kernels without the 2026 stable fix) and
 * `EREMOTE` (a process outside the procfs's namespace) are normalised, with the original as `cause`.
 *
 * @param pid The pid (or a thread id) in `from`.
 * @param options `from`, `to` (default: the caller's namespace), `tgid` for the process id of a thread,
 * `method`.
 * @returns The pid in `to`.
 * @throws {TypeError} For a closed namespace handle, a `from`/`to` that is not a `PidNamespace`, an unknown
 * method or malformed options (all before any syscall).
 * @throws {RangeError} If `pid` is not a positive integer below 2^31.
 * @throws {SyscallError} `ESRCH` if the pid does not exist in `from` or is not visible in `to` (or in the
 * caller's namespace in between); the message names the namespaces. `EACCES` when a procfs-based method
 * cannot confirm a process's namespace.
 * @throws {UnsupportedError} When `method: "ioctl"` is asked of a kernel before 6.11, or a procfs-based
 * method of a namespace outside the caller's subtree.
 *
 * @example From one container's view into another's
 * ```ts ignore
 * import { PidNamespace, translatePid } from "@pidfd/pidfd";
 * using outer = PidNamespace.of(4242);
 * using inner = PidNamespace.of(4300);
 * console.log(translatePid(7, { from: inner, to: outer }));
 * console.log(translatePid(1, { from: inner, method: "procfs" })); // the host pid of inner's init
 * ```
 */
export function translatePid(pid: number, options: TranslatePidOptions = {}): number {
  assertPid(pid);
  assertOptions(options);
  const { from, to } = options;
  const method = options.method ?? "auto";
  if (typeof method !== "string" || !METHODS.has(method)) {
    throw new TypeError(
      `Unknown translation method: ${describe(method)} (use auto, ioctl, fdinfo or procfs)`,
    );
  }
  const tgid = tgidOption(options);
  namespaceOption(from, "from");
  namespaceOption(to, "to");
  const context: Context = { pid, from, to };
  if (from === undefined) {
    // The step into `to` resolves the pid in the caller's namespace itself; alone, check that it exists there.
    return translateStep(to ?? callerNamespace(), pid, tgid, method, false, context);
  }
  const inCaller = translateStep(from, pid, tgid, method, true, context);
  if (to === undefined) return inCaller;
  context.via = inCaller;
  return translateStep(to, inCaller, tgid, method, false, context);
}

/**
 * The pid of a process in every PID namespace from the caller's down to its own (the `NSpid` chain), read from
 * `/proc/self/fdinfo/<pidfd>` (Linux ≥ 5.5). Backs `Pidfd.nspid()`.
 */
export function nspidOf(pidfd: Pidfd): number[] {
  const fd = pidfd.fd;
  const base = procLevel();
  const chain = fdinfoChain(fd);
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
    chain.length <= base || !taskIn(`/proc/${chain[0]}`, chain.length - 1 - base, callerNamespace().inode)
  ) {
    throw notVisible();
  }
  confirmNotReaped(fd, "NSpid", pidfd.pid);
  return chain.slice(base);
}

/**
 * Opens the root of a procfs mount as a directory, or throws a `TypeError` if it is not a procfs. Returns a raw
 * fd the caller must close.
 */
export function openProcfsRoot(root: string): number {
  const fd = openPath(root, O_DIRECTORY);
  try {
    if (fsTypeOf(fd, root) !== PROC_SUPER_MAGIC) {
      throw new TypeError(`Not a procfs mount: ${excerpt(root)}`);
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

/** The PID namespace of the procfs whose root is open as `rootFd` (see {@link PidNamespace.ofProcfs}). */
export function namespaceOfProcfs(rootFd: number, root: string): PidNamespace {
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
      throw new SyscallError({
        syscall: "open",
        errno: Errno.ESRCH,
        subject: `${root}/1/ns/pid`,
        cause: e,
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
  const ns = adoptNamespace(fd, `${root}/1/ns/pid`);
  if (!(ns instanceof PidNamespace)) {
    ns.close();
    throw new TypeError(`${root}/1/ns/pid is not a PID namespace`);
  }
  // Cross-check: the caller's pid as the instance numbers it must be its pid in the candidate namespace.
  if (self !== null && self[0] !== undefined && probeIoctl()) {
    const r = libc.ioctl_val(ns.fd, NS_GET_PID_IN_PIDNS, libc.getpid());
    if (r !== self[0]) {
      ns.close();
      throw new Error(
        `${root}: pid 1 names ${label(ns)}, but the caller is pid ${
          self[0]
        } there and ${r} in that namespace`,
      );
    }
  }
  return ns;
}

/**
 * Which method `"auto"` resolved to in each direction on this machine, or `undefined` before the first
 * translation that needed it. For tests and diagnostics.
 */
export function translationMethods(): ResolvedMethods | undefined {
  return autoMethods;
}

/**
 * The error a failed translation ioctl turns into: `ESRCH` naming both namespaces, with `ENOTTY` (a missing pid
 * on kernels without the 2026 stable fix, once support is confirmed) and `EREMOTE` normalised to it.
 *
 * @param r The ioctl's result (`-errno`, or 0).
 */
export function translationError(
  ns: PidNamespace,
  pid: number,
  tgid: boolean,
  toCaller: boolean,
  r: number,
  context?: Context,
): Error {
  const name = requestName(tgid, toCaller);
  // ENOTTY can mean "not found" (kernel-api.md §15.7) only from a real nsfs fd.
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
interface Context {
  readonly pid: number;
  readonly from: PidNamespace | undefined;
  readonly to: PidNamespace | undefined;
  /** The pid in the caller's namespace, once the first step succeeded. */
  via?: number;
}

function namespaceOption(ns: unknown, name: string): void {
  if (ns === undefined) return;
  if (!(ns instanceof PidNamespace)) throw new TypeError(`Expected options.${name} to be a PidNamespace`);
  ns.fd; // a closed handle is a TypeError here, before any syscall
}

function tgidOption(options: PidTranslateOptions | undefined): boolean {
  assertOptions(options);
  return booleanOption(options, "tgid");
}

function requestName(tgid: boolean, toCaller: boolean): string {
  return toCaller
    ? (tgid ? "NS_GET_TGID_FROM_PIDNS" : "NS_GET_PID_FROM_PIDNS")
    : (tgid ? "NS_GET_TGID_IN_PIDNS" : "NS_GET_PID_IN_PIDNS");
}

/** `pid:[<inode>]`, as `readlink /proc/<pid>/ns/pid` shows a namespace. */
function label(ns: PidNamespace): string {
  return `pid:[${ns.inode}]`;
}

function callerLabel(): string {
  return `pid:[${callerNamespace().inode}] (the caller's)`;
}

/** The `ESRCH` of a translation, with a message naming the namespaces on both sides. */
function notFound(
  ns: PidNamespace,
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
    const caller = callerNamespace();
    const fromNs = context.from ?? caller;
    const toNs = context.to ?? caller;
    const name = (ns: PidNamespace): string => ns.equals(caller) ? callerLabel() : label(ns);
    const from = name(fromNs);
    const to = name(toNs);
    if (fromNs.equals(toNs)) {
      detail = `pid ${context.pid} does not exist in ${from}`;
    } else if (toCaller && !toNs.equals(caller)) {
      detail = `pid ${context.pid} of ${from} does not exist or is not visible in ${callerLabel()}, ` +
        `through which the translation to ${to} goes`;
    } else if (!toCaller && !fromNs.equals(caller)) {
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

function initGone(ns: PidNamespace, cause: Error): SyscallError {
  // The caller is visible in its own namespace and in every ancestor: then the init is merely out of view.
  const ancestor = libc.ioctl_val(ns.fd, NS_GET_PID_IN_PIDNS, libc.getpid()) > 0 &&
    !ns.equals(callerNamespace());
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

/** The caller's own PID namespace, opened once and kept for the life of the process. */
function callerNamespace(): PidNamespace {
  return callerNs ??= PidNamespace.current();
}

/**
 * Whether the translation ioctls work, as {@link supports} probed them once: `NS_GET_PID_IN_PIDNS(own
 * namespace, getpid())` must answer `getpid()` (kernel-api.md §15.7: `ENOTTY` from a translation ioctl can mean
 * "not found" on kernels without the 2026 stable fix). Afterwards `ENOTTY` on a known PID namespace means "not
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
      let fdinfo = false;
      try {
        const self = Pidfd.self();
        try {
          fdinfo = fdinfoChain(self.fd) !== null;
        } finally {
          self.close();
        }
      } catch (e) {
        // Running out of fds says nothing about the kernel: fail this call, decide on a later one.
        if (e instanceof SyscallError && (e.code === "EMFILE" || e.code === "ENFILE")) throw e;
        fdinfo = false;
      }
      autoMethods = { toCaller: "procfs", fromCaller: fdinfo ? "fdinfo" : "procfs" };
    }
  }
  return toCaller ? autoMethods.toCaller : autoMethods.fromCaller;
}

/** One translation between `ns` and the caller's namespace, in the direction `toCaller`. */
function translateStep(
  ns: PidNamespace,
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
function procLevel(): number {
  if (procLevelCache !== undefined) return procLevelCache;
  let text: string;
  try {
    text = readText("/proc/self/status");
  } catch (e) {
    if (e instanceof SyscallError && e.code === "ENOENT") {
      throw new UnsupportedError(
        "procfs",
        "/proc does not show the calling process: it is the procfs of a PID namespace the caller is not in",
        { cause: e },
      );
    }
    throw e;
  }
  const chain = intsField(text, "NSpid");
  if (chain === null) {
    throw new UnsupportedError("procfs", "/proc/self/status has no NSpid: line (Linux < 4.1)");
  }
  return procLevelCache = chain.length - 1;
}

/**
 * Walks `NS_GET_PARENT` up from `ns` until the namespace with inode `target` (found) or the top of the
 * caller's view (not found). Every fd it opens is closed.
 */
function walkUp(ns: PidNamespace, target: number): { steps: number; found: boolean; topInode: number } {
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
function fdinfoChain(pidfd: number): number[] | null {
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
  ns: PidNamespace,
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
        throw new UnsupportedError("procfs", `${dir}/status has no ${key}: line (Linux < 4.1)`);
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
  ns: PidNamespace,
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
    throw new UnsupportedError("procfs", `${dir}/status has no ${key}: line`);
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
