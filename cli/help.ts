/**
 * The command registry, with the help texts of the tool and of each command. No FFI is loaded here (each
 * command's module is imported only when it runs), so `--help` works anywhere and starts fast.
 *
 * @module
 */

import type { Command } from "./context.ts";
import {
  columnsHelp,
  INFO_COLUMNS,
  KILL_COLUMNS,
  NS_COLUMNS,
  PS_COLUMNS,
  RECLAIM_COLUMNS,
  TABLE_OPTIONS_HELP,
  WAIT_COLUMNS,
} from "./columns.ts";

const NS_SPEC = `NAMESPACES (<ns>)
  self              the caller's PID namespace
  pid:<pid>         the PID namespace of process <pid>
  proc:<root>       the PID namespace a procfs mount numbers pids in, e.g. proc:/proc/1234/root/proc
  <path>            a PID namespace file (it must contain a '/'), e.g. /proc/1234/ns/pid or a bind mount`;

const PROCESS_SPEC = `PROCESSES (<pid>)
  <pid>             the process (or thread) with that pid, as the caller numbers it
  <pid>:<id>        only if it has that pidfs id (util-linux 2.42's PID:INODE, as 'ps -o pid:id' prints);
                    a pid reused by another process is refused: ESRCH, exit status 1`;

const COMMON = `  --json            print one JSON document (stable keys) instead of a table
  -h, --help        show this help`;

const DURATION = `DURATIONS
  A number with an optional unit: ms, s (the default), m, h or d, e.g. 250ms, 5, 1.5s, 2m.`;

/** The text of `pidfd --help`. */
export function toolHelp(): string {
  return `pidfd: Linux processes through pidfds, across PID namespaces

USAGE
  pidfd [--json] <command> [options] [arguments]
  pidfd <command> --help
  pidfd --version

COMMANDS
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`).join("\n")}

OPTIONS
  --json            print one JSON document (stable keys) instead of a table
  -h, --help        show this help, or a command's with 'pidfd <command> --help'
  -V, --version     print the version

EXIT STATUS
  0 success, 1 an operational error (printed as 'pidfd: <pid>: <ERRNO> (<description>)'), 2 a usage error,
  124 'wait' timed out.

Colour is used only when stdout is a terminal and NO_COLOR is not set.
Deno needs --allow-ffi and nothing else: deno run --allow-ffi jsr:@pidfd/pidfd/cli <command> …
`;
}

/** One command of the tool: its summary, its help, and the loader of its module. */
export interface CommandEntry {
  /** One line for \`pidfd --help\`. */
  readonly summary: string;
  /** The text of \`pidfd <command> --help\`. */
  readonly help: string;
  /** Imports the command's module (and with it the library and its FFI) only when the command runs. */
  readonly load: () => Promise<Command>;
}

/** A registry entry; its help text is put together only when asked for (start-up builds none of them). */
function command(
  name: string,
  summary: string,
  body: () => string,
  load: () => Promise<Command>,
): CommandEntry {
  return Object.freeze({
    summary,
    get help(): string {
      return `pidfd ${name}: ${summary}\n\n${body()}`;
    },
    load,
  });
}

/**
 * The commands, in the order \`pidfd --help\` lists them: the one registry of the tool. Adding a command is
 * adding its entry here and its module in \`cli/commands/\`.
 */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = Object.freeze({
  info: command(
    "info",
    "ids, credentials, cgroup, pidfs id, NSpid chain and command line of processes",
    () =>
      `USAGE
  pidfd info [--json] [-o <columns>] [-n] [-r] <pid>[:<id>]…

