/**
 * Another process's memory through its pidfd: its mappings (`/proc/<pid>/maps`), `process_madvise(2)` and
 * `process_mrelease(2)`. `Pidfd.memoryMaps`, `Pidfd.adviseMemory` and `Pidfd.releaseMemory` delegate here.
 *
 * @module
 */

import {
  Errno,
  IOV_MAX,
  IOVEC,
  LE,
  libc,
  MADV_COLD,
  MADV_COLLAPSE,
  MADV_PAGEOUT,
  MADV_WILLNEED,
  process_madvise,
  process_mrelease,
} from "../ffi/mod.ts";
import { SyscallError, UnsupportedError } from "./errors.ts";
import { assertOpen } from "./fd.ts";
import type { Pidfd } from "./pidfd.ts";
import { openProcDir } from "./proc_dir.ts";
import { goneAsEsrch } from "./procfs.ts";
import { supports } from "./supports.ts";

/** One mapping of a process, as a line of `/proc/<pid>/maps` shows it. */
export interface MemoryMap {
  /** The first address of the mapping. */
  readonly start: bigint;
  /** The address just past the mapping. */
  readonly end: bigint;
  /** Read, write, execute, and `p` (private) or `s` (shared), e.g. `"r-xp"`. */
  readonly permissions: string;
  /** The offset into the mapped file (0 for anonymous memory). */
  readonly offset: bigint;
  /** The device of the mapped file as `major:minor` in hex, e.g. `"fd:01"`; `"00:00"` for anonymous memory. */
  readonly device: string;
  /** The inode of the mapped file; 0 for anonymous memory. */
  readonly inode: number;
  /**
   * The mapped file's path, or what the kernel names the mapping (`"[heap]"`, `"[stack]"`, `"[vdso]"`,
   * `"[anon:name]"`), exactly as printed (a deleted file ends in `" (deleted)"`); `null` for anonymous memory.
   */
  readonly path: string | null;
}

/** An address range of another process: `start` page-aligned, `end` exclusive. A {@link MemoryMap} is one. */
export interface MemoryRange {
  /** The first address, a multiple of the page size. */
  readonly start: bigint;
  /** The address just past the range (rounded up to a whole page, as the kernel does). */
  readonly end: bigint;
}

/**
 * What `process_madvise(2)` can tell the kernel about another process's memory: `"cold"` (`MADV_COLD`:
 * deactivate, reclaim first under pressure), `"pageout"` (`MADV_PAGEOUT`: reclaim now; anonymous memory only
 * with swap), `"willneed"` (`MADV_WILLNEED`: read ahead), `"collapse"` (`MADV_COLLAPSE`: into huge pages, 6.1).
 */
export type MemoryAdvice = "cold" | "pageout" | "willneed" | "collapse";

const ADVICE: Readonly<Record<MemoryAdvice, number>> = Object.freeze({
  cold: MADV_COLD,
  pageout: MADV_PAGEOUT,
  willneed: MADV_WILLNEED,
  collapse: MADV_COLLAPSE,
});

/** Kernel-named mappings that are no VMA of the process or refuse every advice: never advised by default. */
const SPECIAL = new Set(["[vsyscall]", "[vvar]", "[vvar_vclock]"]);

const PAGE = libc.getpagesize();
const TWO_32 = 2 ** 32;
const U64_END = 1n << 64n;
const SAFE_END = BigInt(Number.MAX_SAFE_INTEGER);
const IOV_MAX_BIG = BigInt(IOV_MAX);
const IOV_MAX_BYTES = IOV_MAX * IOVEC.size;

// The iovec table, reused from call to call and grown to fit one call's ranges. A call made while it is being
// filled (from a caller's iterator or getter) gets a table of its own.
let table = new Uint8Array(IOV_MAX_BYTES);
let tableInUse = false;

/**
 * Parses the text of `/proc/<pid>/maps`.
 *
 * @param text The file's contents.
 * @returns One {@link MemoryMap} per line.
 */
export function parseMaps(text: string): MemoryMap[] {
  const maps: MemoryMap[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    // `start-end perms offset dev inode`, then padding and the path (which may contain spaces).
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) (\S+) (\d+) *(.*)$/.exec(line);
    if (m === null) throw new SyntaxError(`Unexpected line in maps: ${JSON.stringify(line)}`);
    maps.push({
      start: BigInt(`0x${m[1]}`),
      end: BigInt(`0x${m[2]}`),
      permissions: m[3]!,
      offset: BigInt(`0x${m[4]}`),
      device: m[5]!,
      inode: Number(m[6]),
      path: m[7] === "" ? null : m[7]!,
    });
  }
  return maps;
}

