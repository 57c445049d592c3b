import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { once } from "node:events";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import process from "node:process";
import { after, describe, test } from "node:test";
import {
  connectUnix,
  listenUnix,
  MAX_RECEIVED_PIDFDS,
  Pidfd,
  supports,
  SyscallError,
  UnixConnection,
  type UnixListener,
} from "../mod.ts";
import { AF_UNIX, LE, libc, SOCK_CLOEXEC, SOCK_STREAM, structBuffer } from "../ffi/mod.ts";
import { code } from "./fixtures/reuse_pid.ts";
import {
  fdSnapshot,
  fdsOpenedSince,
  isBun,
  needsRoot,
  ROOT,
  runtime,
  sleeper,
  statusInts,
  withHiddenFeatures,
} from "./helpers.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const dir = mkdtempSync("/tmp/pidfd-unix-test-");
after(() => rmSync(dir, { recursive: true, force: true }));
let serial = 0;
const socketPath = (): string => `${dir}/s${serial++}.sock`;
const client = new URL("./fixtures/unix_client.ts", import.meta.url).pathname;

/** Both runtimes: this one and the other one from node_modules. */
const RUNTIMES: [name: string, argv: (script: string) => string[]][] = [
  [isBun ? "bun" : "deno", (s) => isBun ? [runtime, s] : [runtime, "run", "-A", s]],
  [
    isBun ? "deno" : "bun",
    (s) => isBun ? [`${ROOT}node_modules/.bin/deno`, "run", "-A", s] : [`${ROOT}node_modules/.bin/bun`, s],
  ],
];

interface Child {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything it printed and its exit code, once it has exited. */
  readonly done: Promise<{ stdout: string; code: number | null }>;
}

function start(argv: string[]): Child {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  child.stdout!.on("data", (chunk: Uint8Array) => stdout += decoder.decode(chunk));
  const done = once(child, "exit").then(([code]) => ({ stdout, code: code as number | null }));
  return { child, pid: child.pid!, done };
}

function python(script: string, ...args: string[]): Child {
  return start(["python3", "-c", script, ...args]);
}

function rawSocketPair(): [number, number] {
  const pair = structBuffer(8);
  assert.equal(libc.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair.bytes), 0);
  return [pair.view.getInt32(0, LE), pair.view.getInt32(4, LE)];
}

/** A listener and a connection to it from this process, both ends. */
async function pair(
  options: { passPidfd?: boolean } = {},
): Promise<
  {
    listener: UnixListener;
    server: UnixConnection;
    client: UnixConnection;
    [Symbol.asyncDispose](): Promise<void>;
  }
> {
  const listener = listenUnix(socketPath(), options);
  const [client, server] = await Promise.all([connectUnix(listener.path, options), listener.accept()]);
  return {
    listener,
    server,
    client,
    async [Symbol.asyncDispose](): Promise<void> {
      client.close();
      server.close();
      await listener[Symbol.asyncDispose]();
    },
  };
}

