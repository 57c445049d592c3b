/**
 * {@link supports}: which kernel features this machine offers, probed once on the calling process.
 *
 * @module
 */

import {
  AF_UNIX,
  AT_EMPTY_PATH,
  AT_FDCWD,
  CLONE_NEWUTS,
  cPath,
  Errno,
  FD_PIDFS_ROOT,
  FILE_HANDLE,
  FILEID_KERNFS,
  LE,
  libc,
  MADV_COLD,
  MAX_HANDLE_SZ,
  NS_GET_ID,
  NS_GET_PID_IN_PIDNS,
  NS_ID_REQ,
  O_CLOEXEC,
  O_RDONLY,
  P_PIDFD,
  PID_FS_MAGIC,
  PIDFD_GET_PID_NAMESPACE,
  pidfd_getfd,
  PIDFD_INFO,
  PIDFD_INFO_COREDUMP,
  PIDFD_NONBLOCK,
  pidfd_open,
  PIDFD_SELF_THREAD_GROUP,
  pidfd_send_signal,
  PIDFD_THREAD,
  process_madvise,
  process_mrelease,
  runtimeEnvVar,
  SIGINFO,
  SO_PEERPIDFD,
  SOCK_CLOEXEC,
  SOCK_STREAM,
  SOL_SOCKET,
  STATFS,
  structBuffer,
  SYS,
  WEXITED,
  WNOHANG,
} from "../ffi/mod.ts";
import { SyscallError } from "./errors.ts";
import { getPidfdInfo } from "./pidfd_info.ts";
import { intsField, readText } from "./procfs.ts";

/** The kernel features {@link supports} reports, each with the first Linux release that has it. */
export type Features = {
  /** `pidfd_open(2)`, Linux 5.3. */
  readonly pidfdOpen: boolean;
  /** `pidfd_send_signal(2)`, Linux 5.1. */
  readonly pidfdSendSignal: boolean;
  /** `waitid(P_PIDFD)`, Linux 5.4. */
  readonly waitidPidfd: boolean;
  /** `pidfd_getfd(2)`, Linux 5.6. */
  readonly pidfdGetfd: boolean;
  /** `PIDFD_NONBLOCK`, Linux 5.10. */
  readonly pidfdNonblock: boolean;
  /** pidfs: one never-reused inode per process (`Pidfd.id`), Linux 6.9. */
  readonly pidfs: boolean;
  /** `PIDFD_THREAD` and the `PIDFD_SIGNAL_*` scopes, Linux 6.9. */
  readonly pidfdThread: boolean;
  /** `PIDFD_GET_*_NAMESPACE` ioctls, Linux 6.11. */
  readonly pidfdNamespaceIoctls: boolean;
  /** `NS_GET_{PID,TGID}_{FROM,IN}_PIDNS` translation ioctls, Linux 6.11. */
  readonly pidnsTranslation: boolean;
  /** `PIDFD_GET_INFO`, Linux 6.13. */
  readonly pidfdInfo: boolean;
  /**
   * `PIDFD_INFO_EXIT`, Linux 6.15. Detected through `PIDFD_SELF_THREAD_GROUP`, which arrived in the same
   * release: an exit status cannot be asked of a live process.
   */
  readonly pidfdInfoExit: boolean;
  /** `PIDFD_INFO_COREDUMP`, Linux 6.16. */
  readonly pidfdInfoCoredump: boolean;
  /** `NS_GET_ID` namespace ids, Linux 6.18. */
  readonly nsGetId: boolean;
  /** `setns(2)` with a pidfd and a mask of namespace types, Linux 5.8. */
  readonly setnsPidfd: boolean;
  /** `process_madvise(2)` (`Pidfd.adviseMemory`), Linux 5.10. */
  readonly processMadvise: boolean;
  /** `process_mrelease(2)` (`Pidfd.releaseMemory`), Linux 5.15. */
  readonly processMrelease: boolean;
  /** glibc's `pidfd_spawnp` (2.39): `spawn()` gets the pidfd with the child instead of right after it. */
  readonly pidfdSpawn: boolean;
  /** pidfs file handles (`Pidfd.handle()`, `Pidfd.fromHandle()`), Linux 6.14. */
  readonly pidfsHandles: boolean;
  /** `FD_PIDFS_ROOT` as the mount fd of `open_by_handle_at` (no pidfd needed to decode a handle), Linux 6.17. */
  readonly pidfsRoot: boolean;
  /** `listns(2)`: every namespace of the system in one call, Linux 6.19 (else `namespaces()` scans `/proc`). */
  readonly listns: boolean;
  /** The `Pid:` and `NSpid:` lines in `/proc/self/fdinfo/<pidfd>`, Linux 5.5 (`Pidfd.nspid`, the fallbacks). */
  readonly pidfdFdinfo: boolean;
  /**
   * `/proc/self/status` shows the caller's `NSpid:` chain: Linux 4.1, and a `/proc` of the caller's PID
   * namespace or an ancestor's (the procfs-based translations need it).
   */
  readonly procfsNspid: boolean;
  /** glibc's `posix_spawn_file_actions_addchdir_np` (2.29): `spawn({ cwd })`. */
  readonly spawnCwd: boolean;
  /** `dlsym` (glibc 2.34), through which Deno's environment (libc's `environ`) reaches a spawned child. */
  readonly libcEnviron: boolean;
  /** `SO_PEERPIDFD`, `SO_PASSPIDFD` and `SCM_PIDFD` on AF_UNIX sockets, Linux 6.5. */
  readonly peerPidfd: boolean;
  /**
   * `SO_PEERPIDFD` for a peer that has already been reaped, Linux 6.16 (`SCM_PIDFD` for a reaped sender: 6.17).
   * Detected through `PIDFD_INFO_COREDUMP`, which arrived in the same release: no reaped peer is at hand.
   */
  readonly peerPidfdAfterExit: boolean;
};

