/**
 * The one place where "returned -1, look at errno" becomes a value. Each backend wraps every libc function with
 * {@link withErrno}: a wrapped call returns its result, or `-errno` when the C call returned -1 (the raw-syscall
 * convention). errno is read at once, on the same thread, before any other libc call can change it.
 *
 * @module
 */

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => any;

/**
 * Wraps `fn` (a C function with `arity` parameters) so that a result of -1 becomes `-errno`.
 * One fixed-arity closure per arity keeps the call monomorphic and free of rest-argument arrays.
 */
export function withErrno(fn: AnyFn, arity: number, errno: () => number): AnyFn {
  switch (arity) {
    case 0:
      return () => {
        const r = fn();
        return r === -1 ? -errno() : r;
      };
    case 1:
      return (a: unknown) => {
        const r = fn(a);
        return r === -1 ? -errno() : r;
      };
    case 2:
      return (a: unknown, b: unknown) => {
        const r = fn(a, b);
        return r === -1 ? -errno() : r;
      };
    case 3:
      return (a: unknown, b: unknown, c: unknown) => {
        const r = fn(a, b, c);
        return r === -1 ? -errno() : r;
      };
    case 4:
      return (a: unknown, b: unknown, c: unknown, d: unknown) => {
        const r = fn(a, b, c, d);
        return r === -1 ? -errno() : r;
      };
    case 5:
      return (a: unknown, b: unknown, c: unknown, d: unknown, e: unknown) => {
        const r = fn(a, b, c, d, e);
        return r === -1 ? -errno() : r;
      };
    case 6:
      return (a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown) => {
        const r = fn(a, b, c, d, e, f);
        return r === -1 ? -errno() : r;
      };
    default:
      throw new RangeError(`No errno wrapper for ${arity} parameters`);
  }
}
