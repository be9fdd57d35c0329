#!/usr/bin/env bash
# tfc jobs end to end on the census data: training jobs that succeed, fail,
# are cancelled or killed from outside; 20 concurrent submissions and
# descriptions; batch prediction with bad instances.
#   bash test_jobs.sh TFC_EXE SOURCE_ROOT
set -u
TFC=$1
SRC=$2
DATA=$SRC/../shared/data/census
if [ ! -f "$DATA/adult.data" ] || [ ! -f "$DATA/adult.test" ]; then
    echo "skipping: the census data ($DATA) is absent"
    exit 0
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tfc_test_jobs.XXXXXX")
export TFC_HOME=$TMP/home
FAILS=0

cleanup() {
    # Stop whatever this test started that still runs (by process group).
    for f in "$TMP"/pids/*; do
        [ -f "$f" ] && kill -KILL -- "-$(cat "$f")" 2>/dev/null
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
mkdir -p "$TMP/pids"

fail() {
    echo "FAIL: $*"
    FAILS=$((FAILS + 1))
}
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if ! "$@"; then fail "$what"; fi
}
# expect_exit CODE CMD...: runs CMD, stderr to $TMP/err, stdout to $TMP/out
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
field() { # field JOB NAME: a field of tfc jobs describe
    "$TFC" jobs describe "$1" | sed -n "s/^$2: //p" | head -1
}
remember_pid() {
    local pid
    pid=$(field "$1" pid)
    [ -n "$pid" ] && echo "$pid" >"$TMP/pids/$1"
}
wait_state() { # wait_state JOB STATE SECONDS
    local t=0 s
    while [ "$t" -lt $(($3 * 10)) ]; do
        s=$(field "$1" state)
        [ "$s" = "$2" ] && return 0
        case "$s" in SUCCEEDED | FAILED | CANCELLED) [ "$s" != "$2" ] && break ;; esac
        sleep 0.1
        t=$((t + 1))
    done
    fail "job $1 is $s, not $2 after $3 s"
    return 1
}

# Whether a process group still has a live (not zombie) process: the
# container's init may reap the ended supervisor a moment later.
group_alive() {
    ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

group_gone() { ! group_alive "$1"; }

SPEC=$SRC/examples/census/spec.json
TRAIN_FLAGS=(--spec "$SPEC" --train-files "$DATA/adult.data" --eval-files "$DATA/adult.test" --eval-steps 5)

# ---- help: every flag with its default --------------------------------------
expect_exit 0 "$TFC" jobs --help && check "jobs --help lists submit" grep -q "submit training" "$TMP/out"
expect_exit 0 "$TFC" jobs submit training --help && check "submit training --help lists --job-dir" grep -q -- "--job-dir DIR" "$TMP/out"
expect_exit 0 "$TFC" jobs submit prediction --help
for f in "--model MODEL" "--version VERSION" "--model-dir EXPORT_DIR" "--data-format FORMAT.*default: TEXT" \
    "--input-paths GLOBS" "--output-path DIR" "--signature-name KEY.*default: serving_default" \
    "--batch-size N.*default: 1024" "--threads N.*default: 0" "--stream-logs"; do
    check "submit prediction --help lists $f" grep -q -- "$f" "$TMP/out"
done
for sub in describe list cancel stream-logs; do
    expect_exit 0 "$TFC" jobs "$sub" --help && check "jobs $sub --help" grep -q "usage: tfc jobs $sub" "$TMP/out"
done
expect_exit 0 "$TFC" jobs cancel --help && check "cancel --help shows the grace default" grep -q "default: 10" "$TMP/out"

# ---- usage and lookup errors ---------------------------------------------------
expect_exit 3 "$TFC" jobs describe no_such_job && check "describe: one clear line" grep -q "there is no job 'no_such_job'" "$TMP/err"
expect_exit 3 "$TFC" jobs stream-logs no_such_job
expect_exit 3 "$TFC" jobs cancel no_such_job
expect_exit 2 "$TFC" jobs submit training 9bad --job-dir "$TMP/x" && check "bad name" grep -q "bad job name '9bad'" "$TMP/err"
expect_exit 2 "$TFC" jobs submit training nodir -- --train-steps 1 && check "--job-dir required" grep -q "job-dir is required" "$TMP/err"
expect_exit 2 "$TFC" jobs submit prediction p --model-dir x --input-paths x && check "--output-path required" grep -q "output-path is required" "$TMP/err"
expect_exit 2 "$TFC" jobs submit prediction p --model-dir x --input-paths x --output-path y --bogus 1 && check "unknown flag" grep -q "unknown flag '--bogus'" "$TMP/err"
expect_exit 2 "$TFC" jobs submit rocket x
expect_exit 2 "$TFC" jobs frobnicate
expect_exit 3 "$TFC" jobs submit prediction p --model no_model --input-paths x --output-path y && check "missing model" grep -q "no model 'no_model'" "$TMP/err"

# ---- a training job that succeeds --------------------------------------------------
expect_exit 0 "$TFC" jobs submit training ok1 --job-dir "$TMP/ok1" -- "${TRAIN_FLAGS[@]}" --train-steps 100
check "submit prints the job" grep -q "^jobId: ok1$" "$TMP/out"
check "submit prints the state" grep -Eq "^state: (QUEUED|PREPARING|RUNNING)$" "$TMP/out"
remember_pid ok1
expect_exit 0 "$TFC" jobs stream-logs ok1
check "stream-logs shows the trainer's output" grep -q "Exported the model to" "$TMP/out"
check "stream-logs ends with the job's end" grep -q "job ok1 SUCCEEDED" "$TMP/out"
expect_exit 0 "$TFC" jobs describe ok1
check "ok1 SUCCEEDED" grep -q "^state: SUCCEEDED$" "$TMP/out"
for k in createTime startTime endTime; do
    check "ok1 has a $k" grep -Eq "^$k: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$" "$TMP/out"
done
check "ok1 shows its job dir" grep -q "^jobDir: $TMP/ok1$" "$TMP/out"
check "ok1 metrics: global step" grep -q "^  global_step: 100$" "$TMP/out"
acc=$(sed -n 's/^  accuracy: //p' "$TMP/out")
check "ok1 metrics: accuracy $acc > 0.7" awk -v a="$acc" 'BEGIN { exit !(a > 0.7 && a <= 1) }'
check "ok1 has no error" bash -c "! grep -q errorMessage '$TMP/out'"
expect_exit 0 "$TFC" jobs describe ok1 --format json
check "describe --format json" grep -q '"state": "SUCCEEDED"' "$TMP/out"
check "describe --format json metrics" grep -q '"auc": ' "$TMP/out"
EXPORT=$(ls -d "$TMP"/ok1/export/*/ 2>/dev/null | head -1)
check "ok1 exported a model" test -f "$EXPORT/saved_model.pb"

