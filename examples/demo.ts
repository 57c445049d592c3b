/**
 * A short tour: what this kernel supports, then a race-free look at this process and its parent.
 * Run: `deno run --allow-ffi examples/demo.ts` or `bun examples/demo.ts`.
 */

import { type NamespaceKind, Pidfd, supports } from "../mod.ts";

console.log("Kernel features:");
for (const [feature, ok] of Object.entries(supports())) console.log(`  ${ok ? "yes" : "no "}  ${feature}`);

using me = Pidfd.self();
const mine = me.info();
if (mine.ppid === null || mine.ppid === 0) throw new Error("the parent is not visible from here");
using parent = Pidfd.open(mine.ppid);
const theirs = parent.info();

console.log(`\nThis process: pid ${mine.pid}, pidfs id ${me.id}, uid ${mine.euid}, cgroup ${mine.cgroupId}`);
console.log(
  `Its parent:   pid ${theirs.pid}, pidfs id ${parent.id}, uid ${theirs.euid}, ppid ${theirs.ppid}`,
);

console.log("\nNamespaces shared with the parent:");
const kinds: NamespaceKind[] = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"];
for (const kind of kinds) {
  using a = me.namespace(kind);
  using b = parent.namespace(kind);
  console.log(`  ${kind.padEnd(6)} id ${String(a.id).padEnd(12)} ${a.equals(b) ? "shared" : "different"}`);
}
console.log(`\nThe parent is ${parent.isAlive() ? "alive" : "gone"}; signal 0 through its pidfd:`);
parent.sendSignal(0);
console.log("  delivered (a pidfd can never reach a process that reused the pid)");
