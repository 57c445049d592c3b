import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import process, { env, memoryUsage } from "node:process";
import { after, before, describe, test } from "node:test";
import {
  Namespace,
  Pidfd,
  PidNamespace,
  supports,
  SyscallError,
  translatePid,
  type TranslationMethod,
  UnsupportedError,
} from "../mod.ts";
import { Errno, libc, PID_NS_INIT_INO } from "../ffi/mod.ts";
import { direction, ioctlOutcome } from "../src/pid_translate.ts";
import { notFoundError } from "../src/translation_errors.ts";
import { listDir, readText } from "../procfs.ts";
import {
  asNobody,
  fdSnapshot,
  fdsOpenedSince,
  IDLE_WORKER,
  isBun,
  isRoot,
  needsRoot,
  nobodyCopy,
  nobodyScript,
  ownThread,
  run,
  runtime,
  sleeper,
  statusInts,
  withHiddenFeatures,
  workerThread,
} from "./helpers.ts";

const METHODS = ["ioctl", "fdinfo", "procfs"] as const;
const self = libc.getpid();

// The first translation opens the caller's own PID namespace and keeps it: do it before any fd count.
translatePid(self);

/** Whether the tests run in the initial PID namespace; inside a container, levels are hidden (EPERM). */
const inInitialPidns: boolean = (() => {
  using mine = PidNamespace.current();
  return mine.inode === PID_NS_INIT_INO;
})();

/** `ns.level`, or "EPERM" when the caller runs in a child PID namespace and the kernel hides it. */
function levelOf(ns: PidNamespace): number | string {
  try {
    return ns.level;
  } catch (e) {
    if (e instanceof SyscallError && e.code === "EPERM" && !inInitialPidns) return "EPERM";
    throw e;
  }
}

/** The level a namespace `depth` levels below the caller's reports. */
const expectedLevel = (depth: number): number | string => inInitialPidns ? depth : "EPERM";

