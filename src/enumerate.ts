/**
 * Enumeration: {@link processes} (every process as a race-free {@link Pidfd}) and {@link namespaces} (every
 * namespace of the system). Both read procfs through the FFI, so Deno needs only `--allow-ffi`.
 *
 * @module
 */

import {
  AT_FDCWD,
  cPath,
  DIRENT64,
  Errno,
  FD_NSFS_ROOT,
  FILE_HANDLE,
  FILEID_NSFS,
  LE,
  libc,
  NS_ID_REQ,
  O_CLOEXEC,
  O_DIRECTORY,
  O_RDONLY,
  pidfd_open,
  pidfd_send_signal,
  PIDFD_THREAD,
  structBuffer,
  SYS,
} from "../ffi/mod.ts";
import {
  assertOptions,
  booleanOption,
  describe,
  EMFILE_HINT,
  SyscallError,
  UnsupportedError,
} from "./errors.ts";
import { adoptFd, closeRaw, type OwnedFd } from "./fd.ts";
import { NAMESPACE_KINDS, NAMESPACE_TYPES, type NamespaceKind, type NamespaceType } from "./namespace.ts";
import { adoptNamespace, adoptPidfd, type Namespace, type Pidfd, PidNamespace } from "./pidfd.ts";
import { listDir, openNamespaceFile, openPath, readLink, readText } from "./procfs.ts";
import { supports } from "./supports.ts";

/** Options of {@link processes}. */
export interface ProcessesOptions {
  /** Only the processes of this PID namespace and those below it (what its own `/proc` lists). */
  ns?: PidNamespace;
  /** One thread pidfd (`PIDFD_THREAD`, Linux ≥ 6.9) per thread, the leader's included, instead of one per process. */
  threads?: boolean;
}

const DIRENTS_SIZE = 32768;
const DIRENTS_SIZE_BIG = BigInt(DIRENTS_SIZE);
const ZERO = 0x30;
const NINE = 0x39;

/**
 * Every process the caller can see, each as a {@link Pidfd} the caller owns: `getdents64(2)` on `/proc`, then
 * `pidfd_open(2)` for each entry. A pidfd opened for a number is the process that has that number when it is
 * opened, and pins it from then on; with `ns`, the number is translated into `ns` while the pidfd pins the
 * process, and then checked not reaped, so a yielded pidfd is always a process of `ns` (a pid reused in between
 * is skipped, never reported for the wrong process). Threads are checked to belong to their process the same
 * way. A process that exits during the scan may be missing; one that starts may appear.
 *
 * Processes of PID namespaces below the caller's are included (numbered as the caller numbers them: `pid` is
 * the caller's number, `ns.fromCaller(pid)` the number inside). Besides each yielded pidfd, the scan allocates
 * nothing per process: one directory fd and one buffer for the whole scan.
 *
 * Requires Linux ≥ 5.3; `threads` ≥ 6.9; `ns` ≥ 6.11 (older kernels translate through procfs). No privilege:
 * `pidfd_open` works for every visible process. Deno: `--allow-ffi`.
 *
 * @param options `ns` to list only one PID namespace (and those below it); `threads` for one pidfd per thread.
 * @returns An iterator of owned pidfds: close each (`for (using p of processes())`). Breaking out of the loop
 * closes the scan's directory fd.
 * @throws {TypeError} If `ns` is not a `PidNamespace` or `threads` not a boolean.
 * @throws {UnsupportedError} `threads` before Linux 6.9.
 * @throws {Error} If `/proc` does not number pids as the caller's PID namespace does (a procfs of another
 * namespace mounted there).
 * @throws {SyscallError} `EMFILE` at the fd limit (from `next()`).
 *
 * @example The processes of a container, as the container numbers them
 * ```ts ignore
 * import { PidNamespace, processes } from "@pidfd/pidfd";
 * using container = PidNamespace.open("/proc/4242/ns/pid");
 * for (using p of processes({ ns: container })) console.log(container.fromCaller(p.pid), p.info().euid);
 * ```
 */
