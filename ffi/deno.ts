/**
 * The Deno backend: `Deno.dlopen` over the shared symbol table.
 *
 * @module
 */

import { withErrno } from "./errno.ts";
import { type Libc, type Memory, SYMBOLS } from "./symbols.ts";

/** Opens libc with Deno's FFI and wraps every symbol so that failures return `-errno`. */
export function denoBackend(path: string): Libc {
  const lib = Deno.dlopen(path, SYMBOLS);
  const location = lib.symbols.__errno_location();
  if (location === null) throw new Error("__errno_location() returned NULL");
  // The pointer is per thread and stable for the main thread: make the view once.
  const view = new Deno.UnsafePointerView(location);
  const errno = (): number => view.getInt32();
  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(SYMBOLS)) {
    if (key === "__errno_location") continue;
    const fn = lib.symbols[key as keyof typeof SYMBOLS];
    out[key] = fn === null ? null : withErrno(fn, def.parameters.length, errno);
  }
  return out as unknown as Libc;
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
