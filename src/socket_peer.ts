/**
 * Peer identity of AF_UNIX sockets, below `Pidfd` (which wraps the results as `Pidfd.fromSocketPeer`): `SO_PEERPIDFD`,
 * `SO_PEERCRED`, and telling a received fd that is a pidfd from one that is not.
 *
 * @module
 */

import {
  AF_UNIX,
  AT_FDCWD,
  cPath,
  Errno,
  LE,
  libc,
  PID_FS_MAGIC,
  PIDFD_GET_INFO,
  PIDFD_INFO,
  PIDFD_INFO_PID,
  SO_DOMAIN,
  SO_PEERCRED,
  SO_PEERPIDFD,
  SOL_SOCKET,
  structBuffer,
  UCRED,
} from "../ffi/mod.ts";
import { SyscallError, UnsupportedError } from "./errors.ts";
import { closeRaw, fsTypeOf } from "./fd.ts";
import { intsField, readText } from "./procfs.ts";
import { supports } from "./supports.ts";

/** What `SO_PEERCRED` reports: the peer's pid, uid and gid as the kernel recorded them at `connect()`/`listen()`. */
export interface PeerCredentials {
  /** The peer's pid in the caller's PID namespace (0 when it is not visible there). */
  readonly pid: number;
  /** The peer's effective uid at that time, mapped into the caller's user namespace. */
  readonly uid: number;
  /** The peer's effective gid at that time, mapped into the caller's user namespace. */
  readonly gid: number;
}

const intBuf = structBuffer(4);
const lenBuf = structBuffer(4);
const ucredBuf = structBuffer(UCRED.size);
const infoBuf = structBuffer(PIDFD_INFO.size);
const linkBuf = new Uint8Array(64);
const LINK_SIZE = BigInt(linkBuf.length);
const PIDFD_LINK = "anon_inode:[pidfd]";

/** `getsockopt(fd, SOL_SOCKET, name)` into `buf`; returns 0 or `-errno`. */
function getsockopt(fd: number, name: number, buf: Uint8Array): number {
  lenBuf.view.setUint32(0, buf.length, LE);
  return libc.getsockopt(fd, SOL_SOCKET, name, buf, lenBuf.bytes);
}

/**
 * Throws a `TypeError` unless `fd` is an AF_UNIX socket (`SO_DOMAIN`); a `SyscallError` (`EBADF`) for an fd that
 * is not open.
 */
export function assertUnixSocket(fd: number): void {
  const r = getsockopt(fd, SO_DOMAIN, intBuf.bytes);
  if (r === -Errno.ENOTSOCK) throw new TypeError(`fd ${fd} is not a socket`);
  if (r < 0) throw new SyscallError({ syscall: "getsockopt", errno: -r, subject: `${fd}, SO_DOMAIN` });
  const domain = intBuf.view.getInt32(0, LE);
  if (domain !== AF_UNIX) throw new TypeError(`fd ${fd} is not an AF_UNIX socket (its domain is ${domain})`);
}

/** `SO_PEERCRED` of a socket fd. */
export function peerCredentials(fd: number, subject: string): PeerCredentials {
  lenBuf.view.setUint32(0, UCRED.size, LE);
  const r = libc.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, ucredBuf.bytes, lenBuf.bytes);
  if (r < 0) throw new SyscallError({ syscall: "getsockopt", errno: -r, subject: `${subject}, SO_PEERCRED` });
  const { view } = ucredBuf;
  return {
    pid: view.getInt32(UCRED.pid, LE),
    uid: view.getUint32(UCRED.uid, LE),
    gid: view.getUint32(UCRED.gid, LE),
  };
}

/**
 * `SO_PEERPIDFD` of a connected AF_UNIX socket fd: a new pidfd of the peer as the kernel captured it at
 * `connect()`/`listen()`, with the peer's pid (see {@link pidOfPidfd}; for a peer already reaped, the pid that
 * `SO_PEERCRED` recorded for the same process). The caller owns the returned fd.
 *
 * @throws {UnsupportedError} Before Linux 6.5 (as {@link supports} says), never a `pidfd_open` of the pid.
 * @throws {SyscallError} `ENODATA` when the socket has no peer (not connected); `EINVAL` for a peer already
 * reaped on Linux 6.5–6.15; `EMFILE` at the fd limit.
 */
export function peerPidfd(fd: number, subject: string): { fd: number; pid: number } {
  if (!supports().peerPidfd) {
    throw new UnsupportedError("peerPidfd", "SO_PEERPIDFD needs Linux ≥ 6.5; this kernel lacks it");
  }
  const r = getsockopt(fd, SO_PEERPIDFD, intBuf.bytes);
  if (r < 0) {
    throw new SyscallError({ syscall: "getsockopt", errno: -r, subject: `${subject}, SO_PEERPIDFD` });
  }
  const pidfd = intBuf.view.getInt32(0, LE);
  try {
    let pid = pidOfPidfd(pidfd);
    if (pid < 0) pid = peerCredentials(fd, subject).pid; // reaped: the number the kernel recorded with it
    return { fd: pidfd, pid };
  } catch (e) {
    closeRaw(pidfd);
    throw e;
  }
}

/**
 * The pid of the process a raw pidfd refers to, in the caller's PID namespace: `PIDFD_GET_INFO` (Linux ≥ 6.13),
 * else `/proc/self/fdinfo/<fd>`. -1 once the process has been reaped, 0 when it is not visible in the caller's
 * PID namespace.
 */
export function pidOfPidfd(pidfd: number): number {
  if (supports().pidfdInfo) {
    const { bytes, view } = infoBuf;
    bytes.fill(0);
    view.setBigUint64(PIDFD_INFO.mask, BigInt(PIDFD_INFO_PID), LE);
    const r = libc.ioctl_ptr(pidfd, PIDFD_GET_INFO, bytes);
    if (r === -Errno.ESRCH) return -1;
    if (r === -Errno.EREMOTE) return 0;
    if (r < 0) throw new SyscallError({ syscall: "PIDFD_GET_INFO", errno: -r, subject: `fd ${pidfd}` });
    return view.getUint32(PIDFD_INFO.pid, LE);
  }
  const pid = intsField(readText(`/proc/self/fdinfo/${pidfd}`), "Pid")?.[0];
  if (pid === undefined) {
    throw new UnsupportedError("pidfdFdinfo", "fdinfo of a pidfd has no Pid: line (Linux < 5.3)");
  }
  return pid;
}

/**
 * Whether a raw fd (received over `SCM_RIGHTS`) is a pidfd: on pidfs (`fstatfs` `PID_FS_MAGIC`, Linux ≥ 6.9),
 * else the anonymous inode `anon_inode:[pidfd]`.
 */
export function isPidfd(fd: number): boolean {
  if (supports().pidfs) {
    try {
      return fsTypeOf(fd, fd) === PID_FS_MAGIC;
    } catch {
      return false;
    }
  }
  const r = libc.readlinkat(AT_FDCWD, cPath(`/proc/self/fd/${fd}`)!, linkBuf, LINK_SIZE);
  return r === PIDFD_LINK.length && new TextDecoder().decode(linkBuf.subarray(0, r)) === PIDFD_LINK;
}
