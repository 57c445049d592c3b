// Module layering, checked by `npm test` (tools/test.sh). Floors, bottom up; a module may import its own floor
// or lower ones as values, and any floor as a type only (an owner imports its parts; parts `import type` the
// owner). The README's "Layout" section describes each file.
const FLOORS = [
  ["ffi", "^ffi/"],
  ["errors", "^src/(errors|signals)\\.ts$"],
  ["fds", "^src/(fd|procfs|pidfd_info|supports)\\.ts$"],
  ["reactor", "^src/(reactor|stream|namespace)\\.ts$"],
  ["mechanics", "^src/(pid_translate|translation_errors|procfs_mount|handle|identity)\\.ts$"],
  ["waiting", "^src/(wait|proc_dir|memory|socket_peer)\\.ts$"],
  ["handles", "^src/pidfd\\.ts$"],
  ["top", "^src/(wait_many|spawn|spawn_namespaces|translate|unix|enumerate)\\.ts$"],
  ["api", "^(mod|procfs)\\.ts$"],
];

const above = (i) => FLOORS.slice(i + 1).map(([, path]) => path);

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    { name: "no-unresolvable", severity: "error", from: {}, to: { couldNotResolve: true } },
    ...FLOORS.slice(0, -1).map(([name, path], i) => ({
      name: `no-upward-from-${name}`,
      comment: `${name} may import higher floors as types only`,
      severity: "error",
      from: { path },
      to: { path: above(i), dependencyTypesNot: ["type-only"] },
    })),
    {
      name: "src-is-runtime-neutral",
      comment: "runtime differences live in ffi/: src/ does not import the runtime detection",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^ffi/(runtime|epoll_deno|epoll_bun)\\.ts$" },
    },
    {
      name: "ffi-imports-nothing-above",
      severity: "error",
      from: { path: "^ffi/" },
      to: { path: "^(src|cli)/|^(mod|cli)\\.ts$" },
    },
    // The CLI imports the public modules (mod.ts, procfs.ts), its own files and the runtime detection only.
    {
      name: "cli-uses-the-public-api",
      severity: "error",
      from: { path: "^(cli/|cli\\.ts$)" },
      to: { path: "^(src|ffi)/", pathNot: "^ffi/(runtime|stdio)\\.ts$" },
    },
    {
      name: "every-src-module-has-a-floor",
      severity: "error",
      from: { path: "^src/", pathNot: FLOORS.map(([, path]) => path) },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules" },
    tsPreCompilationDeps: true,
    detectJSDocImports: false,
    moduleSystems: ["es6"],
    builtInModules: { add: ["bun:ffi"] },
  },
};
