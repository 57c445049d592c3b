/**
 * The handles: {@link Pidfd} (one process, which a pid reuse can never redirect), {@link Namespace} (one
 * namespace) and {@link PidNamespace} (one PID namespace, which translates pids).
 *
 * They live in one module because they create each other: `pidfd.namespace("pid")` returns a `PidNamespace`,
 * `Namespace.open()` of a pid file and `parent()` do too, and `ns.initPidfd()` returns a `Pidfd`. Defined
 * together, each class can construct the others directly, and that holds whatever imports what first; a
 * registry filled by another module's side effect would hold only as long as someone imported that module.
 * The classes are thin shells: the mechanics live in part modules that work on raw fds (`namespace.ts`,
 * `pid_translate.ts`, `procfs_mount.ts`, `proc_dir.ts`, `wait.ts`), which import these classes as types only.
 *
 * @module
 */

import {
  Errno,
  F_GETFL,
  LE,
  libc,
  NS_GET_ID,
  NS_GET_PARENT,
  NS_GET_USERNS,
  PID_FS_MAGIC,
  PID_NS_INIT_INO,
  PIDFD_GET_CGROUP_NAMESPACE,
  PIDFD_GET_IPC_NAMESPACE,
  PIDFD_GET_MNT_NAMESPACE,
  PIDFD_GET_NET_NAMESPACE,
  PIDFD_GET_PID_FOR_CHILDREN_NAMESPACE,
  PIDFD_GET_PID_NAMESPACE,
  PIDFD_GET_TIME_FOR_CHILDREN_NAMESPACE,
  PIDFD_GET_TIME_NAMESPACE,
  PIDFD_GET_USER_NAMESPACE,
  PIDFD_GET_UTS_NAMESPACE,
  pidfd_getfd,
  PIDFD_INFO,
  PIDFD_INFO_CGROUPID,
  PIDFD_INFO_COREDUMP,
  PIDFD_INFO_CREDS,
  PIDFD_INFO_EXIT,
  PIDFD_INFO_PID,
  pidfd_open,
  pidfd_send_signal,
  PIDFD_SIGNAL_PROCESS_GROUP,
  PIDFD_SIGNAL_THREAD,
  PIDFD_SIGNAL_THREAD_GROUP,
  PIDFD_THREAD,
  POLLFD,
  POLLIN,
  structBuffer,
} from "../ffi/mod.ts";
import {
  assertOptions,
  assertPid,
  booleanOption,
  check,
  describe,
  EMFILE_HINT,
  excerpt,
  fdArgument,
  SyscallError,
  UnsupportedError,
} from "./errors.ts";
import {
  adoptFd,
  assertOpen,
  closeRaw,
  confirmNotReaped,
  constructOwner,
  fsTypeOf,
  inodeOf,
  notWhatItShouldBe,
  OwnedFd,
} from "./fd.ts";
import { checkHandle, handleOf, openHandle } from "./handle.ts";
import { callerPid, confirmOpened, dupPidfd, openSnapshot } from "./identity.ts";
import {
  adviseMemory,
  type MemoryAdvice,
  type MemoryMap,
  memoryMaps,
  type MemoryRange,
  releaseMemory,
} from "./memory.ts";
import { type NamespaceKind, type NamespaceType, namespaceTypeOf } from "./namespace.ts";
import {
  direction,
  label,
  NotFound,
  nspidOf,
  type PidTranslateOptions,
  tgidOption,
  translateStep,
  walkUp,
} from "./pid_translate.ts";
import { getPidfdInfo, pidfdInfo } from "./pidfd_info.ts";
import { openProcDir, type ProcDir } from "./proc_dir.ts";
import { goneAsEsrch, intsField, openNamespaceFile, openPath, pids, readText } from "./procfs.ts";
import { openProcfsRoot, procfsNamespaceFd } from "./procfs_mount.ts";
import { type Signal, signalNumber } from "./signals.ts";
import { assertUnixSocket, peerPidfd } from "./socket_peer.ts";
import { supports } from "./supports.ts";
import { found, initGone, initNotFound } from "./translation_errors.ts";
import { exitedOf, type ExitStatus, markOwnChild, releaseWaits, waitFor, type WaitOptions } from "./wait.ts";

/** Options of {@link Pidfd.open}. */
export interface PidfdOpenOptions {
  /** Refer to the thread `pid` (a tid) rather than its thread group (`PIDFD_THREAD`, Linux ≥ 6.9). */
  thread?: boolean;
  /** Make the fd non-blocking, so that `waitid` on it answers `EAGAIN` (`PIDFD_NONBLOCK`, Linux ≥ 5.10). */
  nonblock?: boolean;
  /**
   * Open only the process with this pidfs id ({@link Pidfd.id}, Linux ≥ 6.9), else `ESRCH`: the library form
   * of util-linux's `PID:INODE`, which a reused pid cannot satisfy.
   */
  id?: bigint;
  /**
   * `pid` is numbered as this PID namespace numbers it: translated (`NS_GET_PID_FROM_PIDNS`), opened, then
   * confirmed through the new pidfd to have that pid there, so a pid reused in between is `ESRCH`.
   */
  ns?: PidNamespace;
}

/** Options of {@link Pidfd.fromHandle}. */
export interface FromHandleOptions {
  /** Make the fd non-blocking (`O_NONBLOCK`, as `PIDFD_NONBLOCK`). */
  nonblock?: boolean;
  /** Open a thread's handle as a thread pidfd (`O_EXCL`, as `PIDFD_THREAD`). */
  thread?: boolean;
}

/** Options of {@link Pidfd.info}. */
export interface PidfdInfoOptions {
  /** Ask for the exit status (`PIDFD_INFO_EXIT`, Linux ≥ 6.15); available once the process has been reaped. */
  exit?: boolean;
  /** Ask for the coredump mask (`PIDFD_INFO_COREDUMP`, Linux ≥ 6.16). */
  coredump?: boolean;
}

/** Options of {@link Pidfd.sendSignal}. */
export interface SendSignalOptions {
  /**
   * Whom to signal (Linux ≥ 6.9): the one `"thread"` of a thread pidfd, the whole `"process"` (thread group),
   * or the `"process-group"` the process leads. Default: the thread for a thread pidfd, else the process.
   */
  scope?: "thread" | "process" | "process-group";
}

/** The fields of {@link PidfdInfo} that a source may be unable to tell. */
export type PidfdInfoField =
  | "pid"
  | "tgid"
  | "ppid"
  | "ruid"
  | "rgid"
  | "euid"
  | "egid"
  | "suid"
  | "sgid"
  | "fsuid"
  | "fsgid"
  | "cgroupId"
  | "exitStatus"
  | "coredumpMask";

/**
 * What {@link Pidfd.info} knows about a process. A field is `null` when the kernel did not report it: the
 * process was already reaped (then only `cgroupId` and `exitStatus` remain), the field was not asked for, or
 * the source cannot know it (then it is listed in {@link PidfdInfo.unknown}).
 */
export interface PidfdInfo {
  /** The pid (tid for a thread pidfd) in the caller's PID namespace. */
  readonly pid: number | null;
  /** The thread group id (process id) in the caller's PID namespace. */
  readonly tgid: number | null;
  /** The parent's pid in the caller's PID namespace; 0 when the parent is not visible there. */
  readonly ppid: number | null;
  /** The real user id, mapped into the caller's user namespace (65534 if unmapped). */
  readonly ruid: number | null;
  /** The effective user id, mapped into the caller's user namespace (65534 if unmapped). */
  readonly euid: number | null;
  /** The saved user id, mapped into the caller's user namespace (65534 if unmapped). */
  readonly suid: number | null;
  /** The filesystem user id, mapped into the caller's user namespace (65534 if unmapped). */
  readonly fsuid: number | null;
  /** The real group id, mapped into the caller's user namespace (65534 if unmapped). */
  readonly rgid: number | null;
  /** The effective group id, mapped into the caller's user namespace (65534 if unmapped). */
  readonly egid: number | null;
  /** The saved group id, mapped into the caller's user namespace (65534 if unmapped). */
  readonly sgid: number | null;
  /** The filesystem group id, mapped into the caller's user namespace (65534 if unmapped). */
  readonly fsgid: number | null;
  /** The cgroup v2 id (the inode of its cgroupfs directory; 1 is the root). */
  readonly cgroupId: bigint | null;
  /** The raw wait status (`42 << 8` for `exit(42)`, 9 for SIGKILL), once the process has been reaped. */
  readonly exitStatus: number | null;
  /** `PIDFD_COREDUMP*` bits: 1 dumped, 2 not dumpable, 4 dump as user, 8 dump as root. */
  readonly coredumpMask: number | null;
  /** `"ioctl"` from `PIDFD_GET_INFO`; `"procfs"` from `/proc` on kernels older than 6.13. */
  readonly source: "ioctl" | "procfs";
  /** Fields this source cannot tell on this kernel (they are `null`, not invented). */
  readonly unknown: readonly PidfdInfoField[];
}

