const t: [string, number][] = [["start", performance.now()]];
function mark(n: string): void { t.push([n, performance.now()]); }
async function go(): Promise<void> {
  const m = await import("./mod.ts"); mark("mod");
  const procs = await import("./cli/procs.ts"); mark("procs");
  const ctxm = await import("./cli/context.ts"); mark("context");
  const ctx = new ctxm.Context(false); mark("new Context");
  m.supports(); mark("supports");
  const p = procs.openPid(1); mark("openPid");
  const i = p.info(); mark("info");
  p.nspid(); mark("nspid");
  procs.commandOf(p); mark("commandOf");
  procs.userName(i.euid!); mark("userName");
  procs.pidfsId(p); mark("pidfsId");
  p.close();
  let prev = 0;
  console.error(t.map(([n, v]) => { const d = v - prev; prev = v; return `${n} +${d.toFixed(2)}`; }).join("  "));
}
void go();
