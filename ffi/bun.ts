/**
 * The Bun backend: `bun:ffi` over the shared symbol table, translated mechanically.
 *
 * `bun:ffi` is never imported statically: {@link requireBunFfi} loads it through a variable specifier, so
 * `deno check` and JSR never try to resolve it. {@link BunFfi} declares the little this file uses.
 *
 * @module
 */

import { type Binder, cName, lazyLibc, type SymbolKey } from "./bind.ts";
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

/** Deno type names to Bun's: pointers become `ptr`, numeric types keep their names. */
function bunType(t: string): BunType {
  return t === "buffer" || t === "pointer" ? "ptr" : t;
}

/**
 * One symbol of the table, `dlopen`ed alone (so the prototypes of one variadic C function need no aliasing);
 * `null` for an optional symbol this libc lacks.
 */
function openSymbol(ffi: BunFfi, path: string, key: keyof typeof SYMBOLS): BunFn | null {
  const def = SYMBOLS[key];
  const name = cName(key);
  try {
    return ffi.dlopen(path, { [name]: { args: def.parameters.map(bunType), returns: bunType(def.result) } })
      .symbols[name] ?? null;
  } catch (e) {
    if ("optional" in def) return null; // this libc lacks the symbol
    throw e;
  }
}

/** The binder of one symbol: wrapped so that failures return `-errno`, `null` for a missing optional one. */
function binderOf(ffi: BunFfi, path: string): Binder["bind"] {
  const location = openSymbol(ffi, path, "__errno_location")!();
  const errno = (): number => ffi.read.i32(location, 0);
  return (key) => {
    const fn = openSymbol(ffi, path, key);
    return fn === null ? null : withErrno(fn, SYMBOLS[key].parameters.length, errno);
  };
}

/**
 * Opens libc with `bun:ffi`: `__errno_location` and `dlsym` at once, every other symbol when first called
 * (`ffi/bind.ts`), each wrapped so that failures return `-errno`.
 */
export function bunBackend(ffi: BunFfi, path: string): { libc: Libc; bindAll(): void } {
  return lazyLibc({ bind: binderOf(ffi, path), dlsym: openSymbol(ffi, path, "dlsym") });
}

/**
 * Opens only the given required symbols of the table, wrapped so that failures return `-errno`: for a caller
 * that needs a few symbols before (or without) the whole library.
 */
export function bunSymbols<K extends SymbolKey>(ffi: BunFfi, path: string, keys: K[]): Pick<Libc, K> {
  const bind = binderOf(ffi, path);
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = bind(key);
  return out as Pick<Libc, K>;
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
