/**
 * The `pidfd` command-line tool, run as a separate process: under the runtime running the tests (`deno run
 * --allow-ffi cli.ts` or `bun cli.ts`) and, when `PIDFD_CLI_BINARY` names one, as the binary that
 * `bun build --compile` made. Output is checked against ground truth: `/proc/<pid>/status`, `readlink
 * /proc/<pid>/ns/*`, `lsns`, `ps`, and real exits.
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { describe, test } from "node:test";
import process from "node:process";
import config from "../deno.json" with { type: "json" };
import { listDir, readText } from "../procfs.ts";
import {
  asNobody,
  execed,
  fdinfoInode,
  firstChild,
  isBun,
  needsRoot,
  type NobodyCopy,
  nobodyCopy,
  ownThread,
  run,
  runtime,
  type Sleeper,
  sleeper,
  started,
  statusInts,
  tracked,
  zombie,
} from "./helpers.ts";
import { Pidfd } from "../mod.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);

/** The pidfs id of a live process as `--json` prints it: the `ino:` of a pidfd's fdinfo, the kernel's word. */
function pidfsIdOf(pid: number): string {
  using p = Pidfd.open(pid);
  return String(fdinfoInode("self", p.fd));
}
const CLI = `${ROOT}cli.ts`;

/** The resident set `reclaim --json` reports, in bytes. */
interface Rss {
  total: number;
  anon: number;
  file: number;
  shmem: number;
}

/** One way of running the tool. */
interface Variant {
  name: string;
  argv: string[];
}

/**
 * Deno's `node:child_process` rewrites a child's command line wherever it names `Deno.execPath()` exactly,
 * adding the parent's permissions; the same binary under another spelling of its path runs with only the
 * flags given, so the tests prove that `--allow-ffi` is all the tool needs.
 */
const deno = runtime.replace(/\/([^/]+)$/, "/./$1");

const variants: Variant[] = [
  isBun ? { name: "bun", argv: [runtime, CLI] } : { name: "deno", argv: [deno, "run", "--allow-ffi", CLI] },
];
const binary = process.env["PIDFD_CLI_BINARY"];
if (binary) variants.push({ name: "binary", argv: [binary.startsWith("/") ? binary : ROOT + binary] });

/**
 * The environment of every run, with `NO_COLOR` empty (which no-color.org defines as unset): Deno's
 * `node:child_process` merges the parent's environment into the one given, so the variable cannot be removed.
 */
function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return { ...env, NO_COLOR: "", ...extra };
}

interface Result {
  status: number | null;
  /** What ended it when `status` is null: a signal (a crash, or `timeout` below) or a spawn error. */
  ended?: string;
  stdout: string;
  stderr: string;
}

/** Runs the tool to completion. */
function runCli(v: Variant, args: string[]): Result {
  const [command, ...rest] = v.argv;
  const r = spawnSync(command!, [...rest, ...args], {
    maxBuffer: 256 * 1024 * 1024,
    encoding: "utf8",
    env: cliEnv(),
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 60_000,
  });
  return { status: r.status, ended: String(r.error ?? r.signal), stdout: r.stdout, stderr: r.stderr };
}

/** Runs the tool and expects success; returns stdout. */
function ok(v: Variant, args: string[]): string {
  const r = runCli(v, args);
  assert.equal(r.status, 0, `pidfd ${args.join(" ")} exited ${r.status ?? r.ended}: ${r.stderr}`);
  assert.equal(r.stderr, "", `pidfd ${args.join(" ")} wrote to stderr`);
  return r.stdout;
}

/** Runs the tool with `--json` and parses its one document. */
function okJson(v: Variant, args: string[]): Record<string, unknown> {
  return JSON.parse(ok(v, ["--json", ...args]));
}

/** A run of the tool in the background, for `wait` and `kill` escalation. */
interface Background {
  readonly child: ChildProcess;
  readonly done: Promise<Result>;
  kill(): Promise<void>;
}

function startCli(v: Variant, args: string[]): Background {
  const [command, ...rest] = v.argv;
  const child = spawn(command!, [...rest, ...args], { env: cliEnv(), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => stdout += d);
  child.stderr!.setEncoding("utf8").on("data", (d: string) => stderr += d);
  const done = once(child, "close").then(([code]) => ({ status: code as number | null, stdout, stderr }));
  let exited = false;
  done.then(() => exited = true);
  return {
    child,
    done,
    async kill(): Promise<void> {
      if (!exited) child.kill("SIGKILL");
      await done;
    },
  };
}

/**
 * Polls until process `holder` has opened a pidfd of `target` itself (its fdinfo names the pid): it is then
 * watching. Only close-on-exec fds count: every pidfd the library opens is one, while a pidfd that leaked
 * into `holder` across `exec` from its parent cannot be (Bun's child watcher leaks them into spawned children).
 */
async function holdsPidfd(holder: number, target: number): Promise<void> {
  const pattern = new RegExp(`^Pid:\\s+${target}$`, "m");
  const O_CLOEXEC = 0o2000000;
  for (let i = 0; i < 2000; i++) {
    for (const fd of safeList(`/proc/${holder}/fdinfo`)) {
      let text = "";
      try {
        text = readText(`/proc/${holder}/fdinfo/${fd}`);
      } catch {
        continue; // closed meanwhile
      }
      const flags = parseInt(/^flags:\s*([0-7]+)$/m.exec(text)?.[1] ?? "0", 8);
      if (pattern.test(text) && (flags & O_CLOEXEC) !== 0) return;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`process ${holder} never opened a pidfd of ${target}`);
}

function safeList(path: string): string[] {
  try {
    return listDir(path);
  } catch {
    return [];
  }
}

/** How a child that the test started ended, as its runtime saw it. */
async function ended(s: Sleeper): Promise<{ code: number | null; signal: string | null }> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) {
    return { code: s.child.exitCode, signal: s.child.signalCode };
  }
  const [code, signal] = await once(s.child, "exit") as [number | null, string | null];
  return { code, signal };
}

/** Ground truth: `readlink /proc/<pid>/ns/<kind>` is `type:[inode]`. */
function nsInode(pid: number, kind: string): number {
  const m = /^\w+:\[(\d+)\]$/.exec(run("readlink", [`/proc/${pid}/ns/${kind}`]).trim());
  assert.ok(m, `readlink /proc/${pid}/ns/${kind}`);
  return Number(m[1]);
}

/**
 * Ground truth: `lsns -J -p <pid>`, the namespaces the process holds. lsns scans every process and now and
 * then exits 1 (without a message) when one vanishes under it, so it gets a few tries.
 */
function lsnsOf(pid: number): { namespaces: { ns: number; type: string }[] } {
  for (let attempt = 1;; attempt++) {
    const r = spawnSync("lsns", ["-J", "-p", String(pid)], { encoding: "utf8" });
    if (r.status === 0) return JSON.parse(r.stdout);
    if (attempt === 10) throw new Error(`lsns -J -p ${pid} exited ${r.status}: ${r.stderr}`);
  }
}

/** Ground truth: `ps -o ppid=,user=,args= -p <pid>`. */
function psTruth(pid: number): { ppid: number; user: string; args: string } {
  const line = run("ps", ["-o", "ppid=,user=,args=", "-p", String(pid)]).trim();
  const m = /^(\d+)\s+(\S+)\s+(.*)$/.exec(line);
  assert.ok(m, `ps line for ${pid}: ${line}`);
  return { ppid: Number(m[1]), user: m[2]!, args: m[3]! };
}

/** A pid that cannot exist: pids stay below `pid_max`. */
function impossiblePid(): number {
  return Number(readText("/proc/sys/kernel/pid_max").trim());
}

/** The host pids of the processes whose PID namespace has this inode: `ps -e -o pid=,pidns=` (ground truth). */
function pidsInNamespace(inode: number): number[] {
  return run("ps", ["-e", "-o", "pid=,pidns="]).trim().split("\n").map((l) => l.trim().split(/\s+/))
    .filter(([, ns]) => ns === String(inode)).map(([pid]) => Number(pid)).sort((a, b) => a - b);
}

/** Starts `sh -c <script>` whose script prints `ready` once its traps are set, and resolves then. */
async function readyShell(script: string): Promise<Sleeper> {
  const child = spawn("sh", ["-c", script], { stdio: ["ignore", "pipe", "ignore"] });
  await once(child, "spawn");
  const shell = tracked(child);
  let seen = "";
  for await (const chunk of child.stdout!) {
    seen += new TextDecoder().decode(chunk as Uint8Array);
    if (seen.includes("ready\n")) break;
  }
  return shell;
}

/**
 * A container: `unshare --pid --fork --mount-proc --kill-child sh -c 'sleep 600 & wait'`. `init` is the
 * host pid of its pid 1 (`sh`), `child` that of its pid 2 (`sleep`). Killing `unshare` kills the container.
 */
interface Container {
  unshare: Sleeper;
  init: number;
  child: number;
  close(): Promise<void>;
}

async function container(script = "sleep 600 & wait"): Promise<Container> {
  const unshare = await started("unshare", [
    "--pid",
    "--fork",
    "--mount-proc",
    "--kill-child",
    "sh",
    "-c",
    script,
  ]);
  try {
    const init = await firstChild(unshare.pid);
    await execed(init, "sh");
    const child = await firstChild(init);
    return { unshare, init, child, close: () => unshare.kill() };
  } catch (e) {
    await unshare.kill();
    throw e;
  }
}

