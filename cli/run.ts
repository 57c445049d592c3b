/**
 * Dispatch to the commands. Loading this module loads the library and its FFI.
 *
 * @module
 */

import { info } from "./commands/info.ts";
import { initPid } from "./commands/init_pid.ts";
import { kill } from "./commands/kill.ts";
import { ns } from "./commands/ns.ts";
import { ps } from "./commands/ps.ts";
import { reclaim } from "./commands/reclaim.ts";
import { translate } from "./commands/translate.ts";
import { wait } from "./commands/wait.ts";
import { type Command, Context } from "./context.ts";

const COMMANDS: Readonly<Record<string, Command>> = Object.freeze({
  info,
  ns,
  translate,
  "init-pid": initPid,
  wait,
  kill,
  ps,
  reclaim,
});

/**
 * Runs one command. Usage errors propagate (as `UsageError`); every other failure is the command's to report.
 *
 * @param name The command name, already known to exist.
 * @param args The arguments after it.
 * @param json Whether `--json` came before the command.
 * @returns The exit status.
 */
export async function runCommand(name: string, args: string[], json: boolean): Promise<number> {
  const command = COMMANDS[name];
  if (command === undefined) throw new Error(`no command ${name}`);
  return await command(args, new Context(json));
}