describe("listenUnix and connectUnix", () => {
  test("supports() reports SO_PEERPIDFD (6.5) and peer pidfds after exit (6.16) on this kernel", () => {
    assert.equal(supports().peerPidfd, true);
    assert.equal(supports().peerPidfdAfterExit, true);
  });

  test("bad arguments are refused before any syscall, and open no fd", async () => {
    const before = fdSnapshot();
    assert.throws(() => listenUnix(42 as unknown as string), TypeError);
    assert.throws(() => listenUnix(""), TypeError);
    assert.throws(() => listenUnix(`${dir}/a\0b`), TypeError);
    assert.throws(() => listenUnix(`/tmp/${"x".repeat(103)}`), /108 bytes/); // 108 with the NUL
    assert.throws(() => listenUnix(`/tmp/${"x".repeat(103)}`), RangeError);
    assert.throws(() => listenUnix(`@${"x".repeat(108)}`), RangeError);
    assert.throws(() => listenUnix(socketPath(), { mode: 0o10000 }), RangeError);
    assert.throws(() => listenUnix(socketPath(), { mode: "0600" as unknown as number }), TypeError);
    assert.throws(() => listenUnix("@abstract", { mode: 0o600 }), RangeError);
    assert.throws(() => listenUnix(socketPath(), { backlog: 0 }), RangeError);
    assert.throws(() => listenUnix(socketPath(), { passPidfd: "yes" as unknown as boolean }), TypeError);
    await assert.rejects(connectUnix(`/tmp/${"y".repeat(103)}`), RangeError);
    await assert.rejects(connectUnix(socketPath(), { signal: {} as AbortSignal }), TypeError);
    assert.throws(() => new (UnixConnection as unknown as new () => unknown)(), TypeError);
    assert.deepEqual(fdsOpenedSince(before), []);
  });

  test("a path of exactly 107 bytes fits sun_path", async () => {
    const path = `${dir}/${"p".repeat(107 - dir.length - 1)}`;
    assert.equal(encoder.encode(path).length, 107);
    await using listener = listenUnix(path, { mode: 0o600 });
    await using connection = await connectUnix(path);
    (await listener.accept()).close();
    assert.equal(connection.closed, false);
  });

  test("mode is applied before the file appears, with no temporary left behind; dispose unlinks", async () => {
    const path = socketPath();
    const listener = listenUnix(path, { mode: 0o640 });
    const st = statSync(path);
    assert.equal(st.isSocket(), true);
    assert.equal(st.mode & 0o7777, 0o640);
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith(".")), []);
    await listener[Symbol.asyncDispose]();
    assert.equal(existsSync(path), false);
  });

  test("an existing path (a file, a stale socket) is EADDRINUSE and is left alone", async () => {
    const file = socketPath();
    writeFileSync(file, "keep");
    for (const options of [{}, { mode: 0o600 }]) {
      assert.throws(() => listenUnix(file, options), (e: unknown) => {
        assert.ok(
          e instanceof SyscallError && e.code === "EADDRINUSE" && e.message.includes(file),
          String(e),
        );
        return true;
      });
    }
    assert.equal(statSync(file).isFile(), true);
    // A stale socket file: its listener is gone.
    const stale = socketPath();
    listenUnix(stale).close();
    assert.equal(statSync(stale).isSocket(), true);
    assert.throws(() => listenUnix(stale, { mode: 0o600 }), /EADDRINUSE/);
    await assert.rejects(
      connectUnix(stale),
      (e: unknown) => e instanceof SyscallError && e.code === "ECONNREFUSED",
    );
    assert.equal(statSync(stale).isSocket(), true, "never silently unlinked");
    await assert.rejects(connectUnix(`${dir}/missing.sock`), /ENOENT.*|connect\(.*missing/);
    assert.throws(
      () => listenUnix(`${dir}/no/such/dir.sock`),
      (e: unknown) => e instanceof SyscallError && e.code === "ENOENT",
    );
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith(".")), []);
  });

  test("dispose leaves a file that replaced the socket at its path", async () => {
    const path = socketPath();
    const listener = listenUnix(path);
    renameSync(path, `${path}.moved`);
    writeFileSync(path, "someone else's");
    await listener[Symbol.asyncDispose]();
    assert.equal(statSync(path).isFile(), true);
    assert.equal(statSync(`${path}.moved`).isSocket(), true);
  });

  test("abstract names, written with @ or NUL, have no file and connect either way", async () => {
    const name = `pidfd-test-${process.pid}-${serial++}`;
    await using listener = listenUnix(`@${name}`);
    for (const path of [`@${name}`, `\0${name}`]) {
      await using _client = await connectUnix(path);
      await using s = await listener.accept();
      using peer = s.peer();
      using self = Pidfd.self();
      assert.ok(peer.equals(self));
    }
    assert.equal(existsSync(`@${name}`), false);
  });

  test("mode 0600 keeps other users out: their connect is EACCES", { skip: needsRoot }, async () => {
    const open = mkdtempSync(`${dir}/open-`);
    chmodSync(dir, 0o755);
    chmodSync(open, 0o755);
    await using listener = listenUnix(`${open}/private.sock`, { mode: 0o600 });
    const r = spawnSync("setpriv", [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      "/usr/bin/python3",
      "-c",
      "import socket, sys\ntry: socket.socket(socket.AF_UNIX).connect(sys.argv[1])\nexcept PermissionError: sys.exit(13)",
      listener.path,
    ], { encoding: "utf8" });
    assert.equal(r.status, 13, `connect is refused by the file's mode: ${r.stderr}`);
    chmodSync(dir, 0o700);
  });
});

