/**
 * Start-up of the `pidfd` command against the tool users would pick instead: `dist/pidfd info 1` (the
 * compiled binary; build it first with `npm run compile`) beside `ps -p 1 -o pid,ppid,pidns,user,args`, with
 * `dist/pidfd --help` (no library loaded: only libc's `write` and `isatty`) and the script under Deno for
 * scale. Whole processes, start to exit.
 * Run: `deno bench --allow-run --allow-read bench/startup_bench.ts`.
 */

const root = new URL("../", import.meta.url).pathname;
const binary = `${root}dist/pidfd`;
let built = false;
try {
  built = Deno.statSync(binary).isFile;
} catch {
  console.error(`${binary} is missing: run \`npm run compile\` first`);
}

function run(command: string, args: string[]): void {
  const r = new Deno.Command(command, { args, stdin: "null", stdout: "null", stderr: "null" }).outputSync();
  if (!r.success) throw new Error(`${command} ${args.join(" ")} exited ${r.code}`);
}

const group = "start-up: one process's ids and command line";
Deno.bench({ group, name: "ps -p 1 -o pid,ppid,pidns,user,args", baseline: true }, () => {
  run("ps", ["-p", "1", "-o", "pid,ppid,pidns,user,args"]);
});
Deno.bench({ group, name: "dist/pidfd info 1", ignore: !built }, () => run(binary, ["info", "1"]));
Deno.bench({ group, name: "dist/pidfd --help (no library)", ignore: !built }, () => run(binary, ["--help"]));
Deno.bench({ group, name: "deno run --allow-ffi cli.ts info 1" }, () => {
  run(Deno.execPath(), ["run", "--allow-ffi", `${root}cli.ts`, "info", "1"]);
});
