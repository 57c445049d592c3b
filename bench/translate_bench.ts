/**
 * Costs of PID namespace translation, each group against the bare FFI ioctl (the baseline).
 * Run: `deno bench --allow-ffi --allow-run --allow-read --allow-env bench/translate_bench.ts`.
 *
 * As root the benchmarks translate between the host and a fresh container (`unshare --pid --fork --mount-proc`,
 * which lives for at most five minutes); otherwise within the caller's own namespace.
 */

import { libc, NS_GET_PID_FROM_PIDNS, NS_GET_PID_IN_PIDNS } from "../ffi/mod.ts";
import { PidNamespace, translatePid } from "../mod.ts";
import { readText } from "../procfs.ts";
import { translationSubject } from "./translate_subject.ts";

const subject = await translationSubject();
globalThis.addEventListener("unload", subject.close);
const { ns, pidfd, hostPid, innerPid, nsPath } = subject;
const fd = ns.fd;
console.log(`translating ${subject.description}`);

const from = {
  ioctl: { from: ns, method: "ioctl" },
  fdinfo: { from: ns, method: "fdinfo" },
  procfs: { from: ns, method: "procfs" },
} as const;
const to = {
  ioctl: { to: ns, method: "ioctl" },
  fdinfo: { to: ns, method: "fdinfo" },
  procfs: { to: ns, method: "procfs" },
} as const;

Deno.bench({ group: "toCaller", name: "ffi ioctl NS_GET_PID_FROM_PIDNS", baseline: true }, () => {
  libc.ioctl_val(fd, NS_GET_PID_FROM_PIDNS, innerPid);
});
Deno.bench({ group: "toCaller", name: "ns.toCaller(pid)" }, () => {
  ns.toCaller(innerPid);
});
for (const method of ["ioctl", "fdinfo", "procfs"] as const) {
  Deno.bench({ group: "toCaller", name: `translatePid(pid, { from, method: "${method}" })` }, () => {
    translatePid(innerPid, from[method]);
  });
}

Deno.bench({ group: "fromCaller", name: "ffi ioctl NS_GET_PID_IN_PIDNS", baseline: true }, () => {
  libc.ioctl_val(fd, NS_GET_PID_IN_PIDNS, hostPid);
});
Deno.bench({ group: "fromCaller", name: "ns.fromCaller(pid)" }, () => {
  ns.fromCaller(hostPid);
});
for (const method of ["ioctl", "fdinfo", "procfs"] as const) {
  Deno.bench({ group: "fromCaller", name: `translatePid(pid, { to, method: "${method}" })` }, () => {
    translatePid(hostPid, to[method]);
  });
}

Deno.bench({ group: "initPid", name: "ffi ioctl NS_GET_PID_FROM_PIDNS(ns, 1)", baseline: true }, () => {
  libc.ioctl_val(fd, NS_GET_PID_FROM_PIDNS, 1);
});
Deno.bench({ group: "initPid", name: "ns.initPid(), cached namespace" }, () => {
  ns.initPid();
});
Deno.bench({ group: "initPid", name: "PidNamespace.of(pidfd).initPid() + close" }, () => {
  using each = PidNamespace.of(pidfd);
  each.initPid();
});
Deno.bench({ group: "initPid", name: "PidNamespace.open(/proc/<pid>/ns/pid).initPid() + close" }, () => {
  using each = PidNamespace.open(nsPath);
  each.initPid();
});
Deno.bench({ group: "initPid", name: "ns.initPidfd() + close (verified)" }, () => {
  ns.initPidfd().close();
});

const fdinfoPath = `/proc/self/fdinfo/${pidfd.fd}`;
Deno.bench({ group: "nspid", name: "read /proc/self/fdinfo/<pidfd>", baseline: true }, () => {
  readText(fdinfoPath);
});
Deno.bench({ group: "nspid", name: "pidfd.nspid()" }, () => {
  pidfd.nspid();
});
Deno.bench({ group: "nspid", name: "pidfd.openProcDir() + close" }, () => {
  pidfd.openProcDir().close();
});
