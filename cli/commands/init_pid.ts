/**
 * `pidfd init-pid <ns>`: the init of a PID namespace, as the caller numbers it.
 *
 * @module
 */

import { parseCommand, parseNamespaceSpec } from "../args.ts";
import type { Context } from "../context.ts";
import { json } from "../format.ts";
import { openNamespace } from "../procs.ts";
import { EXIT, UsageError } from "../usage.ts";

/** Runs `pidfd init-pid`. */
export function initPid(args: string[], ctx: Context): number {
  const { positionals } = parseCommand(ctx, "init-pid", args, {});
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? "missing <ns>" : "expected one <ns>", "init-pid");
  }
  const spec = parseNamespaceSpec(positionals[0]!, "init-pid");
  try {
    using ns = openNamespace(spec, "init-pid");
    // A pidfd verified to be that namespace's init (alive, in that namespace, pid 1 there): its pid is the
    // answer, and no pid reuse between the lookup and the check can slip in.
    using init = ns.initPidfd();
    const pid = init.pid;
    if (ctx.json) {
      ctx.out(json({ namespace: { spec: spec.text, nsInode: ns.inode, nsId: ns.id }, initPid: pid }));
    } else ctx.out(`${pid}\n`);
    return EXIT.OK;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    ctx.fail(spec.text, e);
    return EXIT.FAILURE;
  }
}