# ---- a training job that fails: FAILED with the trainer's message --------------------
expect_exit 0 "$TFC" jobs submit training bad1 --job-dir "$TMP/bad1" -- "${TRAIN_FLAGS[@]}" --no-such-flag 1
expect_exit 1 "$TFC" jobs stream-logs bad1 && check "stream-logs says why" grep -q "job bad1 FAILED: .*unknown flag '--no-such-flag'" "$TMP/err"
expect_exit 0 "$TFC" jobs describe bad1
check "bad1 FAILED" grep -q "^state: FAILED$" "$TMP/out"
check "bad1 error message" grep -q "^errorMessage: train: unknown flag '--no-such-flag'" "$TMP/out"
expect_exit 1 "$TFC" jobs submit training bad2 --job-dir "$TMP/bad2" --stream-logs -- --spec "$TMP/missing.json" --train-files "$DATA/adult.data" --train-steps 5
check "bad2 FAILED with --stream-logs (exit 1)" test "$(field bad2 state)" = FAILED
check "bad2 names the missing spec" grep -q "missing.json" <("$TFC" jobs describe bad2)
expect_exit 1 "$TFC" jobs submit training ok1 --job-dir "$TMP/ok1" && check "duplicate name" grep -q "a job named 'ok1' already exists" "$TMP/err"

# ---- cancel ---------------------------------------------------------------------------------
expect_exit 0 "$TFC" jobs submit training long1 --job-dir "$TMP/long1" -- "${TRAIN_FLAGS[@]}" --train-steps 100000000
remember_pid long1
wait_state long1 RUNNING 30
pid=$(field long1 pid)
expect_exit 0 "$TFC" jobs cancel long1 && check "cancel prints CANCELLED" grep -q "^state: CANCELLED$" "$TMP/out"
check "long1 CANCELLED" test "$(field long1 state)" = CANCELLED
check "long1 has an end time" grep -Eq "^endTime: [0-9]" <("$TFC" jobs describe long1)
check "cancel stopped the whole process group" group_gone "$pid"
expect_exit 1 "$TFC" jobs cancel long1 && check "cancel an ended job" grep -q "already ended (CANCELLED)" "$TMP/err"
expect_exit 1 "$TFC" jobs stream-logs long1 && check "stream-logs of a cancelled job" grep -q "job long1 CANCELLED" "$TMP/err"