const NAMESPACE_IOCTLS: Readonly<Record<NamespaceKind, readonly [request: number, name: string]>> = {
  cgroup: [PIDFD_GET_CGROUP_NAMESPACE, "PIDFD_GET_CGROUP_NAMESPACE"],
  ipc: [PIDFD_GET_IPC_NAMESPACE, "PIDFD_GET_IPC_NAMESPACE"],
  mnt: [PIDFD_GET_MNT_NAMESPACE, "PIDFD_GET_MNT_NAMESPACE"],
  net: [PIDFD_GET_NET_NAMESPACE, "PIDFD_GET_NET_NAMESPACE"],
  pid: [PIDFD_GET_PID_NAMESPACE, "PIDFD_GET_PID_NAMESPACE"],
  pid_for_children: [PIDFD_GET_PID_FOR_CHILDREN_NAMESPACE, "PIDFD_GET_PID_FOR_CHILDREN_NAMESPACE"],
  time: [PIDFD_GET_TIME_NAMESPACE, "PIDFD_GET_TIME_NAMESPACE"],
  time_for_children: [PIDFD_GET_TIME_FOR_CHILDREN_NAMESPACE, "PIDFD_GET_TIME_FOR_CHILDREN_NAMESPACE"],
  user: [PIDFD_GET_USER_NAMESPACE, "PIDFD_GET_USER_NAMESPACE"],
  uts: [PIDFD_GET_UTS_NAMESPACE, "PIDFD_GET_UTS_NAMESPACE"],
};

const SIGNAL_SCOPES = {
  thread: PIDFD_SIGNAL_THREAD,
  process: PIDFD_SIGNAL_THREAD_GROUP,
  "process-group": PIDFD_SIGNAL_PROCESS_GROUP,
} as const;

// Struct buffers, allocated once.
const pollBuf = structBuffer(POLLFD.size);
const ONE = 1n;

// Set by the classes' static blocks, all in this module: module code may construct, users may not.
let construct: (fd: number, pid: number) => Pidfd;
let constructNamespace: (fd: number, kind: NamespaceType) => Namespace;
let newPidNamespace: (fd: number) => PidNamespace;
const u64 = structBuffer(8);

/**
 * A pidfd: a file descriptor that refers to one process for good. Signals, waits and namespace lookups
 * through it can never reach another process, even after the pid number is reused.
 *
 * Requires Linux ≥ 5.3. Deno: `--allow-ffi`. Close it with {@link Pidfd.close} or bind it with `using`; a
 * closed `Pidfd` throws `TypeError` on every use.
 *
 * @example Signal a process without a pid-reuse race
 * ```ts
 * import { Pidfd, spawn } from "@pidfd/pidfd";
 * await using child = spawn("sleep", ["10"]);
 * using pidfd = Pidfd.open(child.pid);
 * console.log(pidfd.info().ppid); // the caller's pid
 * pidfd.sendSignal("SIGTERM");
 * ```
 */
export class Pidfd extends OwnedFd {
  #pid: number;
  #id: bigint | undefined;

  private constructor(fd: number, pid: number) {
    super(fd);
    this.#pid = pid;
  }

  /**
   * Opens a pidfd for a process: `pidfd_open(2)` (https://man7.org/linux/man-pages/man2/pidfd_open.2.html).
   *
   * No privilege is needed for any process visible in the caller's PID namespace, zombies included. The pid
   * itself is still a number: open the pidfd while you know the process is the one you mean (for a child,
   * before it can be reaped); from then on the pidfd pins that process.
   *
   * With `id`, the opened process must have that pidfs id ({@link Pidfd.id}), else `ESRCH`: a pid reused by
   * another process never matches (util-linux's `PID:INODE`). With `ns`, `pid` is numbered as that PID
   * namespace numbers it: translated into the caller's numbering, opened, then translated back while the new
   * pidfd pins the process and checked not reaped, so a pid reused in between is `ESRCH`, never the wrong
   * process. Both combine with each other and with `thread`.
   *
   * Requires Linux ≥ 5.3; `nonblock` ≥ 5.10; `thread` and `id` ≥ 6.9; `ns` ≥ 6.11 (older kernels translate
   * through procfs, which sees only the caller's namespace and those below it).
   *
   * @param pid The process id (or thread id with `thread`), as seen in the caller's PID namespace, or in `ns`.
   * @param options `thread` to refer to one thread, `nonblock` for non-blocking `waitid`, `id` to insist on
   * one process, `ns` for the namespace `pid` is numbered in.
   * @returns An owned pidfd; its `pid` is the caller's number of the process.
   * @throws {TypeError} If `thread` or `nonblock` is given and not a boolean, `id` not a bigint, `ns` not a
   * `PidNamespace` (or closed).
   * @throws {RangeError} If `pid` is not a positive integer below 2^31, or `id` is not from 1 to 2^64-1.
   * @throws {SyscallError} `ESRCH` if no such process exists (or it was reaped), if it has another pidfs id
   * than `id` ("pid 4242 is now another process"), or if `ns` has no such pid; `ENOENT` for a non-leader
   * thread without `thread`; `EINVAL` for flags this kernel lacks; `EMFILE` at the fd limit.
   * @throws {UnsupportedError} `id` before Linux 6.9 (no pidfs ids).
   *
   * @example Open and close
   * ```ts
   * import { Pidfd } from "@pidfd/pidfd";
   * using pidfd = Pidfd.self();
   * ```
   *
   * @example Open pid 17 of a container, and only the process that had id 6120 when it was recorded
   * ```ts ignore
   * import { Pidfd, PidNamespace } from "@pidfd/pidfd";
   * using container = PidNamespace.open("/proc/4242/ns/pid");
   * using inside = Pidfd.open(17, { ns: container });
   * using recorded = Pidfd.open(4250, { id: 6120n });
   * ```
   */
  static open(pid: number, options?: PidfdOpenOptions): Pidfd {
    assertPid(pid);
    const o = openSnapshot(options, isOpenPidNamespace);
    const opened = callerPid(pid, o);
    const fd = pidfd_open(opened, o.flags);
    if (fd < 0) {
      const detail = fd === -Errno.EMFILE ? EMFILE_HINT : undefined;
      throw new SyscallError({ syscall: "pidfd_open", errno: -fd, subject: pid, detail });
    }
    confirmOpened(fd, pid, opened, o);
    return construct(fd, opened);
  }

  /**
   * A pidfd for the calling process (`pidfd_open(getpid(), 0)`).
   *
   * @returns An owned pidfd of the caller.
   * @throws {SyscallError} `EMFILE` at the fd limit; `ENOSYS` before Linux 5.3.
   *
   * @example
   * ```ts
   * import { Pidfd } from "@pidfd/pidfd";
   * using me = Pidfd.self();
   * console.log(me.pid);
   * ```
   */
  static self(): Pidfd {
    return Pidfd.open(libc.getpid());
  }