Prints, for each process: pid, tgid and ppid (as the caller numbers them), real/effective/saved/filesystem
uids and gids, the cgroup v2 id, the pidfs id (a process identity never reused during a boot, Linux >= 6.9),
the NSpid chain (its pid in every PID namespace from the caller's down to its own) and its command line.
Everything is read through a pidfd opened first, so a recycled pid can never answer for another process.
The pid:id line names the process for good, for 'pidfd kill', 'pidfd wait' and util-linux >= 2.42.
With -o, -n or -r it prints a table instead, one row per process.

OPTIONS
${TABLE_OPTIONS_HELP}
${COMMON}

${PROCESS_SPEC}

${columnsHelp(INFO_COLUMNS)}
`,
    async () => (await import("./commands/info.ts")).info,
  ),
  ns: command(
    "ns",
    "every namespace of a process, and which of them are the caller's",
    () =>
      `USAGE
  pidfd ns [--json] <pid>[:<id>]

Lists the ten namespaces of the process (cgroup, ipc, mnt, net, pid, pid_for_children, time,
time_for_children, user, uts): each namespace as lsns and 'readlink /proc/<pid>/ns/<kind>' name it (the
nsfs inode), and whether the caller is in the same one. PID namespaces also show their level (0 for the
initial one) and their init pid as the caller numbers it. Where the kernel refuses to reveal another user's
namespaces (ptrace access is needed), the row shows '-'. --json has both the inode (nsInode) and the
NS_GET_ID id (nsId, Linux >= 6.18; the inode before).

OPTIONS
${TABLE_OPTIONS_HELP}
${COMMON}

${columnsHelp(NS_COLUMNS)}
`,
    async () => (await import("./commands/ns.ts")).ns,
  ),
  translate: command(
    "translate",
    "a pid as another PID namespace numbers it",
    () =>
      `USAGE
  pidfd translate [--json] <pid> [--from <ns>] [--to <ns>] [--tgid] [--method <method>]

Prints the pid that <pid> (as numbered in the --from namespace) has in the --to namespace. Both default to
the caller's namespace, e.g. 'pidfd translate 1 --from pid:4242' is the host pid of the init of 4242's
container, and 'pidfd translate 4242 --to pid:4242' is 4242's pid inside its own container.

OPTIONS
  --from <ns>       the namespace <pid> is numbered in (default: self)
  --to <ns>         the namespace to number it in (default: self)
  --tgid            translate the thread group id of the thread <pid> instead
  --method <m>      auto (default), ioctl, fdinfo or procfs
${COMMON}

${NS_SPEC}
`,
    async () => (await import("./commands/translate.ts")).translate,
  ),
  "init-pid": command(
    "init-pid",
    "the init (child reaper) of a PID namespace, as the caller numbers it",
    () =>
      `USAGE
  pidfd init-pid [--json] <ns>

Prints the pid, as the caller numbers it, of the init process (pid 1, the child reaper) of a PID namespace.

OPTIONS
${COMMON}

${NS_SPEC}
`,
    async () => (await import("./commands/init_pid.ts")).initPid,
  ),
  wait: command(
    "wait",
    "wait for any processes (not only children) to exit, with their exit status",
    () =>
      `USAGE
  pidfd wait [--json] [-o <columns>] [-n] [-r] [--timeout <duration>] [--count <n>] [--ids] <pid>[:<id>]…

Waits until the processes exit, whoever their parent is, and prints each exit as it happens: the exit code,
or the signal that killed the process. The kernel tells the status of a process that is not the caller's
child once its parent has reaped it (Linux >= 6.15; older kernels show it as unknown), so an exit is
reported at that reap: a zombie whose parent never reaps it is still waited for, and named as unreaped on
timeout.

OPTIONS
  --timeout <d>     give up after this long: exit status 124, like timeout(1)
  --count <n>       stop after <n> of the processes have exited (default: all)
  --ids             print each process as <pid>:<id>
${TABLE_OPTIONS_HELP}
${COMMON}

${DURATION}

${PROCESS_SPEC}

A pid that is already gone (or cannot be opened) is reported on stderr and counts as done; the others
are still waited for.

EXIT STATUS
  0 all (or --count) processes exited; 1 all exited, but some pid could not be opened (already gone);
  2 a usage error; 124 timeout.

${columnsHelp(WAIT_COLUMNS)}
`,
    async () => (await import("./commands/wait.ts")).wait,
  ),
  kill: command(
    "kill",
    "signal processes race-free through pidfds, with escalation after a timeout",
    () =>
      `USAGE
  pidfd kill [--json] [-s <signal>] [--timeout <duration> --then <signal>]… [--ids] <pid>[:<id>]…
  pidfd kill [--json] -s KILL --mrelease <pid>[:<id>]…

Sends <signal> (default TERM) through a pidfd opened once per process, so a pid that is reused meanwhile
is never hit. -<signal> as the first argument, as in 'kill -9 <pid>', is -s <signal>; as in util-linux
kill, only as the first (there a later -9 is process group 9, which no pidfd can name). With --timeout and --then it waits that long for the process to exit and sends the --then signal
if it has not; pairs may repeat, as in util-linux 'kill --timeout', e.g.
  pidfd kill -s TERM --timeout 5s --then INT --timeout 5s --then KILL 4242
Nothing more is sent once the process has exited, zombies included (exited, not yet reaped), and nothing
is waited for after the last --then. Ctrl-C prints what was sent so far and exits with status 130.

OPTIONS
  -s, --signal <s>  the signal: a name (TERM, SIGKILL, RTMIN+2, any case) or a number from 0 to 64
  --timeout <d>     how long to wait for the exit before the next --then signal
  --then <s>        the signal to send when the process outlived the preceding --timeout
  --ids             print each process as <pid>:<id>
  --mrelease        with -s KILL: free each killed process's memory at once (process_mrelease, Linux >= 5.15)
                    instead of when its exit has unwound, like 'pkill --mrelease'
${TABLE_OPTIONS_HELP}
${COMMON}

${DURATION} Note that util-linux 'kill --timeout' takes milliseconds: write 1000ms, not 1000.

${PROCESS_SPEC}

${columnsHelp(KILL_COLUMNS)}
`,
    async () => (await import("./commands/kill.ts")).kill,
  ),
  exec: command(
    "exec",
    "run a command inside a process's namespaces (like nsenter -t <pid> -a), through its pidfd",
    () =>
      `USAGE
  pidfd exec [--ns <kind,...>] [--preserve-credentials] [--json] <pid>[:<id>] -- <command> [args...]

Runs <command> inside the namespaces of process <pid> that differ from the caller's: cgroup, ipc, mnt,
net, pid, time, user and uts, as 'nsenter -t <pid> -a' does, with the process's root and working
directory when its mount namespace is joined, and as uid 0 / gid 0 of its user namespace when that is
joined. Every namespace is fetched through a pidfd opened first, so a recycled pid can never redirect the
command into another container. The command's stdin, stdout and stderr are the caller's; it is looked up
in PATH inside the container. The mount, user and time namespaces are entered by util-linux nsenter, which
must be installed.

OPTIONS
  --ns <kinds>      only these kinds, comma-separated (e.g. net,uts); kinds the caller shares are skipped
  --preserve-credentials
                    keep the caller's uid and gids after joining a user namespace
  --json            print one JSON document after the command has exited (pid, command, code, signal,
                    exitStatus); the command's own output still goes to stdout first
  -h, --help        show this help

EXIT STATUS
  The command's exit status, or 128+N when signal N killed it; 1 an operational error (the process is
  gone: 'pidfd: <pid>: ESRCH (No such process)', not permitted: EPERM naming the namespace); 2 a usage
  error. When the command cannot be started inside the container, nsenter reports it (126 or 127).
