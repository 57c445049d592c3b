/**
 * The help texts of the tool and of each command. No FFI is loaded here, so `--help` works anywhere.
 *
 * @module
 */

/** The commands, in the order `pidfd --help` lists them, with their one-line summaries. */
export const SUMMARIES: Readonly<Record<string, string>> = Object.freeze({
  info: "ids, credentials, cgroup, pidfs id, NSpid chain and command line of processes",
  ns: "every namespace of a process, and which of them are the caller's",
  translate: "a pid as another PID namespace numbers it",
  "init-pid": "the init (child reaper) of a PID namespace, as the caller numbers it",
  wait: "wait for any processes (not only children) to exit, with their exit status",
  kill: "signal processes race-free through pidfds, with escalation after a timeout",
  ps: "a container-aware process table",
  reclaim: "reclaim processes' memory (process_madvise), with their RSS before and after",
});

const NS_SPEC = `NAMESPACES (<ns>)
  self              the caller's PID namespace
  pid:<pid>         the PID namespace of process <pid>
  proc:<root>       the PID namespace a procfs mount numbers pids in, e.g. proc:/proc/1234/root/proc
  <path>            a PID namespace file (it must contain a '/'), e.g. /proc/1234/ns/pid or a bind mount`;

const COMMON = `  --json            print one JSON document (stable keys) instead of a table
  -h, --help        show this help`;

const DURATION = `DURATIONS
  A number with an optional unit: ms, s (the default), m, h or d, e.g. 250ms, 5, 1.5s, 2m.`;

/** The text of `pidfd --help`. */
export const TOOL_HELP = `pidfd: Linux processes through pidfds, across PID namespaces

USAGE
  pidfd [--json] <command> [options] [arguments]
  pidfd <command> --help
  pidfd --version

COMMANDS
${Object.entries(SUMMARIES).map(([name, summary]) => `  ${name.padEnd(10)}${summary}`).join("\n")}

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

/** The text of `pidfd <command> --help`, by command. */
export const COMMAND_HELP: Readonly<Record<string, string>> = Object.freeze({
  info: `pidfd info: ${SUMMARIES.info}

USAGE
  pidfd info [--json] <pid>…

Prints, for each process: pid, tgid and ppid (as the caller numbers them), real/effective/saved/filesystem
uids and gids, the cgroup v2 id, the pidfs id (a process identity never reused during a boot, Linux >= 6.9),
the NSpid chain (its pid in every PID namespace from the caller's down to its own) and its command line.
Everything is read through a pidfd opened first, so a recycled pid can never answer for another process.

OPTIONS
${COMMON}
`,
  ns: `pidfd ns: ${SUMMARIES.ns}

USAGE
  pidfd ns [--json] <pid>

Lists the ten namespaces of the process (cgroup, ipc, mnt, net, pid, pid_for_children, time,
time_for_children, user, uts): the namespace id (NS_GET_ID, Linux >= 6.18; the inode before), the nsfs inode
that lsns and 'readlink /proc/<pid>/ns/<kind>' show, and whether the caller is in the same one. PID
namespaces also show their level (0 for the initial one) and their init pid as the caller numbers it.

OPTIONS
${COMMON}
`,
  translate: `pidfd translate: ${SUMMARIES.translate}

USAGE
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
  "init-pid": `pidfd init-pid: ${SUMMARIES["init-pid"]}

USAGE
  pidfd init-pid [--json] <ns>

Prints the pid, as the caller numbers it, of the init process (pid 1, the child reaper) of a PID namespace.

OPTIONS
${COMMON}

${NS_SPEC}
`,
  wait: `pidfd wait: ${SUMMARIES.wait}

USAGE
  pidfd wait [--json] [--timeout <duration>] [--count <n>] <pid>…

Waits until the processes exit, whoever their parent is, and prints each exit as it happens: the exit code,
or the signal that killed the process. The kernel tells the status of a process that is not the caller's
child once its parent has reaped it (Linux >= 6.15; older kernels show it as unknown), so an exit is
reported at that reap: a zombie whose parent never reaps it is still waited for, and named as unreaped on
timeout.

OPTIONS
  --timeout <d>     give up after this long: exit status 124, like timeout(1)
  --count <n>       stop after <n> of the processes have exited (default: all)
${COMMON}

${DURATION}

EXIT STATUS
  0 all (or --count) processes exited, 1 a pid could not be opened, 2 a usage error, 124 timeout.
`,
  kill: `pidfd kill: ${SUMMARIES.kill}

USAGE
  pidfd kill [--json] [-s <signal>] [--timeout <duration> --then <signal>]… <pid>…
  pidfd kill [--json] -s KILL --mrelease <pid>…

Sends <signal> (default TERM) through a pidfd opened once per process, so a pid that is reused meanwhile is
never hit. With --timeout and --then it waits that long for the process to exit and sends the --then signal
if it has not; pairs may repeat, as in util-linux 'kill --timeout', e.g.
  pidfd kill -s TERM --timeout 5s --then INT --timeout 5s --then KILL 4242
Nothing more is sent once the process has exited, and nothing is waited for after the last --then.

OPTIONS
  -s, --signal <s>  the signal: a name (TERM, SIGKILL, RTMIN+2, any case) or a number from 0 to 64
  --timeout <d>     how long to wait for the exit before the next --then signal
  --then <s>        the signal to send when the process outlived the preceding --timeout
  --mrelease        with -s KILL: free each killed process's memory at once (process_mrelease, Linux >= 5.15)
                    instead of when its exit has unwound, like 'pkill --mrelease'
${COMMON}

${DURATION} Note that util-linux 'kill --timeout' takes milliseconds: write 1000ms, not 1000.
`,
  ps: `pidfd ps: ${SUMMARIES.ps}

USAGE
  pidfd ps [--json] [--ns <ns>] [--container]

Lists every process visible to the caller: its pid (as the caller numbers it), its pid inside its own PID
namespace, that namespace's id and level, the parent pid, the effective user and the command line.

OPTIONS
  --ns <ns>         only the processes whose own PID namespace is <ns>
  --container       group the processes by PID namespace, each with its init
${COMMON}

${NS_SPEC}
`,
  reclaim: `pidfd reclaim: ${SUMMARIES.reclaim}

USAGE
  pidfd reclaim [--json] [--advice cold|pageout] <pid>…

Advises every mapping of each process through process_madvise(2) (Linux >= 5.10) and prints the bytes
advised and the resident set (VmRSS, and its file-backed part RssFile) before and after, read through a
pidfd opened first. 'pageout' (the default) reclaims the pages now: file pages are dropped or written back,
anonymous pages need swap. 'cold' only marks them to be reclaimed first under memory pressure.

Another process's memory needs PTRACE_MODE_READ over it (the same user, or CAP_SYS_PTRACE) and CAP_SYS_NICE.

OPTIONS
  --advice <a>      pageout (default) or cold
${COMMON}
`,
});