describe("UnixConnection: peer identity", () => {
  for (const [name, argv] of RUNTIMES) {
    test(`peer() of a ${name} client is its process; the client's peer() is this server`, async () => {
      await using listener = listenUnix(socketPath(), { passPidfd: true });
      const c = start(argv(client).concat("hello", listener.path));
      using expected = Pidfd.open(c.pid); // the client runs until the server closes
      await using connection = await listener.accept();
      const hello = await connection.receive();
      assert.equal(decoder.decode(hello!.data), "hello");
      assert.ok(hello!.sender!.equals(expected), "SCM_PIDFD names the client");
      hello!.sender!.close();
      using peer = connection.peer();
      using again = connection.peer();
      assert.equal(peer.pid, c.pid);
      assert.equal(peer.id, expected.id);
      assert.notEqual(peer.fd, again.fd, "a new pidfd each call");
      assert.ok(peer.equals(again));
      assert.deepEqual(connection.peerCredentials(), {
        pid: c.pid,
        uid: statusInts(c.pid, "Uid")[1],
        gid: statusInts(c.pid, "Gid")[1],
      });
      await connection.send(encoder.encode("welcome"));
      connection.close();
      const { stdout, code } = await c.done;
      assert.equal(code, 0);
      using self = Pidfd.self();
      assert.deepEqual(JSON.parse(stdout), { server: String(self.id), sender: String(self.id) });
    });
  }

  test("passPidfd delivers the sender of a message sent right before it exited; peer() still answers", async () => {
    await using listener = listenUnix(socketPath(), { passPidfd: true });
    const c = start(RUNTIMES[1]![1](client).concat("send-exit", listener.path, "7"));
    await using connection = await listener.accept();
    using early = connection.peer();
    assert.equal((await c.done).code, 7); // exited and reaped
    const message = await connection.receive();
    assert.equal(decoder.decode(message!.data), "bye");
    using sender = message!.sender!;
    assert.ok(sender.equals(early));
    assert.equal(sender.pid, 0, "reaped before the message was read: no pid to tell");
    assert.equal(sender.info({ exit: true }).exitStatus, 7 << 8);
    assert.equal(code(() => sender.sendSignal(0)), "ESRCH");
    using late = connection.peer(); // the peer has been reaped (6.16)
    assert.ok(late.equals(early));
    assert.equal(late.pid, c.pid);
    assert.equal(late.info({ exit: true }).exitStatus, 7 << 8);
    assert.equal(await connection.receive(), null);
  });

  test("after the client exits and its pid is reused, its pidfd still refers to the exited client", {
    skip: needsRoot,
  }, () => {
    const d = mkdtempSync(`${dir}/reuse-`);
    for (const [, argv] of RUNTIMES) {
      const r = spawnSync("unshare", [
        "--pid",
        "--fork",
        "--mount-proc",
        ...argv(`${ROOT}tests/fixtures/unix_pid_reuse.ts`),
        d,
      ], {
        encoding: "utf8",
        timeout: 60_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const result = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
      assert.equal(result.newPid, result.clientPid, "the pid was reused");
      assert.equal(result.beforePid, result.clientPid);
      assert.equal(result.afterPid, result.clientPid);
      assert.equal(result.sameIdAfter, true);
      assert.equal(result.senderIsClient, true);
      assert.equal(result.newIsDifferent, true, "never the new process");
      assert.equal(result.beforeExit, 5 << 8);
      assert.equal(result.afterExit, 5 << 8);
      assert.equal(result.senderExit, 5 << 8);
      assert.equal(result.signal, "ESRCH");
      assert.equal(result.info, "ESRCH");
      assert.equal(result.newAlive, true, "the new process was not signalled");
    }
  });

  test("a root client lying in SCM_CREDENTIALS does not change peer() or peerCredentials()", {
    skip: needsRoot,
  }, async () => {
    await using listener = listenUnix(socketPath());
    using init = Pidfd.open(1);
    const c = python(
      `import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendmsg([b"I am pid 1"], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, struct.pack("iII", 1, 0, 0))])
s.recv(1)`,
      listener.path,
    );
    await using connection = await listener.accept();
    const message = await connection.receive();
    assert.equal(decoder.decode(message!.data), "I am pid 1", "the kernel accepted the claim from root");
    using peer = connection.peer();
    assert.equal(peer.pid, c.pid);
    assert.equal(peer.equals(init), false);
    assert.equal(connection.peerCredentials().pid, c.pid);
    connection.close();
    assert.equal((await c.done).code, 0);
  });

  test("Pidfd.fromSocketPeer: a raw socket fd; TypeError for anything but an AF_UNIX socket", () => {
    const [a, b] = rawSocketPair();
    try {
      using peer = Pidfd.fromSocketPeer(a);
      using self = Pidfd.self();
      assert.ok(peer.equals(self), "socketpair names its creator");
      assert.equal(peer.pid, process.pid);
      const inet = libc.socket(2, SOCK_STREAM | SOCK_CLOEXEC, 0); // AF_INET
      assert.ok(inet >= 0);
      try {
        assert.throws(() => Pidfd.fromSocketPeer(inet), /not an AF_UNIX socket/);
      } finally {
        libc.close(inet);
      }
      const unconnected = libc.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      try {
        assert.equal(code(() => Pidfd.fromSocketPeer(unconnected)), "ENODATA");
      } finally {
        libc.close(unconnected);
      }
    } finally {
      libc.close(a);
      libc.close(b);
    }
    using pidfd = Pidfd.self();
    assert.throws(() => Pidfd.fromSocketPeer(pidfd.fd), TypeError);
    assert.throws(() => Pidfd.fromSocketPeer(-1), RangeError);
    assert.throws(() => Pidfd.fromSocketPeer("3" as unknown as number), TypeError);
  });

  test("without SO_PEERPIDFD (hidden): peer() and fromSocketPeer() are UnsupportedError; the rest works", () => {
    const out = withHiddenFeatures("peerPidfd", "peer");
    assert.equal(out["peer"], "UnsupportedError peerPidfd");
    assert.equal(out["fromSocketPeer"], "UnsupportedError peerPidfd");
    assert.equal(out["credentials"], true);
    assert.equal(out["received"], "x");
  });

  test("a closed connection throws TypeError from every member", async () => {
    await using p = await pair();
    p.server.close();
    assert.throws(() => p.server.peer(), TypeError);
    assert.throws(() => p.server.peerCredentials(), TypeError);
    assert.throws(() => p.server.readable, TypeError);
    assert.throws(() => p.server.writable, TypeError);
    await assert.rejects(p.server.send(encoder.encode("x")), TypeError);
    await assert.rejects(p.server.receive(), TypeError);
    assert.equal(await p.client.receive(), null, "the peer sees EOF");
  });
});

describe("UnixConnection: messages and pidfds", () => {
  test("the client side gets the server's pidfd with each message (passPidfd on connectUnix)", async () => {
    await using p = await pair({ passPidfd: true });
    await p.server.send(encoder.encode("x"));
    const message = await p.client.receive();
    using sender = message!.sender!;
    using self = Pidfd.self();
    assert.ok(sender.equals(self));
    assert.equal(decoder.decode(message!.data), "x");
    await p.client.send(encoder.encode("y"));
    const back = await p.server.receive();
    assert.ok(back!.sender!.equals(self), "accepted connections inherit passPidfd");
    back!.sender!.close();
  });

  test("without passPidfd no sender comes along", async () => {
    await using p = await pair();
    await p.client.send(encoder.encode("x"));
    const message = await p.server.receive();
    assert.equal(message!.sender, null);
    assert.deepEqual(message!.pidfds, []);
  });

  for (const [name, argv] of RUNTIMES) {
    test(`pidfds sent with send({ pidfds }) arrive as working Pidfds in a ${name} process, and back`, async () => {
      const target = await sleeper();
      try {
        using pidfd = Pidfd.open(target.pid);
        await using listener = listenUnix(socketPath());
        const receiver = start(argv(client).concat("receive-pidfd", listener.path));
        await using connection = await listener.accept();
        await connection.send(encoder.encode("take"), { pidfds: [pidfd, pidfd] });
        const got = await receiver.done;
        assert.equal(got.code, 0);
        const entry = { pid: target.pid, id: String(pidfd.id), alive: true };
        assert.deepEqual(JSON.parse(got.stdout), [entry, entry]);

        const sender = start(argv(client).concat("send-pidfd", listener.path, String(target.pid)));
        await using incoming = await listener.accept();
        const message = await incoming.receive();
        assert.equal(message!.pidfds.length, 1);
        assert.equal(message!.refused, 0);
        using received = message!.pidfds[0]!;
        assert.ok(received.equals(pidfd));
        assert.equal(received.pid, target.pid);
        received.sendSignal("SIGKILL"); // it works
        await once(target.child, "exit");
        incoming.close();
        assert.equal((await sender.done).code, 0);
      } finally {
        await target.kill();
      }
    });
  }

  test("a hostile peer's non-pidfd fds are refused and closed; its pidfd is accepted", async () => {
    await using listener = listenUnix(socketPath());
    const c = python(
      `import os, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
r, w = os.pipe()
socket.send_fds(s, [b"fds"], [r, os.pidfd_open(os.getpid()), w, os.open("/etc/hostname", os.O_RDONLY)])
s.recv(1)`,
      listener.path,
    );
    await using connection = await listener.accept();
    const before = fdSnapshot();
    const message = await connection.receive();
    assert.equal(decoder.decode(message!.data), "fds");
    assert.equal(message!.refused, 3);
    assert.equal(message!.pidfds.length, 1);
    using pidfd = message!.pidfds[0]!;
    assert.equal(pidfd.pid, c.pid);
    assert.equal(fdsOpenedSince(before).length, 1, "only the pidfd stays open");
    pidfd.close();
    assert.deepEqual(fdsOpenedSince(before), []);
    connection.close();
    await c.done;
  });

  test("more fds than a message may carry: MSG_CTRUNC is an error, every fd that arrived is closed", async () => {
    await using listener = listenUnix(socketPath(), { passPidfd: true });
    const c = python(
      `import os, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
fd = os.pidfd_open(os.getpid())
socket.send_fds(s, [b"many"], [fd] * ${MAX_RECEIVED_PIDFDS + 36})
s.sendall(b"after")
s.recv(1)`,
      listener.path,
    );
    await using connection = await listener.accept();
    const before = fdSnapshot();
    await assert.rejects(connection.receive(), (e: unknown) => {
      assert.ok(
        e instanceof SyscallError && e.code === "EMSGSIZE" && /MSG_CTRUNC/.test(e.message),
        String(e),
      );
      return true;
    });
    assert.deepEqual(fdsOpenedSince(before), []);
    const next = await connection.receive(); // the connection goes on
    assert.equal(decoder.decode(next!.data), "after");
    next!.sender?.close();
    assert.deepEqual(fdsOpenedSince(before), []);
    connection.close();
    await c.done;
  });

  test("send() of more than the socket buffer holds (a subarray) arrives intact through receive()", async () => {
    await using p = await pair();
    const data = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 7 + (i >> 11)) & 0xff);
    const part = data.subarray(5);
    const sending = p.client.send(part);
    const received = new Uint8Array(part.length);
    for (let got = 0; got < part.length;) {
      const message = await p.server.receive();
      received.set(message!.data, got);
      got += message!.data.length;
    }
    await sending;
    assert.deepEqual(received, part);
  });

  test("send() refuses bad pidfds before sending anything", async () => {
    await using p = await pair();
    const closed = Pidfd.self();
    closed.close();
    await assert.rejects(p.client.send(encoder.encode("x"), { pidfds: [closed] }), TypeError);
    await assert.rejects(p.client.send(encoder.encode("x"), { pidfds: [3 as unknown as Pidfd] }), TypeError);
    using self = Pidfd.self();
    await assert.rejects(p.client.send(new Uint8Array(0), { pidfds: [self] }), RangeError);
    await assert.rejects(p.client.send(encoder.encode("x"), { pidfds: Array(254).fill(self) }), RangeError);
    await assert.rejects(p.client.send("x" as unknown as Uint8Array), TypeError);
    await p.client.send(encoder.encode("ok"));
    assert.equal(decoder.decode((await p.server.receive())!.data), "ok", "nothing else was sent");
  });

  test("readable and receive() do not mix", async () => {
    await using p = await pair();
    p.server.readable;
    await assert.rejects(p.server.receive(), TypeError);
    const pending = p.client.receive().catch((e) => e);
    assert.throws(() => p.client.readable, TypeError);
    p.client.close();
    assert.equal((await pending).name, "AbortError");
  });
});

