/**
 * The `libc` object both backends build from the symbol table, each symbol bound (`dlopen`ed and wrapped) the
 * first time it is called rather than at load: binding costs ~0.3 ms a symbol under Deno and ~25 µs under Bun,
 * and one command of the tool calls a few dozen of the table's sixty-odd, so start-up pays only for those.
 *
 * Every property is a plain data property from the start (one object shape): its first value binds the symbol
 * when called and replaces itself with the bound function, which later calls reach directly. An optional
 * symbol that libc lacks is `null` at once: its presence is asked of `dlsym` without binding it (where libc has
 * no `dlsym`, glibc < 2.34, optional symbols are bound at load to find out).
 *
 * @module
 */

import { cPath } from "./structs.ts";
import { type Libc, SYMBOLS } from "./symbols.ts";

/** A key of the table that the rest of the library calls (`__errno_location` is the backends' own). */
export type SymbolKey = Exclude<keyof typeof SYMBOLS, "__errno_location">;

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => any;

/** What a backend supplies to {@link lazyLibc}. */
export interface Binder {
  /** Binds one symbol, wrapped so that failures return `-errno`; `null` when libc lacks an optional one. */
  bind(key: SymbolKey): AnyFn | null;
  /** libc's raw `dlsym`, through which a symbol's presence is asked without binding it; `null` without one. */
  readonly dlsym: ((handle: bigint, name: Uint8Array) => number | bigint) | null;
}

/** The C name of a table entry: its `name` for the prototypes of variadic functions, else its key. */
export function cName(key: keyof typeof SYMBOLS): string {
  const def = SYMBOLS[key];
  return "name" in def ? def.name : key;
}

/**
 * Builds `libc` over `binder`. `bindAll` binds every symbol still unbound, for the test that the whole table
 * matches this libc.
 */
export function lazyLibc(binder: Binder): { libc: Libc; bindAll(): void } {
  const table: Record<string, AnyFn | null> = {};
  const unbound = new Map<SymbolKey, () => AnyFn>();
  const { dlsym } = binder;
  for (const key of Object.keys(SYMBOLS) as (keyof typeof SYMBOLS)[]) {
    if (key === "__errno_location") continue;
    if ("optional" in SYMBOLS[key]) {
      if (dlsym === null) {
        table[key] = binder.bind(key);
        continue;
      }
      if (Number(dlsym(0n, cPath(cName(key))!)) === 0) {
        table[key] = null;
        continue;
      }
    }
    let bound: AnyFn | undefined;
    const install = (): AnyFn => {
      if (bound === undefined) {
        const fn = binder.bind(key);
        if (fn === null) throw new Error(`libc has no ${cName(key)}`);
        unbound.delete(key);
        table[key] = bound = fn;
      }
      return bound;
    };
    unbound.set(key, install);
    // Reached again only through a copy of the first value a caller kept: it forwards to the bound function.
    table[key] = (a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, f?: unknown) =>
      install()(a, b, c, d, e, f);
  }
  return {
    libc: table as unknown as Libc,
    bindAll: (): void => {
      for (const install of [...unbound.values()]) install();
    },
  };
}
