#!/usr/bin/env bash
# Builds and runs the whole test suite: the CUnit programs in a release build
# and again under AddressSanitizer + UndefinedBehaviorSanitizer, the exported
# symbol, header and ABI checks. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh || exit 1

passed=0 failed=0
count() { # reads meson's testlog.json: one JSON object per test
  local log=$1 p f
  p=$(grep -c '"result": "OK"' "$log" || true)
  f=$(grep -c -E '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
  passed=$((passed + p)); failed=$((failed + f))
}
run_suite() { # name, build dir, meson options...
  local name=$1 dir=$2; shift 2
  echo "== $name"
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >/dev/null || { echo "meson setup failed for $name"; failed=$((failed + 1)); return; }
  fi
  if ! ninja -C "$dir" >"$dir.ninja.log" 2>&1; then
    tail -n 40 "$dir.ninja.log"; echo "build failed for $name"; failed=$((failed + 1)); return
  fi
  meson test -C "$dir" --print-errorlogs --num-processes 2 | grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Timeout):'
  count "$dir/meson-logs/testlog.json"
}

run_suite "release build" build-test -Dbuildtype=release
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite "AddressSanitizer + UndefinedBehaviorSanitizer" build-asan -Dbuildtype=debug \
  -Db_sanitize=address,undefined -Dc_args=-fno-sanitize-recover=undefined

echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