describe("UnixConnection: streams, scale, cancellation", () => {
  test("100 MB each way through one connection, with correct sha256 on both sides", async () => {
    await using p = await pair();
    const size = 100 * 1024 * 1024;
    const chunk = 1024 * 1024;
    const pump = async (w: WritableStream<Uint8Array>, seed: number): Promise<string> => {
      const hash = createHash("sha256");
      const writer = w.getWriter();
      for (let sent = 0, n = seed; sent < size; sent += chunk) {
        const data = new Uint8Array(chunk);
        for (let i = 0; i < chunk; i += 4096) data[i] = n = (n * 1103515245 + 12345) & 0xff;
        hash.update(data);
        await writer.write(data);
      }
      await writer.close();
      return hash.digest("hex");
    };
    const drain = async (r: ReadableStream<Uint8Array>): Promise<string> => {
      const hash = createHash("sha256");
      let total = 0;
      for await (const data of r) {
        hash.update(data);
        total += data.length;
      }
      assert.equal(total, size);
      return hash.digest("hex");
    };
    const [sentUp, sentDown, gotUp, gotDown] = await Promise.all([
      pump(p.client.writable, 1),
      pump(p.server.writable, 2),
      drain(p.server.readable),
      drain(p.client.readable),
    ]);
    assert.equal(gotUp, sentUp);
    assert.equal(gotDown, sentDown);
    assert.notEqual(sentUp, sentDown);
  });

  test("a BYOB reader gets the bytes in its own buffer, handed back and reused; EOF resolves a waiting read", async () => {
    await using p = await pair();
    const size = 8 * 1024 * 1024 + 5;
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) data[i] = (i * 131 + (i >> 13)) & 0xff;
    const writing = (async () => {
      const writer = p.client.writable.getWriter();
      await writer.write(data);
      await writer.close();
    })();
    const reader = p.server.readable.getReader({ mode: "byob" });
    const received = new Uint8Array(size);
    let total = 0;
    let buffer = new ArrayBuffer(65536);
    for (let reads = 0;; reads++) {
      const room = 1 + (reads % 4) * 20000; // views of 1 byte to 60 KB, not at offset 0
      const { value, done } = await reader.read(new Uint8Array(buffer, 7, room));
      if (done) break;
      assert.ok(value.length >= 1 && value.length <= room, `${value.length} of ${room}`);
      assert.equal(value.byteOffset, 7);
      received.set(value, total);
      total += value.length;
      buffer = value.buffer; // the caller's memory, transferred back
    }
    await writing;
    assert.equal(total, size);
    assert.ok(Buffer.from(received).equals(Buffer.from(data)), "identical bytes");

    await using q = await pair();
    const waiting = q.client.readable.getReader({ mode: "byob" }).read(new Uint8Array(16));
    q.server.close();
    const end = await waiting;
    assert.equal(end.done, true);
    assert.equal(end.value?.length, 0);
  });

  test("1,000 concurrent connections from another process on one listener", async () => {
    const n = 1000; // the hard fd limit here is far above 2,000 (Deno and Bun raise the soft one to it)
    await using listener = listenUnix(socketPath());
    const c = start(RUNTIMES[1]![1](client).concat("many", listener.path, String(n)));
    const served: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const connection = await listener.accept();
      served.push((async () => {
        const message = await connection.receive();
        await connection.send(message!.data);
        assert.equal(await connection.receive(), null);
        connection.close();
      })());
    }
    await Promise.all(served);
    const { stdout, code } = await c.done;
    assert.equal(code, 0);
    assert.equal(stdout.trim(), `ok ${n}`);
  });

  test("closing the listener ends for await and refuses the connections in its backlog", async () => {
    const before = fdSnapshot();
    const listener = listenUnix(socketPath());
    const iterated = (async () => {
      let count = 0;
      for await (const c of listener) {
        c.close();
        count++;
      }
      return count;
    })();
    await new Promise((r) => setTimeout(r, 20));
    listener.close();
    assert.equal(await iterated, 0);
    await listener[Symbol.asyncDispose]();

    const busy = listenUnix(socketPath());
    const queued = await Promise.all([0, 1, 2].map(() => connectUnix(busy.path)));
    busy.close();
    for (const c of queued) {
      const r = await c.receive().catch((e) => e);
      assert.ok(r === null || (r instanceof SyscallError && r.code === "ECONNRESET"), String(r));
      c.close();
    }
    await busy[Symbol.asyncDispose]();
    assert.deepEqual(fdsOpenedSince(before), []);
  });

  test("a pending accept() rejects with AbortError when the listener closes", async () => {
    const before = fdSnapshot();
    const listener = listenUnix(socketPath());
    const pending = listener.accept();
    listener.close();
    await assert.rejects(pending, (e: unknown) => e instanceof DOMException && e.name === "AbortError");
    await assert.rejects(listener.accept(), TypeError);
    await listener[Symbol.asyncDispose]();
    assert.deepEqual(fdsOpenedSince(before), []);
  });

  test("cancelling readable and closing a connection with a pending receive() settle at once", async () => {
    const before = fdSnapshot();
    {
      await using p = await pair();
      const reader = p.server.readable.getReader();
      const read = reader.read();
      await reader.cancel();
      assert.deepEqual(await read, { done: true, value: undefined });
      const receiving = p.client.receive();
      p.client.close();
      await assert.rejects(receiving, (e: unknown) => e instanceof DOMException && e.name === "AbortError");
    }
    assert.deepEqual(fdsOpenedSince(before), []);
  });

  test("aborting connectUnix to a full backlog rejects with the reason and closes the socket", async () => {
    await using listener = listenUnix(socketPath(), { backlog: 1 });
    const fill: UnixConnection[] = [];
    // Connections beyond the backlog wait in connect: fill it.
    const before = fdSnapshot();
    for (let i = 0; i < 2; i++) fill.push(await connectUnix(listener.path));
    const controller = new AbortController();
    const attempt = connectUnix(listener.path, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 30));
    const reason = new Error("stop");
    controller.abort(reason);
    await assert.rejects(attempt, (e: unknown) => e === reason);
    for (const c of fill) c.close();
    assert.deepEqual(fdsOpenedSince(before), []);
    const aborted = new AbortController();
    aborted.abort(reason);
    await assert.rejects(
      connectUnix(listener.path, { signal: aborted.signal }),
      (e: unknown) => e === reason,
    );
    assert.deepEqual(fdsOpenedSince(before), []);
  });
});

