/**
 * What `identity_bench.ts` and `identity_bun.ts` measure against: enough processes to make ~2,000 in all (idle
 * `sleep`s in one process group, removed by `close`), and the bare scan a program would write by hand.
 */

import { spawn, spawnSync } from "node:child_process";
import { DIRENT64, libc, O_DIRECTORY, pidfd_open } from "../ffi/mod.ts";
import { listDir, openPath, readText } from "../src/procfs.ts";

/** The number of processes the enumeration benchmarks run over. */
export const TARGET = 2000;

/**
 * The processes that are alive, not zombies: the sleepers of an earlier run, killed but not reaped yet, would
 * count once and then vanish in the middle of the measurement.
 */
function living(): number {
  let n = 0;
  for (const name of listDir("/proc")) {
    if (!/^[0-9]+$/.test(name)) continue;
    try {
      if (!/\) [ZX] /.test(readText(`/proc/${name}/stat`))) n++;
    } catch {
      // gone
    }
  }
  return n;
}

/** Starts idle processes until about {@link TARGET} live; `close` kills them (their own process group). */
export async function manyProcesses(): Promise<{ count: number; close(): void }> {
  const have = living();
  const missing = Math.max(0, TARGET - have);
  const group = spawn(
    "sh",
    ["-c", `i=0; while [ $i -lt ${missing} ]; do sleep 300 & i=$((i+1)); done; wait`],
    {
      detached: true,
      stdio: "ignore",
    },
  );
  for (let i = 0; i < 600; i++) {
    if (living() >= have + missing) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const count = living();
  return {
    count,
    close: () => {
      try {
        process.kill(-group.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    },
  };
}

const dirents = new Uint8Array(32768);
const direntsView = new DataView(dirents.buffer);
const DIRENTS = BigInt(dirents.length);

/**
 * The hand-written scan: `getdents64` on `/proc`, `pidfd_open` + `close` for every numeric entry, nothing
 * checked. Returns how many it opened.
 */
export function bareScan(): number {
  const dir = openPath("/proc", O_DIRECTORY);
  let opened = 0;
  try {
    for (;;) {
      const n = libc.getdents64(dir, dirents, DIRENTS);
      if (n <= 0) return opened;
      for (let off = 0; off < n; off += direntsView.getUint16(off + DIRENT64.d_reclen, true)) {
        let pid = 0;
        for (let i = off + DIRENT64.d_name; dirents[i] !== 0; i++) {
          const c = dirents[i]! - 0x30;
          if (c < 0 || c > 9) {
            pid = 0;
            break;
          }
          pid = pid * 10 + c;
        }
        if (pid === 0) continue;
        const fd = pidfd_open(pid, 0);
        if (fd >= 0) {
          libc.close(fd);
          opened++;
        }
      }
    }
  } finally {
    libc.close(dir);
  }
}

/** `ps -e`, the tool a user would reach for, with its output discarded. */
export function psE(): void {
  spawnSync("ps", ["-e", "-o", "pid="], { stdio: ["ignore", "ignore", "ignore"] });
}
