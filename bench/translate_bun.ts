/**
 * The cases of `translate_bench.ts` under Bun: `bun bench/translate_bun.ts`. Same subject (a container as
 * root), best of several rounds after a warm-up.
 */

import { libc, NS_GET_PID_FROM_PIDNS, NS_GET_PID_IN_PIDNS } from "../ffi/mod.ts";
import { PidNamespace, translatePid } from "../mod.ts";
import { readText } from "../procfs.ts";
import { bench } from "./bun_harness.ts";
import { translationSubject } from "./translate_subject.ts";

const subject = await translationSubject();
try {
  const { ns, pidfd, hostPid, innerPid, nsPath } = subject;
  const fd = ns.fd;
  console.log(`translating ${subject.description}`);
  // The procfs-based methods cost microseconds to milliseconds: fewer iterations keep the run short.
  const slow = (method: string): [number, number] => method === "ioctl" ? [20_000, 7] : [300, 5];

  bench(
    "toCaller",
    "ffi ioctl NS_GET_PID_FROM_PIDNS",
    () => libc.ioctl_val(fd, NS_GET_PID_FROM_PIDNS, innerPid),
  );
  bench("toCaller", "ns.toCaller(pid)", () => ns.toCaller(innerPid));
  for (const method of ["ioctl", "fdinfo", "procfs"] as const) {
    const options = { from: ns, method };
    bench("toCaller", `translatePid(pid, { from, method: "${method}" })`, () => {
      translatePid(innerPid, options);
    }, ...slow(method));
  }

  bench(
    "fromCaller",
    "ffi ioctl NS_GET_PID_IN_PIDNS",
    () => libc.ioctl_val(fd, NS_GET_PID_IN_PIDNS, hostPid),
  );
  bench("fromCaller", "ns.fromCaller(pid)", () => ns.fromCaller(hostPid));
  for (const method of ["ioctl", "fdinfo", "procfs"] as const) {
    const options = { to: ns, method };
    bench("fromCaller", `translatePid(pid, { to, method: "${method}" })`, () => {
      translatePid(hostPid, options);
    }, ...slow(method));
  }

  bench(
    "initPid",
    "ffi ioctl NS_GET_PID_FROM_PIDNS(ns, 1)",
    () => libc.ioctl_val(fd, NS_GET_PID_FROM_PIDNS, 1),
  );
  bench("initPid", "ns.initPid(), cached namespace", () => ns.initPid());
  bench("initPid", "PidNamespace.of(pidfd).initPid() + close", () => {
    using each = PidNamespace.of(pidfd);
    each.initPid();
  });
  bench("initPid", "PidNamespace.open(/proc/<pid>/ns/pid).initPid() + close", () => {
    using each = PidNamespace.open(nsPath);
    each.initPid();
  });
  bench("initPid", "ns.initPidfd() + close (verified)", () => ns.initPidfd().close());

  const fdinfoPath = `/proc/self/fdinfo/${pidfd.fd}`;
  bench("nspid", "read /proc/self/fdinfo/<pidfd>", () => readText(fdinfoPath));
  bench("nspid", "pidfd.nspid()", () => pidfd.nspid());
  bench("nspid", "pidfd.openProcDir() + close", () => pidfd.openProcDir().close());
} finally {
  subject.close();
}
