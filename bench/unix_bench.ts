/**
 * Unix sockets, in two measurements:
 * 1. accept + `peer()` + close per connection, against a C client (`bench/unix_ref.c client`) that connects
 *    and closes as fast as it can; the same rounds in C (`unix_ref serve`) in the same run give the reference.
 * 2. stream throughput of one connection in this process (a writer of 64 KiB chunks, a reader to EOF): a
 *    `UnixConnection`'s `writable`/`readable` against the runtime's own Unix socket (`Deno.listen` /
 *    `Deno.connect({ transport: "unix" })`, `Bun.listen` / `Bun.connect({ unix })`), MB/s, with the readable
 *    read both ways: `for await` (a new chunk per read) and a BYOB reader (one buffer, reused). Bun's socket
 *    hands each read to a `data` callback as a view of its own reused buffer.
 *
 * Run (gcc compiles the C part at run time; without gcc it is skipped):
 *   deno run --allow-ffi --allow-run --allow-read --allow-env --allow-net --allow-write bench/unix_bench.ts
 * (--allow-net and --allow-write only for Deno.listen and Deno.connect, the comparison; the library needs neither)
 *   bun bench/unix_bench.ts                (also `bun bench/unix_bun.ts`, which `npm run bench:bun` runs)
 * Under `deno bench` this file registers the accept case with a C client.
 */

import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { connectUnix, listenUnix } from "../mod.ts";

const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
const CONNECTIONS = 20_000;
const STREAM_BYTES = 512 * 1024 * 1024;
const CHUNK = 64 * 1024;
const ROUNDS = 3;

/** `bench/unix_ref.c` compiled with gcc, or `null` without gcc. */
function compileRef(dir: string): string | null {
  const binary = `${dir}/unix_ref`;
  const r = spawnSync("gcc", ["-O2", "-o", binary, new URL("./unix_ref.c", import.meta.url).pathname]);
  return r.status === 0 ? binary : null;
}

/** ns per connection: accept + peer() + close of `n` connections made by the C client. */
export async function acceptRound(ref: string, path: string, n: number): Promise<number> {
  await using listener = listenUnix(path);
  const client = spawn(ref, ["client", path, String(n)], { stdio: "inherit" });
  const exited = once(client, "exit");
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const connection = await listener.accept();
    connection.peer().close();
    connection.close();
  }
  const ns = (performance.now() - start) * 1e6 / n;
  await exited;
  return ns;
}

function refRound(ref: string, path: string, n: number): number {
  const r = spawnSync(ref, ["serve", path, String(n)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`unix_ref serve failed: ${r.stderr}`);
  return JSON.parse(r.stdout).nsPerConnection;
}

const payload = new Uint8Array(CHUNK).fill(7);

/**
 * Reads `readable` to EOF; returns the byte count. `byob`: through a BYOB reader, one 256 KiB buffer handed back
 * and forth (the stream writes into it); otherwise `for await`, a new chunk per read.
 */
async function drain(readable: ReadableStream<Uint8Array>, byob: boolean): Promise<number> {
  let received = 0;
  if (!byob) {
    for await (const chunk of readable) received += chunk.length;
    return received;
  }
  const reader = readable.getReader({ mode: "byob" });
  let buffer = new ArrayBuffer(256 * 1024);
  for (;;) {
    const { value, done } = await reader.read(new Uint8Array(buffer));
    if (done) return received;
    received += value.length;
    buffer = value.buffer;
  }
}

/** MB/s through a UnixConnection pair in this process. */
async function libraryStream(path: string, byob: boolean): Promise<number> {
  await using listener = listenUnix(path);
  const accepted = listener.accept();
  await using client = await connectUnix(path);
  await using server = await accepted;
  const start = performance.now();
  const writing = (async () => {
    const writer = client.writable.getWriter();
    for (let sent = 0; sent < STREAM_BYTES; sent += CHUNK) await writer.write(payload);
    await writer.close();
  })();
  const received = await drain(server.readable, byob);
  await writing;
  if (received !== STREAM_BYTES) throw new Error(`received ${received} bytes`);
  return STREAM_BYTES / 1e6 / ((performance.now() - start) / 1e3);
}

/** MB/s through Deno's own Unix socket, its `readable` read the same way. */
async function denoStream(path: string, byob: boolean): Promise<number> {
  using listener = Deno.listen({ transport: "unix", path });
  const accepted = listener.accept();
  using client = await Deno.connect({ transport: "unix", path });
  using server = await accepted;
  const start = performance.now();
  const writing = (async () => {
    for (let sent = 0; sent < STREAM_BYTES; sent += CHUNK) {
      for (let off = 0; off < CHUNK;) off += await client.write(payload.subarray(off));
    }
    await client.closeWrite();
  })();
  const received = await drain(server.readable, byob);
  await writing;
  if (received !== STREAM_BYTES) throw new Error(`received ${received} bytes`);
  return STREAM_BYTES / 1e6 / ((performance.now() - start) / 1e3);
}

interface BunSocket {
  write(data: Uint8Array): number;
  end(): void;
}
interface BunNet {
  listen(o: object): { stop(closeActive?: boolean): void };
  connect(o: object): Promise<BunSocket>;
}

/** MB/s through Bun's own Unix socket (`Bun.listen` / `Bun.connect`), writing on `drain`. */
async function bunStream(path: string): Promise<number> {
  const bun = (globalThis as unknown as { Bun: BunNet }).Bun;
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => done = resolve);
  const server = bun.listen({
    unix: path,
    socket: {
      data(_s: unknown, data: Uint8Array): void {
        received += data.length;
      },
      close(): void {
        done();
      },
    },
  });
  let sent = 0;
  let offset = 0;
  const pump = (socket: BunSocket): void => {
    while (sent < STREAM_BYTES) {
      const n = socket.write(payload.subarray(offset));
      offset += n;
      if (offset === CHUNK) {
        offset = 0;
        sent += CHUNK;
      } else return; // the kernel buffer is full: continue on drain
    }
    socket.end();
  };
  const start = performance.now();
  await bun.connect({ unix: path, socket: { open: pump, drain: pump, data(): void {} } });
  await finished;
  const mbs = STREAM_BYTES / 1e6 / ((performance.now() - start) / 1e3);
  server.stop(true);
  if (received !== STREAM_BYTES) throw new Error(`received ${received} bytes`);
  return mbs;
}

