/**
 * `pidfd`: the command-line tool of `@pidfd/pidfd`. Process info, namespaces, pid translation between PID
 * namespaces, container init pids, waiting for any process, race-free signalling with escalation, and a
 * container-aware process table.
 *
 * ```sh
 * deno run --allow-ffi jsr:@pidfd/pidfd/cli ps --container
 * bun cli.ts translate 1 --from pid:4242
 * ```
 *
 * Run `pidfd --help` for the commands, `pidfd <command> --help` for each one. Exit status: 0 success, 1 an
 * operational error, 2 a usage error, 124 a `wait` timeout.
 *
 * @example Run a command from code and get its exit status
 * ```ts ignore
 * import { main } from "@pidfd/pidfd/cli";
 * const status = await main(["info", "--json", "1"]);
 * ```
 *
 * @module
 */

import config from "./deno.json" with { type: "json" };
import { COMMANDS, toolHelp, wrap } from "./cli/help.ts";
import type { Command } from "./cli/context.ts";
import { argv, exit, write } from "./cli/io.ts";
import { EXIT, oneLine, UsageError, usageLine } from "./cli/usage.ts";

/**
 * Runs the tool with the given arguments (without the program name), writing to stdout and stderr.
 *
 * @param args The command line, such as `["ps", "--container"]`.
 * @returns The exit status: 0 success, 1 an operational error, 2 a usage error, 124 a `wait` timeout.
 */
export async function main(args: string[]): Promise<number> {
  try {
    let json = false;
    let i = 0;
    // Options before the command: only the global flags.
    for (; i < args.length && args[i]!.startsWith("-"); i++) {
      const arg = args[i]!;
      if (arg === "--json") json = true;
      else if (arg === "--help" || arg === "-h") return help(undefined);
      else if (arg === "--version" || arg === "-V") {
        write(1, json ? `{ "version": ${JSON.stringify(config.version)} }\n` : `pidfd ${config.version}\n`);
        return EXIT.OK;
      } else if (arg === "--") {
        i++;
        break;
      } else throw new UsageError(`unknown option '${arg}'`);
    }
    const name = args[i];
    if (name === undefined) throw new UsageError("missing command");
    const rest = args.slice(i + 1);
    if (name === "help") return help(rest[0]);
    if (!Object.hasOwn(COMMANDS, name)) throw new UsageError(`unknown command '${name}'`);
    // `--help` anywhere among the options wins over everything else.
    const end = rest.indexOf("--");
    if ((end === -1 ? rest : rest.slice(0, end)).some((a) => a === "--help" || a === "-h")) return help(name);
    return await run(name, rest, json);
  } catch (e) {
    if (e instanceof UsageError) {
      write(2, usageLine(e) + "\n");
      return EXIT.USAGE;
    }
    write(2, `pidfd: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
    return EXIT.FAILURE;
  }
}

function help(command: string | undefined): number {
  if (command === undefined) {
    write(1, wrap(toolHelp()));
    return EXIT.OK;
  }
  const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (entry === undefined) throw new UsageError(`unknown command '${command}'`);
  write(1, wrap(entry.help));
  return EXIT.OK;
}

/**
 * Loads the one command's module (and with it the FFI) only now, so that a missing permission is one clear
 * line and no other command's code is evaluated.
 */
async function run(name: string, args: string[], json: boolean): Promise<number> {
  let command: Command;
  let context: typeof import("./cli/context.ts");
  try {
    [command, context] = await Promise.all([COMMANDS[name]!.load(), import("./cli/context.ts")]);
  } catch (e) {
    if (e instanceof Error && e.name === "NotCapable") {
      throw new Error("needs FFI access: run it with `deno run --allow-ffi`", { cause: e });
    }
    throw e;
  }
  return await command(args, new context.Context(json));
}

if (import.meta.main) void main(argv()).then(exit);