  /**
   * Adopts a child that Deno (`Deno.Command`), Bun (`Bun.spawn`) or `node:child_process` started: opens a
   * pidfd for `child.pid`, then verifies through it that the process is running and that its parent is the
   * caller. From then on the pidfd pins that process.
   *
   * The remaining window: between the runtime's spawn and this call, the child could exit and be reaped by the
   * runtime, and its pid be reused by a new child of the caller (a new process of anyone else fails the parent
   * check). That takes a pid reuse within microseconds, but where it matters use {@link spawn}, whose pidfd is
   * born with the child. Pidfds are opened without privilege. Requires Linux ≥ 5.3.
   *
   * @param child Anything with the child's `pid` (a `Deno.ChildProcess`, a Bun `Subprocess`, a `ChildProcess`).
   * @returns An owned pidfd of the child. Its exit status comes through `PIDFD_GET_INFO` after the runtime
   * reaps it; the runtime keeps its own status.
   * @throws {TypeError} If `child.pid` is missing.
   * @throws {SyscallError} `ECHILD` if the process is not a child of the caller; `ESRCH` if the child already exited and was reaped, or exited (a zombie) before
   * adoption.
   *
   * @example
   * ```ts
   * import { Pidfd } from "@pidfd/pidfd";
   * const child = new Deno.Command("sleep", { args: ["10"] }).spawn();
   * using pidfd = Pidfd.fromChild(child);
   * pidfd.sendSignal("SIGTERM");
   * console.log((await child.status).signal); // "SIGTERM"
   * ```
   */
  static fromChild(child: { readonly pid: number | undefined }): Pidfd {
    if (child === null || typeof child !== "object") throw new TypeError("Expected a child process object");
    const pid = child.pid; // read once
    if (pid === undefined) throw new TypeError("The child has no pid (it failed to start)");
    const pidfd = Pidfd.open(pid);
    try {
      const self = libc.getpid();
      const { ppid } = pidfd.info();
      if (ppid !== self) {
        throw new SyscallError({
          syscall: "waitid",
          operation: "Pidfd.fromChild",
          errno: Errno.ECHILD,
          subject: pid,
          detail: `process ${pid} is not a child of this process (its parent is ${ppid})`,
        });
      }
      if (!pidfd.isAlive()) {
        throw new SyscallError({
          syscall: "poll",
          operation: "Pidfd.fromChild",
          errno: Errno.ESRCH,
          subject: pid,
        });
      }
      return pidfd;
    } catch (e) {
      pidfd.close();
      throw e;
    }
  }

  /**
   * The pidfd of the process on the other end of an AF_UNIX socket: `getsockopt(SO_PEERPIDFD)` (see unix(7)),
   * the kernel's own identity of the peer as it captured it at `connect()` (or `listen()`, for a client asking
   * about its server), never a `pidfd_open` of a pid. Each call returns a new pidfd. For sockets that a runtime or
   * another library exposes as a raw fd; `listenUnix`/`connectUnix` connections have `peer()`.
   *
   * Requires Linux ≥ 6.5; a peer already reaped answers from 6.16 ({@link supports}: `peerPidfd`,
   * `peerPidfdAfterExit`). No permission needed. The fd stays the caller's.
   *
   * @param fd A connected AF_UNIX socket fd.
   * @returns An owned pidfd of the peer; its `pid` is the peer's pid in the caller's PID namespace (0 when not
   * visible there).
   * @throws {TypeError} If `fd` is not an AF_UNIX socket.
   * @throws {RangeError} If `fd` is not a non-negative integer.
   * @throws {UnsupportedError} Before Linux 6.5.
   * @throws {SyscallError} `EBADF` for an fd that is not open; `ENODATA` for a socket with no peer; `EINVAL`
   * for a peer already reaped before Linux 6.16.
   *
   * @example
   * ```ts ignore
   * import { Pidfd } from "@pidfd/pidfd";
   * using peer = Pidfd.fromSocketPeer(socketFd);
   * console.log(peer.pid, peer.info().euid);
   * ```
   */
  static fromSocketPeer(fd: number): Pidfd {
    const socket = fdArgument(fd);
    assertUnixSocket(socket);
    const peer = peerPidfd(socket, `fd ${socket}`);
    return construct(peer.fd, peer.pid);
  }

  /**
   * Reopens the process a pidfs file handle names ({@link Pidfd.handle}): `open_by_handle_at(2)` with
   * `FD_PIDFS_ROOT` as the mount fd (Linux ≥ 6.17), else with a pidfd of the caller (≥ 6.14). Any process
   * may do it, without privilege, for a process in its PID namespace or one below; the handle never reaches
   * another process than the one it was made of.
   *
   * The bytes are checked before any syscall: a handle of another kind (wrong length, wrong type, an nsfs
   * handle, truncated) is a `TypeError`. A kernfs handle of another file system (cgroupfs) has the same shape
   * and is left to the kernel.
   *
   * @param handle The bytes {@link Pidfd.handle} returned, here or in another process.
   * @param options `nonblock` for a non-blocking fd; `thread` to open a thread's handle as a thread pidfd.
   * @returns An owned pidfd of that process.
   * @throws {TypeError} If `handle` is not a `Uint8Array` holding a pidfs handle, or an option is not a boolean.
   * @throws {SyscallError} `ESRCH` once the process has been reaped, or when it lies outside the caller's PID
   * namespace (the kernel's `ESTALE` is the `cause`); `ENOENT` for a non-leader thread without `thread`.
   * @throws {UnsupportedError} Before Linux 6.14 (`supports().pidfsHandles`).
   *
   * @example Write the identity of a process to a file, and reopen it in another program
   * ```ts ignore
   * import { Pidfd } from "@pidfd/pidfd";
   * using pidfd = Pidfd.open(1234);
   * Deno.writeFileSync("/run/app/worker.handle", pidfd.handle());
   * // … later, elsewhere:
   * using again = Pidfd.fromHandle(Deno.readFileSync("/run/app/worker.handle"));
   * ```
   */
  static fromHandle(handle: Uint8Array, options?: FromHandleOptions): Pidfd {
    assertOptions(options);
    const nonblock = booleanOption(options, "nonblock");
    const thread = booleanOption(options, "thread");
    const bytes = checkHandle(handle);
    const pidfd = adoptChecked(openHandle(bytes, nonblock, thread), !thread);
    if (!thread || (libc.fcntl(pidfd.fd, F_GETFL, 0) & PIDFD_THREAD) !== 0) return pidfd;
    // Linux 6.18 accepts O_EXCL here but drops it from the file: reopen the thread by its tid, which cannot be
    // reused while `pidfd` pins it, and confirm it by the id.
    using pinned = pidfd;
    return Pidfd.open(pinned.pid, { thread: true, nonblock, id: pinned.id });
  }

  /**
   * Adopts a pidfd the program inherited or received (`SCM_RIGHTS`, systemd's fd store) after checking that
   * it is one: an fd on pidfs (Linux ≥ 6.9), or before 6.9 an `anon_inode:[pidfd]`.
   *
   * Ownership: the result owns a close-on-exec duplicate (`F_DUPFD_CLOEXEC`); the caller keeps `fd` and
   * closes it when it likes. Nothing the caller owns is closed, on success or failure.
   *
   * @param fd The fd number.
   * @returns An owned pidfd of the same process (a thread pidfd stays one).
   * @throws {TypeError} If `fd` is not a pidfd.
   * @throws {RangeError} If `fd` is not a non-negative integer.
   * @throws {SyscallError} `EBADF` if `fd` is not open; `ESRCH` once the process has been reaped; `EREMOTE`
   * when it lies outside the caller's PID namespace; `EMFILE` at the fd limit.
   *
   * @example
   * ```ts ignore
   * import { Pidfd } from "@pidfd/pidfd";
   * using pidfd = Pidfd.fromFd(3); // passed by the parent; fd 3 stays the caller's
   * ```
   */
  static fromFd(fd: number): Pidfd {
    return adoptChecked(dupPidfd(fdArgument(fd)));
  }