export function processes(options?: ProcessesOptions): IterableIterator<Pidfd> {
  assertOptions(options);
  const threads = booleanOption(options, "threads");
  const ns = options?.ns;
  if (ns !== undefined && !(ns instanceof PidNamespace && !ns.closed)) {
    throw new TypeError(`Expected options.ns to be a PidNamespace, got ${describe(ns)}`);
  }
  if (threads && !supports().pidfdThread) {
    throw new UnsupportedError(
      "pidfdThread",
      "processes({ threads: true }) needs thread pidfds (Linux ≥ 6.9)",
    );
  }
  requireCallersProcfs();
  return new ProcessScan(adoptFd(openPath("/proc", O_DIRECTORY)), ns, threads);
}

/** `/proc` must number pids as the caller's PID namespace does: `/proc/self` is then the caller's pid. */
function requireCallersProcfs(): void {
  let self: string | undefined;
  try {
    self = readLink("/proc/self");
  } catch {
    // The caller is not visible in that procfs at all.
  }
  if (self !== String(libc.getpid())) {
    throw new Error(
      "/proc is a procfs of another PID namespace than the caller's: its numbers are not the caller's pids",
    );
  }
}

class ProcessScan implements IterableIterator<Pidfd> {
  #dir: OwnedFd | null;
  readonly #ns: PidNamespace | undefined;
  readonly #threads: boolean;
  readonly #buf = new Uint8Array(DIRENTS_SIZE);
  readonly #view = new DataView(this.#buf.buffer);
  #end = 0;
  #off = 0;
  // With `threads`: the process pidfd whose threads are being listed, and the tids left.
  #leader = -1;
  #leaderPid = 0;
  #tasks: number[] = [];
  readonly #result: IteratorResult<Pidfd> = { done: false, value: undefined as unknown as Pidfd };

  constructor(dir: OwnedFd, ns: PidNamespace | undefined, threads: boolean) {
    this.#dir = dir;
    this.#ns = ns;
    this.#threads = threads;
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<Pidfd> {
    try {
      for (;;) {
        if (this.#tasks.length > 0) {
          const thread = this.#openThread(this.#tasks.pop()!);
          if (thread !== null) return this.#yield(thread);
          continue;
        }
        this.#dropLeader();
        const pid = this.#nextPid();
        if (pid < 0) return this.return();
        const fd = pidfd_open(pid, 0);
        if (fd < 0) {
          if (fd === -Errno.ESRCH || fd === -Errno.ENOENT) continue; // exited since the listing
          throw new SyscallError({
            syscall: "pidfd_open",
            errno: -fd,
            subject: pid,
            detail: fd === -Errno.EMFILE ? EMFILE_HINT : undefined,
          });
        }
        if (this.#ns !== undefined && !this.#inNamespace(fd, pid)) {
          closeRaw(fd);
          continue;
        }
        if (!this.#threads) return this.#yield(adoptPidfd(fd, pid));
        this.#leader = fd;
        this.#leaderPid = pid;
        this.#tasks = this.#listTasks(pid);
      }
    } catch (e) {
      this.return();
      throw e;
    }
  }

  return(): IteratorResult<Pidfd> {
    this.#dropLeader();
    this.#tasks = [];
    this.#dir?.close();
    this.#dir = null;
    return { done: true, value: undefined };
  }

  #yield(pidfd: Pidfd): IteratorResult<Pidfd> {
    this.#result.value = pidfd;
    return this.#result;
  }

  #dropLeader(): void {
    if (this.#leader >= 0) closeRaw(this.#leader);
    this.#leader = -1;
  }

  /** The next numeric entry of `/proc`, parsed from the dirent bytes; -1 at the end. */
  #nextPid(): number {
    const dir = this.#dir;
    if (dir === null) return -1;
    const buf = this.#buf;
    for (;;) {
      if (this.#off >= this.#end) {
        const n = libc.getdents64(dir.fd, buf, DIRENTS_SIZE_BIG);
        if (n < 0) throw new SyscallError({ syscall: "getdents64", errno: -n, subject: "/proc" });
        if (n === 0) return -1;
        this.#end = n;
        this.#off = 0;
      }
      const off = this.#off;
      this.#off += this.#view.getUint16(off + DIRENT64.d_reclen, LE);
      let pid = 0;
      for (let i = off + DIRENT64.d_name; buf[i] !== 0; i++) {
        const c = buf[i]!;
        if (c < ZERO || c > NINE) {
          pid = 0;
          break;
        }
        pid = pid * 10 + c - ZERO;
      }
      if (pid > 0) return pid;
    }
  }

