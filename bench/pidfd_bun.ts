/** The cases of `pidfd_bench.ts` under Bun: `bun bench/pidfd_bun.ts`. */

import { libc, PIDFD_GET_INFO, PIDFD_GET_NET_NAMESPACE, pidfd_open, pidfd_send_signal } from "../ffi/mod.ts";
import { Pidfd } from "../mod.ts";
import { bench } from "./bun_harness.ts";

const self = libc.getpid();
const pidfd = Pidfd.self();
const info = new Uint8Array(72);

bench("open+close", "ffi pidfd_open + close", () => libc.close(pidfd_open(self, 0)));
bench("open+close", "Pidfd.open + close", () => Pidfd.open(self).close());
bench("signal 0", "ffi pidfd_send_signal", () => pidfd_send_signal(pidfd.fd, 0, 0));
bench("signal 0", "Pidfd.sendSignal(0)", () => pidfd.sendSignal(0));
bench("signal 0", "Pidfd.isAlive() (poll)", () => pidfd.isAlive());
bench("info", "ffi ioctl PIDFD_GET_INFO", () => libc.ioctl_ptr(pidfd.fd, PIDFD_GET_INFO, info));
bench("info", "Pidfd.info()", () => pidfd.info());
bench("namespace", "ffi PIDFD_GET_NET_NAMESPACE + close", () => {
  libc.close(libc.ioctl_val(pidfd.fd, PIDFD_GET_NET_NAMESPACE, 0));
});
bench("namespace", "Pidfd.namespace('net') + close", () => pidfd.namespace("net").close());