// Made and removed with mktemp and rm: the benchmark needs no --allow-write (sockets are bound through the FFI).
const tempDir = (): string =>
  spawnSync("mktemp", ["-d", "/tmp/pidfd-unix-bench-XXXXXX"], { encoding: "utf8" }).stdout.trim();
const removeDir = (dir: string): void => void spawnSync("rm", ["-rf", dir]);

const best = (values: number[], high: boolean): number => high ? Math.max(...values) : Math.min(...values);

/** Both measurements, best of {@link ROUNDS} each; the rows of the README's Performance table. */
export async function main(): Promise<void> {
  const dir = tempDir();
  const runtime = isBun ? "bun" : "deno";
  try {
    const ref = compileRef(dir);
    if (ref === null) console.log("accept + peer() + close: skipped (no gcc)");
    else {
      const js: number[] = [];
      const c: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        js.push(await acceptRound(ref, `${dir}/a${r}.sock`, CONNECTIONS));
        c.push(refRound(ref, `${dir}/c${r}.sock`, CONNECTIONS));
      }
      const [a, b] = [best(js, false), best(c, false)];
      console.log(`accept + peer() + close, ${CONNECTIONS} connections (µs/connection, best of ${ROUNDS})`);
      console.log(`  ${runtime.padEnd(6)} ${(a / 1e3).toFixed(2).padStart(8)}`);
      console.log(`  C      ${(b / 1e3).toFixed(2).padStart(8)}   ${runtime}/C = ${(a / b).toFixed(2)}×`);
    }
    console.log(
      `stream throughput, ${STREAM_BYTES / 1024 / 1024} MiB in ${
        CHUNK / 1024
      } KiB writes (MB/s, best of ${ROUNDS})`,
    );
    const own = isBun ? "Bun.connect({ unix })" : "Deno.connect(unix)";
    for (const byob of [false, true]) {
      const lib: number[] = [];
      const theirs: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        lib.push(await libraryStream(`${dir}/l${r}${byob}.sock`, byob));
        theirs.push(
          await (isBun
            ? bunStream(`${dir}/o${r}${byob}.sock`)
            : denoStream(`${dir}/o${r}${byob}.sock`, byob)),
        );
      }
      const [l, o] = [best(lib, true), best(theirs, true)];
      const how = byob ? "BYOB reader" : "for await";
      // Bun's own socket lends each read to a callback: there is no reader to choose.
      const ownHow = isBun ? "data callback" : how;
      console.log(`  ${`UnixConnection, ${how}`.padEnd(36)} ${l.toFixed(0).padStart(6)}`);
      console.log(
        `  ${`${own}, ${ownHow}`.padEnd(36)} ${o.toFixed(0).padStart(6)}   ratio ${(l / o).toFixed(2)}×`,
      );
    }
  } finally {
    removeDir(dir);
  }
}

if (!isBun && !import.meta.main) {
  const dir = tempDir();
  globalThis.addEventListener("unload", () => removeDir(dir));
  const ref = compileRef(dir);
  if (ref !== null) {
    let round = 0;
    Deno.bench(
      { name: "accept + peer() + close, 2,000 connections from a C client", n: 3, warmup: 1 },
      async () => {
        await acceptRound(ref, `${dir}/b${round++}.sock`, 2_000);
      },
    );
  }
}

if (import.meta.main) await main();
