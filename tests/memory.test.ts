/**
 * Another process's memory: `memoryMaps()`, `adviseMemory()` (process_madvise) and `releaseMemory()`
 * (process_mrelease) against real victims (`fixtures/memory_victim.c`, compiled here with cc), with the
 * ground truth from `/proc/<pid>/maps`, `status`, `smaps` and `/proc/meminfo`.
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { isDeepStrictEqual } from "node:util";
import { type MemoryMap, Pidfd, supports, SyscallError } from "../mod.ts";
import { libc } from "../ffi/mod.ts";
import { listDir, readText } from "../src/procfs.ts";
import {
  asNobody,
  isRoot,
  needsRoot,
  nobodyCopy,
  nobodyScript,
  run,
  sleeper,
  statusInts,
  zombie,
} from "./helpers.ts";

const MiB = 1024 * 1024;
const PAGE = libc.getpagesize();
const source = new URL("./fixtures/memory_victim.c", import.meta.url).pathname;
const hasCc = spawnSync("cc", ["--version"]).status === 0;
const noCc = hasCc ? false : "needs a C compiler (cc) for the victim process";

let dir = "";
let victimBinary = "";
let dataFile = "";

/** A running victim: its pid, the mapping it touched, and its cleanup. */
interface Victim {
  readonly pid: number;
  readonly start: bigint;
  readonly end: bigint;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the victim in `mode` with `mib` MiB and resolves once every page is touched. */
async function victim(mode: "file" | "anon" | "reserve", mib: number): Promise<Victim> {
  const child = spawn(victimBinary, [mode, String(mib), ...(mode === "file" ? [dataFile] : [])], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exit = once(child, "exit");
  const [line] = await once(child.stdout!, "data") as [Uint8Array];
  const [start, end] = String(line).trim().split(" ").map((h) => BigInt(`0x${h}`));
  return {
    pid: child.pid!,
    start: start!,
    end: end!,
    child,
    async stop(): Promise<void> {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exit;
    },
  };
}

/** Ground truth: `/proc/<pid>/maps` as `cat` prints it, parsed here independently of the library. */
function procMaps(pid: number): MemoryMap[] {
  return run("cat", [`/proc/${pid}/maps`]).trim().split("\n").map((line) => {
    const [range, permissions, offset, device, inode, ...rest] = line.split(/ +/);
    const [start, end] = range!.split("-").map((h) => BigInt(`0x${h}`));
    const path = rest.join(" ");
    return {
      start: start!,
      end: end!,
      permissions: permissions!,
      offset: BigInt(`0x${offset}`),
      device: device!,
      inode: Number(inode),
      path: path === "" ? null : path,
    };
  });
}

/** `RssFile` of `/proc/<pid>/status`, in kB. */
function rssFile(pid: number): number {
  return statusInts(pid, "RssFile")[0]!;
}

/** A field (kB) of the `/proc/<pid>/smaps` entry of the mapping that starts at `start`. */
function smapsField(pid: number, start: bigint, key: string): number {
  const text = readText(`/proc/${pid}/smaps`);
  const at = text.indexOf(`${start.toString(16)}-`);
  assert.notEqual(at, -1, `no mapping at ${start.toString(16)}`);
  const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, "m").exec(text.slice(at));
  return Number(m![1]);
}

function memAvailable(): number {
  return Number(/^MemAvailable:\s+(\d+) kB$/m.exec(readText("/proc/meminfo"))![1]);
}

function exists(path: string): boolean {
  const slash = path.lastIndexOf("/");
  try {
    return listDir(path.slice(0, slash)).includes(path.slice(slash + 1));
  } catch {
    return false;
  }
}

/** Writes a file through the shell: the tests run without Deno's write permission. */
function writeFile(path: string, text: string): void {
  run("sh", ["-c", 'printf %s "$1" > "$2"', "sh", text, path]);
}

function errorOf(fn: () => unknown): SyscallError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SyscallError) return e;
    throw e;
  }
  assert.fail("expected a SyscallError");
}

