import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, test } from "node:test";
import { Errno, libc, pidfd_open } from "../ffi/mod.ts";
import { Pidfd, type Signal, signalName, signalNumber, supports, SyscallError } from "../mod.ts";
import { readText } from "../src/procfs.ts";
import { fdinfoInode, run, sleeper, statusInts, withHiddenFeatures, zombie } from "./helpers.ts";

const myPid = libc.getpid();

/** Asserts that `fn` throws a SyscallError with this code and syscall. */
function assertSyscallError(fn: () => unknown, code: string, syscall?: string): SyscallError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof SyscallError, `expected a SyscallError, got ${caught}`);
  assert.equal(caught.code, code);
  assert.equal(caught.errno, Errno[code as keyof typeof Errno]);
  if (syscall) assert.equal(caught.syscall, syscall);
  return caught;
}

/** A child that has exited and been reaped by the runtime, with its (now free) pid. */
async function reapedChild(): Promise<number> {
  const s = await sleeper();
  await s.kill();
  return s.pid;
}

describe("Pidfd.open", () => {
  test("opens a running child and reports its pid", async () => {
    const s = await sleeper();
    try {
      using pidfd = Pidfd.open(s.pid);
      assert.equal(pidfd.pid, s.pid);
      assert.ok(pidfd.fd >= 0);
      // The fd really is a pidfd of that process: its fdinfo names the pid.
      assert.match(readText(`/proc/self/fdinfo/${pidfd.fd}`), new RegExp(`^Pid:\\s+${s.pid}$`, "m"));
    } finally {
      await s.kill();
    }
  });

  test("throws ESRCH for a reaped pid, with errno, code, syscall and message", async () => {
    const pid = await reapedChild();
    const e = assertSyscallError(() => Pidfd.open(pid), "ESRCH", "pidfd_open");
    assert.equal(e.message, `pidfd_open(${pid}) failed: ESRCH (No such process)`);
    assert.equal(e.name, "SyscallError");
  });

  test("rejects bad pids before any syscall", () => {
    for (const pid of [0, -1, 1.5, NaN, Infinity, 2 ** 31]) {
      assert.throws(() => Pidfd.open(pid), RangeError, String(pid));
    }
    for (const pid of ["12", null, undefined, 12n]) {
      assert.throws(() => Pidfd.open(pid as never), TypeError, String(pid));
    }
    assert.throws(() => Pidfd.open(myPid, null as never), TypeError);
  });

  test("the kernel answers EINVAL for unknown pidfd_open flags", () => {
    assert.equal(pidfd_open(myPid, 0x1), -Errno.EINVAL);
  });

  test("nonblock and thread set PIDFD_NONBLOCK and PIDFD_THREAD on the fd", () => {
    using plain = Pidfd.open(myPid);
    using nb = Pidfd.open(myPid, { nonblock: true });
    using th = Pidfd.open(myPid, { thread: true });
    const flags = (p: Pidfd) =>
      parseInt(/^flags:\s*(\d+)/m.exec(readText(`/proc/self/fdinfo/${p.fd}`))![1]!, 8);
    assert.equal(flags(plain) & 0o4000, 0);
    assert.equal(flags(nb) & 0o4000, 0o4000); // O_NONBLOCK
    assert.equal(flags(th) & 0o200, 0o200); // O_EXCL = PIDFD_THREAD
  });

  test("Pidfd.self() refers to the calling process", () => {
    using me = Pidfd.self();
    assert.equal(me.pid, myPid);
    assert.equal(me.info().pid, myPid);
  });
});

describe("Pidfd lifetime", () => {
  test("close() is idempotent and every use afterwards is a TypeError", () => {
    const pidfd = Pidfd.self();
    const fd = pidfd.fd;
    pidfd.close();
    pidfd.close();
    assert.equal(pidfd.closed, true);
    assert.throws(() => pidfd.fd, TypeError);
    assert.throws(() => pidfd.pid, TypeError);
    assert.throws(() => pidfd.info(), TypeError);
    assert.throws(() => pidfd.sendSignal(0), TypeError);
    assert.throws(() => pidfd.isAlive(), TypeError);
    assert.throws(() => pidfd.namespace("net"), TypeError);
    assert.throws(() => pidfd.getfd(0), TypeError);
    // The number is really closed.
    assert.equal(libc.close(fd), -Errno.EBADF);
  });

  test("a using scope closes the fd", () => {
    let fd: number;
    {
      using pidfd = Pidfd.self();
      fd = pidfd.fd;
      assert.ok(fdinfoInode("self", fd) > 0n);
    }
    assert.equal(libc.close(fd), -Errno.EBADF);
  });

  test("intoRaw() hands the fd over and disarms the object", () => {
    const pidfd = Pidfd.self();
    const fd = pidfd.intoRaw();
    assert.throws(() => pidfd.fd, TypeError);
    pidfd.close(); // does not close the handed-over fd
    assert.equal(libc.close(fd), 0);
  });
});

