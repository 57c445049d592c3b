import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { Namespace, type NamespaceKind, Pidfd, SyscallError } from "../mod.ts";
import {
  execed,
  firstChild,
  needsRoot,
  run,
  scriptCommand,
  sleeper,
  started,
  withHiddenFeatures,
  zombie,
} from "./helpers.ts";

const KINDS: NamespaceKind[] = [
  "cgroup",
  "ipc",
  "mnt",
  "net",
  "pid",
  "pid_for_children",
  "time",
  "time_for_children",
  "user",
  "uts",
];

/** Ground truth: `readlink /proc/<pid>/ns/<kind>` is `type:[inode]`. */
function nsLink(pid: number | "self", kind: string): { type: string; inode: number } {
  const m = /^(\w+):\[(\d+)\]$/.exec(run("readlink", [`/proc/${pid}/ns/${kind}`]).trim());
  assert.ok(m, `readlink /proc/${pid}/ns/${kind}`);
  return { type: m[1]!, inode: Number(m[2]) };
}

describe("Pidfd.namespace", () => {
  test("returns each of the ten namespaces, matching /proc/<pid>/ns", async () => {
    const s = await sleeper();
    try {
      using pidfd = Pidfd.open(s.pid);
      for (const kind of KINDS) {
        using ns = pidfd.namespace(kind);
        const truth = nsLink(s.pid, kind);
        assert.equal(ns.kind, truth.type, kind);
        assert.equal(ns.inode, truth.inode, kind);
        assert.equal(typeof ns.id, "bigint");
      }
    } finally {
      await s.kill();
    }
  });

  test("the procfs fallback opens the same namespaces", () => {
    // A child runtime with the PIDFD_GET_*_NAMESPACE ioctls hidden opens this process's through /proc.
    const out = withHiddenFeatures("pidfdNamespaceIoctls,nsGetId", "namespace");
    assert.equal((out["supports"] as Record<string, boolean>)["pidfdNamespaceIoctls"], false);
    using me = Pidfd.self();
    const inodes = out["inodes"] as Record<string, number>;
    for (const kind of KINDS) {
      using viaIoctl = me.namespace(kind);
      assert.equal(inodes[kind], viaIoctl.inode, kind);
    }
    assert.equal(out["pidIsPidNamespace"], true);
    assert.equal(out["afterReap"], "ESRCH");
    // Without NS_GET_ID the id is the inode.
    assert.equal(out["netId"], String(inodes["net"]));
  });

  test("a PID namespace is a PidNamespace whatever the library's modules are loaded in", () => {
    const fixture = new URL("./fixtures/handles_alone.ts", import.meta.url).pathname;
    const [cmd, ...args] = scriptCommand(fixture);
    const r = spawnSync(cmd!, args, { encoding: "utf8", timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim()), [true, true, true]);
  });

  test("throws ESRCH for a zombie (it has no namespaces) and for a reaped process", async () => {
    const z = await zombie();
    try {
      using pidfd = Pidfd.open(z.pid);
      assert.throws(() => pidfd.namespace("net"), (e) => e instanceof SyscallError && e.code === "ESRCH");
    } finally {
      await z.parent.kill();
    }
  });

  test("rejects unknown kinds before any syscall", () => {
    using me = Pidfd.self();
    for (const kind of ["network", "", "PID", null, 1, "toString", "__proto__"]) {
      assert.throws(() => me.namespace(kind as never), TypeError, String(kind));
    }
  });
});

describe("Namespace", () => {
  test("equals() tells shared namespaces from new ones", { skip: needsRoot }, async () => {
    const inside = await started("unshare", ["--net", "--uts", "sleep", "60"]);
    try {
      await execed(inside.pid, "sleep");
      using other = Pidfd.open(inside.pid);
      using me = Pidfd.self();
      for (const [kind, same] of [["net", false], ["uts", false], ["ipc", true], ["mnt", true]] as const) {
        using a = me.namespace(kind);
        using b = other.namespace(kind);
        assert.equal(a.equals(b), same, kind);
        assert.equal(a.id === b.id, same, kind);
        assert.equal(b.inode, nsLink(inside.pid, kind).inode);
      }
    } finally {
      await inside.kill();
    }
  });

  test("owner() is the user namespace that created it", { skip: needsRoot }, async () => {
    const inside = await started("unshare", ["--user", "--map-root-user", "--net", "sleep", "60"]);
    try {
      await execed(inside.pid, "sleep");
      using pidfd = Pidfd.open(inside.pid);
      using net = pidfd.namespace("net");
      using user = pidfd.namespace("user");
      using owner = net.owner();
      assert.equal(owner.kind, "user");
      assert.ok(owner.equals(user));
      using parentOfUser = user.parent();
      using mine = Namespace.open("/proc/self/ns/user");
      assert.ok(parentOfUser !== null && parentOfUser.equals(mine));
    } finally {
      await inside.kill();
    }
  });

  test("parent() of a child PID namespace is ours; ours has none in view", { skip: needsRoot }, async () => {
    const unshare = await started("unshare", ["--pid", "--fork", "--kill-child", "sleep", "60"]);
    try {
      const inner = await firstChild(unshare.pid);
      using pidfd = Pidfd.open(inner);
      using childNs = pidfd.namespace("pid");
      using mine = Namespace.open("/proc/self/ns/pid");
      assert.ok(!childNs.equals(mine));
      using parent = childNs.parent();
      assert.ok(parent !== null && parent.equals(mine));
      assert.equal(mine.parent(), null);
    } finally {
      await unshare.kill();
    }
  });

  test("parent() of a namespace type without hierarchy is a TypeError", () => {
    using uts = Namespace.open("/proc/self/ns/uts");
    assert.throws(() => uts.parent(), TypeError);
  });

  test("Namespace.open() reads the type, and refuses files that are not namespaces", () => {
    using net = Namespace.open("/proc/self/ns/net");
    assert.equal(net.kind, "net");
    assert.equal(net.inode, nsLink("self", "net").inode);
    assert.throws(() => Namespace.open("/proc/self/status"), TypeError);
    assert.throws(
      () => Namespace.open("/nonexistent/ns"),
      (e) => e instanceof SyscallError && e.code === "ENOENT",
    );
    assert.throws(() => Namespace.open(42 as never), TypeError);
    assert.throws(() => Namespace.open("a\0b"), TypeError);
  });

  test("a closed namespace refuses every use", () => {
    const ns = Namespace.open("/proc/self/ns/net");
    ns.close();
    ns.close();
    assert.throws(() => ns.fd, TypeError);
    assert.throws(() => ns.id, TypeError);
    assert.throws(() => ns.inode, TypeError);
    assert.throws(() => ns.owner(), TypeError);
  });
});