`,
    async () => (await import("./commands/exec.ts")).exec,
  ),
  ps: command(
    "ps",
    "a container-aware process table",
    () =>
      `USAGE
  pidfd ps [--json] [--ns <ns>] [--container]

Lists every process visible to the caller: its pid (as the caller numbers it), its pid inside its own PID
namespace, that namespace (its nsfs inode, as lsns and 'ps -o pidns' show it) and level, the parent pid, the
effective user and the command line; a zombie's command is marked <defunct>, as procps does. With --ns, a
namespace whose processes the caller may not inspect is matched through the translation ioctls; when none of
its processes is visible, that is an error (exit status 1), never an empty table.

OPTIONS
  --ns <ns>         only the processes whose own PID namespace is <ns>
  --container       group the processes by PID namespace, each with its init
${TABLE_OPTIONS_HELP}
${COMMON}

${columnsHelp(PS_COLUMNS)}

${NS_SPEC}
`,
    async () => (await import("./commands/ps.ts")).ps,
  ),
  reclaim: command(
    "reclaim",
    "reclaim processes' memory (process_madvise), with their RSS before and after",
    () =>
      `USAGE
  pidfd reclaim [--json] [-o <columns>] [-n] [-r] [--advice cold|pageout] <pid>[:<id>]…

Advises every mapping of each process through process_madvise(2) (Linux >= 5.10) and prints the bytes
advised and the resident set (VmRSS, and its file-backed part RssFile) before and after, read through a
pidfd opened first. 'pageout' (the default) reclaims the pages now: file pages are dropped or written back,
anonymous pages need swap. 'cold' only marks them to be reclaimed first under memory pressure.