// One probe per feature, run the first time the feature is read: adding a feature is its line here and its
// documented key in `Features`. Each probe opens what it needs of the calling process itself and closes it.
const PROBES: { readonly [K in keyof Features]: () => boolean } = {
  pidfdOpen: () => withPidfd(() => true),
  pidfdSendSignal: () => withPidfd((fd) => pidfd_send_signal(fd, 0, 0) === 0, PIDFD_SELF_THREAD_GROUP),
  // The caller is not its own child: ECHILD proves P_PIDFD is understood, EINVAL that it is not.
  waitidPidfd: () =>
    withPidfd((fd) =>
      libc.waitid(P_PIDFD, fd, structBuffer(SIGINFO.size).bytes, WEXITED | WNOHANG) === -Errno.ECHILD
    ),
  // fd -1 is never open: EBADF proves the syscall exists.
  pidfdGetfd: () => withPidfd((fd) => pidfd_getfd(fd, -1, 0) === -Errno.EBADF),
  pidfdNonblock: () => withPidfd(() => opens(libc.getpid(), PIDFD_NONBLOCK)),
  pidfs: () =>
    withPidfd((fd) => {
      const statfs = structBuffer(STATFS.size);
      return libc.fstatfs(fd, statfs.bytes) === 0 &&
        Number(statfs.view.getBigInt64(STATFS.f_type, LE)) === PID_FS_MAGIC;
    }),
  pidfdThread: () => withPidfd(() => opens(libc.getpid(), PIDFD_THREAD)),
  pidfdNamespaceIoctls: () =>
    withPidfd((fd) => {
      const ns = libc.ioctl_val(fd, PIDFD_GET_PID_NAMESPACE, 0);
      transient(ns, "PIDFD_GET_PID_NAMESPACE");
      if (ns >= 0) libc.close(ns);
      return ns >= 0;
    }),
  pidnsTranslation: () =>
    withPidns((ns) => libc.ioctl_val(ns, NS_GET_PID_IN_PIDNS, libc.getpid()) === libc.getpid()),
  pidfdInfo: () => infoMask() !== null,
  pidfdInfoExit: () => pidfd_send_signal(PIDFD_SELF_THREAD_GROUP, 0, 0) === 0,
  pidfdInfoCoredump: () => ((infoMask() ?? 0) & PIDFD_INFO_COREDUMP) !== 0,
  nsGetId: () => withPidns((ns) => libc.ioctl_ptr(ns, NS_GET_ID, structBuffer(8).bytes) === 0),
  // Re-joins the caller's own UTS namespace (no change): 0 as root, EPERM without CAP_SYS_ADMIN (the pidfd was
  // accepted and the permission checked); before 5.8 a pidfd is no namespace file: EINVAL.
  setnsPidfd: () =>
    withPidfd((fd) => {
      const r = libc.setns(fd, CLONE_NEWUTS);
      return r === 0 || r === -Errno.EPERM;
    }),
  // No iovecs on the caller's own pidfd: 0 bytes advised, ENOSYS without the syscall.
  processMadvise: () => withPidfd((fd) => process_madvise(fd, structBuffer(8).bytes, 0n, MADV_COLD) === 0),
  // The caller is alive, not dying: EINVAL proves the syscall exists.
  processMrelease: () => withPidfd((fd) => process_mrelease(fd) === -Errno.EINVAL),
  pidfdSpawn: () => libc.pidfd_spawnp !== null,
  pidfsHandles: () => withPidfd((fd) => reopens(fd, fd)),
  pidfsRoot: () => withPidfd((fd) => reopens(fd, FD_PIDFS_ROOT)),
  listns: () => {
    const req = structBuffer(NS_ID_REQ.size);
    req.view.setUint32(0, NS_ID_REQ.size, LE);
    return libc.syscall_listns(SYS.listns, req.bytes, new Uint8Array(8), 1n, 0) >= 0;
  },
  pidfdFdinfo: () => withPidfd((fd) => hasField(`/proc/self/fdinfo/${fd}`, "NSpid")),
  procfsNspid: () => hasField("/proc/self/status", "NSpid"),
  spawnCwd: () => libc.posix_spawn_file_actions_addchdir_np !== null,
  libcEnviron: () => libc.dlsym !== null,
  peerPidfd: () => probePeerPidfd(),
  peerPidfdAfterExit: () => supports().peerPidfd && supports().pidfdInfoCoredump,
};

