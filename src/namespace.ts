/**
 * {@link Namespace}: an owned nsfs file descriptor (a handle to one namespace).
 *
 * @module
 */

import {
  CLONE_NEWCGROUP,
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWPID,
  CLONE_NEWTIME,
  CLONE_NEWUSER,
  CLONE_NEWUTS,
  Errno,
  LE,
  libc,
  NS_GET_ID,
  NS_GET_NSTYPE,
  NS_GET_PARENT,
  NS_GET_USERNS,
  structBuffer,
} from "../ffi/mod.ts";
import { check, describe, excerpt, SyscallError } from "./errors.ts";
import { closeRaw, constructOwner, inodeOf, notWhatItShouldBe, OwnedFd } from "./fd.ts";
import { openNamespaceFile } from "./procfs.ts";
import { supports } from "./supports.ts";

/** The eight kinds of namespace, named as in `/proc/<pid>/ns/`. */
export type NamespaceType = "cgroup" | "ipc" | "mnt" | "net" | "pid" | "time" | "user" | "uts";

/**
 * What {@link Pidfd.namespace} can fetch: a process's namespaces of each type, plus the PID and time
 * namespaces its future children will get (`pid_for_children`, `time_for_children`).
 */
export type NamespaceKind = NamespaceType | "pid_for_children" | "time_for_children";

/** Every {@link NamespaceKind}, in the order of `/proc/<pid>/ns/`. */
export const NAMESPACE_KINDS: readonly NamespaceKind[] = Object.freeze([
  "cgroup",
  "ipc",
  "mnt",
  "net",
  "pid",
  "pid_for_children",
  "time",
  "time_for_children",
  "user",
  "uts",
]);

/** `CLONE_NEW*` bit of each namespace type, as `NS_GET_NSTYPE` answers. */
export const NAMESPACE_TYPES: Readonly<Record<NamespaceType, number>> = Object.freeze({
  cgroup: CLONE_NEWCGROUP,
  ipc: CLONE_NEWIPC,
  mnt: CLONE_NEWNS,
  net: CLONE_NEWNET,
  pid: CLONE_NEWPID,
  time: CLONE_NEWTIME,
  user: CLONE_NEWUSER,
  uts: CLONE_NEWUTS,
});

const TYPE_OF_BIT = new Map<number, NamespaceType>(
  Object.entries(NAMESPACE_TYPES).map(([type, bit]) => [bit, type as NamespaceType]),
);

const u64 = structBuffer(8);

// Set by the class's static block: module code may construct, users may not.
let construct: (fd: number, kind: NamespaceType) => Namespace;

// Subclasses that wrap one namespace type (`PidNamespace` for "pid"), registered by their modules.
const subclasses = new Map<NamespaceType, (fd: number) => Namespace>();

/**
 * Registers the class that wraps every namespace of type `kind` this library hands out (`Namespace.open`,
 * `Pidfd.namespace`, `parent()`, …). Module-internal: called once by the subclass's module.
 */
export function registerNamespaceClass(kind: NamespaceType, make: (fd: number) => Namespace): void {
  subclasses.set(kind, make);
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
 * ```ts ignore
 * import { Pidfd } from "@pidfd/pidfd";
 * using a = Pidfd.open(1234);
 * using b = Pidfd.open(5678);
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
    this.fd; // use after close is an error here too
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
   * ```ts ignore
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
   * ```ts ignore
   * import { Namespace } from "@pidfd/pidfd";
   * using net = Namespace.open("/proc/self/ns/net");
   * using owner = net.owner();
   * console.log(owner.kind, owner.id);
   * ```
   */
  owner(): Namespace {
    const fd = check(libc.ioctl_val(this.fd, NS_GET_USERNS, 0), "NS_GET_USERNS", this.kind);
    return construct(fd, "user");
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
   * ```ts ignore
   * import { Namespace } from "@pidfd/pidfd";
   * let ns: Namespace | null = Namespace.open("/proc/1234/ns/pid");
   * while (ns) { console.log(ns.id); const up = ns.parent(); ns.close(); ns = up; }
   * ```
   */
  parent(): Namespace | null {
    if (this.kind !== "pid" && this.kind !== "user") {
      throw new TypeError(`A ${this.kind} namespace has no parent: only pid and user namespaces are nested`);
    }
    const r = libc.ioctl_val(this.fd, NS_GET_PARENT, 0);
    if (r === -Errno.EPERM) return null;
    return construct(check(r, "NS_GET_PARENT", this.kind), this.kind);
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
    construct = (fd, kind) => constructOwner(() => subclasses.get(kind)?.(fd) ?? new Namespace(fd, kind));
  }
}

/**
 * Takes ownership of an nsfs fd the library just obtained and wraps it after reading its type
 * (`NS_GET_NSTYPE`). Closes the fd if that fails.
 */
export function adoptNamespace(fd: number, what: string): Namespace {
  try {
    const r = libc.ioctl_val(fd, NS_GET_NSTYPE, 0);
    if (r === -Errno.ENOTTY || r === -Errno.EINVAL) {
      throw new TypeError(`Not a namespace file: ${excerpt(what)}`);
    }
    const kind = TYPE_OF_BIT.get(check(r, "NS_GET_NSTYPE", what));
    if (kind === undefined) {
      throw new TypeError(`Unknown namespace type ${r} of ${excerpt(what)}`);
    }
    return construct(fd, kind);
  } catch (e) {
    closeRaw(fd);
    throw e;
  }
}
