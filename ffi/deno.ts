/**
 * The Deno backend: `Deno.dlopen` over the shared symbol table, each symbol bound on its first call
 * (`ffi/bind.ts`).
 *
 * @module
 */

import { type Binder, lazyLibc, type SymbolKey } from "./bind.ts";
import { withErrno } from "./errno.ts";
import { type Libc, type Memory, SYMBOLS } from "./symbols.ts";

const CORE = { __errno_location: SYMBOLS.__errno_location, dlsym: SYMBOLS.dlsym } as const;

/**
 * Opens libc with Deno's FFI: `__errno_location` and `dlsym` at once, every other symbol when first called,
 * each wrapped so that failures return `-errno`.
 */
export function denoBackend(path: string): { libc: Libc; bindAll(): void } {
  const core = Deno.dlopen(path, CORE).symbols;
  const location = core.__errno_location();
  if (location === null) throw new Error("__errno_location() returned NULL");
  // The pointer is per thread and stable for the main thread: make the view once.
  const view = new Deno.UnsafePointerView(location);
  const errno = (): number => view.getInt32();
  const binder: Binder = {
    bind(key: SymbolKey): ReturnType<Binder["bind"]> {
      const def = SYMBOLS[key];
      const fn = Deno.dlopen(path, { [key]: def } as Record<string, Deno.ForeignFunction>).symbols[key];
      return fn === null || fn === undefined ? null : withErrno(fn, def.parameters.length, errno);
    },
    dlsym: core.dlsym,
  };
  return lazyLibc(binder);
}

function pointer(address: number): Deno.PointerObject {
  const p = Deno.UnsafePointer.create(BigInt(address));
  if (p === null) throw new TypeError("NULL pointer");
  return p;
}

/** Raw memory access through `Deno.UnsafePointer` and `Deno.UnsafePointerView`. */
export const denoMemory: Memory = {
  addressOf: (buffer) => Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer as BufferSource))),
  readPointer: (address, index) =>
    Number(new Deno.UnsafePointerView(pointer(address)).getBigUint64(index * 8)),
  readCString: (address) => Deno.UnsafePointerView.getCString(pointer(address)),
  uninitialized: (length) => new Uint8Array(length),
};
