/**
 * The container the namespace-entering benchmarks spawn into, shared by `spawn_ns_bench.ts` (Deno) and
 * `spawn_ns_bun.ts` (Bun): as root, an `unshare` container with every kind of namespace (alive for at most
 * five minutes); `null` otherwise (those benchmarks need root).
 *
 * @module
 */

import { Pidfd, spawn } from "../mod.ts";
import { readText } from "../src/procfs.ts";
import { childrenOf, startContainer, until } from "./translate_subject.ts";

/** A container and a pidfd of its init. */
export interface NamespaceSubject {
  readonly pid: number;
  readonly pidfd: Pidfd;
  close(): void;
}

/** Starts the container when running as root. */
export async function namespaceSubject(): Promise<NamespaceSubject | null> {
  if (!readText("/proc/self/status").includes("\nUid:\t0\t")) return null;
  const child = startContainer([
    ...["--user", "--map-root-user", "--pid", "--fork", "--kill-child", "--mount", "--mount-proc", "--net"],
    ...["--uts", "--ipc", "--cgroup", "--time", "sh", "-c", "exec sleep 300"],
  ]);
  try {
    const pid = await until("the container's init", () => {
      const init = childrenOf(child.pid)[0];
      return init !== undefined && readText(`/proc/${init}/comm`) === "sleep\n" ? init : undefined;
    });
    const pidfd = Pidfd.open(pid);
    return {
      pid,
      pidfd,
      close: () => {
        pidfd.close();
        child.kill();
      },
    };
  } catch (e) {
    child.kill();
    throw e;
  }
}

const quiet = { stdin: "null", stdout: "null", stderr: "null" } as const;

/** The three cases, each one spawn + wait of `/bin/true`. */
export function cases(s: NamespaceSubject): [name: string, run: () => Promise<unknown>][] {
  return [
    ["spawn({ namespaces: pidfd })", () => spawn("/bin/true", [], { ...quiet, namespaces: s.pidfd }).status],
    [
      "nsenter -t <pid> -a true",
      () => spawn("nsenter", ["-t", String(s.pid), "-a", "/bin/true"], quiet).status,
    ],
    ["spawn() outside (no namespaces)", () => spawn("/bin/true", [], quiet).status],
  ];
}