describe("memory control", () => {
  before(() => {
    if (!hasCc) return;
    dir = run("mktemp", ["-d", "/tmp/pidfd-memory-XXXXXX"]).trim();
    victimBinary = `${dir}/memory_victim`;
    dataFile = `${dir}/data`;
    const cc = spawnSync("cc", ["-O2", "-o", victimBinary, source], { encoding: "utf8" });
    assert.equal(cc.status, 0, cc.stderr);
    // A 256 MiB file on a disk filesystem (pages of tmpfs could not be paged out without swap).
    run("truncate", ["-s", "256M", dataFile]);
  });
  after(() => {
    if (dir !== "") run("rm", ["-rf", dir]);
  });

  test("supports() reports both syscalls on this kernel (5.10 and 5.15)", () => {
    const [major, minor] = readText("/proc/sys/kernel/osrelease").split(".").map(Number);
    const version = major! * 1000 + minor!;
    assert.equal(supports().processMadvise, version >= 5010);
    assert.equal(supports().processMrelease, version >= 5015);
  });

  test("memoryMaps() equals /proc/<pid>/maps, for a child and for the caller", async () => {
    const s = await sleeper();
    try {
      using pidfd = Pidfd.open(s.pid);
      // Compared once the maps are stable around the read: a just-started `sleep` may still be loading.
      let maps: MemoryMap[] = [];
      let stable = false;
      for (let i = 0; i < 100 && !stable; i++) {
        const truth = procMaps(s.pid);
        maps = pidfd.memoryMaps();
        stable = isDeepStrictEqual(truth, procMaps(s.pid));
        if (stable) assert.deepEqual(maps, truth);
        else await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(stable, "the maps never settled");
      assert.ok(maps.some((m) => m.path === "[stack]"));
      const text = maps.find((m) => m.path?.endsWith("/sleep") && m.permissions === "r-xp");
      assert.ok(text !== undefined && text.inode > 0 && text.offset > 0n, "the text of sleep");
    } finally {
      await s.kill();
    }
    using self = Pidfd.self();
    const mine = self.memoryMaps();
    assert.ok(mine.some((m) => m.path === "[heap]" || m.path === "[stack]"));
  });

  test("a zombie has no mappings and its memory is gone; a reaped process is ESRCH everywhere", async () => {
    const z = await zombie();
    try {
      using pidfd = Pidfd.open(z.pid);
      assert.deepEqual(pidfd.memoryMaps(), []);
      assert.equal(errorOf(() => pidfd.adviseMemory("cold")).code, "ESRCH");
      assert.equal(errorOf(() => pidfd.releaseMemory()).code, "ESRCH");
    } finally {
      await z.parent.kill();
    }
    const s = await sleeper();
    using pidfd = Pidfd.open(s.pid);
    await s.kill(); // reaped by the runtime
    assert.equal(errorOf(() => pidfd.memoryMaps()).code, "ESRCH");
    assert.equal(errorOf(() => pidfd.adviseMemory("pageout")).code, "ESRCH");
    assert.equal(
      errorOf(() => pidfd.adviseMemory("cold", [{ start: BigInt(PAGE), end: BigInt(2 * PAGE) }])).code,
      "ESRCH",
    );
    assert.equal(errorOf(() => pidfd.releaseMemory()).code, "ESRCH");
  });

  test(
    "pageout of a touched 256 MiB file mapping drops its RssFile by at least 90%",
    { skip: noCc },
    async () => {
      const v = await victim("file", 256);
      try {
        using pidfd = Pidfd.open(v.pid);
        const mapping = pidfd.memoryMaps().find((m) => m.start === v.start)!;
        assert.equal(mapping.end, v.end);
        assert.equal(mapping.path, dataFile);
        const before = rssFile(v.pid);
        assert.ok(before >= 256 * 1024 * 0.95, `RssFile ${before} kB before`);
        assert.equal(pidfd.adviseMemory("pageout", [mapping]), 256 * MiB);
        const after = rssFile(v.pid);
        assert.ok(after <= before - 256 * 1024 * 0.9, `RssFile ${before} kB -> ${after} kB`);
      } finally {
        await v.stop();
      }
    },
  );

  test(
    "more ranges than IOV_MAX go in batches: 4096 pieces of 64 KiB, all paged out",
    { skip: noCc },
    async () => {
      const v = await victim("file", 256);
      try {
        using pidfd = Pidfd.open(v.pid);
        const piece = 64n * 1024n;
        const pieces = function* (): Generator<{ start: bigint; end: bigint }> {
          for (let at = v.start; at < v.end; at += piece) yield { start: at, end: at + piece };
        };
        const before = rssFile(v.pid);
        assert.equal(pidfd.adviseMemory("pageout", pieces()), 256 * MiB);
        assert.ok(rssFile(v.pid) <= before - 256 * 1024 * 0.9);
      } finally {
        await v.stop();
      }
    },
  );

  test("a 3 GiB range (over the kernel's 2 GiB per call) is advised in full, continuing mid-range", {
    skip: noCc,
  }, async () => {
    const v = await victim("reserve", 3072);
    try {
      using pidfd = Pidfd.open(v.pid);
      assert.equal(pidfd.adviseMemory("cold", [{ start: v.start, end: v.end }]), 3072 * MiB);
    } finally {
      await v.stop();
    }
  });

  test("a range the kernel refuses stops there: earlier ranges stay advised, later ones are not", {
    skip: noCc,
  }, async () => {
    const v = await victim("file", 256);
    try {
      using pidfd = Pidfd.open(v.pid);
      const middle = v.start + (v.end - v.start) / 2n;
      const unmapped = { start: BigInt(PAGE), end: BigInt(2 * PAGE) }; // below mmap_min_addr: never mapped
      const before = rssFile(v.pid);
      const e = errorOf(() =>
        pidfd.adviseMemory("pageout", [{ start: v.start, end: middle }, unmapped, {
          start: middle,
          end: v.end,
        }])
      );
      assert.equal(e.code, "ENOMEM");
      assert.match(e.message, /not mapped/);
      const after = rssFile(v.pid);
      assert.ok(after <= before - 128 * 1024 * 0.9, `first half paged out: ${before} -> ${after} kB`);
      assert.ok(after >= 128 * 1024 * 0.9, `second half still resident: ${after} kB`);
    } finally {
      await v.stop();
    }
  });

  test(
    "cold on touched anonymous memory clears its referenced pages (smaps Referenced)",
    { skip: noCc },
    async () => {
      // Since Linux 5.9 new anonymous pages start on the inactive list, and without swap nothing pages them
      // out: Active(anon)/Inactive(anon) cannot move here. What MADV_COLD visibly does to them is clear their
      // accessed bits and deactivate them, which smaps counts as Referenced.
      const v = await victim("anon", 256);
      try {
        using pidfd = Pidfd.open(v.pid);
        const before = smapsField(v.pid, v.start, "Referenced");
        assert.ok(before >= 256 * 1024 * 0.9, `Referenced ${before} kB before`);
        assert.equal(
          pidfd.adviseMemory("cold", pidfd.memoryMaps().filter((m) => m.start === v.start)),
          256 * MiB,
        );
        const after = smapsField(v.pid, v.start, "Referenced");
        assert.ok(after <= before * 0.1, `Referenced ${before} kB -> ${after} kB`);
        assert.ok(smapsField(v.pid, v.start, "Rss") >= 256 * 1024 * 0.95, "still resident (no swap)");
      } finally {
        await v.stop();
      }
    },
  );

  test(
    "adviseMemory() without ranges advises every mapping but [vsyscall] and [vvar]",
    { skip: noCc },
    async () => {
      const v = await victim("file", 256);
      try {
        using pidfd = Pidfd.open(v.pid);
        const total = procMaps(v.pid).filter((m) =>
          !["[vsyscall]", "[vvar]", "[vvar_vclock]"].includes(m.path!)
        )
          .reduce((sum, m) => sum + Number(m.end - m.start), 0);
        const before = rssFile(v.pid);
        const advised = pidfd.adviseMemory("pageout");
        assert.ok(advised >= 256 * MiB && advised <= total, `${advised} of ${total}`);
        assert.ok(rssFile(v.pid) <= before - 256 * 1024 * 0.9);
        assert.ok(pidfd.adviseMemory("willneed") > 0);
      } finally {
        await v.stop();
      }
    },
  );

  test("bad advice is a TypeError and bad ranges a RangeError, before any syscall; empty ranges are 0", {
    skip: noCc,
  }, async () => {
    const v = await victim("file", 256);
    try {
      using pidfd = Pidfd.open(v.pid);
      const whole = { start: v.start, end: v.end };
      const untouched = {
        [Symbol.iterator](): never {
          throw new Error("ranges must not be read for a bad advice");
        },
      };
      for (const advice of ["dontneed", "free", "COLD", "", 20, null, undefined]) {
        assert.throws(() => pidfd.adviseMemory(advice as "cold", untouched), TypeError, String(advice));
      }
      assert.throws(() => pidfd.adviseMemory("cold", 5 as unknown as []), TypeError);
      assert.throws(() => pidfd.adviseMemory("cold", null as unknown as []), TypeError);
      const page = BigInt(PAGE);
      const bad: unknown[] = [
        { start: Number(v.start), end: v.end },
        { start: v.start, end: String(v.end) },
        { start: v.start, end: v.start },
        { start: v.end, end: v.start },
        { start: v.start + 1n, end: v.end },
        { start: -page, end: page },
        { start: 0n, end: (1n << 64n) + page },
        null,
        42,
      ];
      const before = rssFile(v.pid);
      for (const range of bad) {
        // A valid range first: nothing at all is advised when a later one is bad.
        assert.throws(() => pidfd.adviseMemory("pageout", [whole, range as MemoryMap]), RangeError);
      }
      assert.ok(rssFile(v.pid) >= before * 0.95, "nothing was paged out");
      assert.equal(pidfd.adviseMemory("pageout", []), 0);
      assert.equal(pidfd.adviseMemory("pageout", new Set()), 0);
      assert.ok(rssFile(v.pid) >= before * 0.95);
      // An unaligned end is rounded up to a page, as the kernel does.
      assert.equal(pidfd.adviseMemory("cold", [{ start: v.start, end: v.start + 1n }]), PAGE);
      pidfd.close();
      assert.throws(() => pidfd.adviseMemory("cold", [whole]), TypeError);
      assert.throws(() => pidfd.memoryMaps(), TypeError);
      assert.throws(() => pidfd.releaseMemory(), TypeError);
    } finally {
      await v.stop();
    }
  });

  test("ranges are read once; a re-entrant call works; closing the pidfd while iterating is a TypeError", {
    skip: noCc,
  }, async () => {
    const v = await victim("file", 256);
    try {
      using pidfd = Pidfd.open(v.pid);
      const middle = v.start + (v.end - v.start) / 2n;
      let reads = 0;
      const counted = {
        get start(): bigint {
          reads++;
          return v.start;
        },
        end: middle,
      };
      let inner = 0;
      const reentrant = function* (): Generator<{ start: bigint; end: bigint }> {
        yield counted;
        inner = pidfd.adviseMemory("cold", [{ start: middle, end: v.end }]);
        yield { start: middle, end: v.end };
      };
      assert.equal(pidfd.adviseMemory("pageout", reentrant()), 256 * MiB);
      assert.equal(reads, 1);
      assert.equal(inner, 128 * MiB);
      using other = Pidfd.open(v.pid);
      const closing = function* (): Generator<{ start: bigint; end: bigint }> {
        yield { start: v.start, end: v.end };
        other.close();
      };
      assert.throws(() => other.adviseMemory("cold", closing()), TypeError);
    } finally {
      await v.stop();
    }
  });

  test("releaseMemory() of a live process is EINVAL, saying to kill it first", async () => {
    const s = await sleeper();
    try {
      using pidfd = Pidfd.open(s.pid);
      const e = errorOf(() => pidfd.releaseMemory());
      assert.equal(e.code, "EINVAL");
      assert.match(e.message, /must be killed first/);
      assert.equal(pidfd.isAlive(), true);
    } finally {
      await s.kill();
    }
  });

  test("SIGKILL then releaseMemory() frees 1 GiB before the exit completes", { skip: noCc }, async () => {
    const v = await victim("anon", 1024);
    // Frozen (cgroup v1 freezer), the killed victim cannot finish its exit until thawed: the memory then comes
    // back through process_mrelease alone. Without the freezer (not root), only the release is checked.
    const freezer = `/sys/fs/cgroup/freezer/pidfd-memory-${v.pid}`;
    const frozen = isRoot && exists("/sys/fs/cgroup/freezer/tasks");
    try {
      using pidfd = Pidfd.open(v.pid);
      if (frozen) {
        run("mkdir", [freezer]);
        writeFile(`${freezer}/tasks`, String(v.pid));
        writeFile(`${freezer}/freezer.state`, "FROZEN");
        while (readText(`${freezer}/freezer.state`).trim() !== "FROZEN") {
          await new Promise((r) => setTimeout(r, 5));
        }
      }
      assert.ok(statusInts(v.pid, "RssAnon")[0]! >= 1024 * 1024 * 0.95);
      const available = memAvailable();
      pidfd.sendSignal("SIGKILL");
      pidfd.releaseMemory();
      const regained = memAvailable() - available;
      if (frozen) {
        assert.equal(pidfd.isAlive(), true, "the exit has not completed");
        assert.ok(statusInts(v.pid, "RssAnon")[0]! <= 1024 * 0.1 * 1024, "its memory is gone");
        assert.ok(regained >= 768 * 1024, `MemAvailable rose by ${regained} kB`);
        writeFile(`${freezer}/freezer.state`, "THAWED");
      }
      await pidfd.wait({ timeout: 10_000 });
    } finally {
      // Thawed first, also after a failed assertion: a frozen victim never finishes its exit.
      if (frozen && exists(freezer)) writeFile(`${freezer}/freezer.state`, "THAWED");
      await v.stop();
      if (frozen && exists(freezer)) run("rmdir", [freezer]);
    }
  });

  test(
    "as nobody against a root process: EACCES naming PTRACE_MODE_READ; own process: EPERM naming CAP_SYS_NICE",
    {
      skip: needsRoot,
    },
    async () => {
      const s = await sleeper();
      try {
        // A checkout under a directory only root may enter is out of nobody's reach in place.
        using copy = nobodyCopy();
        {
          const [command, ...args] = asNobody(copy.home, [
            ...nobodyScript(copy, "tests/fixtures/memory_unprivileged.ts"),
            String(s.pid),
          ]);
          const r = spawnSync(command!, args, { encoding: "utf8", cwd: copy.home, timeout: 60_000 });
          assert.equal(r.status, 0, r.stderr);
          const result = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
          assert.equal(result.uid, 65534);
          assert.equal(result.rootMaps.code, "EACCES");
          assert.match(result.rootMaps.message, /PTRACE_MODE_READ/);
          assert.equal(result.rootAdvise.code, "EACCES");
          assert.match(result.rootAdvise.message, /PTRACE_MODE_READ.*CAP_SYS_NICE/);
          assert.equal(result.rootRelease.code, "EINVAL"); // holding the pidfd is enough to be told
          assert.ok(result.ownMaps > 0);
          assert.equal(result.ownAdvise.code, "EPERM");
          assert.match(result.ownAdvise.message, /CAP_SYS_NICE/);
          assert.equal(result.selfAdvise, PAGE); // on itself no privilege is needed
        }
      } finally {
        await s.kill();
      }
    },
  );
});
