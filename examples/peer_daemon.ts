/**
 * A local daemon that decides what each client may do by who the kernel says it is: the peer's pidfd from
 * `SO_PEERPIDFD`, never a pid that a client could have exited and handed over to another process meanwhile.
 *
 * Run: `deno run --allow-ffi examples/peer_daemon.ts [socket path] [allowed uid…]` or
 * `bun examples/peer_daemon.ts …`. The socket (default `/tmp/peer-daemon.sock`) is world-writable (mode 0666):
 * anyone may connect, and the policy decides. Clients whose effective uid is root, the daemon's own or one
 * listed are served; every other client is told `denied` and disconnected. Talk to it with
 * `socat - UNIX-CONNECT:/tmp/peer-daemon.sock` and send one request per line:
 *
 * - `whoami`: what the kernel knows about you (pid, pidfs id, uid, command).
 * - `stop-me`: the daemon sends SIGTERM to you, through your pidfd: it can only ever reach you, even if you
 *   exited and your pid now belongs to someone else.
 *
 * The daemon stops on SIGINT or SIGTERM and removes its socket file.
 *
 * @module
 */

import { listenUnix, Pidfd, type UnixConnection } from "../mod.ts";

const argv = (globalThis as unknown as { process: { argv: string[] } }).process.argv.slice(2);
const path = argv[0] ?? "/tmp/peer-daemon.sock";
const me = Pidfd.self();
const allowed = new Set([0, me.info().euid!, ...argv.slice(1).map(Number)]);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

await using listener = listenUnix(path, { mode: 0o666 });
console.log(`listening on ${path}; serving uids ${[...allowed].join(", ")}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  (globalThis as unknown as { process: { on(s: string, f: () => void): void } }).process.on(signal, () => {
    listener.close(); // ends the loop below; `await using` then removes the socket file
  });
}

for await (const connection of listener) serve(connection).catch((e) => console.error("client failed:", e));
console.log("stopped");

async function serve(connection: UnixConnection): Promise<void> {
  await using _ = connection;
  // The kernel's record of who connected: a new pidfd, owned here and closed at the end of the scope.
  using client = connection.peer();
  const { euid } = client.info();
  const command = (() => {
    try {
      using dir = client.openProcDir();
      return dir.readText("comm").trim();
    } catch {
      return "?"; // already exited
    }
  })();
  const reply = (text: string): Promise<void> => connection.send(encoder.encode(text + "\n"));
  if (euid === null || !allowed.has(euid)) {
    console.log(`denied pid ${client.pid} (uid ${euid}, ${command})`);
    return await reply("denied");
  }
  console.log(`serving pid ${client.pid} (pidfs id ${client.id}, uid ${euid}, ${command})`);
  let pending = "";
  for (;;) {
    const message = await connection.receive();
    if (message === null) return;
    pending += decoder.decode(message.data, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const request = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (request === "whoami") {
        await reply(JSON.stringify({ pid: client.pid, id: String(client.id), uid: euid, command }));
      } else if (request === "stop-me") {
        await reply("bye");
        client.sendSignal("SIGTERM");
        return;
      } else {
        await reply(`unknown request ${JSON.stringify(request)}`);
      }
    }
  }
}