describe("Pidfd.id and equals", () => {
  test("id is the pidfs inode that fdinfo shows, shared by all pidfds of a process", async () => {
    const s = await sleeper();
    try {
      using a = Pidfd.open(s.pid);
      using b = Pidfd.open(s.pid);
      using me = Pidfd.self();
      assert.equal(a.id, fdinfoInode("self", a.fd));
      assert.equal(a.id, b.id);
      assert.ok(a.equals(b));
      assert.ok(!a.equals(me));
      assert.notEqual(a.id, me.id);
    } finally {
      await s.kill();
    }
  });
});

describe("Pidfd.info", () => {
  test("matches /proc/<pid>/status for a running child", async () => {
    const s = await sleeper();
    try {
      using pidfd = Pidfd.open(s.pid);
      const info = pidfd.info();
      assert.equal(info.source, "ioctl");
      assert.deepEqual(info.unknown, []);
      assert.equal(info.pid, s.pid);
      assert.equal(info.tgid, statusInts(s.pid, "Tgid")[0]);
      assert.equal(info.ppid, statusInts(s.pid, "PPid")[0]);
      assert.equal(info.ppid, myPid);
      assert.deepEqual([info.ruid, info.euid, info.suid, info.fsuid], statusInts(s.pid, "Uid"));
      assert.deepEqual([info.rgid, info.egid, info.sgid, info.fsgid], statusInts(s.pid, "Gid"));
      // cgroup v2 id = inode of the cgroup's directory.
      const path = run("cat", [`/proc/${s.pid}/cgroup`]).trim().split("::")[1]!;
      assert.equal(info.cgroupId, BigInt(run("stat", ["-c", "%i", `/sys/fs/cgroup${path}`]).trim()));
      assert.equal(info.exitStatus, null);
      assert.equal(info.coredumpMask, null);
    } finally {
      await s.kill();
    }
  });

  test("reports the exit status after the runtime reaped the child", async () => {
    const child = spawn("sh", ["-c", "read x; exit 7"], { stdio: ["pipe", "ignore", "ignore"] });
    await once(child, "spawn");
    using pidfd = Pidfd.open(child.pid!);
    const exit = once(child, "exit");
    child.stdin!.end("go\n");
    const [code] = await exit;
    assert.equal(code, 7); // the runtime still got its own status
    const info = pidfd.info({ exit: true });
    assert.equal(info.exitStatus, 7 << 8);
    assert.equal(info.pid, null); // reaped: no pid any more
    assertSyscallError(() => pidfd.info(), "ESRCH", "PIDFD_GET_INFO");
  });

  test("reports SIGKILL as raw status 9, and a coredump mask when asked", async () => {
    const s = await sleeper();
    using pidfd = Pidfd.open(s.pid);
    assert.equal(pidfd.info({ coredump: true }).coredumpMask! & ~0xf, 0);
    await s.kill();
    assert.equal(pidfd.info({ exit: true }).exitStatus, 9);
  });

  test("still answers for a zombie", async () => {
    const z = await zombie();
    try {
      using pidfd = Pidfd.open(z.pid);
      const info = pidfd.info({ exit: true });
      assert.equal(info.pid, z.pid);
      assert.equal(info.ppid, z.parent.pid);
      assert.equal(info.exitStatus, null); // not reaped yet
    } finally {
      await z.parent.kill();
    }
  });

  test("the procfs fallback agrees with PIDFD_GET_INFO and names what it cannot know", () => {
    // A child runtime with PIDFD_GET_INFO hidden reads this process's info through procfs.
    const out = withHiddenFeatures("pidfdInfo", "info");
    assert.equal((out["supports"] as Record<string, boolean>)["pidfdInfo"], false);
    using me = Pidfd.self();
    const viaIoctl = me.info();
    const viaProcfs = out["info"] as Record<string, unknown>;
    assert.equal(viaProcfs["source"], "procfs");
    assert.deepEqual(viaProcfs["unknown"], ["cgroupId", "exitStatus"]);
    assert.equal(viaProcfs["cgroupId"], null);
    assert.deepEqual(
      { ...viaProcfs, source: "ioctl", unknown: [], cgroupId: viaIoctl.cgroupId, exitStatus: null },
      viaIoctl,
    );
    // After the reap the fallback refuses rather than reading a recycled pid.
    assert.equal(out["afterReap"], "ESRCH");
  });
});

