/**
 * Linux process handles (pidfds) and namespaces for Deno and Bun, through each runtime's built-in FFI.
 *
 * A pid is a number the kernel reuses; a {@link Pidfd} refers to one process for good, so signals, waits and
 * namespace lookups through it can never hit another process. Every class here owns a file descriptor and is
 * `Disposable`: bind it with `using` and it is closed at the end of the scope.
 *
 * Requires Linux (x86_64 or aarch64) with glibc; each feature documents its minimum kernel and
 * {@link supports} reports what this machine has. Deno needs `--allow-ffi` and nothing else.
 *
 * @example Signal a process race-free and read what the kernel knows about it
 * ```ts
 * import { Pidfd, spawn } from "@pidfd/pidfd";
 *
 * await using child = spawn("sleep", ["10"]);
 * using pidfd = Pidfd.open(child.pid);
 * const { ppid, euid } = pidfd.info();
 * using net = pidfd.namespace("net");
 * console.log(ppid, euid, net.id);
 * pidfd.sendSignal("SIGTERM");
 * ```
 *
 * @module
 */

export { SyscallError, UnsupportedError } from "./src/errors.ts";
export { namespaces, processes, type ProcessesOptions } from "./src/enumerate.ts";
export { OwnedFd } from "./src/fd.ts";
export { type MemoryAdvice, type MemoryMap, type MemoryRange } from "./src/memory.ts";
export { NAMESPACE_KINDS, type NamespaceKind, type NamespaceType } from "./src/namespace.ts";
export {
  type FromHandleOptions,
  Namespace,
  Pidfd,
  type PidfdInfo,
  type PidfdInfoField,
  type PidfdInfoOptions,
  type PidfdOpenOptions,
  PidNamespace,
  type SendSignalOptions,
} from "./src/pidfd.ts";
export { type PidTranslateOptions, type TranslationMethod } from "./src/pid_translate.ts";
export { translatePid, type TranslatePidOptions } from "./src/translate.ts";
export { ProcDir } from "./src/proc_dir.ts";
export {
  type ClassicSignalName,
  type Signal,
  type SignalName,
  signalName,
  signalNumber,
  SIGNALS,
} from "./src/signals.ts";
export { spawn, type SpawnOptions, type Stdio, Subprocess, type SubprocessOutput } from "./src/spawn.ts";
export { type Features, supports } from "./src/supports.ts";
export {
  connectUnix,
  type ConnectUnixOptions,
  listenUnix,
  type ListenUnixOptions,
  MAX_RECEIVED_PIDFDS,
  type PeerCredentials,
  UnixConnection,
  UnixListener,
  type UnixMessage,
  type UnixSendOptions,
} from "./src/unix.ts";
export { type ExitStatus, type PidfdExit, type WaitOptions } from "./src/wait.ts";
export { exits, waitAny } from "./src/wait_many.ts";