/** `Pidfd.memoryMaps`: see there. */
export function memoryMaps(pidfd: Pidfd): MemoryMap[] {
  using dir = openProcDir(pidfd, "/proc");
  let text: string;
  try {
    text = dir.readText("maps");
  } catch (e) {
    if (!(e instanceof SyscallError)) throw e;
    const subject = `${dir.root}/${dir.pid}/maps`;
    if (e.code === "ENOENT" || e.code === "ESRCH") {
      throw goneAsEsrch(e, { syscall: "open", subject, detail: "the process has been reaped" });
    }
    if (e.code === "EACCES" || e.code === "EPERM") {
      throw new SyscallError({ syscall: "open", errno: e.errno, subject, cause: e, detail: PTRACE_READ });
    }
    throw e;
  }
  return parseMaps(text);
}

const PTRACE_READ = "reading another process's mappings needs PTRACE_MODE_READ over it (the same user, " +
  "permitted by Yama's ptrace_scope, or CAP_SYS_PTRACE)";

/** `Pidfd.adviseMemory`: see there. */
export function adviseMemory(pidfd: Pidfd, advice: MemoryAdvice, ranges?: Iterable<MemoryRange>): number {
  if (typeof advice !== "string" || !Object.hasOwn(ADVICE, advice)) {
    throw new TypeError(
      `Unknown advice: ${JSON.stringify(advice)} (use cold, pageout, willneed or collapse)`,
    );
  }
  if (
    ranges !== undefined &&
    (ranges === null || typeof (ranges as Partial<Iterable<unknown>>)[Symbol.iterator] !== "function")
  ) {
    throw new TypeError("Expected ranges to be an iterable of { start, end }");
  }
  assertOpen(pidfd); // a closed pidfd is a TypeError before anything else
  if (!supports().processMadvise) {
    throw new UnsupportedError("processMadvise", "process_madvise needs Linux ≥ 5.10");
  }
  const byDefault = ranges === undefined;
  const source = ranges ?? defaultRanges(pidfd);
  const own = tableInUse;
  tableInUse = true;
  let iov = own ? new Uint8Array(IOV_MAX_BYTES) : table;
  let view = new DataView(iov.buffer);
  try {
    // Read and check every range before the first syscall: bad input changes nothing.
    let n = 0;
    for (const range of source) {
      if (n * IOVEC.size === iov.length) {
        iov = grow(iov);
        view = new DataView(iov.buffer);
      }
      setRange(view, n, range);
      n++;
    }
    if (!own) table = iov;
    if (n === 0 && !byDefault) return 0;
    // The fd again: a caller's iterator may have closed the pidfd.
    return advise(pidfd.fd, pidfd.pid, iov, view, n, ADVICE[advice], byDefault);
  } finally {
    if (!own) {
      tableInUse = false;
      if (table.length > 16 * IOV_MAX_BYTES) table = new Uint8Array(IOV_MAX_BYTES); // keep no huge table
    }
  }
}

/** The mappings any advice may apply to, for an `adviseMemory` without ranges. */
function* defaultRanges(pidfd: Pidfd): Generator<MemoryMap> {
  for (const map of memoryMaps(pidfd)) if (map.path === null || !SPECIAL.has(map.path)) yield map;
}

function grow(iov: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const bigger = new Uint8Array(iov.length * 2);
  bigger.set(iov);
  return bigger;
}

/**
 * Checks one range and writes it as iovec `i`, with `end` rounded up to a page. The arithmetic is in doubles,
 * which is exact here: page-aligned values below 2^64 fit a double's 53-bit mantissa.
 */
function setRange(view: DataView, index: number, range: MemoryRange): void {
  if (range === null || typeof range !== "object") {
    throw new RangeError(`ranges[${index}] is not an object with start and end`);
  }
  const { start, end } = range; // read once
  if (typeof start !== "bigint" || typeof end !== "bigint") {
    throw new RangeError(`ranges[${index}]: start and end must be bigints`);
  }
  if (start < 0n || end > U64_END || start >= end) {
    throw new RangeError(`ranges[${index}]: expected 0 <= start < end <= 2^64, got ${start}..${end}`);
  }
  const base = Number(start);
  if (base % PAGE !== 0) {
    throw new RangeError(`ranges[${index}]: start ${start} is not a multiple of the page size (${PAGE})`);
  }
  // Below 2^53 the conversion is exact; above, round in bigint first (no user mapping lies there but on
  // x86_64 with 5-level paging).
  const last = end <= SAFE_END ? Number(end) : Number((end + BigInt(PAGE - 1)) / BigInt(PAGE) * BigInt(PAGE));
  const top = Math.ceil(last / PAGE) * PAGE;
  const at = index * IOVEC.size;
  setU64(view, at + IOVEC.iov_base, base);
  setU64(view, at + IOVEC.iov_len, top - base);
}