// ---------------------------------------------------------------------------------------------------------
// Ground truth and process trees

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function poll<T>(what: string, fn: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

function tryRead(path: string): string | null {
  try {
    return readText(path);
  } catch {
    return null;
  }
}

/** The host pid of the process whose command line is exactly `args`. */
function byCmdline(...args: string[]): number | undefined {
  const want = args.join("\0") + "\0";
  for (const name of listDir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    if (tryRead(`/proc/${name}/cmdline`) === want) return Number(name);
  }
  return undefined;
}

function children(pid: number): number[] {
  const text = tryRead(`/proc/${pid}/task/${pid}/children`)?.trim() ?? "";
  return text === "" ? [] : text.split(/\s+/).map(Number);
}

function isZombie(pid: number): boolean {
  return tryRead(`/proc/${pid}/status`)?.includes("State:\tZ") ?? false;
}

function gone(pid: number): boolean {
  return tryRead(`/proc/${pid}/status`) === null;
}

/** A task (process or thread) with its ground truth from `/proc/<pid>/status` (host view). */
interface Task {
  readonly name: string;
  /** Host pid (the tid for a thread). */
  readonly pid: number;
  readonly nspid: number[];
  readonly nstgid: number[];
  /** Which namespace tree it lives in: the host's only, tree "A" (three levels) or sibling "B". */
  readonly tree: "host" | "A" | "B";
}

function task(name: string, pid: number, tree: Task["tree"]): Task {
  return { name, pid, nspid: statusInts(pid, "NSpid"), nstgid: statusInts(pid, "NStgid"), tree };
}

/** A PID namespace under test, with where it sits. */
interface View {
  readonly name: string;
  readonly ns: PidNamespace;
  readonly tree: Task["tree"];
  readonly level: number;
  /** Host pid of its init. */
  readonly init: number;
}

/** Index of `t`'s chains that holds its pid in `v`, or -1 when `t` is not visible there. */
function indexIn(t: Task, v: View): number {
  if (v.level === 0) return 0;
  return t.tree === v.tree && t.nspid.length > v.level ? v.level : -1;
}

/**
 * A marker for `sleep` command lines that is unique to this run and also a duration: "600.<5 digits>" plus
 * suffixes stays about ten minutes, so even processes orphaned by a killed test run end on their own (the init
 * of each namespace is such a `sleep`; when it exits, the kernel kills the rest of its namespace).
 */
function uniqueMarker(): string {
  return `600.${10000 + Math.floor(Math.random() * 89999)}`;
}

/** A spawned process whose exit is awaited on cleanup. */
interface Spawned {
  readonly child: ChildProcess;
  kill(): Promise<void>;
}

function spawnTracked(command: string, args: string[], extraEnv?: Record<string, string>): Spawned {
  const child = spawn(command, args, {
    stdio: "ignore",
    ...(extraEnv ? { env: { ...env, ...extraEnv } } : {}),
  });
  const exit = once(child, "exit");
  return {
    child,
    async kill(): Promise<void> {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exit;
    },
  };
}

// Level k (1..depth) runs this as pid 1 of its namespace: a sleeper, a zombie under a parent that never reaps,
// then the next level (`unshare` becomes this level's init) or, at the bottom, a multithreaded runtime and a
// final `sleep` as init. `--kill-child` makes every level die with the one above.
const TREE_SCRIPT = `
level=$1 depth=$2 m=$3
sleep "$m\${level}1" &
sh -c 'sleep 0 & exec sleep "$0"' "$m\${level}2" &
if [ "$level" -lt "$depth" ]; then
  exec unshare --pid --fork --mount-proc --kill-child sh -c "$TREE" tree $((level + 1)) "$depth" "$m"
fi
"$RUNTIME" $RUNTIME_EVAL "$IDLE_WORKER; setInterval(() => {}, 100000)" &
exec sleep "$m\${level}3"
`;

interface Trees {
  readonly spawned: Spawned[];
  readonly marker: string;
  readonly tasks: Task[];
  readonly views: View[];
  /** Host pids of the level-k sleeper (index k) of tree A. */
  readonly sleepers: number[];
  /** Host pid of the multithreaded runtime at the bottom of tree A. */
  readonly threaded: number;
  readonly sleeperB: number;
  close(): Promise<void>;
}

const DEPTH = 3;

async function buildTrees(): Promise<Trees> {
  const marker = uniqueMarker();
  const spawned: Spawned[] = [];
  const views: View[] = [];
  const stops: (() => void)[] = [];
  const close = async (): Promise<void> => {
    for (const stop of stops) stop();
    for (const v of views) v.ns.close();
    await Promise.all(spawned.map((s) => s.kill()));
  };
  try {
    const top = spawnTracked("unshare", [
      "--pid",
      "--fork",
      "--mount-proc",
      "--kill-child",
      "sh",
      "-c",
      TREE_SCRIPT,
      "tree",
      "1",
      String(DEPTH),
      marker,
    ], { TREE: TREE_SCRIPT, RUNTIME: runtime, RUNTIME_EVAL: isBun ? "-e" : "eval", IDLE_WORKER });
    spawned.push(top);
    const b = spawnTracked("unshare", [
      "--pid",
      "--fork",
      "--mount-proc",
      "--kill-child",
      "sh",
      "-c",
      `sleep ${marker}91 & exec sleep ${marker}92`,
    ]);
    spawned.push(b);

    const tasks: Task[] = [
      task("the test runtime", self, "host"),
      task("tree A's unshare", top.child.pid!, "host"),
    ];
    const thread = await ownThread();
    stops.push(thread.stop);
    tasks.push(task("a test runtime thread", thread.tid, "host"));
    const sleepers = [0];
    for (let k = 1; k <= DEPTH; k++) {
      const s = await poll(`level ${k} sleeper`, () => byCmdline("sleep", `${marker}${k}1`));
      const zp = await poll(`level ${k} zombie parent`, () => byCmdline("sleep", `${marker}${k}2`));
      const z = await poll(`level ${k} zombie`, () => children(zp).find(isZombie));
      const init = statusInts(s, "PPid")[0]!;
      sleepers.push(s);
      tasks.push(
        task(`level ${k} init`, init, "A"),
        task(`level ${k} sleeper`, s, "A"),
        task(`level ${k} zombie parent`, zp, "A"),
        task(`level ${k} zombie`, z, "A"),
      );
      views.push({ name: `level ${k}`, ns: PidNamespace.of(s), tree: "A", level: k, init });
    }
    const bottomInit = statusInts(sleepers[DEPTH]!, "PPid")[0]!;
    const threaded = await poll(
      "the multithreaded runtime",
      () => children(bottomInit).find((p) => tryRead(`/proc/${p}/cmdline`)?.startsWith(runtime)),
    );
    tasks.push(task("bottom runtime", threaded, "A"));
    const bottomThread = await poll("the bottom runtime's Worker thread", () => workerThread(threaded));
    tasks.push(task("bottom runtime thread", bottomThread, "A"));
    const sleeperB = await poll("tree B's sleeper", () => byCmdline("sleep", `${marker}91`));
    const initB = await poll("tree B's init", () => byCmdline("sleep", `${marker}92`));
    tasks.push(task("tree B sleeper", sleeperB, "B"), task("tree B init", initB, "B"));
    views.push({ name: "tree B", ns: PidNamespace.of(sleeperB), tree: "B", level: 1, init: initB });
    views.unshift({ name: "host", ns: PidNamespace.current(), tree: "host", level: 0, init: 1 });
    return { spawned, marker, tasks, views, sleepers, threaded, sleeperB, close };
  } catch (e) {
    await close();
    throw e;
  }
}

function isSyscallError(code: string, ...mentions: string[]): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof SyscallError, `expected a SyscallError, got ${e}`);
    assert.equal(e.code, code, e.message);
    for (const m of mentions) assert.ok(e.message.includes(m), `${JSON.stringify(e.message)} mentions ${m}`);
    return true;
  };
}

