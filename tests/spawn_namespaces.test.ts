import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import process from "node:process";
import { Namespace, NAMESPACE_KINDS, Pidfd, spawn, supports, SyscallError } from "../mod.ts";
import { listDir, readText } from "../src/procfs.ts";
import {
  asNobody,
  execed,
  fdSnapshot,
  fdsOpenedSince,
  needsRoot,
  nobodyCopy,
  nobodyScript,
  type Sleeper,
  started,
} from "./helpers.ts";

const decoder = new TextDecoder();
const TYPES = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"] as const;
const ALL = [
  "--user",
  "--map-root-user",
  "--pid",
  "--fork",
  "--kill-child",
  "--mount",
  "--mount-proc",
  "--net",
]
  .concat(["--uts", "--ipc", "--cgroup", "--time"]);
const hasNsenter = spawnSync("nsenter", ["--version"]).status === 0;
const hasBwrap = spawnSync("bwrap", ["--version"]).status === 0;
const skipNs = needsRoot || (!hasNsenter && "needs util-linux nsenter");

/**
 * The container's init script: a hostname, a tmpfs with a file only its mount namespace has, and a root of its
 * own (an rbind of / chrooted into), with its working directory at /tmp inside.
 */
const SETUP = "mount -t tmpfs none /mnt && echo inside > /mnt/only-here && mkdir /mnt/root && " +
  "mount --rbind / /mnt/root && cd /mnt/root/tmp";

interface Container {
  /** The host pid of the process whose namespaces are entered. */
  readonly pid: number;
  close(): Promise<void>;
}

/** `unshare` with every kind of namespace around `script`, which must end by exec'ing `sleep`. */
async function container(script: string, prefix: string[] = []): Promise<Container> {
  const [command, ...args] = [...prefix, "unshare", ...ALL, "sh", "-c", script];
  const outer: Sleeper = await started(command!, args);
  try {
    return { pid: await sleepBelow(outer.pid), close: () => outer.kill() };
  } catch (e) {
    await outer.kill();
    throw e;
  }
}

/** The first descendant of `pid` that runs `sleep` (once its container is set up), polled until there is one. */
async function sleepBelow(pid: number): Promise<number> {
  for (let i = 0; i < 400; i++) {
    const queue = [pid];
    while (queue.length > 0) {
      const p = queue.shift()!;
      try {
        if (p !== pid && readText(`/proc/${p}/comm`).trim() === "sleep") return p;
        for (const tid of listDir(`/proc/${p}/task`)) {
          const children = readText(`/proc/${p}/task/${tid}/children`).trim();
          if (children !== "") queue.push(...children.split(" ").map(Number));
        }
      } catch {
        // Gone meanwhile (a step of the setup).
      }
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`no sleep below process ${pid}`);
}

const box = (name: string): string =>
  `hostname ${name} && ${SETUP} && exec chroot /mnt/root sh -c 'cd /tmp && exec sleep 600'`;

/**
 * `readlink` of each path, by the readlink command: ground truth, and Deno's `node:fs` refuses /proc's links
 * without --allow-all. A link that is gone meanwhile is left out.
 */
function readlinks(paths: string[]): string[] {
  return spawnSync("readlink", paths, { encoding: "utf8" }).stdout.split("\n").filter((l) => l !== "");
}

/** The namespace links of a process, as `readlink /proc/<pid>/ns/<type>` shows them. */
function links(pid: number | "self"): Record<string, string> {
  const dir = `/proc/${pid === "self" ? process.pid : pid}/ns`;
  const found = readlinks(TYPES.map((t) => `${dir}/${t}`));
  assert.equal(found.length, TYPES.length, `readlink ${dir}/*`);
  return Object.fromEntries(TYPES.map((t, i) => [t, found[i]!]));
}

/**
 * Asserts that no fd opened since `before` is left, event-loop fds (`anon_inode:[eventpoll]`, `[eventfd]`,
 * `[timerfd]`) aside: the runtime opens those for its own child processes (the `nsenter` reference runs).
 */
async function assertNoNewFds(before: Set<string>): Promise<void> {
  const ours = (): string[] => {
    const opened = fdsOpenedSince(before);
    const targets = readlinks(opened.map((entry) => `/proc/${process.pid}/fd/${entry.split(":")[0]}`));
    return opened.filter((_, i) => !/^anon_inode:\[(eventpoll|eventfd|timerfd)\]$/.test(targets[i] ?? ""));
  };
  // Bun closes fds of its own (those of earlier child processes) lazily: give it a moment.
  let left = ours();
  for (let i = 0; i < 50 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 10));
    left = ours();
  }
  assert.deepEqual(left, []);
}

