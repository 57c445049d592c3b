/**
 * `PIDFD_GET_INFO` (Linux ≥ 6.13): the one call of the ioctl and its one `struct pidfd_info` buffer, shared by
 * `Pidfd.info()` and the exit status of a reaped process (the capability probe, which may run between the two
 * steps of either, brings its own).
 *
 * @module
 */

import { LE, libc, PIDFD_GET_INFO, PIDFD_INFO, type StructBuffer, structBuffer } from "../ffi/mod.ts";

const shared = structBuffer(PIDFD_INFO.size);

/**
 * The `struct pidfd_info` the last {@link getPidfdInfo} filled (offsets in `PIDFD_INFO`). Read it right after
 * the call, before anything else can call again.
 */
export const pidfdInfo: DataView = shared.view;

/**
 * `PIDFD_GET_INFO` on `fd`, asking for the `PIDFD_INFO_*` bits in `mask` (all in the low half of the u64): fills
 * {@link pidfdInfo} (or `into`), zeroed first, and returns the ioctl's result (0, or `-errno`). On success the
 * mask in the buffer holds the bits the kernel answered.
 */
export function getPidfdInfo(fd: number, mask: number, into: StructBuffer = shared): number {
  into.bytes.fill(0);
  into.view.setUint32(PIDFD_INFO.mask, mask, LE);
  return libc.ioctl_ptr(fd, PIDFD_GET_INFO, into.bytes);
}
