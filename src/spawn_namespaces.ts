/**
 * `spawn({ namespaces })`: start a child inside another process's namespaces, race-free, from a
 * multi-threaded runtime. A part of `spawn.ts`.
 *
 * How, and why this way:
 * - Every namespace of a `Pidfd` target is fetched through the pidfd (`PIDFD_GET_*_NAMESPACE`, or
 *   `/proc/<pid>/ns/*` confirmed through the pidfd before 6.11): never by pid once the pidfd is open. Its root
 *   and working directory come through its race-free `/proc/<pid>` directory (`Pidfd.openProcDir`).
 * - Deno and Bun always run several threads, and the kernel lets one thread of such a process join only the
 *   net, uts, ipc, cgroup and pid (for children) namespaces (kernel-api.md §4.7). Those are joined with
 *   `setns(2)` on the calling thread just around `posix_spawn`, whose child inherits the calling thread's
 *   namespaces, and the thread's own namespaces (fds of `/proc/thread-self/ns/*` opened beforehand) are
 *   restored in a `finally` before `spawn()` returns. JavaScript never runs in between: other threads never
 *   see a change, and nothing of the runtime is forked.
 * - mnt, user and time need a single-threaded caller (`EINVAL`/`EUSERS` otherwise), so the child itself is a
 *   trampoline that joins them and then execs the command: util-linux `nsenter`, given the namespace fds it
 *   inherits as `/proc/self/fd/<n>` paths (no pid lookup), the target's root and cwd the same way, `-S 0 -G 0`
 *   after joining a user namespace unless `preserveCredentials`, and `--no-fork` (the pid namespace was joined
 *   before the spawn, so the command itself, the `Subprocess`, is a member: its pidfd is the command's).
 * - A caller without `CAP_SYS_ADMIN` in its own user namespace (the owner of a rootless container) may not
 *   `setns` any namespace from its own thread; joining the container's user namespace first gives it that
 *   right. Then every kind goes through the trampoline, user namespace first; with the pid namespace among them
 *   `nsenter` forks once, and the `Subprocess` is the trampoline, which waits for the command and passes its
 *   exit status on.
 *
 * Going through the trampoline for the thread-joinable kinds too would need that fork whenever the pid
 * namespace is joined (the pid namespace of a process never changes, only that of its children), and the
 * returned pidfd would then name the trampoline instead of the command: the thread `setns` keeps it exact.
 *
 * @module
 */

import { AT_FDCWD, cPath, Errno, libc, O_CLOEXEC, O_DIRECTORY, O_PATH, runtimeEnv } from "../ffi/mod.ts";
import { describe, SyscallError } from "./errors.ts";
import { closeRaw, inodeOf, OwnedFd } from "./fd.ts";
import { NAMESPACE_TYPES, type NamespaceType } from "./namespace.ts";
import { Namespace, Pidfd } from "./pidfd.ts";
import type { ProcDir } from "./proc_dir.ts";
import { field, openPath, readText } from "./procfs.ts";
import { probeAll } from "./supports.ts";

/** What `options.namespaces` and `options.preserveCredentials` asked for, read once and validated. */
export interface NamespaceRequest {
  /** The process whose namespaces (those that differ from the caller's) are joined, or `null`. */
  readonly target: Pidfd | null;
  /** The handles to join (with an array), as fd numbers of open `Namespace`s and their kinds. */
  readonly handles: readonly { readonly fd: number; readonly kind: NamespaceType }[];
  readonly preserveCredentials: boolean;
}

// Read through the prototypes' own getters and methods: a Proxy or an own property of the caller's object is
// refused by the private fields behind them and never runs the caller's code after the snapshot.
const fdOf = Object.getOwnPropertyDescriptor(OwnedFd.prototype, "fd")!.get! as (this: OwnedFd) => number;
const kindOf = Object.getOwnPropertyDescriptor(Namespace.prototype, "kind")!.get! as (
  this: Namespace,
) => NamespaceType;
const namespaceOf = Pidfd.prototype.namespace as (this: Pidfd, kind: NamespaceType) => Namespace;
const isAlive = Pidfd.prototype.isAlive;
const pidOf = Object.getOwnPropertyDescriptor(Pidfd.prototype, "pid")!.get! as (this: Pidfd) => number;
const openProcDir = Pidfd.prototype.openProcDir;

