/**
 * Costs of process identities: a pidfs handle round trip against `pidfd_open`, and `processes()` over ~2,000
 * processes against a bare `/proc` scan in the same runtime and against `ps -e`.
 * Run: `deno bench --allow-ffi --allow-run --allow-read --allow-env bench/identity_bench.ts`.
 */

import { AT_EMPTY_PATH, FD_PIDFS_ROOT, libc, O_CLOEXEC, pidfd_open } from "../ffi/mod.ts";
import { Pidfd, processes } from "../mod.ts";
import { bareScan, manyProcesses, psE } from "./identity_subject.ts";

const self = libc.getpid();
const me = Pidfd.self(); // `using` would close it when the module finishes loading, before the benches run
const handle = me.handle();
const fh = new Uint8Array(136);
const empty = new Uint8Array(1);
const mountId = new Uint8Array(8);

Deno.bench({ group: "identity", name: "ffi pidfd_open + close", baseline: true }, () => {
  libc.close(pidfd_open(self, 0));
});
Deno.bench({ group: "identity", name: "Pidfd.open + close" }, () => {
  Pidfd.open(self).close();
});
Deno.bench({ group: "identity", name: "ffi name_to_handle_at + open_by_handle_at + close" }, () => {
  new DataView(fh.buffer).setUint32(0, 128, true);
  libc.name_to_handle_at(me.fd, empty, fh, mountId, AT_EMPTY_PATH);
  libc.close(libc.open_by_handle_at(FD_PIDFS_ROOT, fh, O_CLOEXEC));
});
Deno.bench({ group: "identity", name: "pidfd.handle() + Pidfd.fromHandle() + close" }, () => {
  Pidfd.fromHandle(me.handle()).close();
});
Deno.bench({ group: "identity", name: "Pidfd.fromHandle(stored) + close" }, () => {
  Pidfd.fromHandle(handle).close();
});
Deno.bench({ group: "identity", name: "Pidfd.open(pid, { id }) + close" }, () => {
  Pidfd.open(self, { id: me.id }).close();
});

const many = await manyProcesses();
globalThis.addEventListener("unload", () => {
  many.close();
  me.close();
});
console.log(`enumerating ${many.count} processes`);

Deno.bench(
  { group: "enumerate", name: "bare scan: getdents64 + pidfd_open + close", baseline: true, n: 100 },
  () => {
    bareScan();
  },
);
Deno.bench({ group: "enumerate", name: "for (using p of processes())", n: 100 }, () => {
  for (using p of processes()) p.fd;
});
Deno.bench({ group: "enumerate", name: "ps -e -o pid=", n: 20 }, () => {
  psE();
});