  /** Whether the process of `fd` (opened for `pid`) lives in the namespace, decided while the pidfd pins it. */
  #inNamespace(fd: number, pid: number): boolean {
    try {
      this.#ns!.fromCaller(pid);
    } catch (e) {
      if (e instanceof SyscallError && e.code === "ESRCH") return false;
      throw e;
    }
    return notReaped(fd);
  }

  #listTasks(pid: number): number[] {
    try {
      return listDir(`/proc/${pid}/task`).map(Number).reverse();
    } catch (e) {
      if (e instanceof SyscallError && (e.code === "ENOENT" || e.code === "ESRCH")) return [];
      throw e;
    }
  }

  /** A thread pidfd for `tid`, confirmed to be a thread of the current leader; `null` if it is gone. */
  #openThread(tid: number): Pidfd | null {
    const fd = pidfd_open(tid, PIDFD_THREAD);
    if (fd < 0) {
      if (fd === -Errno.ESRCH || fd === -Errno.ENOENT) return null;
      throw new SyscallError({
        syscall: "pidfd_open",
        errno: -fd,
        subject: tid,
        detail: fd === -Errno.EMFILE ? EMFILE_HINT : undefined,
      });
    }
    const thread = adoptPidfd(fd, tid);
    try {
      // The tid may have been reused by another process's thread: it must belong to the leader we hold, and the
      // leader must still be that process afterwards.
      if (thread.info().tgid === this.#leaderPid && notReaped(this.#leader)) return thread;
    } catch (e) {
      if (!(e instanceof SyscallError && e.code === "ESRCH")) {
        thread.close();
        throw e;
      }
    }
    thread.close();
    return null;
  }
}

/** Whether the process of a pidfd has not been reaped (a zombie still counts): `pidfd_send_signal(fd, 0)`. */
function notReaped(fd: number): boolean {
  return pidfd_send_signal(fd, 0, 0) !== -Errno.ESRCH;
}

/**
 * Every namespace of the system the caller can reach, each as an owned {@link Namespace} (a PID namespace as
 * a `PidNamespace`), each once.
 *
 * With `listns(2)` (Linux ≥ 6.19, `supports().listns`) the kernel lists them all, including namespaces that
 * no process is in but that an open fd, a bind mount or a child namespace keeps alive, and each is opened
 * from its id (`open_by_handle_at(FD_NSFS_ROOT)`, an nsfs handle). Otherwise it scans `/proc/<pid>/ns/*` of
 * every process and the nsfs bind mounts of the caller's mount namespace (`/proc/self/mountinfo`, where
 * `ip netns` and `unshare --net=<file>` keep theirs), de-duplicated by {@link Namespace.id}. That scan cannot
 * see namespaces kept alive only by an open fd, by a bind mount in another mount namespace, or only as the
 * owner or parent of another namespace; nor those of processes the caller may not inspect (ptrace-read
 * access is needed for another user's `/proc/<pid>/ns`).
 *
 * Permission: `listns` shows what the caller's user namespace owns or may see; the scan needs ptrace-read
 * access to each process (root sees all). Deno: `--allow-ffi`.
 *
 * @param kind Only namespaces of this type (`"pid_for_children"` and `"time_for_children"` count as `"pid"`
 * and `"time"`). Default: every type.
 * @returns An iterator of owned namespaces: close each (`for (using ns of namespaces("net"))`).
 * @throws {TypeError} For an unknown kind.
 *
 * @example Every network namespace
 * ```ts ignore
 * import { namespaces } from "@pidfd/pidfd";
 * for (using net of namespaces("net")) console.log(net.inode, net.id);
 * ```
 */
