const t: [string, number][] = [["start", performance.now()]];
async function go(): Promise<void> {
  const rt = await import("./ffi/runtime.ts"); t.push(["runtime", performance.now()]);
  const c = await import("./ffi/constants.ts"); t.push(["constants", performance.now()]);
  const st = await import("./ffi/structs.ts"); t.push(["structs", performance.now()]);
  const sy = await import("./ffi/symbols.ts"); t.push(["symbols", performance.now()]);
  const b = await import("./ffi/bun.ts"); t.push(["bun.ts", performance.now()]);
  await import("./ffi/deno.ts"); t.push(["deno.ts", performance.now()]);
  const f = b.requireBunFfi(); t.push(["require", performance.now()]);
  const be = b.bunBackend(f, sy.LIBC_PATH); t.push(["backend", performance.now()]);
  be.libc.getpid(); t.push(["getpid", performance.now()]);
  be.libc.close(-1); t.push(["close", performance.now()]);
  await import("./ffi/mod.ts"); t.push(["mod", performance.now()]);
  let prev = 0;
  console.error(t.map(([n, v]) => { const d = v - prev; prev = v; return `${n} +${d.toFixed(2)}`; }).join("  "));
}
void go();
