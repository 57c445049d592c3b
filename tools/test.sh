#!/usr/bin/env bash
# Every check and both test suites, as `npm test` runs them. Ends with one line:
# "tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH" NO_COLOR=1
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
status=0

# Neither test runner prints why a test was skipped: say it once.
[ "$(id -u)" -eq 0 ] ||
  echo "Not running as root: the tests that need root (unshare, ns_last_pid, setpriv) are skipped."

step() {
  echo "== $*"
  "$@" || { echo "FAILED: $*"; status=1; }
}

step deno fmt --check
step deno lint
step deno check mod.ts cli.ts examples/ tests/ bench/
step deno doc --lint mod.ts cli.ts
# The JSDoc examples that can run (the rest are `ts ignore`: they signal, wait for or name another process).
step deno test --doc --allow-ffi --allow-read --allow-env mod.ts src/
# Module layering (.dependency-cruiser.cjs): no import cycle, no value import from a lower floor to a higher one.
step depcruise --config .dependency-cruiser.cjs mod.ts cli.ts cli ffi src

# The single `pidfd` binary (bun build --compile, with the epoll Worker as an extra entry point). bun test runs
# the CLI tests against it too (tests/cli.test.ts reads PIDFD_CLI_BINARY).
rm -f dist/pidfd
step npm run --silent compile
cli_binary=()
[ -x dist/pidfd ] && cli_binary=(env PIDFD_CLI_BINARY=dist/pidfd)

# Output goes to a file that is followed while the runner lives: a process a test left behind that still holds
# the runner's stdout cannot hold this script (as it would a pipe into tee).
suite() {
  local log=$1
  shift
  echo "== $*"
  "$@" >"$log" 2>&1 &
  local pid=$!
  tail -n +1 -f --pid="$pid" "$log"
  wait "$pid" || { echo "FAILED: $*"; status=1; }
}
suite "$logs/deno" deno test --allow-ffi --allow-run --allow-read --allow-write --allow-env tests/
# Bun's default of 5 s per test is too short for the tests that move a GiB of memory on a loaded machine.
suite "$logs/bun" "${cli_binary[@]}" bun test --timeout 60000 tests/

# Deno counts each node:test `describe` as a test and each `test` inside it as a step: count the steps.
summary=$(grep -E '^(ok|FAILED) \| ' "$logs/deno" | tail -1)
count() { sed -nE "s/.*[| ]([0-9]+) $1( \\(([0-9]+) steps?\\))?.*/\\1 \\3/p" <<<"$summary"; }
read -r dp dps <<<"$(count passed)"
read -r df dfs <<<"$(count failed)"
deno_passed=${dps:-${dp:-0}}
deno_failed=${dfs:-${df:-0}}
# Skipped: ignored tests and ignored steps (a skipped test never runs steps, so nothing counts twice).
read -r di dis <<<"$(count ignored)"
deno_skipped=$((${di:-0} + ${dis:-0}))
bun_passed=$(sed -nE 's/^ *([0-9]+) pass$/\1/p' "$logs/bun" | tail -1)
bun_failed=$(sed -nE 's/^ *([0-9]+) fail$/\1/p' "$logs/bun" | tail -1)
bun_skipped=$(sed -nE 's/^ *([0-9]+) skip$/\1/p' "$logs/bun" | tail -1)
echo "deno: ${deno_passed} passed, ${deno_failed} failed, ${deno_skipped} skipped"
echo "bun: ${bun_passed:-0} passed, ${bun_failed:-0} failed, ${bun_skipped:-0} skipped"
failed=$((deno_failed + ${bun_failed:-0}))
[ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1 # a failed check counts as a failure
echo "tests: $((deno_passed + ${bun_passed:-0})) passed, ${failed} failed, $((deno_skipped + ${bun_skipped:-0})) skipped"
exit "$status"