Another process's memory needs PTRACE_MODE_READ over it (the same user, or CAP_SYS_PTRACE) and CAP_SYS_NICE.

OPTIONS
  --advice <a>      pageout (default) or cold
${TABLE_OPTIONS_HELP}
${COMMON}

${columnsHelp(RECLAIM_COLUMNS)}
`,
    async () => (await import("./commands/reclaim.ts")).reclaim,
  ),
  peer: command(
    "peer",
    "the process that serves a Unix socket, as the kernel identifies it",
    () =>
      `USAGE
  pidfd peer [--json] <socket path>

Connects to the AF_UNIX stream socket at <socket path> (an abstract name as '@name', as ss prints it) and
prints the process that listens on it: pid, pidfs id, effective uid and gid, command line, its PID namespace
(nsfs inode) and its pid inside, the NSpid chain, and its cgroup. The process comes from SO_PEERPIDFD (Linux
>= 6.5): the kernel's own record of who called listen(), never a guess from a pid. Connecting needs write
permission on the socket file; the server sees a connection that closes at once.

OPTIONS
${COMMON}
`,
    async () => (await import("./commands/peer.ts")).peer,
  ),
});

/**
 * Wraps text to `width` columns, as help texts must fit a terminal: a long line breaks at spaces, its
 * continuation indented like its text (for an option, under the description).
 */
export function wrap(text: string, width = 80): string {
  // Prose paragraphs (unindented lines that are not section titles) are reflowed as a whole.
  const prose = (line: string | undefined): boolean =>
    line !== undefined && /^[^\s]/.test(line) && !/^[A-Z][A-Z ]+(\(.*\))?$/.test(line);
  const lines: string[] = [];
  for (const line of text.split("\n")) {
    const last = lines.length - 1;
    if (prose(line) && prose(lines[last]) && !/^pidfd[ :]/.test(lines[last]!)) lines[last] += " " + line;
    else lines.push(line);
  }
  return lines.map((line) => {
    if (line.length <= width) return line;
    const indent = (/^(\s*\S.*?\s{2,})\S/.exec(line)?.[1] ?? /^\s*/.exec(line)![0]).length;
    const out: string[] = [];
    let rest = line;
    while (rest.length > width) {
      let cut = rest.lastIndexOf(" ", width);
      if (cut <= indent) cut = rest.indexOf(" ", width);
      if (cut === -1) break;
      out.push(rest.slice(0, cut).trimEnd());
      rest = " ".repeat(indent) + rest.slice(cut + 1).trimStart();
    }
    out.push(rest);
    return out.join("\n");
  }).join("\n");
}