/** The kinds a thread of a multi-threaded process may join, in the order they are joined. */
const THREAD_KINDS: readonly NamespaceType[] = ["pid", "cgroup", "ipc", "uts", "net"];
/** Every kind, user namespace first (as nsenter joins them): the order of `--all`. */
const ALL_KINDS: readonly NamespaceType[] = ["user", "cgroup", "ipc", "uts", "net", "pid", "mnt", "time"];
/** The caller's namespace a joined kind replaces, under `/proc/thread-self/ns/`. */
const OWN_FILE: Readonly<Record<NamespaceType, string>> = {
  cgroup: "cgroup",
  ipc: "ipc",
  mnt: "mnt",
  net: "net",
  pid: "pid_for_children",
  time: "time",
  user: "user",
  uts: "uts",
};
const CAP_SETGID = 6n;
const CAP_SYS_ADMIN = 21n;

/**
 * Validates `options.namespaces` (a `Pidfd`, or an array of `Namespace` handles of distinct kinds) and
 * `options.preserveCredentials` into a {@link NamespaceRequest}. Opens nothing.
 *
 * @throws {TypeError} For anything else, a closed handle, or two handles of one kind.
 */
export function namespaceRequest(value: unknown, preserve: unknown): NamespaceRequest | null {
  if (preserve !== undefined && typeof preserve !== "boolean") {
    throw new TypeError(`Expected options.preserveCredentials to be a boolean, got ${describe(preserve)}`);
  }
  const preserveCredentials = preserve === true;
  if (value === undefined) return null;
  if (value instanceof Pidfd) {
    openHandle(value, "options.namespaces");
    return { target: value, handles: [], preserveCredentials };
  }
  if (!Array.isArray(value)) {
    throw new TypeError(
      `Expected options.namespaces to be a Pidfd or an array of Namespace, got ${describe(value)}`,
    );
  }
  const handles: { fd: number; kind: NamespaceType }[] = [];
  for (let i = 0, n = value.length; i < n; i++) {
    const item: unknown = value[i];
    const what = `options.namespaces[${i}]`;
    if (!(item instanceof Namespace)) {
      throw new TypeError(`Expected ${what} to be a Namespace, got ${describe(item)}`);
    }
    const fd = openHandle(item, what);
    const kind = kindOf.call(item);
    if (handles.some((h) => h.kind === kind)) throw new TypeError(`${what} is a second ${kind} namespace`);
    handles.push({ fd, kind });
  }
  return { target: null, handles, preserveCredentials };
}

function openHandle(handle: OwnedFd, what: string): number {
  try {
    return fdOf.call(handle);
  } catch {
    throw new TypeError(`${what} is closed (or not one of this library's handles)`);
  }
}

/** What the spawn does differently to start its child inside the namespaces. */
export interface Entry {
  /** The trampoline to exec instead of the command, or `null` when every kind is joined by the thread. */
  readonly trampoline: {
    /** `nsenter`'s path. */
    readonly file: string;
    /** Its argument vector up to and including `--`; the command and its arguments follow. */
    readonly argv: readonly string[];
    /** Fds the child must inherit (each dup2'ed onto itself, which clears close-on-exec). */
    readonly inherit: readonly number[];
    /** Whether `cwd` is resolved by the trampoline inside the joined mount namespace (not by posix_spawn). */
    readonly cwdInside: boolean;
  } | null;
  /**
   * Runs `start` (the `posix_spawn`) with the thread-joinable namespaces joined, restoring them after; if that
   * ever fails, `discard` undoes what `start` made before the error is thrown.
   */
  inside<T>(start: () => T, discard: (made: T) => void): T;
  /**
   * `ESRCH` (with `cause`) if the target process has exited meanwhile, else `null`. Asked after the spawn:
   * the caller then kills and reaps the child, or reports this instead of the spawn's own error.
   */
  targetGone(cause?: unknown): SyscallError | null;
  /** Closes every fd the entry opened. */
  close(): void;
}

/**
 * Opens what the spawn needs: the target's namespaces that differ from the caller's (through the pidfd), the
 * caller's own to come back to, the target's root and cwd, and finds the trampoline. Checks permission where
 * it can before anything is spawned.
 *
 * @throws {SyscallError} `ESRCH` when the target has exited; `EPERM` naming the namespace kind when joining
 * it is not permitted.
 * @throws {UnsupportedError} When a trampoline is needed and `nsenter` is not installed.
 */
