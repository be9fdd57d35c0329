# Shared by the tfc command's test scripts: sourced as
#   source "$(dirname "$0")/lib.sh" NAME "$@"      (script args: TFC_EXE SOURCE_ROOT)
# Sets TFC (absolute path of the tool), SRC (the source root), DATA
# (../shared/data or $TFC_SHARED_DATA) and TMP (a fresh directory removed on
# exit), and defines fail, run, has and exists.
TFC=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
SRC=$(cd "$3" && pwd)
DATA=${TFC_SHARED_DATA:-$SRC/../shared/data}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tfc_test_$1.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

fail() {
    echo "FAIL: $*" >&2
    for f in "$TMP"/out "$TMP"/err; do [ -s "$f" ] && { echo "--- $f:" >&2; tail -20 "$f" >&2; }; done
    exit 1
}
# run RC ARGS...: runs tfc, stdout in $TMP/out, stderr in $TMP/err; the exit code must be RC.
run() {
    local want=$1
    shift
    "$TFC" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    [ "$rc" -eq "$want" ] || fail "tfc $* exited $rc, expected $want"
}
has() { grep -q -- "$2" "$1" || fail "$1 lacks '$2'"; }
exists() { [ -e "$1" ] || fail "$1 does not exist"; }
