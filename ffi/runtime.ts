/**
 * Which runtime runs this code, found without loading any FFI: the one place that tells Deno from Bun. The
 * library's raw layer (`ffi/`), the command-line tool (`cli/`) and the tests use it; `src/` does not know
 * which runtime it runs in.
 *
 * @module
 */

/** True when running under Bun, false under Deno. */
export const isBun: boolean = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";

/** `"bun"` or `"deno"`. */
export const runtimeName: "bun" | "deno" = isBun ? "bun" : "deno";