/** The namespaces of every thread of this process (the same for all of them, or the test fails). */
function callerNamespaces(): string {
  const dirs = listDir(`/proc/${process.pid}/task`).map((tid) => `/proc/${process.pid}/task/${tid}/ns`);
  const script = `for d in ${dirs.join(" ")}; do ` +
    `(cd $d 2>/dev/null && readlink ${NAMESPACE_KINDS.join(" ")} | tr '\\n' ' '); echo; done`;
  const seen = new Set(
    spawnSync("sh", ["-c", script], { encoding: "utf8" }).stdout.split("\n")
      .filter((line) => line.trim().split(" ").length === NAMESPACE_KINDS.length), // threads gone meanwhile
  );
  assert.equal(seen.size, 1, `the caller's threads are in different namespaces: ${[...seen].join(" / ")}`);
  return [...seen][0]!;
}

/** Runs `script` inside the namespaces and returns its stdout lines and exit code. */
async function inside(
  namespaces: Pidfd | Namespace[],
  script: string,
  options: { preserveCredentials?: boolean; cwd?: string } = {},
): Promise<{ lines: string[]; code: number | null; stderr: string }> {
  await using child = spawn("sh", ["-c", script], { namespaces, stdout: "pipe", stderr: "pipe", ...options });
  const { status, stdout, stderr } = await child.output();
  return {
    lines: decoder.decode(stdout).trim().split("\n"),
    code: status.code,
    stderr: decoder.decode(stderr),
  };
}

/**
 * What `nsenter -t <pid> -a -r -w` prints for the same script: the reference (`-r -w` take the target's root
 * and cwd, which `-a` alone leaves at the mount namespace's root).
 */