/**
 * Runs `probe` on a fresh pidfd of the caller (closed afterwards); false without `pidfd_open`. `fallback`, if
 * given, is probed instead when there is no pidfd.
 */
function withPidfd(probe: (pidfd: number) => boolean, fallback?: number): boolean {
  const fd = pidfd_open(libc.getpid(), 0);
  transient(fd, "pidfd_open");
  if (fd < 0) return fallback !== undefined && probe(fallback);
  try {
    return probe(fd);
  } finally {
    libc.close(fd);
  }
}

/** Runs `probe` on an nsfs fd of the caller's PID namespace (through a pidfd, else `/proc/self/ns/pid`). */
function withPidns(probe: (ns: number) => boolean): boolean {
  const pidfd = pidfd_open(libc.getpid(), 0);
  transient(pidfd, "pidfd_open");
  let ns = pidfd >= 0 ? libc.ioctl_val(pidfd, PIDFD_GET_PID_NAMESPACE, 0) : -Errno.EBADF;
  if (pidfd >= 0) libc.close(pidfd);
  transient(ns, "PIDFD_GET_PID_NAMESPACE");
  if (ns < 0) {
    ns = libc.openat(AT_FDCWD, cPath("/proc/self/ns/pid")!, O_RDONLY | O_CLOEXEC, 0);
    transient(ns, "open");
    if (ns < 0) return false;
  }
  try {
    return probe(ns);
  } finally {
    libc.close(ns);
  }
}

/** The mask `PIDFD_GET_INFO` returns when asked for `PIDFD_INFO_COREDUMP` on the caller, or `null` without it. */
function infoMask(): number | null {
  const info = structBuffer(PIDFD_INFO.size); // not the shared buffer: a probe may run while that one is in use
  let mask: number | null = null;
  withPidfd((fd) => {
    const r = getPidfdInfo(fd, PIDFD_INFO_COREDUMP, info);
    transient(r, "PIDFD_GET_INFO");
    if (r >= 0) mask = info.view.getUint32(PIDFD_INFO.mask, LE);
    return true;
  });
  return mask;
}

/** Whether the procfs file at `path` has a `key:` line. */
function hasField(path: string, key: string): boolean {
  let text: string;
  try {
    text = readText(path);
  } catch (e) {
    if (e instanceof SyscallError) transient(-e.errno, "open");
    return false;
  }
  return intsField(text, key) !== null;
}

let cached: Features | undefined;

/**
 * Which pidfd and namespace features this kernel offers, each probed on the calling process the first time it
 * is read and remembered. A feature counts as missing when its call answers `ENOSYS`, `ENOTTY` or `EINVAL`,
 * and also on `EPERM` from a call that needs no permission (a seccomp filter, common in containers).
 *
 * This is the one record the whole library decides by: every call that has a fallback for older kernels
 * reads it, and none learns a feature from a failure on a caller's fd (an `ENOTTY` from such an fd is an
 * error about that fd). The probes run on fds the probe opens itself.
 *
 * To run as on an older kernel, set `PIDFD_HIDE_FEATURES` to a comma-separated list of keys before the first
 * call: `PIDFD_HIDE_FEATURES=pidfdInfo,pidnsTranslation` reports them as missing, so every call takes the
 * path it takes on a kernel without them (`Pidfd.info` reads procfs, translations read `NSpid` chains). It can
 * only hide what the kernel has, never invent what it lacks. Under Deno it is read from the process's
 * environment without `--allow-env`.
 *
 * @returns A frozen record of booleans, one per feature (the same record on every call).
 * @throws {SyscallError} `EMFILE`, `ENFILE` or `ENOMEM`, from reading a feature whose probe cannot open its own
 * fds; nothing is remembered then, so the next read probes again.
 * @throws {Error} When `PIDFD_HIDE_FEATURES` names a key that is not a feature.
 *
 * @example
 * ```ts
 * import { supports } from "@pidfd/pidfd";
 * if (!supports().pidfdInfo) console.log("PIDFD_GET_INFO needs Linux 6.13");
 * ```
 */
