/**
 * The Bun backend: `bun:ffi` over the shared symbol table, translated mechanically.
 *
 * `bun:ffi` is never imported statically: {@link requireBunFfi} loads it through a variable specifier, so
 * `deno check` and JSR never try to resolve it. {@link BunFfi} declares the little this file uses.
 *
 * @module
 */

import { withErrno } from "./errno.ts";
import { type Libc, type Memory, SYMBOLS } from "./symbols.ts";

type BunType = string;
interface BunSymbolDef {
  args: BunType[];
  returns: BunType;
}
// deno-lint-ignore no-explicit-any
type BunFn = ((...args: any[]) => any) & { ptr: number };

/** The subset of `bun:ffi` this backend uses. */
export interface BunFfi {
  dlopen(path: string, defs: Record<string, BunSymbolDef>): { symbols: Record<string, BunFn> };
  CFunction(def: BunSymbolDef & { ptr: number }): BunFn;
  read: { i32(ptr: number, offset?: number): number; ptr(ptr: number, offset?: number): number };
  ptr(buffer: ArrayBufferView): number;
  CString: new (ptr: number) => { toString(): string };
}

// A variable specifier: deno check and JSR never try to resolve `bun:ffi`.
const BUN_FFI = "bun:ffi";

/**
 * Loads `bun:ffi` (under Bun only) through Bun's synchronous `import.meta.require`, so that no module here has a
 * top-level await (which would keep `bun build --compile --bytecode` from compiling the tool ahead of time).
 */
export function requireBunFfi(): BunFfi {
  return (import.meta as unknown as { require(id: string): unknown }).require(BUN_FFI) as BunFfi;
}

/**
 * Opens only the given required symbols of the table, with one `dlopen`, wrapped so that failures return
 * `-errno`: for a caller that needs a few symbols before (or without) the whole library.
 */
export function bunSymbols<K extends Exclude<keyof typeof SYMBOLS, "__errno_location">>(
  ffi: BunFfi,
  path: string,
  keys: K[],
): Pick<Libc, K> {
  const defs: Record<string, BunSymbolDef> = { __errno_location: { args: [], returns: "ptr" } };
  for (const key of keys) {
    const def = SYMBOLS[key];
    defs[key] = { args: def.parameters.map(bunType), returns: bunType(def.result) };
  }
  const lib = ffi.dlopen(path, defs);
  const errnoLocation = lib.symbols["__errno_location"]!();
  const errno = (): number => ffi.read.i32(errnoLocation, 0);
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = withErrno(lib.symbols[key]!, defs[key]!.args.length, errno);
  return out as Pick<Libc, K>;
}

/** Deno type names to Bun's: pointers become `ptr`, numeric types keep their names. */
function bunType(t: string): BunType {
  return t === "buffer" || t === "pointer" ? "ptr" : t;
}

/** Opens libc with `bun:ffi` and wraps every symbol so that failures return `-errno`. */
export function bunBackend(ffi: BunFfi, path: string): Libc {
  const defs = Object.entries(SYMBOLS).map(([key, def]) => ({
    key,
    cName: "name" in def ? def.name : key,
    optional: "optional" in def && def.optional,
    bun: { args: def.parameters.map(bunType), returns: bunType(def.result) },
  }));

  // Bun's dlopen keys must be real symbol names and it throws on a missing one: open the required C symbols
  // together, each optional one alone, and bind a further prototype of a symbol (an alias) through its address.
  const required: Record<string, BunSymbolDef> = {};
  for (const d of defs) if (!d.optional) required[d.cName] ??= d.bun;
  const lib = ffi.dlopen(path, required);
  const fns: Record<string, BunFn | null> = {};
  for (const d of defs) {
    if (d.optional) fns[d.key] = openOptional(ffi, path, d.cName, d.bun);
    else if (required[d.cName] === d.bun) fns[d.key] = lib.symbols[d.cName]!;
    else fns[d.key] = ffi.CFunction({ ...d.bun, ptr: lib.symbols[d.cName]!.ptr });
  }

  const errnoLocation = fns["__errno_location"]!();
  const errno = (): number => ffi.read.i32(errnoLocation, 0);
  const out: Record<string, unknown> = {};
  for (const d of defs) {
    if (d.key === "__errno_location") continue;
    const fn = fns[d.key];
    out[d.key] = fn ? withErrno(fn, d.bun.args.length, errno) : null;
  }
  return out as unknown as Libc;
}

function openOptional(ffi: BunFfi, path: string, name: string, def: BunSymbolDef): BunFn | null {
  try {
    return ffi.dlopen(path, { [name]: def }).symbols[name] ?? null;
  } catch {
    return null; // this libc lacks the symbol
  }
}

/** Raw memory access through `bun:ffi`'s `ptr`, `read` and `CString`. */
export function bunMemory(ffi: BunFfi): Memory {
  const { allocUnsafe } = (globalThis as unknown as { Bun: { allocUnsafe(length: number): Uint8Array } }).Bun;
  return {
    addressOf: (buffer) => ffi.ptr(buffer),
    readPointer: (address, index) => ffi.read.ptr(address, index * 8),
    readCString: (address) => new ffi.CString(address).toString(),
    uninitialized: (length) => allocUnsafe(length),
  };
}