/** Runs a command under a pseudo-terminal (`script`), so that the tool sees a TTY on stdout. */
function underTty(v: Variant, args: string[], env: Record<string, string>): Result {
  const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;
  const r = spawnSync("script", ["-qec", [...v.argv, ...args].map(quote).join(" "), "/dev/null"], {
    maxBuffer: 256 * 1024 * 1024,
    encoding: "utf8",
    env: env,
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 60_000,
  });
  return { status: r.status, ended: String(r.error ?? r.signal), stdout: r.stdout, stderr: r.stderr };
}

const ESC = "\u001b";
const hasScript = spawnSync("script", ["--version"]).status === 0;

/** The copy of the runtime (and binary) that uid 65534 runs the tool from: the checkout may be out of reach. */
function copyFor(v: Variant): NobodyCopy {
  return nobodyCopy(runtime, v.name === "binary" ? v.argv[0] : undefined);
}

/** Runs the tool as uid 65534 from `copy`, in the same form as `v`. */
function runAsNobody(v: Variant, copy: NobodyCopy, args: string[]): Result {
  const cli = copy.root + "cli.ts";
  const argv = v.name === "binary"
    ? [copy.binary!]
    : isBun
    ? [copy.runtime, cli]
    : [copy.runtime, "run", "--allow-ffi", cli];
  const [command, ...rest] = asNobody(copy.home, [...argv, ...args]);
  const r = spawnSync(command!, rest, { encoding: "utf8", cwd: copy.home, env: cliEnv(), timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Whether uid 65534 may read `/proc/<pid>/ns/<kind>` (ground truth for what the kernel refuses it). */
function nobodyReadsNs(pid: number, kind: string): boolean {
  return spawnSync("setpriv", [
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
    "readlink",
    `/proc/${pid}/ns/${kind}`,
  ])
    .status === 0;
}

/** A thread of process `pid` other than its leader, or `undefined`. */
function otherThread(pid: number): number | undefined {
  const tid = listDir(`/proc/${pid}/task`).find((t) => t !== String(pid));
  return tid === undefined ? undefined : Number(tid);
}

const hasPython = spawnSync("python3", ["--version"]).status === 0;

/** One process of `kill --json`. */
interface KillJson {
  pid: number;
  signals: string[];
  unreaped: boolean;
}

/** Every usage error: one line on stderr naming the problem and pointing to --help, exit status 2. */
const USAGE_ERRORS: string[][] = [
  [],
  ["bogus"],
  ["--bogus"],
  ["help", "bogus"],
  ["--json=1", "ps"],
  ["info"],
  ["info", "abc"],
  ["info", "0"],
  ["info", "-5"],
  ["info", "1.5"],
  ["info", "99999999999"],
  ["info", "--nope", "1"],
  ["ns"],
  ["ns", "1", "2"],
  ["translate"],
  ["translate", "1", "2"],
  ["translate", "1", "--from", "nope"],
  ["translate", "1", "--from", "pid:x"],
  ["translate", "1", "--from", "pid:0"],
  ["translate", "1", "--to", "proc:"],
  ["translate", "1", "--method", "magic"],
  ["translate", "1", "--from"],
  ["translate", "1", "--to", "/proc/self/ns/net"],
  ["init-pid"],
  ["init-pid", "self", "self"],
  ["init-pid", "/proc/self/ns/net"],
  ["init-pid", "/proc/self/status"],
  ["init-pid", "proc:/etc"],
  ["wait"],
  ["wait", "--timeout", "soon", "1"],
  ["wait", "--timeout", "-1", "1"],
  ["wait", "--timeout", "5x", "1"],
  ["wait", "--timeout", "999999999999d", "1"],
  ["wait", "--count", "0", "1"],
  ["wait", "--count", "2", "1"],
  ["wait", "--count", "two", "1"],
  ["kill"],
  ["kill", "-s", "NOPE", "1"],
  ["kill", "-s", "65", "1"],
  ["kill", "-s", "-1", "1"],
  ["kill", "1", "-9"],
  ["kill", "-s", "-1", "1"],
  ["info", "2147483648"],
  ["wait", "--timeout", "-1", "2"],
  ["ps", "-o", "PID,BOGUS"],
  ["ps", "-o", ""],
  ["ns", "-o", "KIND,", "1"],
  ["kill", "--timeout", "1s", "1"],
  ["kill", "--then", "KILL", "1"],
  ["kill", "--timeout", "1s", "--timeout", "2s", "--then", "KILL", "1"],
  ["kill", "--timeout", "1s", "--then", "NOPE", "1"],
  ["kill", "--timeout", "never", "--then", "KILL", "1"],
  ["kill", "--mrelease", "1"],
  ["kill", "-s", "TERM", "--mrelease", "1"],
  ["kill", "-s", "KILL", "--mrelease", "--timeout", "1s", "--then", "KILL", "1"],
  ["reclaim"],
  ["reclaim", "x"],
  ["reclaim", "--advice"],
  ["reclaim", "--advice", "willneed", "1"],
  ["ps", "extra"],
  ["ps", "--ns"],
  ["ps", "--ns", "bogus"],
  ["ps", "--container=yes"],
  ["peer"],
  ["peer", "/a", "/b"],
  ["peer", `/tmp/${"x".repeat(200)}`],
];

for (const v of variants) {
  describe(`pidfd CLI (${v.name})`, () => {
    test("--help, <command> --help and --version", () => {
      const help = ok(v, ["--help"]);
      for (const command of ["info", "ns", "translate", "init-pid", "wait", "kill", "ps", "peer"]) {
        assert.match(help, new RegExp(`^  ${command} `, "m"));
        const own = ok(v, [command, "--help"]);
        assert.match(own, new RegExp(`^  pidfd ${command} `, "m"), command);
        assert.match(own, /^OPTIONS$/m);
        assert.equal(ok(v, ["help", command]), own);
        // --help wins over anything else on the line, valid or not.
        assert.equal(ok(v, [command, "--bogus", "-h"]), own);
      }
      assert.equal(ok(v, ["--version"]), `pidfd ${config.version}\n`);
      assert.deepEqual(okJson(v, ["--version"]), { version: config.version });
    });

    test("every usage error is one line on stderr pointing to --help, and exits 2", () => {
      for (const args of USAGE_ERRORS) {
        const r = runCli(v, args);
        const what = `pidfd ${args.join(" ")}`;
        assert.equal(r.status, 2, `${what}: status ${r.status}, stderr ${r.stderr}`);
        assert.equal(r.stdout, "", what);
        assert.match(r.stderr, /^pidfd: [^\n]+ \(see 'pidfd( [a-z-]+)? --help'\)\n$/, what);
        assert.doesNotMatch(r.stderr, /\bat .*:\d+:\d+/, what); // no stack trace
      }
    });

    test(
      "peer names the program serving a socket as ss -xlp does",
      { skip: !hasPython && "needs python3" },
      async () => {
        const dir = mkdtempSync("/tmp/pidfd-peer-");
        const path = `${dir}/served.sock`;
        // socat where installed, else a Python server: another program, not this library.
        const server = spawnSync("sh", ["-c", "command -v socat"]).status === 0
          ? tracked(spawn("socat", [`UNIX-LISTEN:${path},fork`, "EXEC:/bin/cat"], { stdio: "ignore" }))
          : tracked(
            spawn("python3", [
              "-c",
              "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\ns.listen()\nwhile True: s.accept()[0].close()",
              path,
            ], { stdio: "ignore" }),
          );
        try {
          for (let i = 0; i < 400 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 5));
          const doc = okJson(v, ["peer", path]);
          const ss = run("ss", ["-xlp"]).split("\n").find((line) => line.includes(path));
          const ssPid = Number(/pid=(\d+)/.exec(ss ?? "")?.[1]);
          assert.equal(doc["pid"], ssPid, ss);
          assert.equal(doc["pid"], server.pid);
          using pidfd = Pidfd.open(server.pid);
          assert.equal(doc["id"], String(pidfd.id));
          assert.equal(doc["uid"], statusInts(server.pid, "Uid")[1]);
          assert.deepEqual(doc["nspid"], statusInts(server.pid, "NSpid"));
          assert.match(ok(v, ["peer", path]), new RegExp(`^pid +${server.pid}$`, "m"));
          const refused = runCli(v, ["peer", `${dir}/missing.sock`]);
          assert.equal(refused.status, 1);
          assert.match(refused.stderr, /^pidfd: .*missing\.sock: ENOENT/);
        } finally {
          await server.kill();
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );

    test("info matches /proc/<pid>/status, ps and the pidfd's inode", async () => {
      const s = await sleeper();
      try {
        const doc = okJson(v, ["info", String(s.pid)]);
        assert.deepEqual(Object.keys(doc), ["processes"]);
        const [p] = doc["processes"] as Record<string, unknown>[];
        assert.ok(p);
        assert.deepEqual(Object.keys(p), [
          "pid",
          "tgid",
          "ppid",
          "uid",
          "gid",
          "user",
          "cgroupId",
          "id",
          "nspid",
          "command",
          "argv",
        ]);
        const uid = statusInts(s.pid, "Uid");
        const gid = statusInts(s.pid, "Gid");
        assert.equal(p["pid"], statusInts(s.pid, "Pid")[0]);
        assert.equal(p["tgid"], statusInts(s.pid, "Tgid")[0]);
        assert.equal(p["ppid"], statusInts(s.pid, "PPid")[0]);
        assert.deepEqual(p["uid"], { real: uid[0], effective: uid[1], saved: uid[2], fs: uid[3] });
        assert.deepEqual(p["gid"], { real: gid[0], effective: gid[1], saved: gid[2], fs: gid[3] });
        assert.deepEqual(p["nspid"], statusInts(s.pid, "NSpid"));
        const truth = psTruth(s.pid);
        assert.equal(p["ppid"], truth.ppid);
        assert.equal(p["user"], truth.user);
        assert.equal(p["command"], truth.args);
        assert.equal((p["argv"] as string[]).join(" "), truth.args);
        // The pidfs id is the inode every pidfd of the process has.
        using pidfd = Pidfd.open(s.pid);
        assert.equal(p["id"], String(fdinfoInode("self", pidfd.fd)));
        assert.match(String(p["cgroupId"]), /^\d+$/);

        const text = ok(v, ["info", String(s.pid)]);
        assert.match(text, new RegExp(`^pid +${s.pid}$`, "m"));
        assert.match(text, new RegExp(`^ppid +${truth.ppid}$`, "m"));
        assert.match(text, new RegExp(`^nspid +${statusInts(s.pid, "NSpid").join(" ")}$`, "m"));
        assert.ok(text.includes(`\ncommand       ${truth.args}\n`), text);
      } finally {
        await s.kill();
      }
    });

    test("info reports a missing pid as 'pidfd: <pid>: ESRCH (No such process)' and goes on", async () => {
      const gone = impossiblePid();
      const r = runCli(v, ["info", String(gone)]);
      assert.equal(r.status, 1);
      assert.equal(r.stderr, `pidfd: ${gone}: ESRCH (No such process)\n`);
      const s = await sleeper();
      try {
        const both = runCli(v, ["--json", "info", String(gone), String(s.pid)]);
        assert.equal(both.status, 1);
        assert.equal(both.stderr, `pidfd: ${gone}: ESRCH (No such process)\n`);
        const doc = JSON.parse(both.stdout) as { processes: { pid: number }[] };
        assert.deepEqual(doc.processes.map((p) => p.pid), [s.pid]);
      } finally {
        await s.kill();
      }
    });

    test("ns lists the ten namespaces with the inodes of /proc/<pid>/ns and lsns", async () => {
      const s = await sleeper();
      try {
        const doc = okJson(v, ["ns", String(s.pid)]);
        assert.deepEqual(Object.keys(doc), ["pid", "namespaces"]);
        const list = doc["namespaces"] as Record<string, unknown>[];
        assert.deepEqual(list.map((n) => n["kind"]), [
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
        ]);
        const lsns = lsnsOf(s.pid);
        for (const n of list) {
          assert.deepEqual(Object.keys(n), [
            "kind",
            "type",
            "nsInode",
            "nsId",
            "callers",
            "level",
            "initPid",
          ]);
          const kind = n["kind"] as string;
          assert.equal(n["nsInode"], nsInode(s.pid, kind), kind);
          assert.equal(n["callers"], nsInode(s.pid, kind) === nsInode(process.pid, kind), kind);
          const listed = lsns.namespaces.find((e) => e.type === n["type"]);
          assert.ok(listed, `lsns lists the ${n["type"]} namespace`);
          assert.equal(n["nsInode"], listed.ns, kind);
          assert.match(String(n["nsId"]), /^\d+$/);
        }
        const pidNs = list.find((n) => n["kind"] === "pid")!;
        assert.equal(pidNs["level"], statusInts(s.pid, "NSpid").length - 1);
        assert.equal(list.find((n) => n["kind"] === "net")!["level"], null);

        const text = ok(v, ["ns", String(s.pid)]);
        assert.match(text, /^KIND +NS +CALLER'S +LEVEL +INIT$/m);
        assert.match(text, new RegExp(`^net +${nsInode(s.pid, "net")} +yes +- +-$`, "m"));
      } finally {
        await s.kill();
      }
    });

    test("ps shows the pid, ppid, user and command that ps and /proc show", async () => {
      const s = await sleeper();
      try {
        const doc = okJson(v, ["ps"]);
        assert.deepEqual(Object.keys(doc), ["processes"]);
        const rows = doc["processes"] as Record<string, unknown>[];
        const row = rows.find((r) => r["pid"] === s.pid);
        assert.ok(row, "the sleeper is listed");
        assert.deepEqual(Object.keys(row), [
          "pid",
          "id",
          "innerPid",
          "nspid",
          "pidNsInode",
          "pidNsId",
          "level",
          "ppid",
          "uid",
          "user",
          "state",
          "command",
          "argv",
        ]);
        const truth = psTruth(s.pid);
        assert.equal(row["ppid"], truth.ppid);
        assert.equal(row["user"], truth.user);
        assert.equal(row["command"], truth.args);
        assert.deepEqual(row["nspid"], statusInts(s.pid, "NSpid"));
        assert.equal(row["innerPid"], statusInts(s.pid, "NSpid").at(-1));
        assert.equal(row["pidNsInode"], nsInode(s.pid, "pid"));
        assert.equal(row["state"], /^State:\s+(\S)/m.exec(readText(`/proc/${s.pid}/status`))![1]);
        assert.ok(rows.some((r) => r["pid"] === process.pid), "the test runner is listed");
        const pids = rows.map((r) => r["pid"] as number);
        assert.deepEqual(pids, [...pids].sort((a, b) => a - b));

        // The table: a header, then aligned columns (every row's PID ends where the header's does).
        const lines = ok(v, ["ps"]).trimEnd().split("\n");
        assert.match(lines[0]!, /^ *PID +NSPID +PIDNS +LEVEL +PPID +USER +COMMAND$/);
        const pidEnd = lines[0]!.indexOf("PID") + 3;
        const mine = lines.find((l) => new RegExp(`^ *${s.pid} `).test(l));
        assert.ok(mine, "the sleeper has a row");
        assert.equal(mine.indexOf(String(s.pid)) + String(s.pid).length, pidEnd);
        assert.ok(mine.endsWith(`  ${truth.args}`), mine);
        for (const line of lines) assert.ok(!line.endsWith(" "), "no trailing spaces");
      } finally {
        await s.kill();
      }
    });

    test("a container: ps --container, ps --ns, translate and init-pid across PID namespaces", {
      skip: needsRoot,
    }, async () => {
      const c = await container();
      try {
        await execed(c.child, "sleep");
        const nspid = statusInts(c.child, "NSpid");
        assert.deepEqual(nspid, [c.child, 2]);
        const inode = nsInode(c.child, "pid");

        // ps --container: the container's namespace, its init, and its two processes as numbered inside.
        const doc = okJson(v, ["ps", "--container"]);
        assert.deepEqual(Object.keys(doc), ["namespaces"]);
        const groups = doc["namespaces"] as Record<string, unknown>[];
        const group = groups.find((g) => g["nsInode"] === inode);
        assert.ok(group, "the container's namespace is a group");
        assert.deepEqual(Object.keys(group), ["nsInode", "nsId", "level", "initPid", "processes"]);
        assert.equal(group["initPid"], c.init);
        assert.equal(group["level"], 1);
        const inside = group["processes"] as Record<string, unknown>[];
        assert.deepEqual(inside.map((p) => [p["pid"], p["innerPid"]]), [[c.init, 1], [c.child, 2]]);
        assert.deepEqual(inside.map((p) => p["pid"]), pidsInNamespace(inode));
        assert.equal(inside[1]!["ppid"], c.init);

        const text = ok(v, ["ps", "--container"]);
        assert.match(
          text,
          new RegExp(`^PID namespace ${inode} \\(level 1, init ${c.init}: sh -c `, "m"),
        );

        // ps --ns, with the namespace named four ways.
        for (
          const spec of [`pid:${c.child}`, `/proc/${c.init}/ns/pid`, `proc:/proc/${c.init}/root/proc`]
        ) {
          const only = okJson(v, ["ps", "--ns", spec])["processes"] as Record<string, unknown>[];
          assert.deepEqual(only.map((p) => p["pid"]), [c.init, c.child], spec);
        }
        const mine = okJson(v, ["ps", "--ns", "self"])["processes"] as Record<string, unknown>[];
        assert.ok(mine.some((p) => p["pid"] === process.pid));
        assert.ok(!mine.some((p) => p["pid"] === c.child));

        // translate, both directions, every method; the answer is what NSpid says.
        for (const method of ["auto", "ioctl", "fdinfo", "procfs"]) {
          assert.equal(
            ok(v, ["translate", "2", "--from", `pid:${c.init}`, "--method", method]),
            `${c.child}\n`,
          );
          assert.equal(
            ok(v, ["translate", String(c.child), "--to", `pid:${c.init}`, "--method", method]),
            "2\n",
          );
        }
        assert.equal(ok(v, ["translate", "1", "--from", `proc:/proc/${c.init}/root/proc`]), `${c.init}\n`);
        assert.equal(
          ok(v, ["translate", "2", "--from", `/proc/${c.child}/ns/pid`, "--to", "self"]),
          `${c.child}\n`,
        );
        assert.equal(ok(v, ["translate", "1", "--from", `pid:${c.init}`, "--to", `pid:${c.child}`]), "1\n");
        assert.equal(ok(v, ["translate", "2", "--from", `pid:${c.init}`, "--tgid"]), `${c.child}\n`);
        const t = okJson(v, ["translate", "2", "--from", `pid:${c.init}`]);
        assert.deepEqual(Object.keys(t), ["pid", "from", "to", "tgid", "method", "translated"]);
        assert.equal(t["translated"], c.child);

        // A pid the container does not have, and one of ours that the container cannot see.
        const missing = runCli(v, ["translate", "3", "--from", `pid:${c.init}`]);
        assert.equal(missing.status, 1);
        assert.match(missing.stderr, /^pidfd: 3: ESRCH \(No such process\)[^\n]*\n$/);
        const invisible = runCli(v, ["translate", String(process.pid), "--to", `pid:${c.init}`]);
        assert.equal(invisible.status, 1);
        assert.match(
          invisible.stderr,
          new RegExp(`^pidfd: ${process.pid}: ESRCH \\(No such process\\)[^\\n]*\\n$`),
        );

        // init-pid, named every way.
        for (
          const spec of [
            `pid:${c.child}`,
            `pid:${c.init}`,
            `/proc/${c.child}/ns/pid`,
            `proc:/proc/${c.init}/root/proc`,
          ]
        ) {
          assert.equal(ok(v, ["init-pid", spec]), `${c.init}\n`, spec);
        }
        const i = okJson(v, ["init-pid", `pid:${c.child}`]);
        assert.deepEqual(Object.keys(i), ["namespace", "initPid"]);
        assert.equal(i["initPid"], c.init);
        assert.equal(ok(v, ["init-pid", "self"]), "1\n"); // the caller's own init, as the caller numbers it

        // ns of a process inside: its PID namespace is not ours, level 1, init as we number it.
        const ns = okJson(v, ["ns", String(c.child)])["namespaces"] as Record<string, unknown>[];
        const pidNs = ns.find((n) => n["kind"] === "pid")!;
        assert.equal(pidNs["callers"], false);
        assert.equal(pidNs["level"], 1);
        assert.equal(pidNs["initPid"], c.init);
        assert.equal(pidNs["nsInode"], inode);
        assert.equal(ns.find((n) => n["kind"] === "net")!["callers"], true);

        // info: the NSpid chain down into the container.
        const info = okJson(v, ["info", String(c.child)])["processes"] as Record<string, unknown>[];
        assert.deepEqual(info[0]!["nspid"], nspid);
      } finally {
        await c.close();
      }
    });

    test(
      "translate between two nested containers, neither of them the caller's",
      { skip: needsRoot },
      async () => {
        // Outer container; inside it an inner one whose init is `sleep`.
        const c = await container("unshare --pid --fork --mount-proc --kill-child sleep 600 & wait");
        try {
          await execed(c.child, "unshare");
          const inner = await firstChild(c.child);
          await execed(inner, "sleep");
          const chain = statusInts(inner, "NSpid"); // [host, in outer, 1]
          assert.equal(chain.length, 3);
          assert.equal(
            ok(v, ["translate", "1", "--from", `pid:${inner}`, "--to", `pid:${c.init}`]),
            `${chain[1]}\n`,
          );
          assert.equal(
            ok(v, ["translate", String(chain[1]), "--from", `pid:${c.init}`, "--to", `pid:${inner}`]),
            "1\n",
          );
          assert.equal(ok(v, ["init-pid", `pid:${inner}`]), `${inner}\n`);
          const ns = okJson(v, ["ns", String(inner)])["namespaces"] as Record<string, unknown>[];
          assert.equal(ns.find((n) => n["kind"] === "pid")!["level"], 2);
          const info = okJson(v, ["info", String(inner)])["processes"] as Record<string, unknown>[];
          assert.deepEqual(info[0]!["nspid"], chain);
        } finally {
          await c.close();
        }
      },
    );

    test("init-pid of a namespace whose init has died is an ESRCH error", { skip: needsRoot }, async () => {
      const dir = run("mktemp", ["-d"]).trim();
      const file = `${dir}/pidns`;
      run("touch", [file]);
      let mounted = false;
      const c = await container();
      try {
        run("mount", ["--bind", `/proc/${c.init}/ns/pid`, file]);
        mounted = true;
        assert.equal(ok(v, ["init-pid", file]), `${c.init}\n`);
        await c.close(); // kills the init, and with it the namespace's every process
        const r = runCli(v, ["init-pid", file]);
        assert.equal(r.status, 1);
        assert.match(r.stderr, new RegExp(`^pidfd: ${file}: ESRCH \\(No such process\\)[^\\n]*\\n$`));
      } finally {
        await c.close();
        if (mounted) run("umount", [file]);
        run("rm", ["-rf", dir]);
      }
    });

    test("wait reports a process killed while it waits, and exits 0", async () => {
      const s = await sleeper();
      const w = startCli(v, ["wait", String(s.pid)]);
      try {
        await holdsPidfd(w.child.pid!, s.pid);
        await s.kill();
        const r = await w.done;
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stderr, "");
        assert.match(r.stdout, /^ *PID +EXIT$/m);
        assert.match(r.stdout, new RegExp(`^ *${s.pid} +killed by SIGKILL$`, "m"));
      } finally {
        await s.kill();
        await w.kill();
      }
    });

    test("wait --json reports exit codes of non-children as the kernel tells them", async () => {
      // `sh` exits with 7 once its stdin closes; the test's runtime (its parent) reaps it.
      const child = spawn("sh", ["-c", "read x; exit 7"], { stdio: ["pipe", "ignore", "ignore"] });
      await once(child, "spawn");
      const exit = once(child, "exit");
      const w = startCli(v, ["--json", "wait", String(child.pid)]);
      try {
        await holdsPidfd(w.child.pid!, child.pid!);
        child.stdin!.end();
        const r = await w.done;
        assert.equal(r.status, 0, r.stderr);
        const doc = JSON.parse(r.stdout) as Record<string, unknown>;
        assert.deepEqual(Object.keys(doc), ["exited", "running", "unreaped", "gone", "timedOut"]);
        const [e] = doc["exited"] as Record<string, unknown>[];
        assert.deepEqual(Object.keys(e!), ["pid", "id", "code", "signal", "coreDumped", "source"]);
        assert.equal(e!["pid"], child.pid);
        assert.equal(doc["timedOut"], false);
        assert.deepEqual(doc["running"], []);
        if (e!["source"] !== "unknown") {
          assert.equal(e!["code"], 7);
          assert.equal(e!["signal"], null);
        }
        assert.deepEqual(await exit, [7, null]); // and the runtime still got its child's status
      } finally {
        child.kill("SIGKILL");
        await w.kill();
      }
    });

    test("wait --count 1 returns after the first of two exits", async () => {
      const a = await sleeper();
      const b = await sleeper();
      const w = startCli(v, ["--json", "wait", "--count", "1", String(a.pid), String(b.pid)]);
      try {
        await holdsPidfd(w.child.pid!, a.pid);
        await holdsPidfd(w.child.pid!, b.pid);
        await b.kill();
        const r = await w.done;
        assert.equal(r.status, 0, r.stderr);
        const doc = JSON.parse(r.stdout) as { exited: { pid: number; signal: string }[]; running: number[] };
        assert.deepEqual(doc.exited.map((e) => e.pid), [b.pid]);
        assert.deepEqual(doc.running, [a.pid]);
        assert.equal(a.child.exitCode, null, "the other one still runs");
      } finally {
        await a.kill();
        await b.kill();
        await w.kill();
      }
    });

    test("wait --timeout exits 124 and names what still runs", async () => {
      const s = await sleeper();
      try {
        const r = runCli(v, ["wait", "--timeout", "200ms", String(s.pid)]);
        assert.equal(r.status, 124);
        assert.equal(r.stderr, `pidfd: ${s.pid}: still running after 200ms (timed out)\n`);
        const j = runCli(v, ["--json", "wait", "--timeout", "0.1s", String(s.pid)]);
        assert.equal(j.status, 124);
        assert.deepEqual(JSON.parse(j.stdout), {
          exited: [],
          running: [s.pid],
          unreaped: [],
          gone: [],
          timedOut: true,
        });
        assert.equal(s.child.exitCode, null);
      } finally {
        await s.kill();
      }
    });

    test("a zombie: wait names it unreaped on timeout, ns says it has no namespaces", async () => {
      const z = await zombie();
      try {
        assert.match(readText(`/proc/${z.pid}/status`), /^State:\s+Z/m);
        const r = runCli(v, ["--json", "wait", "--timeout", "100ms", String(z.pid)]);
        assert.equal(r.status, 124);
        assert.deepEqual(JSON.parse(r.stdout), {
          exited: [],
          running: [],
          unreaped: [z.pid],
          gone: [],
          timedOut: true,
        });
        assert.equal(
          r.stderr,
          `pidfd: ${z.pid}: exited, but not yet reaped by the parent after 100ms (timed out)\n`,
        );
        const ns = runCli(v, ["ns", String(z.pid)]);
        assert.equal(ns.status, 1);
        assert.match(
          ns.stderr,
          new RegExp(`^pidfd: ${z.pid}: ESRCH \\(No such process\\): it has exited[^\\n]*\\n$`),
        );
        // info and ps still show it.
        const info = okJson(v, ["info", String(z.pid)])["processes"] as Record<string, unknown>[];
        assert.equal(info[0]!["ppid"], z.parent.pid);
        const row = (okJson(v, ["ps"])["processes"] as Record<string, unknown>[]).find((p) =>
          p["pid"] === z.pid
        );
        assert.ok(row, "ps lists the zombie");
        // A zombie has no namespace handles left, but its NSpid chain places it in ours.
        assert.equal(row["pidNsInode"], nsInode(process.pid, "pid"));
        assert.equal(row["command"], "[sleep] <defunct>");
        assert.equal(row["state"], "Z");
        const line = ok(v, ["ps", "-o", "PID,S,COMMAND"]).split("\n").find((l) =>
          l.trim().startsWith(`${z.pid} `)
        );
        assert.match(line ?? "", new RegExp(`^ *${z.pid}  Z  \\[sleep\\] <defunct>$`));
      } finally {
        await z.parent.kill();
      }
    });

    test("wait for a pid that does not exist exits 1 with ESRCH", () => {
      const gone = impossiblePid();
      const r = runCli(v, ["wait", String(gone)]);
      assert.equal(r.status, 1);
      assert.equal(r.stderr, `pidfd: ${gone}: ESRCH (No such process)\n`);
    });

    test("kill sends SIGTERM by default and -s names another signal", async () => {
      const a = await sleeper();
      const b = await sleeper();
      try {
        const r = runCli(v, ["kill", String(a.pid)]);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^ *${a.pid} +SIGTERM +-$`, "m"));
        assert.deepEqual(await ended(a), { code: null, signal: "SIGTERM" });
        const id = pidfsIdOf(b.pid);
        const doc = okJson(v, ["kill", "-s", "kill", String(b.pid)]);
        assert.deepEqual(doc, {
          processes: [{ pid: b.pid, id, signals: ["SIGKILL"], exit: null, unreaped: false }],
        });
        assert.deepEqual(await ended(b), { code: null, signal: "SIGKILL" });
      } finally {
        await a.kill();
        await b.kill();
      }
    });

    test("kill --timeout --then escalates when the process outlives the timeout", async () => {
      // Ignores SIGTERM: only the escalation ends it.
      const stubborn = await readyShell("trap '' TERM; echo ready; while :; do sleep 1; done");
      try {
        const id = pidfsIdOf(stubborn.pid);
        const doc = okJson(v, ["kill", "--timeout", "100ms", "--then", "KILL", String(stubborn.pid)]);
        assert.deepEqual(doc, {
          processes: [{
            pid: stubborn.pid,
            id,
            signals: ["SIGTERM", "SIGKILL"],
            exit: null,
            unreaped: false,
          }],
        });
        assert.deepEqual(await ended(stubborn), { code: null, signal: "SIGKILL" });
      } finally {
        await stubborn.kill();
      }
    });

    test("kill --timeout --then sends nothing more once the process has exited", async () => {
      // Exits with 7 on SIGTERM, long before the timeout.
      const polite = await readyShell("trap 'exit 7' TERM; echo ready; while :; do sleep 0.1; done");
      try {
        // In the background: the test's runtime must stay free to reap its child, whose status the tool reads.
        const k = startCli(v, [
          "--json",
          "kill",
          "--timeout",
          "60s",
          "--then",
          "INT",
          "--timeout",
          "60s",
          "--then",
          "KILL",
          String(polite.pid),
        ]);
        const r = await k.done;
        assert.equal(r.status, 0, r.stderr);
        const doc = JSON.parse(r.stdout);
        const [p] =
          (doc as { processes: { pid: number; signals: string[]; exit: Record<string, unknown> }[] })
            .processes;
        assert.deepEqual(p!.signals, ["SIGTERM"]);
        assert.deepEqual(await ended(polite), { code: 7, signal: null });
        if (p!.exit["source"] !== "unknown") assert.equal(p!.exit["code"], 7);
      } finally {
        await polite.kill();
      }
    });

    test("kill of a missing pid is one error line and exit 1; the others are still signalled", async () => {
      const s = await sleeper();
      const gone = impossiblePid();
      try {
        const r = runCli(v, ["kill", "-s", "KILL", String(gone), String(s.pid)]);
        assert.equal(r.status, 1);
        assert.equal(r.stderr, `pidfd: ${gone}: ESRCH (No such process)\n`);
        assert.deepEqual(await ended(s), { code: null, signal: "SIGKILL" });
      } finally {
        await s.kill();
      }
    });

    test("kill -s KILL --mrelease kills and releases the memory at once", async () => {
      const s = await sleeper();
      try {
        const doc = okJson(v, ["kill", "-s", "KILL", "--mrelease", String(s.pid)]);
        const [p] = (doc as { processes: { pid: number; signals: string[]; memoryReleased: unknown }[] })
          .processes;
        assert.equal(p!.pid, s.pid);
        assert.deepEqual(p!.signals, ["SIGKILL"]);
        // false when the victim had already unmapped its memory on its way out
        assert.equal(typeof p!.memoryReleased, "boolean");
        assert.deepEqual(await ended(s), { code: null, signal: "SIGKILL" });
        const gone = impossiblePid();
        const r = runCli(v, ["kill", "-s", "KILL", "--mrelease", String(gone)]);
        assert.equal(r.status, 1);
        assert.equal(r.stderr, `pidfd: ${gone}: ESRCH (No such process)\n`);
      } finally {
        await s.kill();
      }
    });

    test("reclaim advises every mapping and reports the RSS that /proc/<pid>/status shows", async () => {
      const s = await sleeper();
      try {
        // What the kernel advises: every mapping but the kernel's special ones, from /proc/<pid>/maps.
        const mapped = run("cat", [`/proc/${s.pid}/maps`]).trim().split("\n")
          .filter((l) => !/\[(vsyscall|vvar|vvar_vclock)\]$/.test(l))
          .map((l) => l.split(" ")[0]!.split("-").map((h) => parseInt(h, 16)))
          .reduce((sum, [start, end]) => sum + end! - start!, 0);
        for (const advice of ["pageout", "cold"]) {
          const doc = okJson(v, ["reclaim", "--advice", advice, String(s.pid)]) as {
            processes: { pid: number; advice: string; advised: number; before: Rss; after: Rss }[];
          };
          const [p] = doc.processes;
          assert.equal(p!.pid, s.pid);
          assert.equal(p!.advice, advice);
          assert.equal(p!.advised, mapped);
          assert.equal(p!.after.total, statusInts(s.pid, "VmRSS")[0]! * 1024);
          assert.equal(p!.after.file, statusInts(s.pid, "RssFile")[0]! * 1024);
          assert.ok(p!.before.total >= p!.after.total);
        }
        const table = ok(v, ["reclaim", String(s.pid)]);
        assert.match(table, /^ *PID +ADVICE +ADVISED +RSS BEFORE +RSS AFTER +FILE BEFORE +FILE AFTER$/m);
        assert.match(table, new RegExp(`^ *${s.pid} +pageout +${(mapped / 1048576).toFixed(1)}M `, "m"));
        const gone = impossiblePid();
        const r = runCli(v, ["reclaim", String(gone)]);
        assert.equal(r.status, 1);
        assert.equal(r.stderr, `pidfd: ${gone}: ESRCH (No such process)\n`);
      } finally {
        await s.kill();
      }
    });

    test(
      "colour only on a terminal, and never with NO_COLOR",
      { skip: !hasScript && "needs script(1)" },
      () => {
        const env = cliEnv({ TERM: "xterm" });
        const coloured = underTty(v, ["ns", String(process.pid)], env);
        assert.equal(coloured.status, 0, coloured.stdout);
        assert.ok(coloured.stdout.includes(`${ESC}[1mKIND${ESC}[22m`), coloured.stdout);
        const plain = underTty(v, ["ns", String(process.pid)], { ...env, NO_COLOR: "1" });
        assert.equal(plain.status, 0, plain.stdout);
        assert.ok(!plain.stdout.includes(ESC), plain.stdout);
        assert.match(plain.stdout, /^KIND +NS/m);
        assert.ok(!ok(v, ["ns", String(process.pid)]).includes(ESC)); // a pipe
      },
    );

    test("translate --from a FIFO is a usage error at once, not a hang", () => {
      const dir = spawnSync("mktemp", ["-d"], { encoding: "utf8" }).stdout.trim();
      try {
        spawnSync("mkfifo", [`${dir}/fifo`]);
        const [command, ...rest] = v.argv;
        // A short timeout: a regression (open(2) blocking on the FIFO) fails this test only.
        const r = spawnSync(command!, [...rest, "translate", "1", "--from", `${dir}/fifo`], {
          encoding: "utf8",
          env: cliEnv(),
          stdio: ["ignore", "pipe", "pipe"],
          timeout: 20_000,
        });
        assert.equal(r.signal, null, "the tool hung on the FIFO and was killed");
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, /Not a namespace file/);
      } finally {
        spawnSync("rm", ["-rf", dir]);
      }
    });

    test("namespaces are named by inode, once per error; no JSON keys differ only by case", () => {
      const gone = impossiblePid();
      const r = runCli(v, ["translate", String(gone)]);
      assert.equal(r.status, 1);
      const inode = nsInode(process.pid, "pid");
      assert.deepEqual(r.stderr.match(/pid:\[\d+\]/g), [`pid:[${inode}]`]);
      const f = runCli(v, ["translate", String(gone), "--from", `pid:${process.pid}`, "--to", "self"]);
      assert.deepEqual(f.stderr.match(/pid:\[\d+\]/g), [`pid:[${inode}]`]);
      const keys = (o: unknown): string[] =>
        o === null || typeof o !== "object"
          ? []
          : Array.isArray(o)
          ? o.flatMap(keys)
          : Object.entries(o).flatMap(([k, val]) => [k, ...keys(val)]);
      for (
        const args of [["ps"], ["ps", "--container"], ["ns", String(process.pid)], [
          "info",
          String(process.pid),
        ]]
      ) {
        const doc = okJson(v, args);
        const names = new Set(keys(doc));
        const folded = new Set([...names].map((k) => k.toLowerCase()));
        assert.equal(folded.size, names.size, `${args.join(" ")}: ${[...names].join(" ")}`);
      }
    });

    test("kill -9 and kill -KILL signal as util-linux kill does", async () => {
      for (const form of ["-9", "-KILL", "-kill"]) {
        const s = await sleeper();
        const exit = once(s.child, "exit");
        const r = runCli(v, ["--json", "kill", form, String(s.pid)]);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual((JSON.parse(r.stdout).processes as KillJson[])[0]!.signals, ["SIGKILL"]);
        assert.deepEqual(await exit, [null, "SIGKILL"]);
      }
    });

    test("values after options are checked as values; pids out of range say so", () => {
      const cases: [string[], RegExp][] = [
        [["wait", "--timeout", "-1", "1"], /invalid timeout '-1'/],
        [["kill", "-s", "-1", "1"], /invalid signal '-1'/],
        [["kill", "--timeout", "-5s", "--then", "KILL", "1"], /invalid timeout '-5s'/],
        [["info", "-5"], /invalid argument '-5'/],
        [["info", "2147483648"], /invalid pid '2147483648': out of range/],
      ];
      for (const [args, message] of cases) {
        const r = runCli(v, args);
        assert.equal(r.status, 2, args.join(" "));
        assert.match(r.stderr, message, args.join(" "));
      }
    });

    test("wait --timeout takes long timeouts (25d, beyond one timer's 2^31 ms)", async () => {
      const s = await sleeper();
      const bg = startCli(v, ["wait", "--timeout", "25d", String(s.pid)]);
      try {
        await holdsPidfd(bg.child.pid!, s.pid);
        await s.kill();
        const r = await bg.done;
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^ *${s.pid}  killed by SIGKILL$`, "m"));
      } finally {
        await bg.kill();
        await s.kill();
      }
    });

    test("wait A B with A gone reports A and still waits for B (exit status 1)", async () => {
      const gone = impossiblePid();
      const s = await sleeper();
      const bg = startCli(v, ["wait", String(gone), String(s.pid)]);
      try {
        await holdsPidfd(bg.child.pid!, s.pid);
        await s.kill();
        const r = await bg.done;
        assert.equal(r.status, 1);
        assert.equal(r.stderr, `pidfd: ${gone}: ESRCH (No such process)\n`);
        assert.match(r.stdout, new RegExp(`^ +PID  EXIT\n *${s.pid}  killed by SIGKILL\n$`));
      } finally {
        await bg.kill();
        await s.kill();
      }
    });

    test("a wait timeout or Ctrl-C before any exit prints no bare header", async () => {
      const s = await sleeper();
      try {
        const r = runCli(v, ["wait", "--timeout", "200ms", String(s.pid)]);
        assert.equal(r.status, 124);
        assert.equal(r.stdout, "");
        const bg = startCli(v, ["wait", String(s.pid)]);
        await holdsPidfd(bg.child.pid!, s.pid);
        bg.child.kill("SIGINT");
        const i = await bg.done;
        assert.equal(i.stdout, "");
      } finally {
        await s.kill();
      }
    });

    test("kill --timeout against a zombie does not escalate", async () => {
      const z = await zombie();
      try {
        const r = runCli(v, ["--json", "kill", "--timeout", "300ms", "--then", "KILL", String(z.pid)]);
        assert.equal(r.status, 0, r.stderr);
        const [p] = JSON.parse(r.stdout).processes as KillJson[];
        assert.deepEqual(p!.signals, ["SIGTERM"]);
        assert.equal(p!.unreaped, true);
        assert.match(readText(`/proc/${z.pid}/status`), /^State:\tZ/m);
        const text = ok(v, ["kill", "-s", "0", "--timeout", "100ms", "--then", "KILL", String(z.pid)]);
        assert.match(text, new RegExp(`^ *${z.pid}  0 +exited \\(not yet reaped by its parent\\)$`, "m"));
      } finally {
        await z.parent.kill();
      }
    });

    test("Ctrl-C during kill --timeout reports what was already sent", async () => {
      const shell = await readyShell("trap '' TERM; echo ready; while :; do sleep 0.05; done");
      const bg = startCli(v, ["kill", "--timeout", "30s", "--then", "KILL", String(shell.pid)]);
      try {
        await holdsPidfd(bg.child.pid!, shell.pid);
        await new Promise((r) => setTimeout(r, 500)); // past the SIGTERM, into the timeout
        bg.child.kill("SIGINT");
        const r = await bg.done;
        // Deno's node:child_process reports a child it sent a signal to as killed by it, whatever its status.
        assert.ok(r.status === 130 || (!isBun && r.status === null), `status ${r.status}`);
        assert.match(r.stdout, new RegExp(`^ *PID  SENT +EXIT\n *${shell.pid}  SIGTERM  -\n$`));
        assert.ok(readText(`/proc/${shell.pid}/status`).includes("State:"), "not killed");
      } finally {
        await bg.kill();
        await shell.kill();
      }
    });

    test("thread ids work for info, ns and kill -s 0, as util-linux kill -0 <tid> does", async () => {
      const { tid, stop } = await ownThread();
      try {
        const [p] = okJson(v, ["info", String(tid)])["processes"] as Record<string, unknown>[];
        assert.equal(p!["pid"], tid);
        assert.equal(p!["tgid"], statusInts(tid, "Tgid")[0]);
        assert.equal(p!["tgid"], process.pid);
        const ns = okJson(v, ["ns", String(tid)])["namespaces"] as Record<string, unknown>[];
        assert.equal(ns.find((n) => n["kind"] === "net")!["nsInode"], nsInode(process.pid, "net"));
        assert.match(ok(v, ["kill", "-s", "0", String(tid)]), new RegExp(`^ *${tid}  0 +-$`, "m"));
      } finally {
        stop();
      }
    });

    test(
      "wait takes a thread id and reports the thread's exit",
      { skip: !hasPython && "needs python3" },
      async () => {
        const py = await started("python3", [
          "-c",
          "import threading, time; t = threading.Thread(target=time.sleep, args=(1.5,)); t.start(); t.join(); time.sleep(60)",
        ]);
        try {
          let tid: number | undefined;
          for (let i = 0; i < 400 && tid === undefined; i++) {
            tid = otherThread(py.pid);
            if (tid === undefined) await new Promise((r) => setTimeout(r, 5));
          }
          assert.ok(tid !== undefined);
          const r = await startCli(v, ["--json", "wait", "--timeout", "30s", String(tid)]).done;
          assert.equal(r.status, 0, r.stderr);
          assert.deepEqual((JSON.parse(r.stdout).exited as { pid: number }[]).map((e) => e.pid), [tid]);
          assert.ok(!listDir(`/proc/${py.pid}/task`).includes(String(tid)), "the thread is gone");
        } finally {
          await py.kill();
        }
      },
    );

    test("-o, -n and -r choose the columns, drop the header and print raw, like lsns", () => {
      const pid = String(process.pid);
      const inode = nsInode(process.pid, "net");
      assert.equal(
        ok(v, ["ns", "-n", "-r", "-o", "KIND,NS", pid]).split("\n").find((l) => l.startsWith("net ")),
        `net ${inode}`,
      );
      const table = ok(v, ["ns", "--output", "kind,ns,id", pid]);
      assert.match(table.split("\n")[0]!, /^KIND +NS +ID$/);
      const plus = ok(v, ["ps", "-o", "+S", "-n"]).split("\n").find((l) => new RegExp(`^ *${pid} `).test(l));
      assert.ok(plus, "the runner's row");
      assert.ok(!/^ *PID/.test(ok(v, ["ps", "-n"])), "no header");
      const raw = ok(v, ["ps", "-r", "-o", "PID,COMMAND"]).split("\n");
      assert.equal(raw[0], "PID COMMAND");
      const row = raw.find((l) => l.startsWith(`${pid} `))!;
      assert.equal(row, `${pid} ${psTruth(process.pid).args.replaceAll(" ", "\\x20")}`);
      for (const command of ["ps", "ns"]) assert.match(ok(v, [command, "--help"]), /^COLUMNS \(default: /m);
    });

    test("a command line that is not the last column is cut to 40 characters, as ps and lsns cut it", async () => {
      const long = "x".repeat(100_000); // one such process would otherwise widen every row to 100 KB
      const sh = await started("sh", ["-c", "sleep 60", long]);
      try {
        await execed(sh.pid, "sh");
        const row = (text: string): string =>
          text.split("\n").find((l) => new RegExp(`^ *${sh.pid} `).test(l))!;
        const table = ok(v, ["ps", "-o", "PID,COMMAND,S"]);
        const command = readText(`/proc/${sh.pid}/cmdline`).split("\0").join(" ").trim(); // the truth
        assert.equal(row(table).replace(/^ */, ""), `${sh.pid}  ${command.slice(0, 40)}  S`);
        assert.ok(table.length < 200 * table.split("\n").length, "no row is padded to the long command");
        assert.ok(row(ok(v, ["ps", "-o", "PID,COMMAND"])).endsWith(command), "last: whole");
        assert.ok(row(ok(v, ["ps", "-r", "-o", "PID,COMMAND,S"])).includes(long), "raw: whole");
      } finally {
        await sh.kill();
      }
    });

    test("info, wait, kill and reclaim take -o, -n and -r too", async () => {
      const pid = process.pid;
      const truth = psTruth(pid);
      assert.equal(
        ok(v, ["info", "-n", "-r", "-o", "PID,PPID,USER,COMMAND", String(pid)]),
        `${pid} ${truth.ppid} ${truth.user} ${truth.args.replaceAll(" ", "\\x20")}\n`,
      );
      // Short flags group, the last one taking the rest as its value; --name=value.
      assert.equal(ok(v, ["info", "-nroPID,TGID", String(pid)]), `${pid} ${pid}\n`);
      assert.equal(ok(v, ["info", "-nr", "--output=PID", String(pid)]), `${pid}\n`);
      const info = ok(v, ["info", "-o", "pid,tgid", String(pid)]).split("\n");
      assert.match(info[0]!, /^ *PID +TGID$/);
      assert.match(info[1]!, new RegExp(`^ *${pid} +${pid}$`));

      const reclaim = ok(v, ["reclaim", "--advice", "cold", "-r", "-o", "PID,ADVICE", String(pid)]);
      assert.equal(reclaim, `PID ADVICE\n${pid} cold\n`);

      const s = await sleeper();
      const waiting = startCli(v, ["wait", "-r", "-o", "PID,CODE,SIGNAL", String(s.pid)]);
      try {
        await holdsPidfd(waiting.child.pid!, s.pid);
        const r = runCli(v, ["kill", "-s", "KILL", "-n", "-r", "-o", "SENT,PID", String(s.pid)]);
        assert.equal(r.stdout, `SIGKILL ${s.pid}\n`, r.stderr);
        const w = await waiting.done;
        assert.equal(w.status, 0, w.stderr);
        assert.equal(w.stdout, `PID CODE SIGNAL\n${s.pid} - SIGKILL\n`);
      } finally {
        await waiting.kill();
        await s.kill();
      }
      for (const command of ["info", "wait", "kill", "reclaim"]) {
        const help = ok(v, [command, "--help"]);
        assert.match(help, /^COLUMNS \(default: /m, command);
        assert.match(help, /^ {2}-o, --output <list>/m, command);
        const r = runCli(v, [command, "-o", "PID,BOGUS", "1"]);
        assert.equal(r.status, 2, command);
        assert.match(r.stderr, /unknown column 'BOGUS'/, command);
      }
    });

    test("kill <pid> -9 is refused with the reason, as util-linux takes -<n> there for a process group", async () => {
      const s = await sleeper();
      try {
        for (const args of [[String(s.pid), "-9"], ["-s", "TERM", String(s.pid), "-KILL"]]) {
          const r = runCli(v, ["kill", ...args]);
          assert.equal(r.status, 2, args.join(" "));
          assert.match(
            r.stderr,
            /^pidfd: '-(9|KILL)' after other arguments: a signal as -<signal> goes first/,
          );
        }
        assert.match(readText(`/proc/${s.pid}/stat`), /\) S /, "nothing was sent");
        // The value of -s is checked as a signal, not taken for one after other arguments.
        const r = runCli(v, ["kill", "-s", "-9", String(s.pid)]);
        assert.equal(r.status, 2);
        assert.match(r.stderr, /invalid signal '-9'/);
      } finally {
        await s.kill();
      }
    });

    test("kill --help fits in 80 columns", () => {
      for (const command of ["info", "ns", "translate", "init-pid", "wait", "kill", "ps", "peer"]) {
        for (const line of ok(v, [command, "--help"]).split("\n")) {
          assert.ok(line.length <= 80, `${command}: ${line}`);
        }
      }
    });

    test(
      "ns of another user's process as nobody shows - where the kernel refuses",
      { skip: needsRoot },
      async () => {
        using copy = copyFor(v);
        const s = await sleeper();
        try {
          assert.equal(nobodyReadsNs(s.pid, "net"), false, "the kernel refuses nobody");
          const r = runAsNobody(v, copy, ["ns", String(s.pid)]);
          assert.equal(r.status, 0, r.stderr);
          assert.match(r.stdout, /^net +- +- +- +-$/m);
          const j = runAsNobody(v, copy, ["--json", "ns", String(s.pid)]);
          for (const n of JSON.parse(j.stdout).namespaces as Record<string, unknown>[]) {
            assert.equal(n["nsInode"], null);
            assert.equal(n["callers"], null);
          }
        } finally {
          await s.kill();
        }
      },
    );

    test(
      "ps --ns <bind-mounted ns file> as nobody lists the container's processes",
      { skip: needsRoot },
      async () => {
        using copy = copyFor(v);
        const c = await container();
        const file = `${copy.home}/pidns`;
        let mounted = false;
        try {
          await execed(c.child, "sleep");
          run("touch", [file]);
          run("mount", ["--bind", `/proc/${c.init}/ns/pid`, file]);
          mounted = true;
          const inode = nsInode(c.init, "pid");
          const r = runAsNobody(v, copy, ["--json", "ps", "--ns", file]);
          assert.equal(r.status, 0, r.stderr);
          const listed = JSON.parse(r.stdout).processes as Record<string, unknown>[];
          assert.deepEqual(listed.map((p) => p["pid"]), pidsInNamespace(inode));
          assert.deepEqual(listed.map((p) => p["innerPid"]), [1, 2]);
          for (const p of listed) assert.equal(p["pidNsInode"], inode);
        } finally {
          if (mounted) run("umount", [file]);
          await c.close();
        }
      },
    );

    test(
      "translate by fdinfo and procfs as nobody skips processes it may not inspect",
      { skip: needsRoot },
      async () => {
        using copy = copyFor(v);
        // Nobody's own rootless container, and root's container where another process is pid 2 as well.
        const rootless = await started("setpriv", [
          "--reuid=65534",
          "--regid=65534",
          "--clear-groups",
          "unshare",
          "--user",
          "--map-root-user",
          "--pid",
          "--fork",
          "--kill-child",
          "sh",
          "-c",
          "sleep 600 & wait",
        ]);
        const c = await container();
        try {
          const init = await firstChild(rootless.pid);
          await execed(init, "sh");
          const child = await firstChild(init);
          await execed(child, "sleep");
          assert.deepEqual(statusInts(child, "NSpid"), [child, 2]);
          assert.deepEqual(statusInts(c.child, "NSpid").at(-1), 2);
          for (const method of ["ioctl", "fdinfo", "procfs"]) {
            const r = runAsNobody(v, copy, ["translate", "2", "--from", `pid:${init}`, "--method", method]);
            assert.equal(r.stderr, "", method);
            assert.equal(r.stdout, `${child}\n`, method);
          }
          // Root's container: the refusal names the file the kernel refused.
          const denied = runAsNobody(v, copy, [
            "translate",
            "2",
            "--from",
            `pid:${c.init}`,
            "--method",
            "procfs",
          ]);
          assert.equal(denied.status, 1);
          assert.match(denied.stderr, /EACCES/);
        } finally {
          await rootless.kill();
          await c.close();
        }
      },
    );

    test("ps inside unshare --pid without --mount-proc", { skip: needsRoot }, () => {
      const [command, ...rest] = v.argv;
      const r = spawnSync("unshare", ["--pid", "--fork", command!, ...rest, "--json", "ps"], {
        encoding: "utf8",
        env: cliEnv(),
        timeout: 60_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const listed = JSON.parse(r.stdout).processes as Record<string, unknown>[];
      // Only the tool itself lives in the new namespace: it is pid 1 there.
      assert.deepEqual(listed.map((p) => p["pid"]), [1]);
      assert.match(String(listed[0]!["command"]), /ps$/);
    });

    describe("exec", { skip: needsRoot }, () => {
      const PROBE = "hostname; cat /mnt/only-here; id -u; pwd; " +
        "for t in cgroup ipc mnt net pid time user uts; do readlink /proc/self/ns/$t; done";
      /** A container with every namespace, a hostname and a file only its mount namespace has. */
      async function box(): Promise<{ pid: number; close(): Promise<void> }> {
        const unshare = await started("unshare", [
          ...["--user", "--map-root-user", "--pid", "--fork", "--kill-child", "--mount", "--mount-proc"],
          ...["--net", "--uts", "--ipc", "--cgroup", "--time", "sh", "-c"],
          "hostname exec-box && mount -t tmpfs none /mnt && echo inside > /mnt/only-here && cd /mnt && exec sleep 600",
        ]);
        const pid = await firstChild(unshare.pid);
        await execed(pid, "sleep");
        return { pid, close: () => unshare.kill() };
      }

      test("the output of nsenter -t <pid> -a -r -w, and the command's exit status", async () => {
        const c = await box();
        try {
          const r = runCli(v, ["exec", String(c.pid), "--", "sh", "-c", `${PROBE}; exit 5`]);
          const ref = spawnSync("nsenter", [
            "-t",
            String(c.pid),
            "-a",
            "-r",
            "-w",
            "sh",
            "-c",
            `${PROBE}; exit 5`,
          ], {
            encoding: "utf8",
          });
          assert.equal(r.status, 5, r.stderr);
          assert.equal(ref.status, 5, ref.stderr);
          assert.equal(r.stdout, ref.stdout);
          assert.match(r.stdout, /^exec-box\ninside\n0\n\/mnt\n/);
          const killed = runCli(v, ["--json", "exec", String(c.pid), "--", "sh", "-c", "kill -TERM $$"]);
          assert.equal(killed.status, 128 + 15);
          const doc = JSON.parse(killed.stdout);
          assert.deepEqual(Object.keys(doc), ["pid", "command", "code", "signal", "exitStatus"]);
          assert.deepEqual([doc.code, doc.signal, doc.exitStatus], [null, "SIGTERM", 143]);
        } finally {
          await c.close();
        }
      });

      test("--ns net,uts joins only those", async () => {
        const c = await box();
        try {
          const out = ok(v, [
            "exec",
            "--ns",
            "net,uts",
            String(c.pid),
            "--",
            "sh",
            "-c",
            PROBE.replace("cat /mnt/only-here; ", ""),
          ]);
          const lines = out.trim().split("\n");
          assert.equal(lines[0], "exec-box");
          const ns = (pid: number, t: string): string => run("readlink", [`/proc/${pid}/ns/${t}`]).trim();
          assert.deepEqual(
            lines.slice(3),
            ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"].map((t) =>
              ns(t === "net" || t === "uts" ? c.pid : process.pid, t)
            ),
          );
        } finally {
          await c.close();
        }
      });

      test("a process that is gone: one line, exit status 1; usage errors: 2", async () => {
        const s = await sleeper();
        await s.kill();
        const r = runCli(v, ["exec", String(s.pid), "--", "true"]);
        assert.equal(r.status, 1);
        assert.equal(r.stderr, `pidfd: ${s.pid}: ESRCH (No such process)\n`);
        for (
          const args of [["exec", "1"], ["exec", "--", "true"], ["exec", "--ns", "bogus", "1", "--", "true"]]
        ) {
          const u = runCli(v, args);
          assert.equal(u.status, 2, args.join(" "));
          assert.match(u.stderr, /^pidfd: .*\(see 'pidfd exec --help'\)\n$/);
        }
      });
    });

    if (v.name === "deno") {
      test("under Deno it needs --allow-ffi only, and says so in one line without it", () => {
        const r = spawnSync(deno, ["run", CLI, "ps"], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
        });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /^pidfd: needs FFI access: run it with `deno run --allow-ffi`\n$/);
        // --help and --version load no FFI.
        const help = spawnSync(deno, ["run", CLI, "--version"], { encoding: "utf8" });
        assert.equal(help.stdout, `pidfd ${config.version}\n`);
      });
    }
  });
}

/** util-linux's version as [major, minor], from `kill --version` (`kill from util-linux 2.38.1`). */
function utilLinuxVersion(): [number, number] {
  const m = /util-linux (\d+)\.(\d+)/.exec(run("kill", ["--version"]));
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

for (const v of variants) {
  describe(`pidfd CLI process identities (${v.name})`, () => {
    test("ps -o pid:id, info and kill/wait --ids print <pid>:<id> with the pidfs id", async () => {
      const s = await sleeper();
      try {
        const spec = `${s.pid}:${pidfsIdOf(s.pid)}`;
        const lines = ok(v, ["ps", "-o", "pid:id,pid", "-n", "-r"]).trim().split("\n");
        assert.ok(lines.includes(`${spec} ${s.pid}`), `${spec} in ps -o pid:id`);
        assert.match(ok(v, ["info", String(s.pid)]), new RegExp(`^pid:id +${spec}$`, "m"));
        assert.match(ok(v, ["kill", "-s", "0", "--ids", spec]), new RegExp(`^ *${spec} +0 +-$`, "m"));
        const waited = runCli(v, ["wait", "--ids", "--timeout", "100ms", spec]);
        assert.equal(waited.status, 124, waited.stderr);
      } finally {
        await s.kill();
      }
    });

    test("kill <pid>:<id> and wait <pid>:<id> act on the right process", async () => {
      const s = await sleeper();
      try {
        const spec = `${s.pid}:${pidfsIdOf(s.pid)}`;
        const waiting = spawn(v.argv[0]!, [...v.argv.slice(1), "--json", "wait", spec], {
          env: cliEnv(),
          stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        waiting.stdout!.on("data", (c: Uint8Array) => out += new TextDecoder().decode(c));
        const exit = once(waiting, "exit");
        await new Promise((r) => setTimeout(r, 300)); // the wait has opened its pidfd
        const r = runCli(v, ["kill", "-s", "KILL", spec]);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(await ended(s), { code: null, signal: "SIGKILL" });
        const [code] = await exit as [number];
        assert.equal(code, 0);
        assert.deepEqual(JSON.parse(out).exited.map((e: { pid: number }) => e.pid), [s.pid]);
      } finally {
        await s.kill();
      }
    });

    test("a reused pid is refused: exit 1, ESRCH, 'is now another process'", { skip: needsRoot }, () => {
      // Inside a new PID namespace: note a process's <pid>:<id>, let it die, make a new process take its pid
      // through ns_last_pid, then aim kill and wait at the old spec.
      const cli = v.argv.join(" ");
      const script = `
        for attempt in $(seq 20); do
          sleep 60 & old=$!
          spec=$(${cli} info $old | sed -n 's/^pid:id *//p')
          kill -9 $old; wait $old 2>/dev/null
          echo $((old - 1)) > /proc/sys/kernel/ns_last_pid; sleep 60 & new=$!
          [ "$new" = "$old" ] && break
          kill -9 $new; wait $new 2>/dev/null
        done
        [ "$new" = "$old" ] || { echo "pid never reused" >&2; exit 3; }
        ${cli} kill -s KILL $spec 2>kill.err; echo "kill=$? $(cat kill.err)"
        ${cli} wait --timeout 100ms $spec 2>wait.err; echo "wait=$? $(cat wait.err)"
        kill -0 $new && echo "alive=$new spec=$spec"
        kill -9 $new`;
      const dir = run("mktemp", ["-d"]).trim();
      try {
        const newPidns = ["--pid", "--fork", "--mount-proc", "--kill-child"];
        const r = spawnSync("unshare", [...newPidns, "sh", "-c", script], {
          encoding: "utf8",
          env: cliEnv(),
          cwd: dir,
          timeout: 120_000,
        });
        assert.equal(r.status, 0, r.stderr + r.stdout);
        const spec = /spec=(\S+)/.exec(r.stdout)?.[1];
        assert.ok(spec, `the new process survived: ${r.stdout}`);
        const old = spec.split(":")[0];
        const refused = `pidfd: ${spec}: ESRCH (No such process: pid ${old} is now another process)`;
        assert.match(r.stdout, new RegExp(`^kill=1 ${refused.replace(/[()]/g, "\\$&")}$`, "m"));
        assert.match(r.stdout, new RegExp(`^wait=1 ${refused.replace(/[()]/g, "\\$&")}$`, "m"));
      } finally {
        run("rm", ["-rf", dir]);
      }
    });

    test("malformed <pid>:<id> specs are usage errors (exit 2)", () => {
      for (
        const spec of ["4242:", ":5678", "4242:x", "4242:0", "4242:1:2", "4242:18446744073709551616", "0:5"]
      ) {
        for (const command of ["kill", "wait", "info", "ns", "reclaim", "exec"]) {
          const r = runCli(v, [command, spec, ...(command === "exec" ? ["--", "true"] : [])]);
          assert.equal(r.status, 2, `${command} ${spec}: ${r.stderr}`);
          assert.match(r.stderr, /^pidfd: invalid (process|pid) '/, `${command} ${spec}`);
          assert.equal(r.stderr.trim().split("\n").length <= 2, true, r.stderr);
        }
      }
    });

    const [major, minor] = utilLinuxVersion();
    const recent = major > 2 || (major === 2 && minor >= 42);
    test("util-linux kill accepts the printed <pid>:<id>", {
      skip: recent ? false : `util-linux ${major}.${minor} is older than 2.42, which added PID:INODE`,
    }, async () => {
      const s = await sleeper();
      try {
        const spec = `${s.pid}:${pidfsIdOf(s.pid)}`;
        run("kill", ["-s", "KILL", spec]);
        assert.deepEqual(await ended(s), { code: null, signal: "SIGKILL" });
      } finally {
        await s.kill();
      }
    });
  });
}