function nsenter(pid: number, script: string): string[] {
  const r = spawnSync("nsenter", ["-t", String(pid), "-a", "-r", "-w", "sh", "-c", script], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split("\n");
}

const PROBE = "hostname; cat /mnt/only-here; id -u; id -g; pwd; " +
  "sed -n 's/^ *\\([^:]*\\):.*/\\1/p' /proc/net/dev | sort | tr '\\n' ' '; echo; " +
  "for t in cgroup ipc mnt net pid time user uts; do readlink /proc/self/ns/$t; done";

describe("spawn({ namespaces })", () => {
  test("supports().setnsPidfd on this kernel (Linux >= 5.8)", () => {
    assert.equal(supports().setnsPidfd, true);
  });

  test(
    "a Pidfd: every namespace, the root, the cwd and uid 0 of an unshare container",
    { skip: skipNs },
    async () => {
      const c = await container(box("box-all"));
      try {
        const before = callerNamespaces();
        const fds = fdSnapshot();
        using target = Pidfd.open(c.pid);
        const r = await inside(target, PROBE);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(r.lines, nsenter(c.pid, PROBE));
        const [hostname, file, uid, gid, cwd, interfaces] = r.lines;
        assert.equal(hostname, "box-all");
        assert.equal(file, "inside");
        assert.equal(uid, "0");
        assert.equal(gid, "0");
        assert.equal(cwd, "/tmp");
        assert.equal(interfaces!.trim(), "lo"); // the container's network namespace has only its loopback
        // Seen from outside: the child's namespaces, root and NSpid.
        await using child = spawn("sleep", ["600"], { namespaces: target });
        await execed(child.pid, "sleep"); // the trampoline joins mnt, user and time, then execs the command
        const theirs = links(c.pid);
        assert.deepEqual(links(child.pid), theirs);
        assert.notDeepEqual(links("self"), theirs);
        const [root, wd, theirRoot, theirWd] = readlinks(
          [child.pid, c.pid].flatMap((p) => [`/proc/${p}/root`, `/proc/${p}/cwd`]),
        );
        assert.equal(theirRoot, "/mnt/root");
        assert.deepEqual([root, wd], [theirRoot, theirWd]);
        const nspid = /^NSpid:\s+(.*)$/m.exec(readText(`/proc/${child.pid}/status`))![1]!.split(/\s+/);
        assert.equal(nspid.length, 2, "a member of the container's PID namespace");
        assert.equal(Number(nspid[0]), child.pid);
        // Everything else of spawn(): the pidfd is the command's, kill and status work.
        assert.equal(child.pidfd.pid, child.pid);
        child.kill("SIGTERM");
        assert.equal((await child.status).signal, "SIGTERM");
        assert.equal(callerNamespaces(), before);
        target.close();
        await assertNoNewFds(fds);
      } finally {
        await c.close();
      }
    },
  );

  test("piped stdin, exit status and an explicit cwd resolved inside the mount namespace", {
    skip: skipNs,
  }, async () => {
    const c = await container(box("box-io"));
    try {
      using target = Pidfd.open(c.pid);
      await using child = spawn("sh", ["-c", "pwd; cat; exit 7"], {
        namespaces: target,
        cwd: "/mnt",
        stdin: "pipe",
        stdout: "pipe",
      });
      const writer = child.stdin!.getWriter();
      await writer.write(new TextEncoder().encode("through the pipe\n"));
      await writer.close();
      const { status, stdout } = await child.output();
      assert.equal(status.code, 7);
      assert.equal(decoder.decode(stdout), "/mnt\nthrough the pipe\n");
    } finally {
      await c.close();
    }
  });

  test("[pidfd.namespace('net')] joins only net", { skip: needsRoot }, async () => {
    const c = await container(box("box-net"));
    try {
      const before = callerNamespaces();
      using target = Pidfd.open(c.pid);
      using net = target.namespace("net");
      await using child = spawn("sleep", ["600"], { namespaces: [net] });
      const mine = links("self");
      const expected = { ...mine, net: links(c.pid).net };
      assert.notEqual(mine.net, expected.net);
      assert.deepEqual(links(child.pid), expected);
      assert.equal(callerNamespaces(), before);
      const r = await inside([net], "hostname; sed -n 's/^ *\\([^:]*\\):.*/\\1/p' /proc/net/dev");
      assert.deepEqual(r.lines, [readText("/proc/sys/kernel/hostname").trim(), "lo"]);
    } finally {
      await c.close();
    }
  });

  test("a nested container (a user, pid and mount namespace inside another)", { skip: skipNs }, async () => {
    const innerScript = `hostname inner && ${SETUP} && exec chroot /mnt/root sleep 600`;
    // The inner container is the only sleep below the outer unshare.
    const c = await container(`hostname outer && exec unshare ${ALL.join(" ")} sh -c '${innerScript}'`);
    try {
      const pid = c.pid;
      using target = Pidfd.open(pid);
      const r = await inside(target, PROBE);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.lines, nsenter(pid, PROBE));
      assert.equal(r.lines[0], "inner");
      await using child = spawn("sleep", ["600"], { namespaces: target });
      await execed(child.pid, "sleep"); // the trampoline joins mnt, user and time, then execs the command
      assert.deepEqual(links(child.pid), links(pid));
      const nspid = /^NSpid:\s+(.*)$/m.exec(readText(`/proc/${child.pid}/status`))![1]!.split(/\s+/);
      assert.equal(nspid.length, 3, "host, outer and inner pid");
    } finally {
      await c.close();
    }
  });

  test("a bubblewrap sandbox", {
    skip: skipNs || (!hasBwrap && "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"),
  }, async () => {
    const bwrap = await started("bwrap", [
      "--unshare-all",
      "--hostname",
      "bwrapped",
      "--ro-bind",
      "/",
      "/",
      "--tmpfs",
      "/mnt",
      "--proc",
      "/proc",
      "--dev",
      "/dev",
      "--die-with-parent",
      "sh",
      "-c",
      "echo sandboxed > /mnt/only-here && exec sleep 600",
    ]);
    try {
      const pid = await sleepBelow(bwrap.pid);
      using target = Pidfd.open(pid);
      const script =
        "hostname; cat /mnt/only-here; for t in ipc mnt net pid user uts; do readlink /proc/self/ns/$t; done";
      const r = await inside(target, script);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.lines, nsenter(pid, script));
      assert.deepEqual(r.lines.slice(0, 2), ["bwrapped", "sandboxed"]);
    } finally {
      await bwrap.kill();
    }
  });

  test("preserveCredentials, and EPERM naming user where no uid 0 is mapped", { skip: skipNs }, async () => {
    // Inside, uid 1000 is root outside: no uid 0 is mapped.
    const unshare = await started("unshare", [
      "--user",
      "--map-user=1000",
      "--map-group=1000",
      "sleep",
      "600",
    ]);
    try {
      await execed(unshare.pid, "sleep");
      using target = Pidfd.open(unshare.pid);
      const fds = fdSnapshot();
      const before = callerNamespaces();
      assert.throws(() => spawn("true", [], { namespaces: target }), (e: unknown) => {
        assert.ok(e instanceof SyscallError);
        assert.equal(e.code, "EPERM");
        assert.match(e.message, /\(user\)/);
        return true;
      });
      await assertNoNewFds(fds);
      assert.equal(callerNamespaces(), before);
      const r = await inside(target, "id -u; id -g", { preserveCredentials: true });
      assert.deepEqual(r.lines, ["1000", "1000"]);
    } finally {
      await unshare.kill();
    }
  });

  test(
    "a rootless container entered as nobody by its owner; another user's is EPERM",
    { skip: skipNs },
    async () => {
      const own = await container(box("rootless"), [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
      ]);
      const foreign = await container(box("roots"));
      try {
        using copy = nobodyCopy();
        const [command, ...args] = asNobody(copy.home, [
          ...nobodyScript(copy, "tests/fixtures/spawn_ns_nobody.ts"),
          JSON.stringify({ own: own.pid, foreign: foreign.pid }),
        ]);
        const r = spawnSync(command!, args, { encoding: "utf8", cwd: copy.home, timeout: 60_000 });
        assert.equal(r.status, 0, r.stderr);
        const result = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(result.lines, ["0", "rootless", "inside", links(own.pid).net]);
        assert.equal(result.foreignError, "EPERM");
        assert.match(result.foreignKind, /\(user\)/);
      } finally {
        await own.close();
        await foreign.close();
      }
    },
  );

  test("a target that has exited: ESRCH, nothing spawned, no fd leaked, namespaces unchanged", async () => {
    const sleeper = await started("sleep", ["600"]);
    using target = Pidfd.open(sleeper.pid);
    await sleeper.kill();
    const fds = fdSnapshot();
    const before = callerNamespaces();
    assert.throws(() => spawn("true", [], { namespaces: target }), (e: unknown) => {
      assert.ok(e instanceof SyscallError);
      assert.equal(e.code, "ESRCH");
      return true;
    });
    await assertNoNewFds(fds);
    assert.equal(callerNamespaces(), before);
    assert.equal(readText(`/proc/self/task/${process.pid}/children`).trim(), "");
  });

  test("bad namespaces: TypeError before anything is opened", async () => {
    using self = Pidfd.self();
    using net = self.namespace("net");
    using net2 = Namespace.open("/proc/self/ns/net");
    const closed = Namespace.open("/proc/self/ns/uts");
    closed.close();
    const closedPidfd = Pidfd.self();
    closedPidfd.close();
    let trapped = 0;
    const proxy = new Proxy(net, {
      get(t, k): unknown {
        trapped++;
        return Reflect.get(t, k);
      },
    });
    const fds = fdSnapshot();
    for (
      const namespaces of [
        [net, net2],
        [net, "uts"],
        [closed],
        [proxy],
        closedPidfd,
        "net",
        { length: 1, 0: net },
        42,
      ]
    ) {
      assert.throws(
        () => spawn("true", [], { namespaces: namespaces as never }),
        TypeError,
      );
    }
    assert.throws(() => spawn("true", [], { preserveCredentials: "yes" as never }), TypeError);
    assert.equal(trapped, 0, "a Proxy's traps never run");
    await assertNoNewFds(fds);
  });

  test("the caller's own namespaces: nothing to join, a plain spawn", async () => {
    using self = Pidfd.self();
    await using child = spawn("true", [], { namespaces: self });
    assert.equal((await child.status).code, 0);
  });
});
