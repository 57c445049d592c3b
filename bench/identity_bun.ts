/**
 * The cases of `identity_bench.ts` under Bun: `bun bench/identity_bun.ts`. Best of several rounds after a
 * warm-up, same subjects.
 */

import { AT_EMPTY_PATH, FD_PIDFS_ROOT, libc, O_CLOEXEC, pidfd_open } from "../ffi/mod.ts";
import { Pidfd, processes } from "../mod.ts";
import { bench } from "./bun_harness.ts";
import { bareScan, manyProcesses, psE } from "./identity_subject.ts";

const self = libc.getpid();
const me = Pidfd.self();
const handle = me.handle();
const fh = new Uint8Array(136);
const empty = new Uint8Array(1);
const mountId = new Uint8Array(8);

bench("identity", "ffi pidfd_open + close", () => libc.close(pidfd_open(self, 0)));
bench("identity", "Pidfd.open + close", () => Pidfd.open(self).close());
bench("identity", "ffi name_to_handle_at + open_by_handle_at + close", () => {
  new DataView(fh.buffer).setUint32(0, 128, true);
  libc.name_to_handle_at(me.fd, empty, fh, mountId, AT_EMPTY_PATH);
  libc.close(libc.open_by_handle_at(FD_PIDFS_ROOT, fh, O_CLOEXEC));
});
bench("identity", "pidfd.handle() + Pidfd.fromHandle() + close", () => Pidfd.fromHandle(me.handle()).close());
bench("identity", "Pidfd.fromHandle(stored) + close", () => Pidfd.fromHandle(handle).close());
bench("identity", "Pidfd.open(pid, { id }) + close", () => Pidfd.open(self, { id: me.id }).close());
me.close();

const many = await manyProcesses();
try {
  console.log(`enumerating ${many.count} processes (ns per scan)`);
  bench("enumerate", "bare scan: getdents64 + pidfd_open + close", () => void bareScan(), 30, 5);
  bench(
    "enumerate",
    "for (using p of processes())",
    () => {
      for (using p of processes()) p.fd;
    },
    30,
    5,
  );
  bench("enumerate", "ps -e -o pid=", psE, 5, 3);
} finally {
  many.close();
}
