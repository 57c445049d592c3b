import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { describe, test } from "node:test";
import {
  AT_EMPTY_PATH,
  AT_FDCWD,
  cPath,
  FD_PIDFS_ROOT,
  libc,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDONLY,
  PIDFD_THREAD,
} from "../ffi/mod.ts";
import { namespaces, Pidfd, PidNamespace, processes, supports, SyscallError, translatePid } from "../mod.ts";
import { listDir, readText } from "../src/procfs.ts";
import {
  asNobody,
  execed,
  fdSnapshot,
  fdsOpenedSince,
  firstChild,
  isBun,
  needsRoot,
  nobodyCopy,
  nobodyScript,
  ROOT,
  run,
  scriptCommand,
  sleeper,
  started,
  zombie,
} from "./helpers.ts";

const self = libc.getpid();
const F_GETFL = 3;
const F_GETFD = 1;
const handleFixture = new URL("./fixtures/handle_open.ts", import.meta.url).pathname;

// Before any fd snapshot: the capability record and the caller's own PID namespace are opened once and kept.
supports();
translatePid(self);

function syscallError(code: string, message?: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof SyscallError, String(e));
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  };
}

/** Runs `fn` and asserts that it left no fd open. */
async function noLeaks(fn: () => unknown): Promise<void> {
  const before = fdSnapshot();
  await fn();
  assert.deepEqual(fdsOpenedSince(before), []);
}

/** The raw `struct file_handle` of any fd (an nsfs fd, a directory), for bad-input cases from real kernels. */
function rawHandle(path: string): Uint8Array {
  const fd = libc.openat(AT_FDCWD, cPath(path)!, O_RDONLY | O_CLOEXEC, 0);
  assert.ok(fd >= 0);
  try {
    const fh = new Uint8Array(136);
    new DataView(fh.buffer).setUint32(0, 128, true);
    assert.equal(libc.name_to_handle_at(fd, new Uint8Array(1), fh, new Uint8Array(8), AT_EMPTY_PATH), 0);
    return fh.slice(0, 8 + fh[0]!);
  } finally {
    libc.close(fd);
  }
}

/** The other runtime's executable and the command line that runs a script with it. */
function otherRuntime(script: string, arg: string): string[] {
  return isBun
    ? [`${ROOT}node_modules/.bin/deno`, "run", "--allow-ffi", "--allow-read", script, arg]
    : [`${ROOT}node_modules/.bin/bun`, script, arg];
}

