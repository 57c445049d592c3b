/**
 * What namespaces are, without the handles: the kinds and types `/proc/<pid>/ns/` names, and the type of an nsfs
 * fd. The handles themselves (`Namespace`, `PidNamespace`) live in `src/pidfd.ts`.
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
  libc,
  NS_GET_NSTYPE,
} from "../ffi/mod.ts";
import { check, excerpt } from "./errors.ts";

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

/**
 * The type of the nsfs fd `fd` (`NS_GET_NSTYPE`, Linux ≥ 4.11). Throws a `TypeError` naming `what` when `fd`
 * is not a namespace fd; leaves the fd open either way.
 */
export function namespaceTypeOf(fd: number, what: string): NamespaceType {
  const r = libc.ioctl_val(fd, NS_GET_NSTYPE, 0);
  if (r === -Errno.ENOTTY || r === -Errno.EINVAL) {
    throw new TypeError(`Not a namespace file: ${excerpt(what)}`);
  }
  const kind = TYPE_OF_BIT.get(check(r, "NS_GET_NSTYPE", what));
  if (kind === undefined) throw new TypeError(`Unknown namespace type ${r} of ${excerpt(what)}`);
  return kind;
}