export function supports(): Features {
  if (cached !== undefined) return cached;
  const hidden = new Set(hiddenFeatures()); // a misspelt name fails before anything is remembered
  const features = {} as Features;
  for (const key of Object.keys(PROBES) as (keyof Features)[]) {
    let known: boolean | undefined = hidden.has(key) ? false : undefined;
    Object.defineProperty(features, key, {
      enumerable: true,
      get: (): boolean => known ??= PROBES[key](),
    });
  }
  return cached = Object.freeze(features);
}

/** Probes every feature now: before the calling thread joins other namespaces, where probes would mislead. */
export function probeAll(): void {
  for (const key of Object.keys(PROBES) as (keyof Features)[]) void supports()[key];
}

/** The environment variable that hides features, read once by the first {@link supports} call. */
export const HIDE_FEATURES_VARIABLE = "PIDFD_HIDE_FEATURES";

/** The features `PIDFD_HIDE_FEATURES` names (comma-separated `Features` keys). */
function hiddenFeatures(): (keyof Features)[] {
  const value = runtimeEnvVar(HIDE_FEATURES_VARIABLE);
  if (value === undefined || value.trim() === "") return [];
  const names = value.split(",").map((name) => name.trim()).filter((name) => name !== "");
  for (const name of names) {
    if (!Object.hasOwn(PROBES, name)) {
      throw new Error(
        `${HIDE_FEATURES_VARIABLE} names an unknown feature: ${JSON.stringify(name)} (known: ${
          Object.keys(PROBES).join(", ")
        })`,
      );
    }
  }
  return names as (keyof Features)[];
}

/** Exhaustion is no answer about the kernel: throw instead of recording a feature as missing. */
function transient(r: number, syscall: string): void {
  if (r === -Errno.EMFILE || r === -Errno.ENFILE || r === -Errno.ENOMEM) {
    throw new SyscallError({
      syscall,
      errno: -r,
      subject: "capability probe",
      detail: "nothing was cached; the probe runs again",
    });
  }
}

function probePeerPidfd(): boolean {
  const pair = structBuffer(8);
  const r = libc.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair.bytes);
  transient(r, "socketpair");
  if (r < 0) return false;
  const value = structBuffer(4);
  const length = structBuffer(4);
  length.view.setUint32(0, 4, LE);
  try {
    const got = libc.getsockopt(
      pair.view.getInt32(0, LE),
      SOL_SOCKET,
      SO_PEERPIDFD,
      value.bytes,
      length.bytes,
    );
    transient(got, "getsockopt");
    if (got < 0) return false;
    libc.close(value.view.getInt32(0, LE));
    return true;
  } finally {
    libc.close(pair.view.getInt32(0, LE));
    libc.close(pair.view.getInt32(4, LE));
  }
}

/** Whether the pidfs file handle of `pidfd` (`name_to_handle_at`) opens again through `mount`. */
function reopens(pidfd: number, mount: number): boolean {
  const fh = structBuffer(FILE_HANDLE.header + MAX_HANDLE_SZ);
  fh.view.setUint32(FILE_HANDLE.handle_bytes, MAX_HANDLE_SZ, LE);
  const r = libc.name_to_handle_at(pidfd, new Uint8Array(1), fh.bytes, new Uint8Array(8), AT_EMPTY_PATH);
  transient(r, "name_to_handle_at");
  if (r !== 0 || fh.view.getInt32(FILE_HANDLE.handle_type, LE) !== FILEID_KERNFS) return false;
  const fd = libc.open_by_handle_at(mount, fh.bytes, O_CLOEXEC);
  transient(fd, "open_by_handle_at");
  if (fd >= 0) libc.close(fd);
  return fd >= 0;
}

function opens(pid: number, flags: number): boolean {
  const fd = pidfd_open(pid, flags);
  transient(fd, "pidfd_open");
  if (fd >= 0) libc.close(fd);
  return fd >= 0;
}