function runJson(argv: string[]): Record<string, string | number | null> {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

/** `unshare` options that make a new PID namespace with its own /proc, killed with the `unshare` process. */
const CONTAINER = ["--pid", "--fork", "--mount-proc", "--kill-child"];

/** The numeric entries of a procfs directory. */
function pidsIn(dir: string): Set<number> {
  return new Set(listDir(dir).filter((n) => /^[0-9]+$/.test(n)).map(Number));
}

describe("pidfs file handles", () => {
  test("handle() is the file_handle of the pidfs id, and fromHandle() reopens that process", async () => {
    const s = await sleeper();
    try {
      await noLeaks(() => {
        using p = Pidfd.open(s.pid);
        const h = p.handle();
        assert.equal(h.length, 16);
        const view = new DataView(h.buffer);
        assert.equal(view.getUint32(0, true), 8, "handle_bytes");
        assert.equal(view.getInt32(4, true), 0xfe, "FILEID_KERNFS");
        assert.equal(view.getBigUint64(8, true), p.id, "the payload is the pidfs inode");
        assert.notEqual(p.handle(), h, "a fresh copy each time");
        using again = Pidfd.fromHandle(h);
        assert.equal(again.pid, s.pid);
        assert.equal(again.id, p.id);
        assert.ok(again.equals(p));
        assert.equal(libc.fcntl(again.fd, F_GETFD, 0) & 1, 1, "close-on-exec");
        assert.equal(libc.fcntl(again.fd, F_GETFL, 0) & O_NONBLOCK, 0);
        using nonblocking = Pidfd.fromHandle(h, { nonblock: true });
        assert.equal(libc.fcntl(nonblocking.fd, F_GETFL, 0) & O_NONBLOCK, O_NONBLOCK);
        using thread = Pidfd.fromHandle(h, { thread: true, nonblock: true });
        assert.equal(libc.fcntl(thread.fd, F_GETFL, 0) & PIDFD_THREAD, PIDFD_THREAD);
        assert.equal(thread.id, p.id, "the leader's thread pidfd shares the id");
        // A handle changed after the call does not change the result: the bytes are copied once.
        const copy = h.slice();
        using fromCopy = Pidfd.fromHandle(copy);
        copy.fill(0);
        assert.equal(fromCopy.id, p.id);
      });
    } finally {
      await s.kill();
    }
  });

  test("both mount fds decode it: FD_PIDFS_ROOT and any pidfd; others do not (selftest decode_purely_…)", () => {
    using p = Pidfd.self();
    const h = p.handle();
    for (const mount of [FD_PIDFS_ROOT, p.fd]) {
      const fd = libc.open_by_handle_at(mount, h, O_CLOEXEC);
      assert.ok(fd >= 0, `mount fd ${mount}`);
      using again = Pidfd.fromFd(fd);
      libc.close(fd);
      assert.equal(again.id, p.id);
    }
    // Selftest valid_name_to_handle_at_flags: AT_HANDLE_FID gives the same, decodable bytes.
    const fid = new Uint8Array(136);
    new DataView(fid.buffer).setUint32(0, 128, true);
    assert.equal(
      libc.name_to_handle_at(p.fd, new Uint8Array(1), fid, new Uint8Array(8), AT_EMPTY_PATH | 0x200),
      0,
    );
    assert.deepEqual(fid.slice(0, 16), h);
    assert.ok(libc.open_by_handle_at(AT_FDCWD, h, O_CLOEXEC) < 0);
    assert.ok(libc.open_by_handle_at(-9, h, O_CLOEXEC) < 0);
    assert.equal(supports().pidfsHandles, true);
    assert.equal(supports().pidfsRoot, true);
  });

  test("a zombie's handle still opens; once reaped it is ESRCH with the kernel's ESTALE as cause", async () => {
    const z = await zombie();
    try {
      using p = Pidfd.open(z.pid);
      const h = p.handle();
      {
        using again = Pidfd.fromHandle(h);
        assert.equal(again.id, p.id);
        assert.equal(again.isAlive(), false);
      }
    } finally {
      await z.parent.kill();
    }
    // Reaped (by this runtime, its parent): ESTALE from the kernel, ESRCH from the library.
    const s = await sleeper();
    using p = Pidfd.open(s.pid);
    const h = p.handle();
    await s.kill();
    await noLeaks(() => {
      assert.throws(() => Pidfd.fromHandle(h), (e) => {
        syscallError("ESRCH", /reaped/)(e);
        assert.ok((e as Error).cause instanceof SyscallError);
        assert.equal(((e as Error).cause as SyscallError).code, "ESTALE");
        return true;
      });
    });
  });

  test("a thread's handle opens as that thread with { thread: true }", () => {
    const tid = Number(listDir("/proc/self/task").find((t) => Number(t) !== self));
    using t = Pidfd.open(tid, { thread: true });
    using again = Pidfd.fromHandle(t.handle(), { thread: true });
    assert.equal(again.pid, tid);
    assert.equal(libc.fcntl(again.fd, F_GETFL, 0) & PIDFD_THREAD, PIDFD_THREAD, "a thread pidfd");
    assert.throws(() => Pidfd.fromHandle(t.handle()), syscallError("ENOENT", /thread: true/));
    assert.equal(again.id, t.id);
    using leader = Pidfd.self();
    assert.notEqual(again.id, leader.id, "a non-leader thread has its own id");
  });

  test("across processes and runtimes: a handle written to a file reopens the same process", async () => {
    const s = await sleeper();
    const dir = mkdtempSync("/tmp/pidfd-handle-");
    try {
      using p = Pidfd.open(s.pid);
      writeFileSync(`${dir}/h`, p.handle());
      for (const argv of [scriptCommand(handleFixture), otherRuntime(handleFixture, `${dir}/h`)]) {
        const r = runJson(argv[argv.length - 1] === `${dir}/h` ? argv : [...argv, `${dir}/h`]);
        assert.deepEqual(r, { pid: s.pid, id: String(p.id) }, argv[0]);
      }
      await s.kill();
      assert.deepEqual(runJson(otherRuntime(handleFixture, `${dir}/h`)), { error: "ESRCH", cause: "ESTALE" });
    } finally {
      await s.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("no privilege needed: nobody reopens a root process's handle", { skip: needsRoot }, async () => {
    const s = await sleeper();
    using copy = nobodyCopy();
    try {
      using p = Pidfd.open(s.pid);
      writeFileSync(`${copy.home}/h`, p.handle());
      const r = runJson([
        ...asNobody(copy.home, nobodyScript(copy, "tests/fixtures/handle_open.ts")),
        `${copy.home}/h`,
      ]);
      assert.deepEqual(r, { pid: s.pid, id: String(p.id) });
    } finally {
      await s.kill();
    }
  });

  test("a process in a child PID namespace opens from the parent; the parent's from inside does not", {
    skip: needsRoot,
  }, async () => {
    const container = await started("unshare", [...CONTAINER, "sleep", "60"]);
    const dir = mkdtempSync("/tmp/pidfd-handle-");
    try {
      const inner = await firstChild(container.pid);
      await execed(inner, "sleep");
      using p = Pidfd.open(inner);
      using again = Pidfd.fromHandle(p.handle());
      assert.equal(again.id, p.id);
      // Selftest file_handle_foreign_pidns: our own handle, decoded inside a new PID namespace.
      using me = Pidfd.self();
      writeFileSync(`${dir}/h`, me.handle());
      const r = runJson([
        "unshare",
        "--pid",
        "--fork",
        "--mount-proc",
        ...scriptCommand(handleFixture),
        `${dir}/h`,
      ]);
      assert.equal(r.error, "ESRCH");
    } finally {
      await container.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("bad handles are a TypeError before any syscall, and nothing leaks", async () => {
    using p = Pidfd.self();
    const good = p.handle();
    const withHeader = (bytes: number, type: number, payload: number): Uint8Array => {
      const h = new Uint8Array(8 + payload);
      new DataView(h.buffer).setUint32(0, bytes, true);
      new DataView(h.buffer).setInt32(4, type, true);
      return h;
    };
    await noLeaks(() => {
      const cases: [unknown, RegExp][] = [
        ["abc", /Uint8Array, got "abc"/],
        [[...good], /Uint8Array, got object/],
        [good.buffer, /Uint8Array/],
        [new DataView(good.buffer), /Uint8Array/],
        [null, /Uint8Array, got null/],
        [new Uint8Array(0), /shorter than the 8-byte/],
        [good.slice(0, 7), /shorter than the 8-byte/],
        [good.slice(0, 12), /12 bytes where the header says 16/],
        [new Uint8Array([...good, 0]), /17 bytes where the header says 16/],
        [withHeader(8, 0x01, 8), /handle type 0x1/],
        [withHeader(8, -1, 8), /handle type 0xffffffff/],
        [withHeader(7, 0xfe, 7), /handle_bytes is 7/],
        [withHeader(4096, 0xfe, 8), /handle_bytes is 4096/],
        [rawHandle("/proc/self/ns/net"), /nsfs \(namespace\) handle/],
        [rawHandle("/proc/self/ns/pid"), /nsfs/],
        [rawHandle("/tmp"), /Not a pidfs handle/],
      ];
      for (const [input, message] of cases) {
        assert.throws(
          () => Pidfd.fromHandle(input as Uint8Array),
          { name: "TypeError", message },
          String(input),
        );
      }
      assert.throws(() => Pidfd.fromHandle(good, { thread: 1 as unknown as boolean }), TypeError);
      assert.throws(() => Pidfd.fromHandle(good, null as unknown as undefined), TypeError);
      // Well-formed bytes for an id no process has: the kernel decides (ESTALE → ESRCH).
      const bogus = good.slice();
      new DataView(bogus.buffer).setBigUint64(8, (1n << 63n) + 12345n, true);
      assert.throws(() => Pidfd.fromHandle(bogus), syscallError("ESRCH"));
    });
  });

  test("handle() of a closed pidfd is a TypeError", () => {
    const p = Pidfd.self();
    p.close();
    assert.throws(() => p.handle(), TypeError);
  });
});

describe("Pidfd.open with id and ns", () => {
  test("{ id } opens only the process with that pidfs id", async () => {
    const s = await sleeper();
    try {
      using p = Pidfd.open(s.pid);
      await noLeaks(() => {
        using same = Pidfd.open(s.pid, { id: p.id });
        assert.equal(same.id, p.id);
        assert.throws(
          () => Pidfd.open(s.pid, { id: p.id + 1n }),
          syscallError("ESRCH", new RegExp(`pid ${s.pid} is now another process`)),
        );
        assert.throws(() => Pidfd.open(s.pid, { id: 5 as unknown as bigint }), TypeError);
        assert.throws(() => Pidfd.open(s.pid, { id: 0n }), RangeError);
        assert.throws(() => Pidfd.open(s.pid, { id: 1n << 64n }), RangeError);
      });
      const tid = Number(listDir("/proc/self/task").find((t) => Number(t) !== self));
      using t = Pidfd.open(tid, { thread: true });
      using tAgain = Pidfd.open(tid, { thread: true, id: t.id });
      assert.equal(tAgain.pid, tid);
      await s.kill();
      assert.throws(() => Pidfd.open(s.pid, { id: p.id }), syscallError("ESRCH"));
    } finally {
      await s.kill();
    }
  });

  test("{ ns } in a nested container is what `nsenter -t <init> -p` sees as that pid", {
    skip: needsRoot,
  }, async () => {
    // Two levels: an outer container whose init starts an inner one; each runs marked sleepers.
    const marker = `${self}${Date.now() % 100000}`;
    const script = `sleep 6${marker} & exec unshare --pid --fork --mount-proc --kill-child sh -c ` +
      `'sleep 7${marker} & sleep 8${marker} & wait'`;
    const outer = await started("unshare", [...CONTAINER, "sh", "-c", script]);
    try {
      // A process of each level that stays in that level's mount namespace (with its /proc).
      const byCmdline = (cmd: string): number | undefined =>
        [...pidsIn("/proc")].find((pid) => {
          try {
            return readText(`/proc/${pid}/cmdline`) === cmd;
          } catch {
            return false;
          }
        });
      let levels: [number | undefined, number | undefined] = [undefined, undefined];
      for (let i = 0; i < 400 && levels.includes(undefined); i++) {
        levels = [byCmdline(`sleep\x006${marker}\x00`), byCmdline(`sleep\x007${marker}\x00`)];
        if (levels.includes(undefined)) await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(!levels.includes(undefined), "both levels started");
      for (const [init, label] of [[levels[0]!, "outer"], [levels[1]!, "inner"]] as const) {
        using ns = PidNamespace.of(init);
        const listing = run("nsenter", [
          "-t",
          String(init),
          "-p",
          "-m",
          "sh",
          "-c",
          'for d in /proc/[0-9]*; do printf "%s %s\\n" "${d#/proc/}" "$(tr "\\0" " " < $d/cmdline)"; done',
        ]);
        let checked = 0;
        for (const line of listing.trim().split("\n")) {
          const [pidText, ...cmd] = line.split(" ");
          const command = cmd.join(" ").trim();
          if (!command.includes(marker)) continue;
          await noLeaks(() => {
            using p = Pidfd.open(Number(pidText), { ns });
            using dir = p.openProcDir();
            assert.equal(
              dir.readText("cmdline").replaceAll("\0", " ").trim(),
              command,
              `${label} pid ${pidText}`,
            );
            assert.equal(ns.fromCaller(p.pid), Number(pidText));
            using withId = Pidfd.open(Number(pidText), { ns, id: p.id, thread: true });
            assert.equal(withId.pid, p.pid);
            assert.throws(() => Pidfd.open(Number(pidText), { ns, id: p.id + 1n }), syscallError("ESRCH"));
          });
          checked++;
        }
        assert.ok(checked >= 2, `${label}: ${listing}`);
        assert.throws(() => Pidfd.open(99999, { ns }), syscallError("ESRCH"));
      }
      await noLeaks(() => {
        assert.throws(() => Pidfd.open(1, { ns: {} as PidNamespace }), TypeError);
        const closed = PidNamespace.current();
        closed.close();
        assert.throws(() => Pidfd.open(1, { ns: closed }), TypeError);
      });
    } finally {
      await outer.kill();
    }
  });
});

describe("Pidfd.fromFd", () => {
  test("adopts a duplicate of a pidfd; the caller's fd stays open and the caller's", async () => {
    using p = Pidfd.self();
    await noLeaks(() => {
      using adopted = Pidfd.fromFd(p.fd);
      assert.notEqual(adopted.fd, p.fd);
      assert.ok(adopted.equals(p));
      assert.equal(adopted.pid, self);
      assert.equal(libc.fcntl(adopted.fd, F_GETFD, 0) & 1, 1, "close-on-exec");
    });
    assert.ok(libc.fcntl(p.fd, F_GETFD, 0) >= 0, "the original is still open");
    const tid = Number(listDir("/proc/self/task").find((t) => Number(t) !== self));
    using t = Pidfd.open(tid, { thread: true });
    using tAdopted = Pidfd.fromFd(t.fd);
    assert.equal(tAdopted.pid, tid);
  });

  test("anything else is a TypeError and is not closed", async () => {
    const net = libc.openat(AT_FDCWD, cPath("/proc/self/ns/net")!, O_RDONLY | O_CLOEXEC, 0);
    const file = libc.openat(AT_FDCWD, cPath("/proc/self/status")!, O_RDONLY | O_CLOEXEC, 0);
    try {
      await noLeaks(() => {
        for (const fd of [net, file, 0]) {
          assert.throws(() => Pidfd.fromFd(fd), { name: "TypeError", message: `fd ${fd} is not a pidfd` });
          assert.ok(libc.fcntl(fd, F_GETFD, 0) >= 0, `fd ${fd} is still open`);
        }
        assert.throws(() => Pidfd.fromFd(-1), RangeError);
        assert.throws(() => Pidfd.fromFd(1.5), RangeError);
        assert.throws(() => Pidfd.fromFd("3" as unknown as number), TypeError);
        assert.throws(() => Pidfd.fromFd(100000), syscallError("EBADF"));
      });
    } finally {
      libc.close(net);
      libc.close(file);
    }
  });

  test("a pidfd of a reaped process is ESRCH", async () => {
    const s = await sleeper();
    using p = Pidfd.open(s.pid);
    await s.kill();
    await noLeaks(() => assert.throws(() => Pidfd.fromFd(p.fd), syscallError("ESRCH")));
  });
});

describe("processes()", () => {
  test("yields the pids a direct /proc scan shows, other PID namespaces included", {
    skip: needsRoot,
  }, async () => {
    const container = await started("unshare", [...CONTAINER, "sleep", "60"]);
    const plain = await sleeper();
    try {
      const inner = await firstChild(container.pid);
      await execed(inner, "sleep");
      await noLeaks(() => {
        const before = pidsIn("/proc");
        const got: number[] = [];
        for (using p of processes()) {
          got.push(p.pid);
          if (p.pid === inner) assert.deepEqual(p.nspid(), [inner, 1]);
        }
        const after = pidsIn("/proc");
        const set = new Set(got);
        assert.equal(set.size, got.length, "each once");
        for (const pid of before) if (after.has(pid)) assert.ok(set.has(pid), `pid ${pid} missing`);
        for (const pid of set) assert.ok(before.has(pid) || after.has(pid), `pid ${pid} never listed`);
        for (const pid of [self, plain.pid, container.pid, inner]) assert.ok(set.has(pid), `${pid}`);
      });
    } finally {
      await plain.kill();
      await container.kill();
    }
  });

  test("with threads: one thread pidfd per task", async () => {
    await noLeaks(() => {
      const tasks = (): Set<number> => {
        const all = new Set<number>();
        for (const pid of pidsIn("/proc")) {
          try {
            for (const t of listDir(`/proc/${pid}/task`)) all.add(Number(t));
          } catch { /* exited */ }
        }
        return all;
      };
      const before = tasks();
      const got = new Set<number>();
      for (using t of processes({ threads: true })) {
        got.add(t.pid);
        if (t.pid === self) assert.equal(libc.fcntl(t.fd, F_GETFL, 0) & PIDFD_THREAD, PIDFD_THREAD);
      }
      const after = tasks();
      for (const tid of before) if (after.has(tid)) assert.ok(got.has(tid), `tid ${tid} missing`);
      for (const tid of listDir("/proc/self/task").map(Number)) {
        if (before.has(tid)) assert.ok(got.has(tid), `own thread ${tid}`);
      }
      assert.ok(got.size > pidsIn("/proc").size / 2);
    });
  });

  test("{ ns } yields what the container's own /proc lists", { skip: needsRoot }, async () => {
    const container = await started("unshare", [
      ...CONTAINER,
      "sh",
      "-c",
      "sleep 60 & sleep 61 & exec sleep 62",
    ]);
    try {
      const init = await firstChild(container.pid);
      await execed(init, "sleep");
      for (let i = 0; i < 400 && pidsIn(`/proc/${init}/root/proc`).size < 3; i++) {
        await new Promise((r) => setTimeout(r, 5));
      }
      using ns = PidNamespace.of(init);
      await noLeaks(() => {
        const inside = [...pidsIn(`/proc/${init}/root/proc`)].sort((a, b) => a - b);
        const got: number[] = [];
        for (using p of processes({ ns })) got.push(ns.fromCaller(p.pid));
        assert.deepEqual(got.sort((a, b) => a - b), inside);
        assert.equal(inside.length, 3);
        const threads: number[] = [];
        for (using t of processes({ ns, threads: true })) threads.push(ns.fromCaller(t.pid));
        assert.deepEqual(threads.sort((a, b) => a - b), inside, "single-threaded sleepers");
      });
    } finally {
      await container.kill();
    }
  });

  test("breaking out closes the scan; bad options are a TypeError", async () => {
    await noLeaks(() => {
      for (using p of processes()) {
        assert.ok(p.pid > 0);
        break;
      }
      const it = processes();
      it.next().value?.close();
      it.return?.();
      assert.equal(it.next().done, true);
      assert.throws(() => processes({ threads: "yes" as unknown as boolean }), TypeError);
      assert.throws(() => processes({ ns: {} as PidNamespace }), TypeError);
      assert.throws(() => processes(5 as unknown as undefined), TypeError);
    });
  });
});

describe("namespaces()", () => {
  test(
    "namespaces('net') contains every net namespace `lsns -t net` shows",
    { skip: needsRoot },
    async () => {
      const dir = mkdtempSync("/tmp/pidfd-netns-");
      const held = await started("unshare", ["--net", "sleep", "60"]);
      let bound = false;
      try {
        writeFileSync(`${dir}/ns`, "");
        // A net namespace that only a bind mount keeps alive (what `ip netns add` makes).
        bound = spawnSync("unshare", [`--net=${dir}/ns`, "true"]).status === 0;
        await execed(held.pid, "sleep");
        const shown = run("lsns", ["-t", "net", "-n", "-o", "NS"]).trim().split("\n").map(Number);
        // Child processes before the fd snapshot: Bun closes the pipes of a finished child lazily.
        const heldInode = Number(run("stat", ["-L", "-c", "%i", `/proc/${held.pid}/ns/net`]).trim());
        await noLeaks(() => {
          const inodes: number[] = [];
          const ids = new Set<bigint>();
          for (using ns of namespaces("net")) {
            assert.equal(ns.kind, "net");
            assert.ok(!ids.has(ns.id), "each once");
            ids.add(ns.id);
            inodes.push(ns.inode);
          }
          for (const inode of shown) assert.ok(inodes.includes(inode), `net namespace ${inode} (lsns)`);
          assert.ok(inodes.includes(heldInode), "the namespace of a process");
        });
        if (bound) {
          const inode = Number(run("stat", ["-L", "-c", "%i", `${dir}/ns`]).trim());
          const found: number[] = [];
          for (using ns of namespaces("net")) found.push(ns.inode);
          assert.ok(found.includes(inode), "the bind-mounted namespace");
        }
      } finally {
        await held.kill();
        if (bound) spawnSync("umount", [`${dir}/ns`]);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  test("every kind: the right types, each namespace once; pid_for_children counts as pid", async () => {
    await noLeaks(() => {
      const seen = new Map<string, Set<bigint>>();
      for (using ns of namespaces()) {
        const ids = seen.get(ns.kind) ?? new Set();
        assert.ok(!ids.has(ns.id), `${ns.kind} ${ns.id} once`);
        ids.add(ns.id);
        seen.set(ns.kind, ids);
      }
      for (const kind of ["mnt", "net", "pid", "user", "uts", "ipc", "cgroup"]) {
        assert.ok(seen.has(kind), kind);
      }
      using mine = PidNamespace.current();
      const pids: bigint[] = [];
      for (using pidNs of namespaces("pid_for_children")) {
        assert.equal(pidNs.kind, "pid");
        pids.push(pidNs.id);
      }
      assert.ok(pids.includes(mine.id));
      assert.throws(() => namespaces("bogus" as "net"), TypeError);
      assert.equal(supports().listns, false, "Linux 6.18 has no listns (6.19)");
    });
  });
});
