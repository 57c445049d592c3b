/**
 * Costs of the basic pidfd operations, each against the bare FFI call it wraps (the baseline).
 * Run: `deno bench --allow-ffi bench/pidfd_bench.ts`.
 */

import { libc, PIDFD_GET_INFO, PIDFD_GET_NET_NAMESPACE, pidfd_open, pidfd_send_signal } from "../ffi/mod.ts";
import { Pidfd } from "../mod.ts";

const self = libc.getpid();
const pidfd = Pidfd.self();
const info = new Uint8Array(72);

Deno.bench({ group: "open+close", name: "ffi pidfd_open + close", baseline: true }, () => {
  libc.close(pidfd_open(self, 0));
});
Deno.bench({ group: "open+close", name: "Pidfd.open + close" }, () => {
  Pidfd.open(self).close();
});

Deno.bench({ group: "signal 0", name: "ffi pidfd_send_signal", baseline: true }, () => {
  pidfd_send_signal(pidfd.fd, 0, 0);
});
Deno.bench({ group: "signal 0", name: "Pidfd.sendSignal(0)" }, () => {
  pidfd.sendSignal(0);
});
Deno.bench({ group: "signal 0", name: "Pidfd.isAlive() (poll)" }, () => {
  pidfd.isAlive();
});

Deno.bench({ group: "info", name: "ffi ioctl PIDFD_GET_INFO", baseline: true }, () => {
  libc.ioctl_ptr(pidfd.fd, PIDFD_GET_INFO, info);
});
Deno.bench({ group: "info", name: "Pidfd.info()" }, () => {
  pidfd.info();
});

Deno.bench({ group: "namespace", name: "ffi PIDFD_GET_NET_NAMESPACE + close", baseline: true }, () => {
  libc.close(libc.ioctl_val(pidfd.fd, PIDFD_GET_NET_NAMESPACE, 0));
});
Deno.bench({ group: "namespace", name: "Pidfd.namespace('net') + close" }, () => {
  pidfd.namespace("net").close();
});
