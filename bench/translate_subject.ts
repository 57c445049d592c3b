/**
 * What the translation benchmarks translate, shared by `translate_bench.ts` (Deno) and `translate_bun.ts`
 * (Bun): as root, pid 2 of a fresh container (`unshare --pid --fork --mount-proc`, alive for at most five
 * minutes); otherwise the caller itself in its own namespace.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { libc } from "../ffi/mod.ts";
import { Pidfd, PidNamespace } from "../mod.ts";
import { readText } from "../src/procfs.ts";
import { isBun } from "../ffi/runtime.ts";

/** The namespace and process the benchmarks translate between. */
export interface TranslationSubject {
  /** The PID namespace, open for the whole run. */
  readonly ns: PidNamespace;
  /** A pidfd of the process translated. */
  readonly pidfd: Pidfd;
  /** Its pid in the caller's namespace. */
  readonly hostPid: number;
  /** Its pid in `ns`. */
  readonly innerPid: number;
  /** A path that opens `ns`. */
  readonly nsPath: string;
  /** One line saying what is translated. */
  readonly description: string;
  /** Closes the handles and ends the container. */
  close(): void;
}

export function childrenOf(pid: number): number[] {
  try {
    const text = readText(`/proc/${pid}/task/${pid}/children`).trim();
    return text === "" ? [] : text.split(/\s+/).map(Number);
  } catch {
    return [];
  }
}

function nspid(pid: number): number[] {
  const line = readText(`/proc/${pid}/status`).split("\n").find((l) => l.startsWith("NSpid:"))!;
  return line.slice(6).trim().split(/\s+/).map(Number);
}

export async function until<T>(what: string, fn: () => T | undefined): Promise<T> {
  for (let i = 0; i < 1000; i++) {
    const v = fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Starts `unshare <args>` without keeping the program alive for it. Deno: `Deno.Command`, which (unlike
 * `node:child_process` there) needs no --allow-env, so the bench runs with deno.json's task flags.
 */
export function startContainer(args: string[]): { pid: number; kill(): void } {
  const kill = (fn: () => void): void => {
    try {
      fn();
    } catch {
      // already gone
    }
  };
  if (isBun) {
    const child = spawn("unshare", args, { stdio: "ignore" });
    child.unref();
    return { pid: child.pid!, kill: () => kill(() => child.kill("SIGKILL")) };
  }
  const child = new Deno.Command("unshare", { args, stdin: "null", stdout: "null", stderr: "null" }).spawn();
  child.unref();
  return { pid: child.pid, kill: () => kill(() => child.kill("SIGKILL")) };
}

/** Sets up the subject: a container as root, the caller otherwise. */
export async function translationSubject(): Promise<TranslationSubject> {
  const root = readText("/proc/self/status").includes("\nUid:\t0\t");
  if (!root) {
    const self = libc.getpid();
    const ns = PidNamespace.current();
    const pidfd = Pidfd.self();
    return {
      ns,
      pidfd,
      hostPid: self,
      innerPid: self,
      nsPath: "/proc/self/ns/pid",
      description: "the caller's own pid in its own namespace (not root: no container)",
      close: () => {
        pidfd.close();
        ns.close();
      },
    };
  }
  const args = ["--pid", "--fork", "--mount-proc", "--kill-child", "sh", "-c", "sleep 300 & exec sleep 301"];
  const child = startContainer(args);
  let init: number, target: number, pidfd: Pidfd, ns: PidNamespace;
  try {
    init = await until("the container's init", () => childrenOf(child.pid)[0]);
    const parent = init;
    target = await until("the container's pid 2", () =>
      childrenOf(parent).find((p) => {
        try {
          return readText(`/proc/${p}/cmdline`) === "sleep\x00300\x00";
        } catch {
          return false;
        }
      }));
    pidfd = Pidfd.open(target);
    ns = PidNamespace.of(pidfd);
  } catch (e) {
    child.kill();
    throw e;
  }
  const chain = nspid(target);
  return {
    ns,
    pidfd,
    hostPid: target,
    innerPid: chain.at(-1)!,
    nsPath: `/proc/${init}/ns/pid`,
    description: `host pid ${target} <-> pid ${chain.at(-1)} of a container (init: host pid ${init})`,
    close: () => {
      pidfd.close();
      ns.close();
      child.kill();
    },
  };
}