export function enter(
  request: NamespaceRequest,
  cwd: string | undefined,
  argv0: string | undefined,
): Entry {
  probeAll(); // probed now, on the caller's own namespaces, never while joined
  const opened: number[] = [];
  const owns = new Map<NamespaceType, number>();
  /** An fd of the calling thread's own namespace that `kind` replaces, opened once. */
  const own = (kind: NamespaceType): number => {
    let fd = owns.get(kind);
    if (fd === undefined) {
      opened.push(fd = openPath(`/proc/thread-self/ns/${OWN_FILE[kind]}`));
      owns.set(kind, fd);
    }
    return fd;
  };
  let dir: ProcDir | null = null;
  try {
    const joins = request.target === null ? request.handles : targetNamespaces(request.target, opened, own);
    const kinds = new Set(joins.map((j) => j.kind));
    const target = request.target;
    const me = caller();
    const privileged = me.sysAdmin;
    // Without CAP_SYS_ADMIN here, a thread may join nothing: everything goes through the user namespace.
    const viaThread = joins.filter((j) =>
      THREAD_KINDS.includes(j.kind) && (privileged || !kinds.has("user"))
    );
    const viaTrampoline = joins.filter((j) => !viaThread.includes(j));
    const thread = viaThread.map((j) => ({ ...j, own: own(j.kind) }));
    let trampoline: Entry["trampoline"] = null;
    if (viaTrampoline.length > 0) {
      if (argv0 !== undefined) {
        // An argument combination refused before any syscall.
        throw new TypeError("spawn({ argv0 }) cannot be combined with joining a mnt, user or time namespace");
      }
      const argv = ["nsenter"];
      const inherit: number[] = [];
      const pass = (fd: number): string => {
        inherit.push(fd);
        return `/proc/self/fd/${fd}`;
      };
      for (const kind of ALL_KINDS) {
        const j = viaTrampoline.find((v) => v.kind === kind);
        if (j !== undefined) argv.push(`--${kind === "mnt" ? "mount" : kind}=${pass(j.fd)}`);
      }
      const joinsMount = kinds.has("mnt");
      if (joinsMount && target !== null) {
        dir ??= openProcDir.call(target);
        const root = openPath("root", O_PATH | O_DIRECTORY, dir.fd);
        opened.push(root);
        argv.push(`--root=${pass(root)}`);
        if (cwd === undefined) {
          const wd = openPath("cwd", O_PATH | O_DIRECTORY, dir.fd);
          opened.push(wd);
          argv.push(`--wd=${pass(wd)}`);
        }
      }
      if (joinsMount && cwd !== undefined) argv.push(`--wdns=${cwd}`);
      if (kinds.has("user")) {
        argv.push(
          ...credentials(request.preserveCredentials, me, target && (dir ??= openProcDir.call(target))),
        );
      }
      if (!viaTrampoline.some((j) => j.kind === "pid")) argv.push("--no-fork");
      argv.push("--");
      trampoline = { file: nsenter(), argv, inherit, cwdInside: joinsMount };
    }
    return {
      trampoline,
      inside: (start, discard) => inside(thread, start, discard),
      targetGone: (cause) =>
        target !== null && !isAlive.call(target)
          ? new SyscallError({
            syscall: "setns",
            errno: Errno.ESRCH,
            subject: String(pidOf.call(target)),
            cause: cause,
            detail: "the target process has exited",
          })
          : null,
      close: () => {
        for (const fd of opened.splice(0)) closeRaw(fd);
      },
    };
  } catch (e) {
    for (const fd of opened) closeRaw(fd);
    throw e;
  } finally {
    dir?.close();
  }
}

/**
 * The target's namespaces that differ from the calling thread's (compared by nsfs inode), opened through the
 * pidfd.
 */
function targetNamespaces(
  target: Pidfd,
  opened: number[],
  own: (kind: NamespaceType) => number,
): { fd: number; kind: NamespaceType }[] {
  const joins: { fd: number; kind: NamespaceType }[] = [];
  for (const kind of ALL_KINDS) {
    let fd: number;
    try {
      fd = namespaceOf.call(target, kind).intoRaw();
    } catch (e) {
      if (e instanceof SyscallError && (e.code === "EACCES" || e.code === "EPERM")) {
        throw notPermitted(kind, e);
      }
      throw e;
    }
    opened.push(fd);
    if (inodeOf(fd, kind) !== inodeOf(own(kind), kind)) joins.push({ fd, kind });
  }
  return joins;
}

function notPermitted(kind: NamespaceType, cause?: Error, detail?: string): SyscallError {
  return new SyscallError({
    syscall: "setns",
    errno: Errno.EPERM,
    subject: kind,
    ...cause && { cause },
    detail: detail ?? `joining the ${kind} namespace`,
  });
}

/** The calling thread's credentials and capabilities, from `/proc/thread-self/status`. */
interface Caller {
  readonly euid: number;
  readonly egid: number;
  /** `CapEff` has `CAP_SYS_ADMIN`: setns from this thread is possible at all. */
  readonly sysAdmin: boolean;
  /** `CapEff` has `CAP_SETGID`: nsenter's `setgroups` before it joins the user namespace succeeds. */
  readonly setgid: boolean;
}