describe("examples/peer_daemon.ts", () => {
  test("serves its own user and root, denies others, and signals a client through its pidfd", {
    skip: needsRoot,
  }, async () => {
    const home = mkdtempSync("/tmp/pidfd-daemon-");
    chmodSync(home, 0o755);
    const path = `${home}/daemon.sock`;
    const daemon = start(RUNTIMES[0]![1](`${ROOT}examples/peer_daemon.ts`).concat(path));
    try {
      for (let i = 0; i < 400 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(statSync(path).mode & 0o777, 0o666);
      {
        await using connection = await connectUnix(path);
        await connection.send(encoder.encode("whoami\n"));
        const reply = JSON.parse(decoder.decode((await connection.receive())!.data));
        using self = Pidfd.self();
        assert.deepEqual(reply.pid, libc.getpid());
        assert.equal(reply.id, String(self.id));
      }
      const denied = spawnSync("setpriv", [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "/usr/bin/python3",
        "-c",
        "import socket, sys\ns = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])\nprint(s.recv(100).decode().strip())",
        path,
      ], { encoding: "utf8" });
      assert.equal(denied.stdout.trim(), "denied", denied.stderr);
      const victim = python(
        "import socket, sys, time\ns = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b'stop-me\\n'); time.sleep(30)",
        path,
      );
      const { code } = await victim.done;
      assert.equal(code, null, "killed by the daemon's SIGTERM");
      assert.equal(victim.child.signalCode, "SIGTERM");
    } finally {
      daemon.child.kill("SIGINT");
      await daemon.done;
    }
    assert.equal(existsSync(path), false, "the daemon removed its socket");
    rmSync(home, { recursive: true, force: true });
  });
});