export function namespaces(kind?: NamespaceKind): IterableIterator<Namespace> {
  if (kind !== undefined && (typeof kind !== "string" || !NAMESPACE_KINDS.includes(kind))) {
    throw new TypeError(`Unknown namespace kind: ${describe(kind)}`);
  }
  const type = kind === undefined ? undefined : kind.replace("_for_children", "") as NamespaceType;
  return supports().listns ? fromListns(type) : fromScan(type);
}

const ID_BATCH = 256;

function* fromListns(type: NamespaceType | undefined): Generator<Namespace, undefined, undefined> {
  const req = structBuffer(NS_ID_REQ.size);
  const ids = structBuffer(8 * ID_BATCH);
  const fh = structBuffer(FILE_HANDLE.header + 16);
  req.view.setUint32(0, NS_ID_REQ.size, LE);
  req.view.setUint32(NS_ID_REQ.ns_type, type === undefined ? 0 : NAMESPACE_TYPES[type], LE);
  for (;;) {
    const n = libc.syscall_listns(SYS.listns, req.bytes, ids.bytes, BigInt(ID_BATCH), 0);
    if (n < 0) throw new SyscallError({ syscall: "listns", errno: -n });
    for (let i = 0; i < n; i++) {
      const id = ids.view.getBigUint64(8 * i, LE);
      req.view.setBigUint64(NS_ID_REQ.ns_id, id, LE);
      fh.view.setUint32(FILE_HANDLE.handle_bytes, 16, LE);
      fh.view.setInt32(FILE_HANDLE.handle_type, FILEID_NSFS, LE);
      fh.view.setBigUint64(FILE_HANDLE.f_handle, id, LE);
      fh.view.setUint32(FILE_HANDLE.f_handle + 8, type === undefined ? 0 : NAMESPACE_TYPES[type], LE);
      fh.view.setUint32(FILE_HANDLE.f_handle + 12, 0, LE);
      const fd = libc.open_by_handle_at(FD_NSFS_ROOT, fh.bytes, O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue; // gone since the listing (ESTALE), or not the caller's to open (EPERM)
      yield adoptNamespace(fd, `namespace id ${id}`);
    }
    if (n < ID_BATCH) return;
  }
}

function* fromScan(type: NamespaceType | undefined): Generator<Namespace, undefined, undefined> {
  const files = type === undefined
    ? NAMESPACE_KINDS
    : type === "pid" || type === "time"
    ? [type, `${type}_for_children` as NamespaceKind]
    : [type];
  const seen = new Set<bigint>();
  const fresh = (ns: Namespace): boolean => {
    if (seen.has(ns.id)) {
      ns.close();
      return false;
    }
    seen.add(ns.id);
    return true;
  };
  for (const entry of listDir("/proc")) {
    if (!/^[0-9]+$/.test(entry)) continue;
    for (const file of files) {
      // A /proc/<pid>/ns link always leads to nsfs: no need to look before opening.
      const path = `/proc/${entry}/ns/${file}`;
      const fd = libc.openat(AT_FDCWD, cPath(path)!, O_RDONLY | O_CLOEXEC, 0);
      if (fd < 0) continue; // exited, a zombie, or not the caller's to inspect (EACCES)
      const ns = adoptNamespace(fd, path);
      if (fresh(ns)) yield ns;
    }
  }
  for (const path of nsfsMounts()) {
    let ns: Namespace;
    try {
      ns = adoptNamespace(openNamespaceFile(path), path);
    } catch {
      continue; // unmounted meanwhile, or out of reach
    }
    if (type !== undefined && ns.kind !== type) ns.close();
    else if (fresh(ns)) yield ns;
  }
}

/** The mount points of nsfs bind mounts in the caller's mount namespace, from `/proc/self/mountinfo`. */
function nsfsMounts(): string[] {
  const out: string[] = [];
  for (const line of readText("/proc/self/mountinfo").split("\n")) {
    const dash = line.indexOf(" - nsfs ");
    if (dash < 0) continue;
    const mountPoint = line.slice(0, dash).split(" ")[4];
    if (mountPoint !== undefined) {
      out.push(mountPoint.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
    }
  }
  return out;
}