function caller(): Caller {
  const status = readText("/proc/thread-self/status");
  const caps = BigInt(`0x${field(status, "CapEff")?.trim() || "0"}`);
  const id = (key: string): number => Number(field(status, key)?.trim().split(/\s+/)[1] ?? -1);
  return {
    euid: id("Uid"),
    egid: id("Gid"),
    sysAdmin: ((caps >> CAP_SYS_ADMIN) & 1n) === 1n,
    setgid: ((caps >> CAP_SETGID) & 1n) === 1n,
  };
}

/**
 * nsenter's credential options after joining the target's user namespace: `-S 0 -G 0` (as `nsenter -a`
 * does), or `--preserve-credentials`. Checks before anything is spawned that uid 0 and gid 0 are mapped, and
 * that nsenter's `setgroups` can succeed: without `CAP_SETGID` it runs only after the join, which a namespace
 * with `setgroups` denied (every rootless `unshare --map-root-user`) refuses. Where the caller's own ids are
 * the ones mapped to 0, keeping them gives uid 0 and gid 0 all the same (with the caller's supplementary
 * groups), so that is done instead.
 */
function credentials(preserve: boolean, me: Caller, dir: ProcDir | null): string[] {
  if (preserve) return ["--preserve-credentials"];
  if (dir === null) return ["-S", "0", "-G", "0"];
  const rootOf = (map: string): number | null => {
    for (const line of dir.readText(map).split("\n")) {
      const [inside, outside, count] = line.trim().split(/\s+/).map(Number);
      if (inside === 0 && count! > 0) return outside!;
    }
    return null;
  };
  const uid = rootOf("uid_map");
  const gid = rootOf("gid_map");
  if (uid === null || gid === null) {
    throw notPermitted(
      "user",
      undefined,
      `its ${uid === null ? "uid" : "gid"}_map maps no id 0: pass preserveCredentials: true to keep yours`,
    );
  }
  if (me.setgid || dir.readText("setgroups").trim() !== "deny") return ["-S", "0", "-G", "0"];
  if (uid === me.euid && gid === me.egid) return ["--preserve-credentials"];
  throw notPermitted(
    "user",
    undefined,
    "setgroups is denied in that user namespace: pass preserveCredentials: true to keep your ids",
  );
}

/**
 * Joins each namespace on the calling thread, runs `start`, and always restores the thread's own namespaces.
 * Should a restore ever fail, `discard` undoes what `start` made and the error says so: it is never silent.
 */
function inside<T>(
  joins: readonly { fd: number; kind: NamespaceType; own: number }[],
  start: () => T,
  discard: (made: T) => void,
): T {
  let joined = 0;
  let made: { value: T } | null = null;
  let error: unknown = null;
  try {
    for (const j of joins) {
      const r = libc.setns(j.fd, NAMESPACE_TYPES[j.kind]);
      if (r < 0) {
        throw -r === Errno.EPERM
          ? notPermitted(j.kind)
          : new SyscallError({ syscall: "setns", errno: -r, subject: j.kind });
      }
      joined++;
    }
    made = { value: start() };
  } catch (e) {
    error = e;
  }
  const failed: string[] = [];
  for (let i = joined - 1; i >= 0; i--) {
    const j = joins[i]!;
    const r = libc.setns(j.own, NAMESPACE_TYPES[j.kind]);
    if (r < 0) failed.push(`${j.kind} (${new SyscallError({ syscall: "setns", errno: -r }).code})`);
  }
  if (failed.length > 0) {
    // Never expected: the thread was in these namespaces a moment ago.
    if (made !== null) discard(made.value);
    throw new Error(`spawn() could not restore the calling thread's namespaces: ${failed.join(", ")}`, {
      cause: error ?? undefined,
    });
  }
  if (made === null) throw error;
  return made.value;
}

let nsenterPath: string | undefined;

/** util-linux `nsenter`, looked up once in the runtime's `PATH`, then `/usr/bin` and `/bin`. */
function nsenter(): string {
  if (nsenterPath !== undefined) return nsenterPath;
  const path = runtimeEnv()?.find(([name]) => name === "PATH")?.[1] ?? "";
  for (const dir of [...path.split(":").filter((d) => d.startsWith("/")), "/usr/bin", "/bin"]) {
    const file = `${dir.replace(/\/$/, "")}/nsenter`;
    const c = cPath(file);
    const fd = c === null ? -1 : libc.openat(AT_FDCWD, c, O_PATH | O_CLOEXEC, 0);
    if (fd >= 0) {
      closeRaw(fd);
      return nsenterPath = file;
    }
  }
  // A missing program, as spawn() reports one: ENOENT naming it.
  throw new SyscallError({
    syscall: "openat",
    errno: Errno.ENOENT,
    subject: "nsenter",
    detail:
      "joining a mnt, user or time namespace needs util-linux nsenter (not found in PATH, /usr/bin or /bin)",
  });
}