  /**
   * The pidfs file handle of the process: `name_to_handle_at(2)` on the pidfd (Linux ≥ 6.14). Opaque bytes
   * (16 today: the `struct file_handle` header and the pidfs id), valid for the boot, that name this one
   * process: {@link Pidfd.fromHandle} reopens it in any process of a PID namespace that sees it, and never
   * reaches another process once it has been reaped. Needs no privilege.
   *
   * @returns A fresh copy of the handle.
   * @throws {TypeError} If the pidfd is closed.
   * @throws {UnsupportedError} Before Linux 6.14 (`supports().pidfsHandles`).
   *
   * @example
   * ```ts ignore
   * import { Pidfd } from "@pidfd/pidfd";
   * using me = Pidfd.self();
   * const handle = me.handle();
   * using again = Pidfd.fromHandle(handle);
   * console.log(again.id === me.id); // true
   * ```
   */
  handle(): Uint8Array {
    return handleOf(this.fd, this.#pid);
  }

  /**
   * The pid this pidfd was opened for, in the caller's PID namespace. Once the process has been reaped the
   * number may belong to another process: act through the pidfd, not through this number.
   *
   * @throws {TypeError} If the pidfd is closed.
   */
  get pid(): number {
    assertOpen(this); // use after close is an error here too
    return this.#pid;
  }

  /**
   * The process identity: the pidfs inode (`fstat(2)`), a 64-bit number that is never reused during a boot.
   * All pidfds of one process share it. Requires Linux ≥ 6.9 (pidfs).
   *
   * @throws {TypeError} If the pidfd is closed.
   * @throws {UnsupportedError} Before Linux 6.9, where all pidfds share one anonymous inode.
   */
  get id(): bigint {
    const fd = this.fd; // use after close is an error even once the id is known
    if (this.#id !== undefined) return this.#id;
    if (fsTypeOf(fd, this.#pid) !== PID_FS_MAGIC) {
      throw new UnsupportedError(
        "pidfs",
        "Pidfd.id needs pidfs (Linux ≥ 6.9): this kernel's pidfds share one inode",
      );
    }
    return this.#id = inodeOf(fd, this.#pid);
  }

  /**
   * Whether both pidfds refer to the same process (same {@link Pidfd.id}). Requires Linux ≥ 6.9.
   *
   * @param other Another pidfd.
   * @returns `true` for the same process.
   * @throws {UnsupportedError} Before Linux 6.9.
   *
   * @example
   * ```ts
   * import { Pidfd } from "@pidfd/pidfd";
   * using a = Pidfd.self();
   * using b = Pidfd.self();
   * console.log(a.equals(b)); // true
   * ```
   */
  equals(other: Pidfd): boolean {
    if (!(other instanceof Pidfd)) throw new TypeError("Expected a Pidfd");
    return this.id === other.id;
  }

  /**
   * What the kernel knows about the process: `PIDFD_GET_INFO` (Linux ≥ 6.13; exit status ≥ 6.15, coredump
   * mask ≥ 6.16). Needs no privilege beyond holding the pidfd.
   *
   * On kernels without the ioctl (decided once by {@link supports}, never by a failure on this fd) it reads `/proc/self/fdinfo/<fd>` and
   * `/proc/<pid>/status`, then confirms through the pidfd that the process was not reaped meanwhile (so a
   * recycled pid cannot answer); `cgroupId`, `exitStatus` and `coredumpMask` are then listed in `unknown`.
   *
   * @param options `exit` for the exit status (after the process has been reaped), `coredump` for the mask.
   * @returns The process's ids, credentials, cgroup and, when asked and available, exit status.
   * @throws {TypeError} If the pidfd is closed, or `exit`/`coredump` is given and not a boolean.
   * @throws {SyscallError} `ENOTTY` naming the fd when it is no longer a pidfd (closed and reused behind the
   * library's back); `ESRCH` once the process has been reaped (unless `exit` is asked and the kernel
   * kept the status); `EREMOTE` (`ESRCH` on older 6.18 stables) when it lies outside the caller's PID namespace.
   *
   * @example Read the parent and effective uid
   * ```ts
   * import { Pidfd } from "@pidfd/pidfd";
   * using pidfd = Pidfd.self();
   * const { ppid, euid } = pidfd.info();
   * ```
   */
  info(options?: PidfdInfoOptions): PidfdInfo {
    // The options are read once, before the shared buffer is filled: no getter runs between ioctl and decode.
    assertOptions(options);
    const exit = booleanOption(options, "exit");
    const coredump = booleanOption(options, "coredump");
    const fd = this.fd;
    if (!supports().pidfdInfo) return infoFromProcfs(this, exit, coredump);
    const request = PIDFD_INFO_PID | PIDFD_INFO_CREDS | PIDFD_INFO_CGROUPID | (exit ? PIDFD_INFO_EXIT : 0) |
      (coredump ? PIDFD_INFO_COREDUMP : 0);
    const r = getPidfdInfo(fd, request);
    if (r >= 0) return decodeInfo(coredump);
    if (r === -Errno.ENOTTY || r === -Errno.EINVAL) {
      throw notWhatItShouldBe("PIDFD_GET_INFO", -r, fd, this.#pid, "a pidfd");
    }
    throw new SyscallError({ syscall: "PIDFD_GET_INFO", errno: -r, subject: this.#pid });
  }

  /**
   * Sends a signal through the pidfd: `pidfd_send_signal(2)`
   * (https://man7.org/linux/man-pages/man2/pidfd_send_signal.2.html). Signal 0 only checks that the process
   * exists and may be signalled. A zombie still accepts signals (they do nothing).
   *
   * Requires Linux ≥ 5.1; `scope` ≥ 6.9. Permission: the rules of `kill(2)`.
   *
   * @param signal A signal name (`"SIGTERM"`, `"TERM"`, `"SIGRTMIN+1"`) or number (0–64).
   * @param options `scope`: `"thread"`, `"process"` or `"process-group"`.
   * @throws {TypeError} For an unknown signal name or scope (read once, before any syscall).
   * @throws {RangeError} For a signal number outside 0–64.
   * @throws {SyscallError} `ESRCH` once the process has been reaped; `EPERM` without permission; `EINVAL`
   * for a scope this kernel lacks.
   *
   * @example
   * ```ts
   * import { Pidfd, spawn } from "@pidfd/pidfd";
   * await using child = spawn("sleep", ["10"]);
   * using pidfd = Pidfd.open(child.pid);
   * pidfd.sendSignal("SIGTERM");
   * ```
   */
  sendSignal(signal: Signal, options?: SendSignalOptions): void {
    const sig = signalNumber(signal);
    assertOptions(options);
    const scope: unknown = options?.scope; // read once: a getter cannot change it after the check
    let flags = 0;
    if (scope !== undefined) {
      if (typeof scope !== "string" || !Object.hasOwn(SIGNAL_SCOPES, scope)) {
        throw new TypeError(
          `Unknown signal scope: ${describe(scope)} (use thread, process or process-group)`,
        );
      }
      flags = SIGNAL_SCOPES[scope as keyof typeof SIGNAL_SCOPES];
    }
    check(pidfd_send_signal(this.fd, sig, flags), "pidfd_send_signal", this.#pid);
  }

  /**
   * Whether the process is still running: `poll(2)` on the pidfd, which turns readable when the process exits
   * (Linux ≥ 5.3). A zombie (exited, not yet reaped) counts as not alive. Needs no permission.
   *
   * @returns `false` once the process has exited.
   * @throws {TypeError} If the pidfd is closed.
   * @throws {SyscallError} `EBADF` naming the fd when it is no longer a pidfd (closed and reused behind the
   * library's back; detected on Linux ≥ 6.9).
   *
   * @example
   * ```ts
   * import { Pidfd, spawn } from "@pidfd/pidfd";
   * await using child = spawn("sleep", ["10"]);
   * using pidfd = Pidfd.open(child.pid);
   * if (pidfd.isAlive()) pidfd.sendSignal("SIGTERM");
   * ```
   */
  isAlive(): boolean {
    const { view, bytes } = pollBuf;
    const fd = this.fd;
    view.setInt32(POLLFD.fd, fd, LE);
    view.setInt16(POLLFD.events, POLLIN, LE);
    view.setInt16(POLLFD.revents, 0, LE);
    check(libc.poll(bytes, ONE, 0), "poll", this.#pid);
    if ((view.getInt16(POLLFD.revents, LE) & POLLIN) === 0) return true;
    // Any regular file polls readable too: before answering "exited", make sure the fd is still a pidfd.
    if (supports().pidfs && fsTypeOf(fd, this.#pid) !== PID_FS_MAGIC) {
      throw notWhatItShouldBe("poll", Errno.EBADF, fd, this.#pid, "a pidfd");
    }
    return false;
  }

  /**
   * Duplicates a file descriptor of the process into the caller: `pidfd_getfd(2)`
   * (https://man7.org/linux/man-pages/man2/pidfd_getfd.2.html). The copy shares the open file description and
   * is close-on-exec.
   *
   * Requires Linux ≥ 5.6. Permission: ptrace attach rights over the process (`PTRACE_MODE_ATTACH_REALCREDS`;
   * root, or the same user when Yama allows it).
   *
   * @param targetFd The fd number in the target process.
   * @returns An owned copy.
   * @throws {TypeError} If `targetFd` is not a number.
   * @throws {RangeError} If `targetFd` is not a non-negative integer.
   * @throws {SyscallError} `EBADF` if `targetFd` is not open there; `EPERM` without ptrace rights; `ESRCH`
   * if the process is gone or exiting.
   *
   * @example Copy a process's stdout
   * ```ts
   * import { Pidfd } from "@pidfd/pidfd";
   * using pidfd = Pidfd.self();
   * using stdout = pidfd.getfd(1); // a copy of the process's fd 1
   * console.log(stdout.fd);
   * ```
   */
  getfd(targetFd: number): OwnedFd {
    const target = fdArgument(targetFd, "targetFd");
    const fd = pidfd_getfd(this.fd, target, 0);
    if (fd < 0) {
      throw new SyscallError({ syscall: "pidfd_getfd", errno: -fd, subject: `${this.#pid}, ${target}` });
    }
    return adoptFd(fd);
  }

  /**
   * A namespace of the process: the `PIDFD_GET_*_NAMESPACE` ioctls (Linux ≥ 6.11). On older kernels it opens
   * `/proc/<pid>/ns/<kind>` and then confirms through the pidfd that the process was not reaped meanwhile, so
   * a recycled pid can never hand back another process's namespace.
   *
   * Permission: ptrace-read access to the process (`PTRACE_MODE_READ_FSCREDS`).
   *
   * @param kind `cgroup`, `ipc`, `mnt`, `net`, `pid`, `pid_for_children`, `time`, `time_for_children`, `user`
   * or `uts`.
   * @returns An owned namespace handle. `pid_for_children` and `time_for_children` give a `pid` or `time`
   * namespace; `pid` and `pid_for_children` give a `PidNamespace`.
   * @throws {TypeError} For an unknown kind.
   * @throws {SyscallError} `ESRCH` if the process has exited (a zombie has no namespaces); `EACCES` without
   * permission; `EOPNOTSUPP` if the kernel lacks that namespace type.
   *
   * @example
   * ```ts
   * import { Pidfd } from "@pidfd/pidfd";
   * using pidfd = Pidfd.self();
   * using net = pidfd.namespace("net");
   * console.log(net.id);
   * ```
   */
  namespace(kind: "pid" | "pid_for_children"): PidNamespace;
  /**
   * A namespace of the process (see the `pid` overload above for the details).
   *
   * @param kind The namespace kind.
   * @returns An owned namespace handle.
   */
  namespace(kind: NamespaceKind): Namespace;
  namespace(kind: NamespaceKind): Namespace {
    if (typeof kind !== "string" || !Object.hasOwn(NAMESPACE_IOCTLS, kind)) {
      throw new TypeError(`Unknown namespace kind: ${describe(kind)}`);
    }
    const fd = this.fd;
    if (!supports().pidfdNamespaceIoctls) return namespaceFromProcfs(this, kind);
    const [request, name] = NAMESPACE_IOCTLS[kind];
    const r = libc.ioctl_val(fd, request, 0);
    if (r >= 0) return adoptNamespace(r, kind);
    if (r === -Errno.ENOTTY) throw notWhatItShouldBe(name, -r, fd, this.#pid, "a pidfd");
    throw new SyscallError({ syscall: name, errno: -r, subject: this.#pid });
  }

  /**
   * The pid of the process in every PID namespace from the caller's down to the process's own: the `NSpid`
   * chain, read from `/proc/self/fdinfo/<pidfd>` (Linux ≥ 5.5). The first entry is the pid in the caller's
   * namespace, the last the pid the process sees for itself (`[4242, 1]` for a container's init). Reading
   * through the pidfd is race-free; a zombie still answers. Needs no privilege.
   *
   * @returns The chain, outermost first.
   * @throws {TypeError} If the pidfd is closed.
   * @throws {SyscallError} `ESRCH` once the process has been reaped; `EREMOTE` when it is not visible in the
   * caller's PID namespace (a pidfd received from outside).
   * @throws {UnsupportedError} Before Linux 5.5, or when `/proc` does not show the caller.
   *
   * @example
   * ```ts
   * import { Pidfd } from "@pidfd/pidfd";
   * using pidfd = Pidfd.self();
   * const [here, ...inside] = pidfd.nspid();
   * ```
   */
  nspid(): number[] {
    return nspidOf(this);
  }

  /**
   * Opens the `/proc/<pid>` directory of this process, race-free (what the proposed `procfd_open` was meant
   * to be): it finds the pid as the procfs at `root` numbers it (`<root>/self/fdinfo/<pidfd>`, or a
   * translation into that procfs's PID namespace when the caller is not visible there), opens the directory,
   * then confirms through the pidfd that the process has not been reaped meanwhile, so a recycled pid can never
   * hand back another process's directory. A zombie's directory opens.
   *
   * Requires Linux ≥ 5.3. Permission: none to open; reading files needs what each file needs.
   *
   * @param root The procfs mount point. Default `/proc`.
   * @returns An owned directory handle; read files with `readText(name)`.
   * @throws {TypeError} If the pidfd is closed, or `root` is not a string.
   * @throws {SyscallError} `EINVAL` if `root` is not a procfs mount.
   * @throws {SyscallError} `ESRCH` once the process has been reaped, or when it is not visible in the
   * procfs's PID namespace.
   *
   * @example Read a container process's status through the container's own procfs
   * Not run as a test: it needs a container (a process in another PID namespace, with its own procfs).
   * ```ts ignore
   * import { Pidfd } from "@pidfd/pidfd";
   * using pidfd = Pidfd.open(4250);
   * using dir = pidfd.openProcDir("/proc/4242/root/proc");
   * console.log(dir.pid, dir.readText("status"));
   * ```
   */
  openProcDir(root: string = "/proc"): ProcDir {
    return openProcDir(this, root);
  }

  /**
   * The process's memory mappings, from `/proc/<pid>/maps` read through {@link Pidfd.openProcDir} (so a
   * recycled pid can never answer for another process). A zombie has none.
   *
   * Permission: `PTRACE_MODE_READ` over the process (the same user when Yama's `ptrace_scope` allows it, or
   * `CAP_SYS_PTRACE`).
   *
   * @returns One {@link MemoryMap} per mapping, in address order.
   * @throws {TypeError} If the pidfd is closed.
   * @throws {SyscallError} `ESRCH` once the process has been reaped; `EACCES` without ptrace-read access (the
   * message names it).
   *
   * @example Find a process's heap
   * ```ts
   * import { Pidfd } from "@pidfd/pidfd";
   * using pidfd = Pidfd.self();
   * const heap = pidfd.memoryMaps().find((m) => m.path === "[heap]");
   * ```
   */
  memoryMaps(): MemoryMap[] {
    return memoryMaps(this);
  }

  /**
   * Advises the kernel about the process's memory: `process_madvise(2)`
   * (https://man7.org/linux/man-pages/man2/process_madvise.2.html), Linux ≥ 5.10 (`collapse` ≥ 6.1). `cold`
   * deactivates pages so they are reclaimed first; `pageout` reclaims them now (file pages are dropped or
   * written back; anonymous pages need swap); `willneed` reads ahead; `collapse` builds transparent huge pages.
   *
   * The ranges are read and checked once, before the first call; they go to the kernel in batches of at most
   * `IOV_MAX` (1024) iovecs, through a reused buffer, and where the kernel stops early (it advises at most
   * 2 GiB per call) the next call continues from there.
   *
   * Permission on another process: `PTRACE_MODE_READ` over it and `CAP_SYS_NICE`; on the caller itself, none.
   *
   * @param advice `"cold"`, `"pageout"`, `"willneed"` or `"collapse"`.
   * @param ranges The address ranges, `start` page-aligned (`MemoryMap`s can be passed as they are). Default:
   * every mapping of {@link Pidfd.memoryMaps} except `[vsyscall]` and `[vvar]`, skipping mappings the advice
   * does not apply to (locked, huge-TLB, PFN-mapped) or that are unmapped meanwhile.
   * @returns The bytes advised (each range rounded out to whole pages, as the kernel does).
   * @throws {TypeError} For any other advice, a `ranges` that is not iterable, or a closed pidfd.
   * @throws {RangeError} For a range whose `start` or `end` is not a bigint, with `start >= end`, or with an
   * unaligned `start`. Nothing is advised then.
   * @throws {SyscallError} `EACCES` without ptrace-read access and `EPERM` without `CAP_SYS_NICE` (the message
   * names what is missing); `ESRCH` once the process has exited; `EINVAL` or `ENOMEM` for a given range the
   * advice does not apply to or that is not mapped (earlier ranges stay advised).
   * @throws {UnsupportedError} Before Linux 5.10.
   *
   * @example Page out a process's file-backed memory, then its whole address space
   * Not run as a test: advising another process's memory needs `CAP_SYS_NICE`.
   * ```ts ignore
   * import { Pidfd } from "@pidfd/pidfd";
   * using pidfd = Pidfd.open(1234);
   * const files = pidfd.memoryMaps().filter((m) => m.inode !== 0);
   * console.log(pidfd.adviseMemory("pageout", files), "bytes paged out");
   * pidfd.adviseMemory("cold");
   * ```
   */
  adviseMemory(advice: MemoryAdvice, ranges?: Iterable<MemoryRange>): number {
    return adviseMemory(this, advice, ranges);
  }

  /**
   * Frees the memory of a process that is being killed at once, instead of when its exit has unwound:
   * `process_mrelease(2)` (https://man7.org/linux/man-pages/man2/process_mrelease.2.html), Linux ≥ 5.15. Call
   * it right after `sendSignal("SIGKILL")`, as `pkill --mrelease`, lmkd and systemd-oomd do. Needs no
   * permission beyond holding the pidfd (and the right to have killed the process).
   *
   * @throws {TypeError} If the pidfd is closed.
   * @throws {SyscallError} `EINVAL` if the process is not dying (the message says to kill it first, with
   * SIGKILL), or shares its memory with a process that is not; `ESRCH` once its memory is gone (a zombie, or
   * reaped).
   * @throws {UnsupportedError} Before Linux 5.15.
   *
   * @example Kill and reclaim at once
   * ```ts
   * import { Pidfd, spawn, SyscallError } from "@pidfd/pidfd";
   * await using child = spawn("sleep", ["10"]);
   * using pidfd = Pidfd.open(child.pid);
   * pidfd.sendSignal("SIGKILL");
   * try {
   *   pidfd.releaseMemory();
   * } catch (e) {
   *   if (!(e instanceof SyscallError && e.code === "ESRCH")) throw e; // a small process is gone already
   * }
   * ```
   */
  releaseMemory(): void {
    releaseMemory(this);
  }

  /**
   * Waits for the process to exit: `epoll(7)` on the pidfd, which turns readable when the process exits
   * (https://man7.org/linux/man-pages/man7/epoll.7.html), then `waitid(2)`
   * (https://man7.org/linux/man-pages/man2/waitid.2.html) or `PIDFD_GET_INFO` for the status.
   *
   * All waits of the module share one epoll set: in Deno one `nonblocking` `epoll_wait` on Deno's FFI thread
   * pool, in Bun one Worker (`ffi/epoll_worker.ts`, an extra entry point for `bun build --compile`). Neither
   * keeps the program alive once nothing is awaited.
   *
   * The status of the caller's own children comes from `waitid(P_PIDFD)` (with `WNOWAIT` for children that
   * Deno or Bun started, so they still collect it); for other processes from `PIDFD_GET_INFO` +
   * `PIDFD_INFO_EXIT` once their parent has reaped them (Linux ≥ 6.15; the wait settles then). On older
   * kernels such a status resolves with `source: "unknown"` and `null` fields; see {@link ExitStatus}.
   *
   * Requires Linux ≥ 5.3. No permission beyond holding the pidfd. Deno: `--allow-ffi`.
   *
   * @param options `signal` to abort, `timeout` in milliseconds.
   * @returns How the process ended. Later waits on the same pidfd get the same status at once.
   * @throws {TypeError} (as a rejection) If the pidfd is closed, or for malformed options.
   * @throws {RangeError} (as a rejection) If `timeout` is not from 0 to 2^31-1.
   * @throws {DOMException} (as a rejection) `TimeoutError` after `timeout`; `AbortError` when the pidfd is
   * closed or disposed meanwhile; or the `signal`'s reason. The fd is no longer watched afterwards.
   * @throws {SyscallError} (as a rejection) `EMFILE` creating the epoll set; `ENOSPC` at the epoll watch limit.
   *
   * @example Wait at most ten seconds
   * ```ts
   * import { Pidfd, spawn } from "@pidfd/pidfd";
   * await using child = spawn("sleep", ["0.1"]);
   * using pidfd = Pidfd.open(child.pid);
   * const { code, signal } = await pidfd.wait({ timeout: 10_000 });
   * console.log(code, signal); // 0 null
   * ```
   */
  wait(options?: WaitOptions): Promise<ExitStatus> {
    return waitFor(this, options);
  }

  /**
   * The exit of the process, as {@link Pidfd.wait} without options reports it; made on first access, then
   * the same promise. Only closing the pidfd rejects it (`AbortError`), and that rejection is never reported as
   * unhandled.
   *
   * @throws {TypeError} On first access after close.
   *
   * @example
   * ```ts
   * import { Pidfd, spawn } from "@pidfd/pidfd";
   * await using child = spawn("sleep", ["0.1"]);
   * using pidfd = Pidfd.open(child.pid);
   * await pidfd.exited.then((status) => console.log("exited", status.code ?? status.signal));
   * ```
   */
  get exited(): Promise<ExitStatus> {
    return exitedOf(this);
  }

  /** Closes the pidfd; a pending {@link Pidfd.wait} stops watching it and rejects with an `AbortError`. */
  override close(): void {
    releaseWaits(this);
    super.close();
  }

  /** Gives up ownership like {@link OwnedFd.intoRaw}; pending waits reject as for {@link Pidfd.close}. */
  override intoRaw(): number {
    releaseWaits(this);
    return super.intoRaw();
  }

  static {
    construct = (fd, pid) => constructOwner(() => new Pidfd(fd, pid));
  }
}

/**
 * A handle to one namespace: an nsfs file descriptor, as `/proc/<pid>/ns/<kind>` or the
 * `PIDFD_GET_*_NAMESPACE` ioctls hand out. It keeps the namespace alive while open and is closed by
 * {@link Namespace.close} or at the end of a `using` scope.
 *
 * Identity: {@link Namespace.id} is the 64-bit namespace id from `NS_GET_ID` (Linux ≥ 6.18), never reused
 * during a boot; on older kernels it is the nsfs inode number (unique among live namespaces).
 *
 * @example Are two processes in the same network namespace?
 * ```ts
 * import { Pidfd } from "@pidfd/pidfd";
 * using a = Pidfd.self();
 * using b = Pidfd.self();
 * using netA = a.namespace("net");
 * using netB = b.namespace("net");
 * console.log(netA.equals(netB));
 * ```
 */
export class Namespace extends OwnedFd {
  #kind: NamespaceType;
  #id: bigint | undefined;
  #inode: number | undefined;

  /**
   * Takes ownership of an nsfs fd whose type is already known.
   *
   * @param fd An open nsfs file descriptor.
   * @param kind Its type.
   */
  protected constructor(fd: number, kind: NamespaceType) {
    super(fd);
    this.#kind = kind;
  }

  /**
   * The namespace type, read from the kernel (`NS_GET_NSTYPE`) when the handle was made.
   *
   * @throws {TypeError} If the handle is closed.
   */
  get kind(): NamespaceType {
    assertOpen(this); // use after close is an error here too
    return this.#kind;
  }

  /**
   * Opens a namespace file, such as `/proc/1234/ns/net` or a bind-mounted namespace, and reads its type with
   * `NS_GET_NSTYPE` (ioctl_nsfs(2), Linux ≥ 4.11).
   *
   * Permission: opening another process's `/proc/<pid>/ns/*` needs ptrace-read access to it (root, or the
   * same user without restrictions). Deno: `--allow-ffi` only.
   *
   * The file is looked at through an `O_PATH` fd first and opened only when it lies on nsfs, then
   * non-blocking: a FIFO, a device or a regular file is a `TypeError` and never blocks or touches it.
   *
   * @param path The namespace file.
   * @returns An owned namespace handle; a PID namespace comes back as a `PidNamespace`.
   * @throws {TypeError} If `path` is not a string or the file is not a namespace file.
   * @throws {SyscallError} `ENOENT`, `EACCES` and the like from opening the file.
   *
   * @example Open the caller's own network namespace
   * ```ts
   * import { Namespace } from "@pidfd/pidfd";
   * using net = Namespace.open("/proc/self/ns/net");
   * console.log(net.kind, net.id);
   * ```
   */
  static open(path: string): Namespace {
    if (typeof path !== "string") throw new TypeError(`Expected path to be a string, got ${describe(path)}`);
    return adoptNamespace(openNamespaceFile(path), path);
  }

  /**
   * The namespace id (`NS_GET_ID`, Linux ≥ 6.18): unique and never reused during a boot. Before 6.18 (as
   * {@link supports} decides, once), the nsfs inode number, which identifies the namespace while it exists.
   *
   * @throws {TypeError} If the handle is closed.
   * @throws {SyscallError} `ENOTTY` naming the fd when it is no longer an nsfs fd (closed and reused behind the
   * library's back).
   */
  get id(): bigint {
    const fd = this.fd; // use after close is an error even once the id is known
    if (this.#id !== undefined) return this.#id;
    if (!supports().nsGetId) return this.#id = BigInt(this.inode);
    const r = libc.ioctl_ptr(fd, NS_GET_ID, u64.bytes);
    if (r >= 0) return this.#id = u64.view.getBigUint64(0, LE);
    if (r === -Errno.ENOTTY) throw notWhatItShouldBe("NS_GET_ID", -r, fd, this.#kind, "an nsfs fd");
    throw new SyscallError({ syscall: "NS_GET_ID", errno: -r, subject: this.#kind });
  }

  /**
   * The nsfs inode number, as shown by `readlink /proc/<pid>/ns/<kind>` (`net:[4026531840]`) and `lsns`.
   *
   * @throws {TypeError} If the handle is closed.
   */
  get inode(): number {
    const fd = this.fd;
    return this.#inode ??= Number(inodeOf(fd, this.#kind));
  }

  /**
   * The user namespace that owns this namespace: `NS_GET_USERNS` (ioctl_nsfs(2), Linux ≥ 4.9).
   *
   * @returns An owned handle to the owning user namespace.
   * @throws {SyscallError} `EPERM` if the owner lies outside the caller's user namespace ancestry (always the
   * case for the initial user namespace).
   *
   * @example Which user namespace owns my network namespace?
   * ```ts
   * import { Namespace } from "@pidfd/pidfd";
   * using net = Namespace.open("/proc/self/ns/net");
   * using owner = net.owner();
   * console.log(owner.kind, owner.id);
   * ```
   */
  owner(): Namespace {
    const fd = check(libc.ioctl_val(this.fd, NS_GET_USERNS, 0), "NS_GET_USERNS", this.kind);
    return constructNamespace(fd, "user");
  }

  /**
   * The parent of a PID or user namespace: `NS_GET_PARENT` (ioctl_nsfs(2), Linux ≥ 4.9).
   *
   * @returns An owned handle to the parent, or `null` when the parent lies outside the caller's view (this is
   * the initial namespace, or the caller's own namespace inside a container).
   * @throws {TypeError} For namespace types without a hierarchy (everything but `pid` and `user`).
   * @throws {SyscallError} For other kernel refusals.
   *
   * @example Walk up the PID namespace tree
   * ```ts
   * import { Namespace } from "@pidfd/pidfd";
   * let ns: Namespace | null = Namespace.open("/proc/self/ns/pid");
   * while (ns) { console.log(ns.id); const up = ns.parent(); ns.close(); ns = up; }
   * ```
   */
  parent(): Namespace | null {
    if (this.kind !== "pid" && this.kind !== "user") {
      throw new TypeError(`A ${this.kind} namespace has no parent: only pid and user namespaces are nested`);
    }
    const r = libc.ioctl_val(this.fd, NS_GET_PARENT, 0);
    if (r === -Errno.EPERM) return null;
    return constructNamespace(check(r, "NS_GET_PARENT", this.kind), this.kind);
  }

  /**
   * Whether both handles refer to the same namespace (same type and {@link Namespace.id}).
   *
   * @param other Another namespace handle.
   * @returns `true` for the same namespace.
   * @throws {TypeError} If either handle is closed.
   */
  equals(other: Namespace): boolean {
    if (!(other instanceof Namespace)) throw new TypeError("Expected a Namespace");
    const [a, b] = [this.id, other.id]; // both throw once closed
    return this.#kind === other.#kind && a === b;
  }

  static {
    constructNamespace = (fd, kind) =>
      constructOwner(() => kind === "pid" ? newPidNamespace(fd) : new Namespace(fd, kind));
  }
}

/**
 * Takes ownership of an nsfs fd the library just obtained and wraps it after reading its type
 * (`NS_GET_NSTYPE`): a PID namespace as a {@link PidNamespace}. Closes the fd if that fails.
 */
export function adoptNamespace(fd: number, what: string): Namespace {
  try {
    return constructNamespace(fd, namespaceTypeOf(fd, what));
  } catch (e) {
    closeRaw(fd);
    throw e;
  }
}

/**
 * A PID namespace: a {@link Namespace} that translates pids between itself and the caller's PID namespace,
 * names its init and its place in the tree. Every PID namespace this library hands out is one
 * (`Pidfd.namespace("pid")`, `Namespace.open()` of a `pid` file, `parent()`).
 *
 * Keep one open for repeated translations: {@link PidNamespace.toCaller} and {@link PidNamespace.fromCaller}
 * on an open handle cost one ioctl and allocate nothing.
 *
 * @example Which pid does a container's process have on the host, and the other way round?
 * Not run as a test: it needs a container (a process in a child PID namespace).
 * ```ts ignore
 * import { PidNamespace } from "@pidfd/pidfd";
 * using container = PidNamespace.open("/proc/4242/ns/pid");
 * console.log(container.initPid()); // the host pid of the container's pid 1
 * console.log(container.toCaller(17)); // pid 17 inside → pid on the host
 * console.log(container.fromCaller(4250)); // host pid 4250 → pid inside
 * ```
 */
export class PidNamespace extends Namespace {
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
   * ```ts
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
   * ```ts
   * import { PidNamespace } from "@pidfd/pidfd";
   * using ns = PidNamespace.current();
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
   * ```ts
   * import { PidNamespace } from "@pidfd/pidfd";
   * using ns = PidNamespace.open("/proc/self/ns/pid");
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
   * ioctl would have answered. It opens `<root>/1/ns/pid` (the init of that namespace as
   * the instance numbers it) and, when the caller is visible there, cross-checks it with `<root>/self`.
   * Works for `/proc`, a procfs mounted inside another mount namespace (`/proc/<pid>/root/proc`) and a
   * `pidns=` instance (Linux ≥ 6.18).
   *
   * Permission: ptrace-read access to that init. Without it, and when the caller lives directly in the
   * instance's namespace, the answer comes from `<root>/self/ns/pid` instead.
   *
   * @param root The procfs mount point. Default `/proc`.
   * @returns An owned handle.
   * @throws {TypeError} If `root` is not a string.
   * @throws {SyscallError} `EINVAL` if `root` is not a procfs mount.
   * @throws {SyscallError} `ESRCH` when the instance shows no pid 1: the namespace's init has exited (or
   * `hidepid=` hides it), so the namespace cannot be named; `EACCES` without permission; `ENOENT` for a
   * missing `root`.
   *
   * @example Which PID namespace does a container's /proc show?
   * Not run as a test: it needs a container with its own procfs.
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
      return adoptNamespace(procfsNamespaceFd(rootFd, root), `${root}/1/ns/pid`) as PidNamespace;
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
   * Some kernels (6.11 and later, before a fix) answer `ENOTTY` for a missing pid; that is reported as `ESRCH` with
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
   * ```ts
   * import { PidNamespace } from "@pidfd/pidfd";
   * using ns = PidNamespace.current();
   * const initPid = ns.toCaller(1); // same as ns.initPid()
   * ```
   */
  toCaller(pid: number, options?: PidTranslateOptions): number {
    assertPid(pid);
    const dir = direction("toCaller", tgidOption(options));
    assertOpen(this);
    return found(translateStep(this, pid, dir, "auto"), this, pid, dir);
  }

  /**
   * Translates a pid of the caller's PID namespace into this namespace: `NS_GET_PID_IN_PIDNS`
   * (`NS_GET_TGID_IN_PIDNS` with `tgid`), ioctl_nsfs(2), Linux ≥ 6.11. On an open handle this is one ioctl and
   * allocates nothing. On older kernels it reads the pid's `NSpid` chain from procfs (see
   * {@link translatePid}). Needs no privilege beyond holding the handle.
   *
   * Some kernels (6.11 and later, before a fix) answer `ENOTTY` for a missing pid; that is reported as `ESRCH` with
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
   * ```ts
   * import { PidNamespace } from "@pidfd/pidfd";
   * using ns = PidNamespace.current();
   * console.log(ns.fromCaller(ns.initPid())); // 1: its init is pid 1 inside
   * ```
   */
  fromCaller(pid: number, options?: PidTranslateOptions): number {
    assertPid(pid);
    const dir = direction("fromCaller", tgidOption(options));
    assertOpen(this);
    return found(translateStep(this, pid, dir, "auto"), this, pid, dir);
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
   * ```ts
   * import { PidNamespace } from "@pidfd/pidfd";
   * using ns = PidNamespace.current();
   * console.log(ns.initPid()); // 1 on the host; a container's init seen from the host elsewhere
   * ```
   */
  initPid(): number {
    assertOpen(this);
    const dir = direction("toCaller", false);
    const pid = translateStep(this, 1, dir, "auto");
    if (pid instanceof NotFound) throw initNotFound(this, pid, 1, dir);
    return pid;
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
   * @example The caller's own init, verified
   * ```ts
   * import { PidNamespace } from "@pidfd/pidfd";
   * using ns = PidNamespace.current();
   * using init = ns.initPidfd();
   * console.log(init.pid, init.isAlive()); // pid 1 on the host, and true
   * ```
   *
   * @example Signal a container's init without a pid-reuse race
   * Not run as a test: it needs a container, and signals its init.
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
      const dir = direction("fromCaller", false);
      const inside = translateStep(this, pid, dir, "auto");
      if (inside instanceof NotFound) throw initNotFound(this, inside, pid, dir);
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
   * ```ts
   * import { PidNamespace } from "@pidfd/pidfd";
   * using ns = PidNamespace.current();
   * console.log(ns.level); // 0 on the host, 1 in a container started from it
   * ```
   */
  get level(): number {
    assertOpen(this); // use after close is an error even once the level is known
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
   * ```ts
   * import { PidNamespace } from "@pidfd/pidfd";
   * using ns = PidNamespace.current();
   * using up = ns.parent(); // null: the caller cannot see above its own namespace
   * ```
   */
  override parent(): PidNamespace | null {
    return super.parent() as PidNamespace | null;
  }

  static {
    newPidNamespace = (fd) => new PidNamespace(fd);
  }
}

/**
 * Takes ownership of a pidfd the library obtained elsewhere (clone3, a socket) for a known pid. `ownChild`
 * marks a child this library started itself: its wait then reaps it (`waitid(WEXITED)` without `WNOWAIT`).
 */
export function adoptPidfd(fd: number, pid: number, options: { ownChild?: boolean } = {}): Pidfd {
  const pidfd = construct(fd, pid);
  if (options.ownChild === true) markOwnChild(pidfd);
  return pidfd;
}

/**
 * Takes ownership of a pidfd fd whose pid is not known yet (from a handle or a caller's fd): the pid comes from
 * `PIDFD_GET_INFO` (Linux ≥ 6.13), else `/proc/self/fdinfo`. Closes `fd` if that fails.
 */
function adoptChecked(fd: number, leaderOnly = false): Pidfd {
  try {
    return construct(fd, pidOfFd(fd, leaderOnly));
  } catch (e) {
    closeRaw(fd);
    throw e;
  }
}

/** Whether `ns` is an open `PidNamespace` (a closed one is a `TypeError` as every use after close is). */
function isOpenPidNamespace(ns: unknown): boolean {
  return ns instanceof PidNamespace && !ns.closed;
}

/** The pid of a pidfd; with `leaderOnly`, a thread that does not lead its group is `ENOENT` (as `pidfd_open`). */
function pidOfFd(fd: number, leaderOnly: boolean): number {
  if (!supports().pidfdInfo) return fdinfoPid(fd, `fd ${fd}`);
  const r = getPidfdInfo(fd, PIDFD_INFO_PID);
  if (r < 0) throw new SyscallError({ syscall: "PIDFD_GET_INFO", errno: -r, subject: `fd ${fd}` });
  const pid = pidfdInfo.getUint32(PIDFD_INFO.pid, LE);
  const tgid = pidfdInfo.getUint32(PIDFD_INFO.tgid, LE);
  if (leaderOnly && pid !== tgid) {
    throw new SyscallError({
      syscall: "open_by_handle_at",
      errno: Errno.ENOENT,
      subject: pid,
      detail: `a thread of process ${tgid}: open it with { thread: true }`,
    });
  }
  return pid;
}

function decodeInfo(coredump: boolean): PidfdInfo {
  const view = pidfdInfo;
  const mask = view.getUint32(PIDFD_INFO.mask, LE); // every bit read here is in the low half
  const u32 = (
    bit: number,
    offset: number,
  ): number | null => (mask & bit ? view.getUint32(offset, LE) : null);
  const unknown: PidfdInfoField[] = [];
  // A kernel without the bit in its answer (6.13-6.15 for COREDUMP) cannot tell that field.
  if (coredump && !(mask & PIDFD_INFO_COREDUMP)) unknown.push("coredumpMask");
  return {
    pid: u32(PIDFD_INFO_PID, PIDFD_INFO.pid),
    tgid: u32(PIDFD_INFO_PID, PIDFD_INFO.tgid),
    ppid: u32(PIDFD_INFO_PID, PIDFD_INFO.ppid),
    ruid: u32(PIDFD_INFO_CREDS, PIDFD_INFO.ruid),
    euid: u32(PIDFD_INFO_CREDS, PIDFD_INFO.euid),
    suid: u32(PIDFD_INFO_CREDS, PIDFD_INFO.suid),
    fsuid: u32(PIDFD_INFO_CREDS, PIDFD_INFO.fsuid),
    rgid: u32(PIDFD_INFO_CREDS, PIDFD_INFO.rgid),
    egid: u32(PIDFD_INFO_CREDS, PIDFD_INFO.egid),
    sgid: u32(PIDFD_INFO_CREDS, PIDFD_INFO.sgid),
    fsgid: u32(PIDFD_INFO_CREDS, PIDFD_INFO.fsgid),
    cgroupId: mask & PIDFD_INFO_CGROUPID ? view.getBigUint64(PIDFD_INFO.cgroupid, LE) : null,
    exitStatus: mask & PIDFD_INFO_EXIT ? view.getInt32(PIDFD_INFO.exit_code, LE) : null,
    coredumpMask: u32(PIDFD_INFO_COREDUMP, PIDFD_INFO.coredump_mask),
    source: "ioctl",
    unknown,
  };
}

/**
 * The pid of the process as the caller's `/proc` numbers it, from `/proc/self/fdinfo/<fd>` (Linux ≥ 5.5 for
 * the reaped marker). Throws `ESRCH` once reaped (`Pid: -1`) and `EREMOTE` when not visible there (`Pid: 0`),
 * the mapping systemd and glibc's `pidfd_getpid` use.
 */
export function procfsPid(pidfd: Pidfd): number {
  return fdinfoPid(pidfd.fd, pidfd.pid);
}

/** The `Pid:` line of `/proc/self/fdinfo/<fd>`, mapped as {@link procfsPid} says. */
function fdinfoPid(fd: number, subject: number | string): number {
  const path = `/proc/self/fdinfo/${fd}`;
  const who = { syscall: "pidfd_getpid", subject };
  const pid = pids(readText(path), "Pid", { reaped: who, notVisible: who })?.[0];
  if (pid === undefined) throw new UnsupportedError("pidfdFdinfo", `${path} has no Pid: line (Linux < 5.3)`);
  return pid;
}

/** {@link Pidfd.info} from procfs, for kernels without `PIDFD_GET_INFO` (before 6.13). */
function infoFromProcfs(pidfd: Pidfd, exit = false, coredump = false): PidfdInfo {
  const pid = procfsPid(pidfd);
  let status: string;
  try {
    status = readText(`/proc/${pid}/status`);
  } catch (e) {
    throw goneAsEsrch(e, { syscall: "PIDFD_GET_INFO", subject: pidfd.pid }); // reaped since the fdinfo read
  }
  confirmNotReaped(pidfd.fd, "PIDFD_GET_INFO", pidfd.pid);
  const uids = intsField(status, "Uid") ?? [];
  const gids = intsField(status, "Gid") ?? [];
  const unknown: PidfdInfoField[] = ["cgroupId"];
  if (exit) unknown.push("exitStatus");
  if (coredump) unknown.push("coredumpMask");
  return {
    pid,
    tgid: intsField(status, "Tgid")?.[0] ?? null,
    ppid: intsField(status, "PPid")?.[0] ?? null,
    ruid: uids[0] ?? null,
    euid: uids[1] ?? null,
    suid: uids[2] ?? null,
    fsuid: uids[3] ?? null,
    rgid: gids[0] ?? null,
    egid: gids[1] ?? null,
    sgid: gids[2] ?? null,
    fsgid: gids[3] ?? null,
    cgroupId: null,
    exitStatus: null,
    coredumpMask: null,
    source: "procfs",
    unknown,
  };
}

/** {@link Pidfd.namespace} from `/proc/<pid>/ns/<kind>`, for kernels without the ioctls (before 6.11). */
function namespaceFromProcfs(pidfd: Pidfd, kind: NamespaceKind): Namespace {
  const pid = procfsPid(pidfd);
  let fd: number;
  try {
    fd = openPath(`/proc/${pid}/ns/${kind}`);
  } catch (e) {
    throw goneAsEsrch(e, { syscall: NAMESPACE_IOCTLS[kind][1], subject: pidfd.pid });
  }
  try {
    confirmNotReaped(pidfd.fd, NAMESPACE_IOCTLS[kind][1], pidfd.pid);
  } catch (e) {
    closeRaw(fd);
    throw e;
  }
  return adoptNamespace(fd, kind);
}