describe("Pidfd.sendSignal", () => {
  test("delivers the signal to the process, by name, short name or number", async () => {
    for (const signal of ["SIGTERM", "term", 15, "SIGUSR1"] as const) {
      const s = await sleeper();
      const exit = once(s.child, "exit");
      using pidfd = Pidfd.open(s.pid);
      pidfd.sendSignal(signal as Signal);
      const [, received] = await exit;
      assert.equal(received, signalName(signalNumber(signal)));
    }
  });

  test("signal 0 probes, and scopes are accepted", async () => {
    const s = await sleeper();
    try {
      using pidfd = Pidfd.open(s.pid);
      pidfd.sendSignal(0);
      pidfd.sendSignal(0, { scope: "process" });
      pidfd.sendSignal(0, { scope: "thread" });
    } finally {
      await s.kill();
    }
  });

  test("process-group scope signals the group the process leads", async () => {
    const child = spawn("sh", ["-c", "sleep 60 & sleep 60; wait"], { stdio: "ignore", detached: true });
    await once(child, "spawn");
    await new Promise((r) => setTimeout(r, 100));
    const members = run("pgrep", ["-g", String(child.pid)]).trim().split(/\s+/).map(Number);
    assert.equal(members.length, 3, `group members: ${members}`);
    const pidfds = members.map((pid) => Pidfd.open(pid));
    try {
      const exit = once(child, "exit");
      using leader = Pidfd.open(child.pid!);
      leader.sendSignal("SIGKILL", { scope: "process-group" });
      const [, sig] = await exit;
      assert.equal(sig, "SIGKILL");
      // Every member died (orphans may linger as zombies until their new parent reaps them).
      for (const p of pidfds) {
        while (p.isAlive()) await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      for (const p of pidfds) p.close();
    }
  });

  test("rejects bad signals and scopes before any syscall", () => {
    using me = Pidfd.self();
    assert.throws(() => me.sendSignal("SIGNOPE" as never), TypeError);
    assert.throws(() => me.sendSignal("SIGRTMIN+31" as never), TypeError);
    assert.throws(() => me.sendSignal(65), RangeError);
    assert.throws(() => me.sendSignal(-1), RangeError);
    assert.throws(() => me.sendSignal(1.5), RangeError);
    assert.throws(() => me.sendSignal(null as never), TypeError);
    assert.throws(() => me.sendSignal(0, { scope: "world" as never }), TypeError);
  });

  test("throws ESRCH once the process has been reaped", async () => {
    const s = await sleeper();
    using pidfd = Pidfd.open(s.pid);
    await s.kill();
    const e = assertSyscallError(() => pidfd.sendSignal("SIGTERM"), "ESRCH", "pidfd_send_signal");
    assert.equal(e.message, `pidfd_send_signal(${s.pid}) failed: ESRCH (No such process)`);
  });
});

describe("Pidfd.isAlive", () => {
  test("is true while running and false after exit, zombie included", async () => {
    const s = await sleeper();
    using pidfd = Pidfd.open(s.pid);
    assert.equal(pidfd.isAlive(), true);
    await s.kill();
    assert.equal(pidfd.isAlive(), false);
    const z = await zombie();
    try {
      using zpidfd = Pidfd.open(z.pid);
      assert.equal(zpidfd.isAlive(), false);
      zpidfd.sendSignal(0); // a zombie still accepts signals
    } finally {
      await z.parent.kill();
    }
  });
});

describe("Pidfd.getfd", () => {
  test("copies an fd of another process (same open file)", async () => {
    const child = spawn("sleep", ["60"], { stdio: ["ignore", "pipe", "ignore"] });
    await once(child, "spawn");
    try {
      using pidfd = Pidfd.open(child.pid!);
      using copy = pidfd.getfd(1);
      assert.equal(fdinfoInode("self", copy.fd), fdinfoInode(child.pid!, 1));
      assertSyscallError(() => pidfd.getfd(999), "EBADF", "pidfd_getfd");
      assert.throws(() => pidfd.getfd(-1), RangeError);
      assert.throws(() => pidfd.getfd("1" as never), TypeError);
    } finally {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
  });
});

describe("supports()", () => {
  test("reports booleans that agree with what the calls do", () => {
    const f = supports();
    assert.equal(supports(), f); // cached
    for (const [key, value] of Object.entries(f)) assert.equal(typeof value, "boolean", key);
    using me = Pidfd.self();
    assert.equal(f.pidfdOpen, true);
    assert.equal(f.pidfdInfo, me.info().source === "ioctl");
    assert.equal(
      f.pidfs,
      (() => {
        try {
          return me.id > 0n;
        } catch {
          return false;
        }
      })(),
    );
    assert.equal(f.pidfdInfoCoredump, me.info({ coredump: true }).coredumpMask !== null);
  });
});
