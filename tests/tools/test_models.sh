#!/usr/bin/env bash
# tfc models / tfc versions end to end on a census export: the lifecycle
# (create, list, describe, set-default, delete), every error case, and 20
# concurrent creations and descriptions.
#   bash test_models.sh TFC_EXE SOURCE_ROOT
set -u
TFC=$1
SRC=$2
DATA=$SRC/../shared/data/census
if [ ! -f "$DATA/adult.data" ]; then
    echo "skipping: the census data ($DATA) is absent"
    exit 0
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tfc_test_models.XXXXXX")
export TFC_HOME=$TMP/home
trap 'rm -rf "$TMP"' EXIT
FAILS=0

fail() {
    echo "FAIL: $*"
    FAILS=$((FAILS + 1))
}
check() {
    local what=$1
    shift
    if ! "$@"; then fail "$what"; fi
}
expect_exit() {
    local want=$1
    shift
    "$@" >"$TMP/out" 2>"$TMP/err"
    local got=$?
    if [ "$got" != "$want" ]; then
        fail "exit $got (wanted $want): $* ; stderr: $(head -c 400 "$TMP/err")"
        return 1
    fi
    return 0
}
one_line() { # the error is one line on stderr
    test "$(wc -l <"$TMP/err")" = 1 && grep -q "^tfc: " "$TMP/err"
}