const label = (ns: PidNamespace): string => `pid:[${ns.inode}]`;

/** Runs `fn` and checks that it left no fd open. */
async function noLeaks(fn: () => void | Promise<void>): Promise<void> {
  const before = fdSnapshot();
  await fn();
  assert.deepEqual(fdsOpenedSince(before), [], "fds leaked");
}

// ---------------------------------------------------------------------------------------------------------

describe("PID namespace translation across nested namespaces", () => {
  let trees: Trees | undefined;

  before(async () => {
    if (isRoot) trees = await buildTrees();
  });
  after(async () => {
    await trees?.close();
  });

  test("the trees are what the tests assume", { skip: needsRoot }, () => {
    const { tasks, views } = trees!;
    for (const t of tasks) assert.equal(t.nspid[0], t.pid, t.name);
    const bottom = tasks.filter((t) => t.tree === "A" && t.nspid.length === DEPTH + 1);
    assert.ok(bottom.length >= 5, "processes at level 3");
    assert.ok(
      tasks.some((t) => t.nspid.length === DEPTH + 1 && t.nspid.at(-1) !== t.nstgid.at(-1)),
      "a thread",
    );
    assert.equal(views.length, DEPTH + 2);
  });

  test(
    "every method and both directions agree with NSpid/NStgid in /proc/<pid>/status",
    { skip: needsRoot },
    async () => {
      const { tasks, views } = trees!;
      await noLeaks(() => {
        for (const t of tasks) {
          for (const v of views) {
            const i = indexIn(t, v);
            for (const tgid of [false, true]) {
              const chain = tgid ? t.nstgid : t.nspid;
              const what = `${t.name} (${t.nspid.join(" ")}) in ${v.name}, tgid ${tgid}`;
              // caller → v
              if (i >= 0) {
                assert.equal(v.ns.fromCaller(t.pid, { tgid }), chain[i], what);
                for (const method of METHODS) {
                  assert.equal(
                    translatePid(t.pid, { to: v.ns, tgid, method }),
                    chain[i],
                    `${what} ${method}`,
                  );
                }
              } else {
                assert.throws(
                  () => v.ns.fromCaller(t.pid, { tgid }),
                  isSyscallError("ESRCH", label(v.ns)),
                  what,
                );
                for (const method of METHODS) {
                  assert.throws(
                    () => translatePid(t.pid, { to: v.ns, tgid, method }),
                    isSyscallError("ESRCH", label(v.ns)),
                    `${what} ${method}`,
                  );
                }
                continue;
              }
              // v → caller
              assert.equal(v.ns.toCaller(t.nspid[i]!, { tgid }), chain[0], what);
              for (const method of METHODS) {
                assert.equal(
                  translatePid(t.nspid[i]!, { from: v.ns, tgid, method }),
                  chain[0],
                  `${what} ${method}`,
                );
              }
            }
          }
        }
      });
    },
  );

  test(
    "translatePid() goes between any two namespaces, and names both when it cannot",
    { skip: needsRoot },
    async () => {
      const { tasks, views } = trees!;
      const deep = tasks.filter((t) => t.tree === "A" && t.nspid.length === DEPTH + 1);
      await noLeaks(() => {
        for (const t of [...deep, tasks.find((t) => t.tree === "B")!]) {
          for (const from of views) {
            const i = indexIn(t, from);
            if (i < 0) continue;
            for (const to of views) {
              const j = indexIn(t, to);
              for (const method of ["auto", ...METHODS] as const) {
                for (const tgid of [false, true]) {
                  const options = { from: from.ns, to: to.ns, tgid, method };
                  const what = `${t.name}: ${from.name} → ${to.name} ${method} tgid ${tgid}`;
                  if (j >= 0) {
                    assert.equal(translatePid(t.nspid[i]!, options), (tgid ? t.nstgid : t.nspid)[j], what);
                  } else {
                    assert.throws(
                      () => translatePid(t.nspid[i]!, options),
                      isSyscallError("ESRCH", label(from.ns), label(to.ns)),
                      what,
                    );
                  }
                }
              }
            }
          }
        }
      });
    },
  );

  test("a pid that exists nowhere is ESRCH in every method", { skip: needsRoot }, async () => {
    const { views } = trees!;
    let unused = 32767 - Math.floor(Math.random() * 100);
    while (!gone(unused)) unused--; // pids wrap: one below 32767 may be taken on a busy machine
    assert.ok(unused > 300);
    await noLeaks(() => {
      for (const v of views) {
        for (const method of METHODS) {
          for (const to of [true, false]) {
            assert.throws(
              () => translatePid(unused, to ? { to: v.ns, method } : { from: v.ns, method }),
              isSyscallError("ESRCH", String(unused)),
              `${v.name} ${method}`,
            );
          }
        }
      }
    });
  });

  test("level and parent() describe the tree", { skip: needsRoot }, async () => {
    const { views } = trees!;
    await noLeaks(() => {
      for (const v of views) {
        assert.equal(levelOf(v.ns), expectedLevel(v.level), v.name);
        using parent = v.ns.parent();
        if (v.level === 0) {
          assert.equal(parent, null);
          continue;
        }
        assert.ok(parent instanceof PidNamespace);
        const above = v.tree === "A"
          ? views.find((w) => w.tree !== "B" && w.level === v.level - 1)!
          : views[0]!;
        assert.ok(parent.equals(above.ns), v.name);
        assert.equal(levelOf(parent), expectedLevel(v.level - 1));
      }
    });
  });

  test("PID namespaces come back as PidNamespace from every constructor", { skip: needsRoot }, async () => {
    const { sleepers } = trees!;
    await noLeaks(() => {
      using pidfd = Pidfd.open(sleepers[2]!);
      using a = pidfd.namespace("pid");
      using b = pidfd.namespace("pid_for_children");
      using c = Namespace.open(`/proc/${sleepers[2]}/ns/pid`);
      using d = PidNamespace.of(pidfd);
      using e = PidNamespace.of(sleepers[2]!);
      using f = PidNamespace.open(`/proc/${sleepers[2]}/ns/pid`);
      using g = c.parent();
      using net = pidfd.namespace("net");
      for (const ns of [a, b, c, d, e, f, g]) assert.ok(ns instanceof PidNamespace);
      assert.ok(!(net instanceof PidNamespace));
      for (const ns of [b, c, d, e, f]) assert.ok(ns.equals(a));
    });
  });

  test("Pidfd.nspid() is the NSpid chain of every process and thread", { skip: needsRoot }, async () => {
    const { tasks } = trees!;
    await noLeaks(() => {
      for (const t of tasks) {
        const leader = t.nspid[0] === t.nstgid[0];
        using pidfd = Pidfd.open(t.pid, { thread: !leader });
        assert.deepEqual(pidfd.nspid(), t.nspid, t.name);
      }
    });
  });

  test(
    "initPid() of a container is the host pid of its pid 1; initPidfd() verifies it",
    { skip: needsRoot },
    async () => {
      const { views } = trees!;
      await noLeaks(() => {
        for (const v of views) {
          assert.equal(v.ns.initPid(), v.init, v.name);
          for (const method of METHODS) assert.equal(translatePid(1, { from: v.ns, method }), v.init, method);
          using init = v.ns.initPidfd();
          assert.equal(init.pid, v.init);
          assert.equal(init.nspid().at(-1), 1);
          assert.equal(statusInts(v.init, "NSpid").at(-1), 1);
          if (v.level > 0) {
            using ns = init.namespace("pid");
            assert.ok(ns.equals(v.ns));
          }
        }
      });
    },
  );

  test(
    "ofProcfs() names the namespace of a procfs mounted for a child namespace",
    { skip: needsRoot },
    async () => {
      const { views, sleepers, sleeperB } = trees!;
      const host = views[0]!.ns;
      await noLeaks(() => {
        using mine = PidNamespace.ofProcfs();
        assert.ok(mine.equals(host));
        // Each sleeper stayed in the mount namespace whose /proc `unshare --mount-proc` mounted for its level.
        for (let k = 1; k <= DEPTH; k++) {
          using ns = PidNamespace.ofProcfs(`/proc/${sleepers[k]}/root/proc`);
          assert.ok(ns.equals(views[k]!.ns), `level ${k}`);
          assert.ok(!ns.equals(host));
        }
        using b = PidNamespace.ofProcfs(`/proc/${sleeperB}/root/proc`);
        assert.ok(b.equals(views.at(-1)!.ns));
        assert.throws(() => PidNamespace.ofProcfs("/tmp"), /Not a procfs mount: \/tmp/);
        assert.throws(() => PidNamespace.ofProcfs("/nonexistent-procfs"), isSyscallError("ENOENT"));
      });
    },
  );

  test(
    "ofProcfs() and openProcDir() on a pidns= procfs instance (Linux 6.18)",
    { skip: needsRoot },
    async () => {
      const { views, sleepers, tasks } = trees!;
      const dir = run("mktemp", ["-d"]).trim();
      let mounted = false;
      try {
        const r = spawnSync("mount", ["-t", "proc", "-o", `pidns=/proc/${sleepers[2]}/ns/pid`, "proc", dir]);
        if (r.status !== 0) return; // a kernel before 6.18 has no pidns= option
        mounted = true;
        await noLeaks(() => {
          using ns = PidNamespace.ofProcfs(dir);
          assert.ok(ns.equals(views[2]!.ns));
          const t = tasks.find((t) => t.name === "level 3 sleeper")!;
          using pidfd = Pidfd.open(t.pid);
          using procDir = pidfd.openProcDir(dir);
          assert.equal(procDir.pid, t.nspid[2]);
          assert.equal(procDir.root, dir);
          assert.deepEqual(statusLine(procDir.readText("status"), "NSpid"), t.nspid.slice(2));
        });
      } finally {
        if (mounted) run("umount", [dir]);
        run("rmdir", [dir]);
      }
    },
  );

  test(
    "openProcDir() opens the directory as each procfs numbers the process",
    { skip: needsRoot },
    async () => {
      const { tasks, sleepers } = trees!;
      const t = tasks.find((t) => t.name === "level 3 sleeper")!;
      await noLeaks(() => {
        using pidfd = Pidfd.open(t.pid);
        using onHost = pidfd.openProcDir();
        assert.equal(onHost.pid, t.pid);
        assert.deepEqual(statusLine(onHost.readText("status"), "NSpid"), t.nspid);
        assert.equal(onHost.readText("cmdline"), `sleep\0${trees!.marker}31\0`);
        for (let k = 1; k <= DEPTH; k++) {
          // The caller is not visible in these instances: the pid comes from a translation.
          using inside = pidfd.openProcDir(`/proc/${sleepers[k]}/root/proc`);
          assert.equal(inside.pid, t.nspid[k]);
          assert.deepEqual(statusLine(inside.readText("status"), "NSpid"), t.nspid.slice(k));
        }
        using me = Pidfd.self();
        assert.throws(
          () => me.openProcDir(`/proc/${sleepers[1]}/root/proc`),
          isSyscallError("ESRCH", "not visible"),
        );
      });
    },
  );

  test(
    "a zombie translates, has an NSpid chain and a /proc dir, but no namespaces",
    { skip: needsRoot },
    async () => {
      const { tasks, views } = trees!;
      await noLeaks(() => {
        for (const t of tasks.filter((t) => t.name.endsWith(" zombie"))) {
          assert.ok(isZombie(t.pid), t.name);
          using pidfd = Pidfd.open(t.pid);
          assert.deepEqual(pidfd.nspid(), t.nspid);
          using dir = pidfd.openProcDir();
          assert.match(dir.readText("status"), /^State:\tZ/m);
          assert.throws(() => PidNamespace.of(pidfd), isSyscallError("ESRCH"));
          const v = views.find((v) => v.tree === "A" && v.level === t.nspid.length - 1)!;
          for (const method of METHODS) {
            assert.equal(translatePid(t.pid, { to: v.ns, method }), t.nspid.at(-1), method);
            assert.equal(translatePid(t.nspid.at(-1)!, { from: v.ns, method }), t.pid, method);
          }
        }
      });
    },
  );

  test("unprivileged (uid 65534): ioctls through a bind-mounted ns file; procfs methods need ptrace access", {
    skip: needsRoot,
  }, () => {
    const { tasks, views, sleepers } = trees!;
    const inner = tasks.find((t) => t.name === "level 1 sleeper")!;
    // The checkout may sit where nobody cannot reach it (under /root): run a world-readable copy.
    using copy = nobodyCopy();
    const nsPath = `${copy.home}/pidns`;
    let mounted = false;
    try {
      run("touch", [nsPath]);
      run("mount", ["--bind", `/proc/${sleepers[1]}/ns/pid`, nsPath]);
      mounted = true;
      const input = JSON.stringify({
        nsPath,
        inner: inner.pid,
        innerChain: inner.nspid,
        initHost: views[1]!.init,
      });
      const [command, ...args] = asNobody(copy.home, [
        ...nobodyScript(copy, "tests/fixtures/translate_unprivileged.ts"),
        input,
      ]);
      const r = spawnSync(command!, args, { encoding: "utf8", cwd: copy.home, timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      const result = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
      assert.equal(result.uid, 65534);
      for (const triple of result.ownTranslations) {
        assert.deepEqual(triple, [result.self, result.self, result.self]);
      }
      assert.equal(result.ofRootProcess, "EACCES");
      assert.equal(result.level, expectedLevel(1));
      assert.equal(result.fromCaller, inner.nspid[1]);
      assert.equal(result.toCaller, inner.pid);
      assert.equal(result.initPid, views[1]!.init);
      assert.equal(result.initPidfdPid, views[1]!.init);
      assert.equal(result.initPidfdNspid.at(-1), 1);
      assert.equal(result.fdinfoFromCaller, "EACCES");
      assert.equal(result.procfsToCaller, "EACCES");
      assert.equal(result.ofProcfsIsMine, true);
      assert.equal(result.procDirPid, inner.pid);
      assert.deepEqual(result.procDirNSpid, inner.nspid);
      assert.deepEqual(result.nspid, inner.nspid);
    } finally {
      if (mounted) run("umount", [nsPath]);
    }
  });

  test("without the translation ioctls, auto falls back to procfs and gives the same answers", () => {
    const out = withHiddenFeatures("pidnsTranslation", "translate");
    assert.equal((out["supports"] as Record<string, boolean>)["pidnsTranslation"], false);
    assert.equal(supports().pidnsTranslation, true); // here auto uses the ioctls
    using mine = PidNamespace.current();
    assert.equal(out["translated"], process.pid);
    assert.equal(out["fromCaller"], mine.fromCaller(process.pid));
    assert.equal(typeof out["toCaller"], "number");
    assert.equal(out["missing"], "ESRCH");
    if (out["initPid"] !== null) assert.equal(out["initPid"], mine.initPid());
  });
});

function statusLine(text: string, key: string): number[] {
  const m = new RegExp(`^${key}:\\s+(.*)$`, "m").exec(text);
  assert.ok(m, key);
  return m[1]!.trim().split(/\s+/).map(Number);
}

describe("PidNamespace after its init died", () => {
  test("initPid(), initPidfd(), translations and ofProcfs() fail clearly", { skip: needsRoot }, async () => {
    const marker = uniqueMarker();
    const container = spawnTracked("unshare", [
      "--pid",
      "--fork",
      "--mount-proc",
      "--kill-child",
      "sleep",
      `${marker}8`,
    ]);
    const dir = run("mktemp", ["-d"]).trim();
    let mounted = false;
    let ns: PidNamespace | undefined;
    try {
      const init = await poll("the container's init", () => byCmdline("sleep", `${marker}8`));
      const pidns = ns = PidNamespace.of(init);
      assert.equal(pidns.initPid(), init);
      mounted =
        spawnSync("mount", ["-t", "proc", "-o", `pidns=/proc/${init}/ns/pid`, "proc", dir]).status === 0;
      using pidfd = Pidfd.open(init);
      pidfd.sendSignal("SIGKILL");
      await once(container.child, "exit"); // unshare reaped its child, the init
      assert.ok(gone(init));
      // Counted after the exit: the runtime's own fds for its child are gone by then.
      const before = fdSnapshot();
      const ended = `init (pid 1) of ${label(ns)} has exited`;
      assert.throws(() => pidns.initPid(), isSyscallError("ESRCH", ended));
      assert.throws(() => pidns.initPidfd(), isSyscallError("ESRCH", ended));
      for (const method of METHODS) {
        assert.throws(
          () => translatePid(1, { from: pidns, method }),
          isSyscallError("ESRCH", label(ns)),
          method,
        );
        assert.throws(
          () => translatePid(self, { to: pidns, method }),
          isSyscallError("ESRCH", label(ns)),
          method,
        );
      }
      assert.equal(levelOf(ns), expectedLevel(1), "the handle still names the namespace");
      if (mounted) {
        assert.throws(() => PidNamespace.ofProcfs(dir), isSyscallError("ESRCH", "no pid 1", "exited"));
      }
      assert.deepEqual(fdsOpenedSince(before), []);
    } finally {
      ns?.close();
      if (mounted) run("umount", [dir]);
      run("rmdir", [dir]);
      await container.kill();
    }
  });
});

describe("PidNamespace and translatePid edge cases", () => {
  test("a namespace file of another type, or not a namespace, is a TypeError that says so", async () => {
    await noLeaks(() => {
      assert.throws(() => PidNamespace.open("/proc/self/ns/net"), {
        name: "TypeError",
        message: "Not a PID namespace: /proc/self/ns/net is a net namespace",
      });
      assert.throws(() => PidNamespace.open("/proc/self/status"), {
        name: "TypeError",
        message: /Not a namespace file/,
      });
      assert.throws(() => PidNamespace.open("/nonexistent/ns/pid"), isSyscallError("ENOENT"));
    });
  });

  test("a closed namespace refuses every use before any syscall", async () => {
    await noLeaks(() => {
      const ns = PidNamespace.current();
      ns.close();
      assert.throws(() => ns.toCaller(1), TypeError);
      assert.throws(() => ns.fromCaller(self), TypeError);
      assert.throws(() => ns.initPid(), TypeError);
      assert.throws(() => ns.initPidfd(), TypeError);
      assert.throws(() => ns.level, TypeError);
      assert.throws(() => ns.parent(), TypeError);
      assert.throws(() => translatePid(1, { from: ns }), {
        name: "TypeError",
        message: /closed PidNamespace/,
      });
      assert.throws(() => translatePid(self, { to: ns }), TypeError);
    });
  });

  test("bad arguments are TypeError/RangeError before any syscall", async () => {
    using ns = PidNamespace.current();
    using net = Namespace.open("/proc/self/ns/net");
    await noLeaks(() => {
      for (const pid of [0, -1, 1.5, NaN, Infinity, 2 ** 31]) {
        assert.throws(() => translatePid(pid), RangeError, String(pid));
        assert.throws(() => ns.toCaller(pid), RangeError, String(pid));
        assert.throws(() => ns.fromCaller(pid), RangeError, String(pid));
        assert.throws(() => PidNamespace.of(pid), RangeError, String(pid));
      }
      for (const pid of ["1", null, undefined, 1n, {}]) {
        assert.throws(() => translatePid(pid as never), TypeError, String(pid));
        assert.throws(() => ns.toCaller(pid as never), TypeError, String(pid));
      }
      assert.throws(() => translatePid(self, null as never), TypeError);
      assert.throws(
        () => translatePid(self, { method: "bogus" as TranslationMethod }),
        /Unknown translation method/,
      );
      assert.throws(() => translatePid(self, { method: "auto " as TranslationMethod }), TypeError);
      assert.throws(
        () => translatePid(self, { from: {} as PidNamespace }),
        /options.from to be a PidNamespace/,
      );
      assert.throws(
        () => translatePid(self, { to: net as never }),
        TypeError,
      );
      assert.throws(() => translatePid(self, { tgid: "yes" as never }), /options.tgid to be a boolean/);
      assert.throws(() => ns.toCaller(1, { tgid: 1 as never }), TypeError);
      assert.throws(() => ns.fromCaller(self, "tgid" as never), TypeError);
      assert.throws(() => PidNamespace.of("1" as never), TypeError);
      assert.throws(() => PidNamespace.ofProcfs(1 as never), TypeError);
      assert.throws(() => PidNamespace.open(1 as never), TypeError);
      using me = Pidfd.self();
      assert.throws(() => me.openProcDir(42 as never), TypeError);
      assert.throws(() => me.openProcDir("/tmp"), /Not a procfs mount/);
    });
  });

  test("the caller's own namespace: translations are identities, level 0 on the host", async () => {
    const thread = await ownThread();
    await noLeaks(() => {
      using mine = PidNamespace.current();
      assert.equal(mine.toCaller(self), self);
      assert.equal(mine.fromCaller(self), self);
      using ofSelf = PidNamespace.of(self);
      assert.ok(ofSelf.equals(mine));
      for (const method of ["auto", ...METHODS] as const) {
        assert.equal(translatePid(self, { method }), self);
        assert.equal(translatePid(self, { from: mine, to: mine, method }), self);
      }
      // A thread id translates to itself, or to the process id with tgid.
      const { tid } = thread;
      for (const method of METHODS) {
        assert.equal(translatePid(tid, { method }), tid);
        assert.equal(translatePid(tid, { method, tgid: true }), self);
        assert.equal(translatePid(tid, { from: mine, method, tgid: true }), self);
      }
      assert.equal(levelOf(mine), expectedLevel(0));
    }).finally(thread.stop);
  });

  test("a reaped process: openProcDir() and nspid() are ESRCH; an open ProcDir never reads another process", async () => {
    const s = await sleeper();
    let killed = false;
    try {
      const pidfd = Pidfd.open(s.pid);
      const dir = pidfd.openProcDir();
      try {
        await noLeaks(() => {
          assert.match(dir.readText("status"), new RegExp(`^Pid:\\t${s.pid}$`, "m"));
          assert.throws(() => dir.readText("../1/status"), TypeError);
          assert.throws(() => dir.readText("/etc/passwd"), TypeError);
          assert.throws(() => dir.readText(""), TypeError);
          assert.throws(() => dir.readText(1 as never), TypeError);
        });
        await s.kill();
        killed = true;
        // Counted after the reap: the runtime's own fds for its child are gone by then.
        await noLeaks(() => {
          assert.throws(
            () => dir.readText("status"),
            (e) => e instanceof SyscallError && /^E(NOENT|SRCH)$/.test(e.code),
          );
          assert.throws(() => pidfd.openProcDir(), isSyscallError("ESRCH", "reaped"));
          assert.throws(() => pidfd.nspid(), isSyscallError("ESRCH"));
        });
      } finally {
        dir.close();
        pidfd.close();
      }
      assert.throws(() => dir.readText("status"), TypeError);
      assert.throws(() => pidfd.openProcDir(), TypeError);
      assert.throws(() => pidfd.nspid(), TypeError);
    } finally {
      if (!killed) await s.kill();
    }
  });

  test("toCaller()/fromCaller() on an open PidNamespace allocate nothing per call", () => {
    using ns = PidNamespace.current();
    const options = { tgid: true };
    const calls = 200_000;
    for (let i = 0; i < 50_000; i++) ns.toCaller(self, options) + ns.fromCaller(self); // let the JIT settle
    const before = memoryUsage().heapUsed;
    for (let i = 0; i < calls; i++) {
      ns.toCaller(self);
      ns.fromCaller(self);
      ns.toCaller(self, options);
    }
    // One allocation per call would be at least 16 bytes; what remains is engine noise (or a GC, below 0).
    const perCall = (memoryUsage().heapUsed - before) / (3 * calls);
    assert.ok(perCall < 1, `${perCall} bytes per call`);
  });

  // Linux 6.18 answers ESRCH for a missing pid, never ENOTTY or EREMOTE, and no public call can make it: the
  // mapping of those answers is driven directly.
  test("ENOTTY and EREMOTE meaning 'not found' become ESRCH, keeping the original as cause", () => {
    using ns = PidNamespace.current();
    const dir = direction("toCaller", false);
    for (const errno of [Errno.ENOTTY, Errno.EREMOTE]) {
      const e = notFoundError(ioctlOutcome(ns, 4242, dir, -errno), ns, 4242, dir);
      assert.ok(e instanceof SyscallError);
      assert.equal(e.code, "ESRCH");
      assert.equal(e.syscall, "NS_GET_PID_FROM_PIDNS");
      assert.ok(e.cause instanceof SyscallError && e.cause.errno === errno);
      assert.match(e.message, /pid 4242 of pid:\[\d+\] does not exist or is not visible in pid:\[\d+\]/);
    }
    assert.throws(() => ioctlOutcome(ns, 4242, direction("fromCaller", true), -Errno.EINVAL), (other) => {
      assert.ok(
        other instanceof SyscallError && other.code === "EINVAL" && other.syscall === "NS_GET_TGID_IN_PIDNS",
      );
      assert.ok(!(other instanceof UnsupportedError));
      return true;
    });
  });
});
