/**
 * {@link supports}: which kernel features this machine offers, probed once on the calling process.
 *
 * @module
 */

import {
  Errno,
  LE,
  libc,
  MADV_COLD,
  NS_GET_ID,
  NS_GET_PID_IN_PIDNS,
  P_PIDFD,
  PID_FS_MAGIC,
  PIDFD_GET_INFO,
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
  SIGINFO,
  STATFS,
  structBuffer,
  WEXITED,
  WNOHANG,
} from "../ffi/mod.ts";

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
  /** `process_madvise(2)` (`Pidfd.adviseMemory`), Linux 5.10. */
  readonly processMadvise: boolean;
  /** `process_mrelease(2)` (`Pidfd.releaseMemory`), Linux 5.15. */
  readonly processMrelease: boolean;
  /** glibc's `pidfd_spawnp` (2.39): `spawn()` gets the pidfd with the child instead of right after it. */
  readonly pidfdSpawn: boolean;
};

let cached: Features | undefined;

/**
 * Which pidfd and namespace features this kernel offers, probed once on the calling process and cached.
 * A feature counts as missing when its call answers `ENOSYS`, `ENOTTY` or `EINVAL`, and also on `EPERM` from
 * a call that needs no permission (a seccomp filter, common in containers).
 *
 * @returns A frozen record of booleans, one per feature.
 *
 * @example
 * ```ts
 * import { supports } from "@pidfd/pidfd";
 * if (!supports().pidfdInfo) console.log("PIDFD_GET_INFO needs Linux 6.13");
 * ```
 */
export function supports(): Features {
  return cached ??= Object.freeze(probe());
}

function probe(): Features {
  const self = libc.getpid();
  const fd = pidfd_open(self, 0);
  if (fd < 0) {
    // Without pidfd_open nothing else can be probed through a pidfd.
    return {
      pidfdOpen: false,
      pidfdSendSignal: pidfd_send_signal(PIDFD_SELF_THREAD_GROUP, 0, 0) === 0,
      waitidPidfd: false,
      pidfdGetfd: false,
      pidfdNonblock: false,
      pidfs: false,
      pidfdThread: false,
      pidfdNamespaceIoctls: false,
      pidnsTranslation: false,
      pidfdInfo: false,
      pidfdInfoExit: false,
      pidfdInfoCoredump: false,
      nsGetId: false,
      processMadvise: false,
      processMrelease: false,
      pidfdSpawn: libc.pidfd_spawnp !== null,
    };
  }
  try {
    const siginfo = structBuffer(SIGINFO.size);
    const statfs = structBuffer(STATFS.size);
    const info = structBuffer(PIDFD_INFO.size);
    const u64 = structBuffer(8);
    info.view.setBigUint64(PIDFD_INFO.mask, BigInt(PIDFD_INFO_COREDUMP), LE);
    const infoResult = libc.ioctl_ptr(fd, PIDFD_GET_INFO, info.bytes);
    const pidns = libc.ioctl_val(fd, PIDFD_GET_PID_NAMESPACE, 0);
    try {
      return {
        pidfdOpen: true,
        pidfdSendSignal: pidfd_send_signal(fd, 0, 0) === 0,
        // The caller is not its own child: ECHILD proves P_PIDFD is understood, EINVAL that it is not.
        waitidPidfd: libc.waitid(P_PIDFD, fd, siginfo.bytes, WEXITED | WNOHANG) === -Errno.ECHILD,
        // fd -1 is never open: EBADF proves the syscall exists.
        pidfdGetfd: pidfd_getfd(fd, -1, 0) === -Errno.EBADF,
        pidfdNonblock: opens(self, PIDFD_NONBLOCK),
        pidfs: libc.fstatfs(fd, statfs.bytes) === 0 &&
          Number(statfs.view.getBigInt64(STATFS.f_type, LE)) === PID_FS_MAGIC,
        pidfdThread: opens(self, PIDFD_THREAD),
        pidfdNamespaceIoctls: pidns >= 0,
        pidnsTranslation: pidns >= 0 && libc.ioctl_val(pidns, NS_GET_PID_IN_PIDNS, self) === self,
        pidfdInfo: infoResult >= 0,
        pidfdInfoExit: pidfd_send_signal(PIDFD_SELF_THREAD_GROUP, 0, 0) === 0,
        pidfdInfoCoredump: infoResult >= 0 &&
          (Number(info.view.getBigUint64(PIDFD_INFO.mask, LE)) & PIDFD_INFO_COREDUMP) !== 0,
        nsGetId: pidns >= 0 && libc.ioctl_ptr(pidns, NS_GET_ID, u64.bytes) === 0,
        // No iovecs on the caller's own pidfd: 0 bytes advised, ENOSYS without the syscall.
        processMadvise: process_madvise(fd, siginfo.bytes, 0n, MADV_COLD) === 0,
        // The caller is alive, not dying: EINVAL proves the syscall exists.
        processMrelease: process_mrelease(fd) === -Errno.EINVAL,
        pidfdSpawn: libc.pidfd_spawnp !== null,
      };
    } finally {
      if (pidns >= 0) libc.close(pidns);
    }
  } finally {
    libc.close(fd);
  }
}

function opens(pid: number, flags: number): boolean {
  const fd = pidfd_open(pid, flags);
  if (fd >= 0) libc.close(fd);
  return fd >= 0;
}
