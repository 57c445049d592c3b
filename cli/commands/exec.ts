/**
 * `pidfd exec [--ns <kind,...>] [--preserve-credentials] <pid> -- <command> [args...]`: run a command inside a
 * process's namespaces, like `nsenter -t <pid> -a`, through its pidfd.
 *
 * @module
 */

import { type Namespace, type NamespaceType, Pidfd, signalNumber, spawn } from "../../mod.ts";
import { parseCommand, parseProcessSpec } from "../args.ts";
import type { Context } from "../context.ts";
import { json } from "../format.ts";
import { openPid } from "../procs.ts";
import { EXIT, UsageError } from "../usage.ts";

const KINDS: readonly NamespaceType[] = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"];

/** Runs `pidfd exec`. */
export async function exec(args: string[], ctx: Context): Promise<number> {
  // Everything after the first `--` is the command, options included.
  const end = args.indexOf("--");
  const own = end === -1 ? args : args.slice(0, end);
  const { values, positionals } = parseCommand(ctx, "exec", own, {
    ns: { type: "string" },
    "preserve-credentials": { type: "boolean" },
  });
  if (positionals.length === 0) throw new UsageError("missing <pid>", "exec");
  const command = [...positionals.slice(1), ...(end === -1 ? [] : args.slice(end + 1))];
  if (command.length === 0) throw new UsageError("missing <command> (after '--')", "exec");
  const spec = parseProcessSpec(positionals[0]!, "exec");
  const pid = spec.pid;
  const kinds = values.ns === undefined ? null : kindsOf(values.ns);
  let status;
  try {
    using target = openPid(spec);
    const namespaces = kinds === null ? target : differing(target, kinds);
    try {
      await using child = spawn(command[0]!, command.slice(1), {
        namespaces,
        preserveCredentials: values["preserve-credentials"] === true,
      });
      status = await child.status;
    } finally {
      if (Array.isArray(namespaces)) { for (const ns of namespaces) ns.close(); }
    }
  } catch (e) {
    ctx.fail(spec.text, e);
    return EXIT.FAILURE;
  }
  // A signal's death is 128 + its number, as shells report it; an unknown status (never for a child) is 1.
  const exitStatus = status.code ??
    (status.signal === null ? EXIT.FAILURE : 128 + signalNumber(status.signal));
  if (ctx.json) {
    ctx.out(json({ pid, command, code: status.code, signal: status.signal, exitStatus }));
  }
  return exitStatus;
}

function kindsOf(list: string): NamespaceType[] {
  const kinds = list.split(",").map((k) => k.trim());
  for (const kind of kinds) {
    if (!(KINDS as readonly string[]).includes(kind)) {
      throw new UsageError(`unknown namespace kind '${kind}' in --ns (expected ${KINDS.join(", ")})`, "exec");
    }
  }
  if (new Set(kinds).size !== kinds.length) {
    throw new UsageError(`a namespace kind repeats in --ns '${list}'`, "exec");
  }
  return kinds as NamespaceType[];
}

/** The target's namespaces of `kinds` that are not the caller's already (as `--all` does for every kind). */
function differing(target: Pidfd, kinds: readonly NamespaceType[]): Namespace[] {
  const out: Namespace[] = [];
  try {
    using self = Pidfd.self();
    for (const kind of kinds) {
      const theirs = target.namespace(kind);
      using mine = self.namespace(kind);
      if (theirs.equals(mine)) theirs.close();
      else out.push(theirs);
    }
    return out;
  } catch (e) {
    for (const ns of out) ns.close();
    throw e;
  }
}
