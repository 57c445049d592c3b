/**
 * `pidfd translate <pid> [--from <ns>] [--to <ns>] [--tgid] [--method <m>]`: a pid as another PID namespace
 * numbers it.
 *
 * @module
 */

import {
  type PidNamespace,
  translatePid,
  type TranslatePidOptions,
  type TranslationMethod,
} from "../../mod.ts";
import { type NamespaceSpec, parseCommand, parseNamespaceSpec, parsePid } from "../args.ts";
import type { Context } from "../context.ts";
import { json } from "../format.ts";
import { openNamespace } from "../procs.ts";
import { EXIT, UsageError } from "../usage.ts";

const METHODS: readonly TranslationMethod[] = ["auto", "ioctl", "fdinfo", "procfs"];

/** Runs `pidfd translate`. */
export function translate(args: string[], ctx: Context): number {
  const { values, positionals } = parseCommand(ctx, "translate", args, {
    from: { type: "string" },
    to: { type: "string" },
    tgid: { type: "boolean" },
    method: { type: "string" },
  });
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? "missing <pid>" : "expected one <pid>", "translate");
  }
  const pid = parsePid(positionals[0]!, "translate");
  const fromSpec = parseNamespaceSpec(values.from ?? "self", "translate");
  const toSpec = parseNamespaceSpec(values.to ?? "self", "translate");
  const method = values.method ?? "auto";
  if (!(METHODS as readonly string[]).includes(method)) {
    throw new UsageError(`invalid method '${method}': expected auto, ioctl, fdinfo or procfs`, "translate");
  }

  const opened: PidNamespace[] = [];
  const open = (spec: NamespaceSpec): PidNamespace => {
    const ns = openNamespace(spec, "translate");
    opened.push(ns);
    return ns;
  };
  try {
    let from: PidNamespace, to: PidNamespace;
    let subject = fromSpec.text;
    try {
      from = open(fromSpec);
      subject = toSpec.text;
      to = open(toSpec);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      ctx.fail(subject, e);
      return EXIT.FAILURE;
    }
    const options: TranslatePidOptions = { from, to, method: method as TranslationMethod };
    if (values.tgid) options.tgid = true;
    let translated: number;
    try {
      translated = translatePid(pid, options);
    } catch (e) {
      ctx.fail(pid, e);
      return EXIT.FAILURE;
    }
    if (ctx.json) {
      ctx.out(json({
        pid,
        from: { spec: fromSpec.text, nsInode: from.inode, nsId: from.id },
        to: { spec: toSpec.text, nsInode: to.inode, nsId: to.id },
        tgid: values.tgid === true,
        method,
        translated,
      }));
    } else ctx.out(`${translated}\n`);
    return EXIT.OK;
  } finally {
    for (const ns of opened) ns.close();
  }
}