function setU64(view: DataView, offset: number, value: number): void {
  const low = value % TWO_32;
  view.setUint32(offset, low, LE);
  view.setUint32(offset + 4, (value - low) / TWO_32, LE);
}

function getU64(view: DataView, offset: number): number {
  return view.getUint32(offset, LE) + view.getUint32(offset + 4, LE) * TWO_32;
}

/**
 * Advises iovecs `0..n` in batches of at most `IOV_MAX`. The kernel may stop early (at `MAX_RW_COUNT` bytes
 * per call, or at a range it refuses): the next call starts where it stopped. With `skipRefused` (the default
 * ranges) a range the advice does not apply to (`EINVAL`) or that was unmapped meanwhile (`ENOMEM`) is skipped.
 */
function advise(
  fd: number,
  pid: number,
  iov: Uint8Array,
  view: DataView,
  n: number,
  advice: number,
  skipRefused: boolean,
): number {
  let total = 0;
  let i = 0;
  do {
    const count = Math.min(n - i, IOV_MAX);
    const r = process_madvise(
      fd,
      i === 0 ? iov : iov.subarray(i * IOVEC.size),
      count === IOV_MAX ? IOV_MAX_BIG : BigInt(count),
      advice,
    );
    if (r < 0) {
      if (skipRefused && count > 0 && (r === -Errno.EINVAL || r === -Errno.ENOMEM)) {
        i++;
        continue;
      }
      throw madviseError(-r, pid);
    }
    if (count === 0) break;
    total += r;
    // Consume `r` bytes: whole iovecs, then the part of the one the kernel stopped in.
    let left = r;
    while (left > 0) {
      const at = i * IOVEC.size;
      const length = getU64(view, at + IOVEC.iov_len);
      if (length > left) {
        setU64(view, at + IOVEC.iov_base, getU64(view, at + IOVEC.iov_base) + left);
        setU64(view, at + IOVEC.iov_len, length - left);
        break;
      }
      left -= length;
      i++;
    }
    if (r === 0) break; // no progress: never loop on a kernel that reports none
  } while (i < n);
  return total;
}

function madviseError(errno: number, pid: number): SyscallError {
  const detail = errno === Errno.EACCES
    ? "advising another process's memory needs PTRACE_MODE_READ over it (the same user, permitted by Yama's " +
      "ptrace_scope, or CAP_SYS_PTRACE) and CAP_SYS_NICE"
    : errno === Errno.EPERM
    ? "advising another process's memory needs CAP_SYS_NICE"
    : errno === Errno.ESRCH
    ? "the process has exited"
    : errno === Errno.EINVAL
    ? "the advice does not apply to a range (locked, huge-TLB or PFN-mapped memory, or no huge pages to collapse)"
    : errno === Errno.ENOMEM
    ? "a range is not mapped in the process"
    : undefined;
  return new SyscallError({ syscall: "process_madvise", errno, subject: pid, detail });
}

/** How often `process_mrelease` is retried when the kernel answers `EAGAIN` (part not freed yet) or `EINTR`. */
const MRELEASE_RETRIES = 8;

/** `Pidfd.releaseMemory`: see there. */
export function releaseMemory(pidfd: Pidfd): void {
  const fd = pidfd.fd;
  if (!supports().processMrelease) {
    throw new UnsupportedError("processMrelease", "process_mrelease needs Linux ≥ 5.15");
  }
  for (let attempt = 0;; attempt++) {
    const r = process_mrelease(fd);
    if (r === 0) return;
    if ((r === -Errno.EAGAIN || r === -Errno.EINTR) && attempt < MRELEASE_RETRIES) continue;
    const detail = r === -Errno.EINVAL
      ? "the process must be killed first (SIGKILL): only a dying process's memory can be released"
      : r === -Errno.ESRCH
      ? "the process has exited and its memory is already gone"
      : undefined;
    throw new SyscallError({ syscall: "process_mrelease", errno: -r, subject: pidfd.pid, detail });
  }
}