# A small trained census model: the job directory and its export.
"$TFC" train --job-dir "$TMP/job" --spec "$SRC/examples/census/spec.json" --train-files "$DATA/adult.data" \
    --train-steps 20 >"$TMP/train.log" 2>&1 || {
    echo "FAIL: tfc train: $(tail -3 "$TMP/train.log")"
    exit 1
}
EXPORT=$(ls -d "$TMP"/job/export/*/ | head -1)
EXPORT=${EXPORT%/}

# ---- help: every subcommand lists its flags with defaults -------------------------
expect_exit 0 "$TFC" models --help
expect_exit 0 "$TFC" versions --help
expect_exit 0 "$TFC" models create --help && check "models create --help: --description default" grep -q -- "--description TEXT.*(default: )" "$TMP/out"
expect_exit 0 "$TFC" models delete --help && check "models delete --help: --force" grep -q -- "--force" "$TMP/out"
for sub in list describe; do expect_exit 0 "$TFC" models $sub --help; done
expect_exit 0 "$TFC" versions create --help
check "versions create --help: --origin" grep -q -- "--origin EXPORT_DIR" "$TMP/out"
check "versions create --help: --model" grep -q -- "--model MODEL" "$TMP/out"
for sub in list describe delete set-default; do
    expect_exit 0 "$TFC" versions $sub --help && check "versions $sub --help: --model" grep -q -- "--model MODEL" "$TMP/out"
done

# ---- models ------------------------------------------------------------------------------
expect_exit 0 "$TFC" models list && check "empty list" test "$(wc -l <"$TMP/out")" = 1
expect_exit 0 "$TFC" models create census --description "census income, wide & deep"
check "create says so" grep -q "created model census" "$TMP/out"
check "TFC_HOME holds the registry" test -f "$TFC_HOME/tfc.db"
expect_exit 1 "$TFC" models create census && check "duplicate model" grep -q "model 'census' already exists" "$TMP/err" && check "one line" one_line
expect_exit 2 "$TFC" models create "bad-name" && check "bad model name" grep -q "bad model name 'bad-name'" "$TMP/err"
expect_exit 2 "$TFC" models create && check "missing name" grep -q "NAME is missing" "$TMP/err"
expect_exit 2 "$TFC" models create x --colour blue && check "unknown flag" grep -q "unknown flag '--colour'" "$TMP/err"
expect_exit 2 "$TFC" models frobnicate
expect_exit 0 "$TFC" models describe census
check "describe: description" grep -q "^description: census income, wide & deep$" "$TMP/out"
check "describe: no default yet" grep -q "^defaultVersion: -$" "$TMP/out"
check "describe: no versions" grep -q "^versions: none$" "$TMP/out"
expect_exit 3 "$TFC" models describe nosuch && check "describe a missing model" grep -q "there is no model 'nosuch'" "$TMP/err" && check "one line" one_line
expect_exit 3 "$TFC" models delete nosuch

# ---- versions ----------------------------------------------------------------------------
expect_exit 0 "$TFC" versions create v1 --model census --origin "$TMP/job"
check "v1 from the job's newest export, the default" grep -q "created version v1 of model census from $EXPORT (the default)" "$TMP/out"
check "v1 copied into the registry" test -f "$TFC_HOME/models/census/v1/saved_model.pb"
check "v1 copied the variables" cmp -s "$TFC_HOME/models/census/v1/variables/variables.tfc" "$EXPORT/variables/variables.tfc"
expect_exit 0 "$TFC" versions create v2 --model census --origin "$EXPORT"
check "v2 is not the default" bash -c "! grep -q default '$TMP/out'"
expect_exit 0 "$TFC" versions list --model census
check "list: header" grep -q "^NAME *STATE *DEFAULT *CREATED *ORIGIN" "$TMP/out"
check "list: v1 default" grep -Eq "^v1 +READY +yes +[0-9T:-]+Z +$EXPORT$" "$TMP/out"
check "list: v2" grep -Eq "^v2 +READY +[0-9]" "$TMP/out"
expect_exit 0 "$TFC" versions describe v2 --model census
check "describe: path" grep -q "^path: $TFC_HOME/models/census/v2$" "$TMP/out"
check "describe: origin" grep -q "^origin: $EXPORT$" "$TMP/out"
check "describe: not default" grep -q "^isDefault: false$" "$TMP/out"
check "describe: the instance keys" grep -q "^  input age: int64 \[None\]$" "$TMP/out"
check "describe: outputs" grep -q "^  output probabilities: float32 \[None, 2\]$" "$TMP/out"
expect_exit 0 "$TFC" models list && check "models list: default and count" grep -Eq "^census +v1 +2 +census income" "$TMP/out"

# errors
expect_exit 1 "$TFC" versions create v1 --model census --origin "$EXPORT" && check "duplicate version" grep -q "model 'census' already has a version 'v1'" "$TMP/err" && check "one line" one_line
expect_exit 3 "$TFC" versions create v3 --model nosuch --origin "$EXPORT" && check "version of a missing model" grep -q "there is no model 'nosuch'" "$TMP/err"
expect_exit 3 "$TFC" versions create v3 --model census --origin "$TMP/nowhere" && check "missing origin" grep -q "origin $TMP/nowhere: No such file or directory" "$TMP/err"
mkdir -p "$TMP/empty"
expect_exit 3 "$TFC" versions create v3 --model census --origin "$TMP/empty" && check "origin that is not an export" grep -q "is not an export" "$TMP/err"
cp -r "$EXPORT" "$TMP/broken"
head -c 100 "$EXPORT/saved_model.pb" >"$TMP/broken/saved_model.pb"
expect_exit 4 "$TFC" versions create v3 --model census --origin "$TMP/broken" && check "export that does not load" grep -q "does not load as an export" "$TMP/err" && check "one line" one_line
check "a failed create leaves no version" bash -c "! '$TFC' versions list --model census | grep -q '^v3 '"
check "a failed create leaves no files" test -z "$(ls -A "$TFC_HOME/models/census" | grep -v '^v[12]$')"
expect_exit 2 "$TFC" versions create v3 --model census && check "--origin required" grep -q "origin is required" "$TMP/err"
expect_exit 2 "$TFC" versions create --model census --origin "$EXPORT" && check "version name required" grep -q "VERSION name is missing" "$TMP/err"
expect_exit 2 "$TFC" versions list && check "--model required" grep -q "model is required" "$TMP/err"
expect_exit 3 "$TFC" versions list --model nosuch
expect_exit 3 "$TFC" versions describe v9 --model census && check "missing version" grep -q "model 'census' has no version 'v9'" "$TMP/err" && check "one line" one_line
expect_exit 3 "$TFC" versions delete v9 --model census
expect_exit 3 "$TFC" versions set-default v9 --model census
expect_exit 3 "$TFC" versions describe v1 --model nosuch

# default and delete rules
expect_exit 1 "$TFC" versions delete v1 --model census && check "the default cannot go while others exist" grep -q "is the default of model 'census'" "$TMP/err"
expect_exit 0 "$TFC" versions set-default v2 --model census
check "v2 now default" grep -q "^defaultVersion: v2$" <("$TFC" models describe census)
check "v2 isDefault" grep -q "^isDefault: true$" <("$TFC" versions describe v2 --model census)
expect_exit 0 "$TFC" versions delete v1 --model census
check "v1 files removed" test ! -e "$TFC_HOME/models/census/v1"
expect_exit 3 "$TFC" versions describe v1 --model census
expect_exit 1 "$TFC" models delete census && check "a model with versions stays" grep -q "has 1 version(s)" "$TMP/err" && check "one line" one_line
expect_exit 0 "$TFC" versions delete v2 --model census
check "the last version can go, default included" grep -q "^defaultVersion: -$" <("$TFC" models describe census)
expect_exit 0 "$TFC" versions create v3 --model census --origin "$EXPORT"
check "the next version becomes the default" grep -q "^defaultVersion: v3$" <("$TFC" models describe census)
expect_exit 0 "$TFC" models delete census --force
check "--force removed the files" test ! -e "$TFC_HOME/models/census"
expect_exit 3 "$TFC" models describe census
expect_exit 0 "$TFC" models create census
expect_exit 0 "$TFC" models delete census

# ---- 20 concurrent creations and descriptions ----------------------------------------------
# In a new TFC_HOME: the first use (making the database) is concurrent too.
export TFC_HOME=$TMP/home2
for i in $(seq 20); do
    (
        rc=0
        "$TFC" models create m$i --description "model $i" >/dev/null 2>"$TMP/m$i.err" || rc=1
        "$TFC" versions create v1 --model m$i --origin "$EXPORT" >/dev/null 2>>"$TMP/m$i.err" || rc=2
        "$TFC" models describe m$i >"$TMP/m$i.describe" 2>>"$TMP/m$i.err" || rc=3
        "$TFC" models list >/dev/null 2>>"$TMP/m$i.err" || rc=4
        echo $rc >"$TMP/m$i.rc"
    ) &
done
wait
for i in $(seq 20); do
    check "m$i: create, version, describe ($(cat "$TMP/m$i.err"))" test "$(cat "$TMP/m$i.rc")" = 0
    check "m$i described" grep -q "^description: model $i$" "$TMP/m$i.describe"
    check "m$i default v1" grep -q "^defaultVersion: v1$" "$TMP/m$i.describe"
done
check "20 models listed" test "$("$TFC" models list | grep -c '^m[0-9]* ')" = 20

if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS check(s) failed"
    exit 1
fi
echo "all models and versions checks passed"
