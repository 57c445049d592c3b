const t: [string, number][] = [["start", performance.now()]];
async function go(): Promise<void> {
  await import("./ffi/mod.ts"); t.push(["ffi", performance.now()]);
  await import("./src/errors.ts"); t.push(["errors", performance.now()]);
  await import("./src/supports.ts"); t.push(["supports", performance.now()]);
  await import("./src/pidfd.ts"); t.push(["pidfd", performance.now()]);
  await import("./src/unix.ts"); t.push(["unix", performance.now()]);
  const m = await import("./mod.ts"); t.push(["mod", performance.now()]);
  m.supports(); t.push(["supports", performance.now()]);
  await import("./cli/commands/info.ts"); t.push(["info cmd", performance.now()]);
  const { main } = await import("./cli.ts"); t.push(["cli", performance.now()]);
  await main(["info", "1"]); t.push(["run", performance.now()]);
  await main(["info", "1"]); t.push(["run2", performance.now()]);
  let prev = 0;
  console.error(t.map(([n, v]) => { const d = v - prev; prev = v; return `${n} +${d.toFixed(2)}`; }).join("  "));
}
void go();