# ---- killed from outside: FAILED with the reason, never RUNNING forever ------------------------
expect_exit 0 "$TFC" jobs submit training long2 --job-dir "$TMP/long2" -- "${TRAIN_FLAGS[@]}" --train-steps 100000000
remember_pid long2
wait_state long2 RUNNING 30
pid=$(field long2 pid)
kill -9 "$pid"
for _ in $(seq 50); do group_alive "$pid" || break; sleep 0.1; done
check "the trainer died with its supervisor" group_gone "$pid"
expect_exit 0 "$TFC" jobs describe long2
check "killed job FAILED" grep -q "^state: FAILED$" "$TMP/out"
check "killed job reason" grep -q "^errorMessage: the job process (pid $pid) ended without reporting; killed from outside?$" "$TMP/out"
expect_exit 0 "$TFC" jobs list && check "list shows long2 FAILED" grep -Eq "^long2 +training +FAILED" "$TMP/out"

# ---- 20 concurrent submissions and descriptions ---------------------------------------------
for i in $(seq 20); do
    (
        "$TFC" jobs submit training conc$i --job-dir "$TMP/conc$i" -- --bogus-flag >"$TMP/conc$i.submit" 2>&1
        echo $? >"$TMP/conc$i.rc"
        "$TFC" jobs describe conc$i >"$TMP/conc$i.describe" 2>&1
        echo $? >>"$TMP/conc$i.rc"
        "$TFC" jobs list >/dev/null 2>&1 || echo "list failed" >>"$TMP/conc$i.rc"
    ) &
done
wait
for i in $(seq 20); do
    check "conc$i submitted and described" test "$(tr '\n' ' ' <"$TMP/conc$i.rc")" = "0 0 "
    check "conc$i describe shows it" grep -q "^jobId: conc$i$" "$TMP/conc$i.describe"
done
for i in $(seq 20); do
    wait_state conc$i FAILED 30
    check "conc$i failed with the trainer's message" grep -q "^errorMessage: train: unknown flag '--bogus-flag'" <("$TFC" jobs describe conc$i)
done
n=$("$TFC" jobs list | grep -c "^conc[0-9]* ")
check "list has the 20 concurrent jobs ($n)" test "$n" = 20

# ---- prediction jobs ------------------------------------------------------------------------------
# JSON lines from adult.test (without the label), and bad instances among them.
awk -F', *' 'NF >= 15 && n < 200 { n++;
    printf "{\"age\": %s, \"workclass\": \"%s\", \"fnlwgt\": %s, \"education\": \"%s\", \"education_num\": %s, \"marital_status\": \"%s\", \"occupation\": \"%s\", \"relationship\": \"%s\", \"race\": \"%s\", \"gender\": \"%s\", \"capital_gain\": %s, \"capital_loss\": %s, \"hours_per_week\": %s, \"native_country\": \"%s\"}\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 }' \
    "$DATA/adult.test" >"$TMP/good.json"
mkdir -p "$TMP/in"
head -120 "$TMP/good.json" >"$TMP/in/a.json"
{
    sed -n 121,150p "$TMP/good.json"
    echo '{"age": "forty", "workclass": "Private"}'
    sed -n 151,170p "$TMP/good.json"
    echo 'this is not json'
    echo ''
    echo '{"age": 30, "workclass": "Private"}'
    echo '[1, 2, 3]'
    sed -n 171,200p "$TMP/good.json"
} >"$TMP/in/b.json"
# Missing or null features take the spec's defaults, as in tfc predict.
head -2 "$TMP/good.json" | sed -e '1s/"workclass": "[^"]*", //' -e '2s/"occupation": "[^"]*"/"occupation": null/' >"$TMP/in/c.json"
"$TFC" predict --model-dir "$EXPORT" --json-instances "$TMP/good.json" >"$TMP/expected.json" 2>"$TMP/err" ||
    fail "tfc predict: $(cat "$TMP/err")"
"$TFC" predict --model-dir "$EXPORT" --json-instances "$TMP/in/c.json" >"$TMP/expected_c.json" 2>"$TMP/err" ||
    fail "tfc predict: $(cat "$TMP/err")"
expect_exit 0 "$TFC" jobs submit prediction pred1 --model-dir "$EXPORT" --data-format TEXT \
    --input-paths "$TMP/in/*.json" --output-path "$TMP/out1" --batch-size 64 --stream-logs
check "pred1 SUCCEEDED" test "$(field pred1 state)" = SUCCEEDED
check "pred1 shard 0" test -f "$TMP/out1/prediction.results-00000-of-00003"
check "pred1 shard 1" test -f "$TMP/out1/prediction.results-00001-of-00003"
check "pred1 shard 2: defaults as tfc predict" cmp -s "$TMP/out1/prediction.results-00002-of-00003" "$TMP/expected_c.json"
check "pred1 shard 2: two instances" test "$(wc -l <"$TMP/expected_c.json")" = 2
cat "$TMP"/out1/prediction.results-0000[01]-of-00003 >"$TMP/got.json"
check "pred1: every good instance, in input order, as tfc predict prints it" cmp -s "$TMP/got.json" "$TMP/expected.json"
check "pred1: 200 results" test "$(wc -l <"$TMP/got.json")" = 200
E=$TMP/out1/prediction.errors_stats-00000-of-00001
check "pred1: 4 bad instances" test "$(wc -l <"$E")" = 4
check "pred1: bad type" grep -q "\"file\": \"$TMP/in/b.json\", \"line\": 31, \"error\": \"feature 'age' must be an integer (int64), not a string\"" "$E"
check "pred1: bad JSON" grep -q "\"line\": 52, \"error\": \"not valid JSON" "$E"
check "pred1: missing feature" grep -q "\"line\": 54, \"error\": \"missing feature 'capital_gain'" "$E"
check "pred1: not an object" grep -q "\"line\": 55, \"error\": \"an instance must be a JSON object" "$E"
expect_exit 0 "$TFC" jobs describe pred1
check "pred1 counts" grep -q "^  prediction_count: 202$" "$TMP/out"
check "pred1 errors" grep -q "^  error_count: 4$" "$TMP/out"

# Through the registry: the model's default version.
expect_exit 0 "$TFC" models create census
expect_exit 0 "$TFC" versions create v1 --model census --origin "$TMP/ok1"
expect_exit 0 "$TFC" jobs submit prediction pred2 --model census --input-paths "$TMP/good.json" --output-path "$TMP/out2" --stream-logs
check "pred2 through the default version" cmp -s "$TMP/out2/prediction.results-00000-of-00001" "$TMP/expected.json"
check "pred2 no errors" test ! -s "$TMP/out2/prediction.errors_stats-00000-of-00001"
check "pred2 records the version" grep -q "^  version: v1$" <("$TFC" jobs describe pred2)
expect_exit 3 "$TFC" jobs submit prediction pred3 --model census --version v9 --input-paths "$TMP/good.json" --output-path "$TMP/out3"
check "missing version" grep -q "model 'census' has no version 'v9'" "$TMP/err"
expect_exit 1 "$TFC" jobs submit prediction pred4 --model census --input-paths "$TMP/nothing*.json" --output-path "$TMP/out4" --stream-logs
check "input that matches nothing" grep -q "errorMessage: jobs: --input-paths: '$TMP/nothing\*.json' matches no file" <("$TFC" jobs describe pred4)

expect_exit 0 "$TFC" jobs list
check "list header" grep -q "^JOB_ID *KIND *STATE *CREATED *ENDED" "$TMP/out"
check "list shows pred1" grep -Eq "^pred1 +prediction +SUCCEEDED" "$TMP/out"
check "list shows ok1" grep -Eq "^ok1 +training +SUCCEEDED" "$TMP/out"

# Under the sanitizers, the background processes report into the job logs.
for log in "$TFC_HOME"/jobs/*/log; do
    if grep -q "Sanitizer\|runtime error:" "$log"; then
        fail "sanitizer report in $log:"
        grep -m 5 -A 5 "Sanitizer\|runtime error:" "$log"
    fi
done

if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS check(s) failed"
    exit 1
fi
echo "all jobs checks passed"
