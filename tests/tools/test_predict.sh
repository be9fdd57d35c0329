#!/usr/bin/env bash
# tfc predict end to end.
#   bash test_predict.sh TFC_EXIT SOURCE_ROOT
# A multi-class model on generated data (always), then the census wide &
# deep model (binary classifier: keys, probabilities, and the predictions
# of the whole test set agreeing with tfc evaluate) and the Boston regressor
# on ../shared/data (or $TFC_SHARED_DATA), skipped with a note when absent.
set -u
source "$(dirname "$0")/lib.sh" predict "$@"

# check_classifier FILE N_CLASSES: every line has the census sample's keys in
# order, probabilities summing to 1, "classes" the most probable class and,
# for two classes, logistic = probabilities[1].
check_classifier() {
    awk -v n="$2" '
    function arr(key,    s, i) {
        if (!match($0, "\"" key "\": \\[[^]]*\\]")) { print "line " NR ": no " key; bad = 1; return 0 }
        s = substr($0, RSTART + length(key) + 5, RLENGTH - length(key) - 6)
        return split(s, vals, ", ")
    }
    {
        if (n == 2 && $0 !~ /^\{"probabilities": \[[^]]*\], "logits": \[[^]]*\], "classes": [0-9]+, "logistic": \[[^]]*\]\}$/) {
            print "line " NR ": not {probabilities, logits, classes, logistic}: " $0; bad = 1; next }
        if (n > 2 && $0 !~ /^\{"probabilities": \[[^]]*\], "logits": \[[^]]*\], "classes": [0-9]+\}$/) {
            print "line " NR ": not {probabilities, logits, classes}: " $0; bad = 1; next }
        k = arr("probabilities"); if (k != n) { print "line " NR ": " k " probabilities"; bad = 1; next }
        sum = 0; best = 0
        for (i = 1; i <= k; i++) { p[i] = vals[i] + 0; sum += p[i]; if (p[i] > p[best + 1]) best = i - 1 }
        if (sum < 0.9999 || sum > 1.0001) { print "line " NR ": probabilities sum to " sum; bad = 1 }
        match($0, /"classes": [0-9]+/); cls = substr($0, RSTART + 11, RLENGTH - 11) + 0
        if (cls != best) { print "line " NR ": classes " cls " but the most probable is " best; bad = 1 }
        nl = arr("logits"); if (nl != (n == 2 ? 1 : n)) { print "line " NR ": " nl " logits"; bad = 1 }
        if (n == 2) { arr("logistic"); d = vals[1] - p[2]; if (d < -1e-5 || d > 1e-5) { print "line " NR ": logistic " vals[1] " != " p[2]; bad = 1 } }
        lines++
    }
    END { if (bad) exit 1; if (lines == 0) { print "no predictions"; exit 1 } }' "$1" >&2 ||
        fail "predictions in $1"
}

# ---- A multi-class model on generated data ---------------------------------
awk 'BEGIN { srand(11); print "color,size,cls";
    for (i = 0; i < 400; i++) { c = i % 3 == 0 ? "red" : i % 3 == 1 ? "green" : "blue"; s = rand() * 10;
        y = c == "red" ? "A" : s > 5 ? "B" : "C"; printf "%s,%.3f,%s\n", c, s, y } }' >"$TMP/syn.csv"
cat >"$TMP/syn.json" <<'EOF'
{
  "csv": {"header_lines": 1},
  "columns": [{"name": "color", "type": "string", "default": "red"}, {"name": "size", "type": "float"},
              {"name": "cls", "type": "string"}],
  "label": {"column": "cls", "vocabulary": ["A", "B", "C"]},
  "feature_columns": [{"type": "vocabulary_list", "key": "color", "vocabulary": ["red", "green", "blue"]},
                      {"type": "numeric", "key": "size", "normalize": "standardize"}],
  "wide": ["color", {"type": "bucketized", "source": "size", "boundaries": [5]}],
  "deep": [{"type": "indicator", "categorical": "color"}, "size"],
  "model": {"hidden_units": [8], "dnn_optimizer": {"type": "adagrad", "learning_rate": 0.1},
            "linear_optimizer": {"type": "ftrl", "learning_rate": 0.3}}
}
EOF
run 0 train --spec "$TMP/syn.json" --train-files "$TMP/syn.csv" --job-dir "$TMP/syn" --train-steps 300
printf '%s\n' '{"color": "red", "size": 2}' '{"color": "blue", "size": 9.5}' '{"color": "green", "size": 0.5}' \
    '{"size": 3, "cls": "A"}' '{"color": ["blue"], "size": [1]}' >"$TMP/syn_inst.json"
run 0 predict --model-dir "$TMP/syn" --json-instances "$TMP/syn_inst.json"
[ "$(wc -l <"$TMP/out")" -eq 5 ] || fail "5 instances gave $(wc -l <"$TMP/out") lines"
check_classifier "$TMP/out" 3
# red is A, blue and large is B, green and small is C; a missing color takes the spec's default (red).
[ "$(grep -o '"classes": [0-9]*' "$TMP/out" | awk '{printf "%s", $2}')" = "01202" ] ||
    fail "multi-class classes are $(grep -o '"classes": [0-9]*' "$TMP/out" | tr '\n' ' ')"

if [ ! -f "$DATA/census/adult.test" ] || [ ! -f "$DATA/boston/boston_test.csv" ]; then
    echo "skipping the census and Boston parts: ../shared/data not found ($DATA)"
    exit 0
fi

# ---- Census: a binary classifier --------------------------------------------------
C=$DATA/census
run 0 train --spec "$SRC/examples/census/spec.json" --train-files "$C/adult.data" --job-dir "$TMP/census" \
    --train-steps 300
export_dir=$(sed -n 's/^Exported the model to //p' "$TMP/out")
# Instances as the census sample's test.json has them (no fnlwgt, no label), from adult.test's rows
# (a missing value "?" is the empty string, the spec's default).
to_json() {
    awk -F', *' -v label="$1" -v fnlwgt="$2" '!/^\|/ && NF == 15 {
        sub(/\.$/, "", $15)
        for (i = 1; i <= 15; i++) if ($i == "?") $i = "" # missing, as the spec'"'"'s default says
        printf "{\"age\": %s, \"workclass\": \"%s\", ", $1, $2
        if (fnlwgt) printf "\"fnlwgt\": %s, ", $3
        printf "\"education\": \"%s\", \"education_num\": %s, \"marital_status\": \"%s\", \"occupation\": \"%s\", ", $4, $5, $6, $7
        printf "\"relationship\": \"%s\", \"race\": \"%s\", \"gender\": \"%s\", \"capital_gain\": %s, ", $8, $9, $10, $11
        printf "\"capital_loss\": %s, \"hours_per_week\": %s, \"native_country\": \"%s\"", $12, $13, $14
        if (label) printf ", \"income_bracket\": \"%s\"", $15
        printf "}\n" }'
}
head -8 "$C/adult.test" | to_json 0 0 >"$TMP/census.json"
run 0 predict --model-dir "$TMP/census" --json-instances "$TMP/census.json"
[ "$(wc -l <"$TMP/out")" -eq 7 ] || fail "7 census instances gave $(wc -l <"$TMP/out") lines"
check_classifier "$TMP/out" 2
cp "$TMP/out" "$TMP/census.pred"
# The export directory itself gives the same predictions as its job directory.
run 0 predict --model-dir "$export_dir" --json-instances "$TMP/census.json"
cmp -s "$TMP/out" "$TMP/census.pred" || fail "the export and its job directory predict differently"
# Columns the model does not read (fnlwgt, the label) are accepted and ignored.
head -8 "$C/adult.test" | to_json 1 1 >"$TMP/census_full.json"
run 0 predict --model-dir "$TMP/census" --json-instances "$TMP/census_full.json"
cmp -s "$TMP/out" "$TMP/census.pred" || fail "unused columns changed the predictions"
# An export without assets/spec.json: the instances' schema comes from the signature.
cp -r "$export_dir" "$TMP/bare"
rm -r "$TMP/bare/assets"
run 0 predict --model-dir "$TMP/bare" --json-instances "$TMP/census.json"
cmp -s "$TMP/out" "$TMP/census.pred" || fail "an export without its spec predicts differently"
run 4 predict --model-dir "$TMP/bare" --json-instances "$TMP/census_full.json"
has "$TMP/err" "census_full.json:1: \$.fnlwgt: unknown feature"

# The whole test set: the predicted classes' accuracy is what tfc evaluate reports.
to_json 1 0 <"$C/adult.test" >"$TMP/test.json"
run 0 predict --model-dir "$TMP/census" --json-instances "$TMP/test.json"
[ "$(wc -l <"$TMP/out")" -eq 16281 ] || fail "16,281 instances gave $(wc -l <"$TMP/out") lines"
pred_acc=$(paste -d '\t' "$TMP/out" "$TMP/test.json" | awk -F'\t' '{
    match($1, /"classes": [0-9]/); c = substr($1, RSTART + 11, 1)
    y = index($2, "\"income_bracket\": \">50K\"") ? 1 : 0; n++; ok += (c == y) } END { printf "%.6f", ok / n }')
run 0 evaluate --job-dir "$TMP/census" --eval-files "$C/adult.test"
eval_acc=$(awk '$1 == "accuracy" { print $2 }' "$TMP/out")
awk -v a="$pred_acc" -v b="$eval_acc" 'BEGIN { d = a - b; exit !(d < 2e-4 && d > -2e-4 && a > 0.75) }' ||
    fail "accuracy of the predictions $pred_acc, tfc evaluate's $eval_acc"

# ---- Boston: a regressor -----------------------------------------------------------
B=$DATA/boston
run 0 train --spec "$SRC/examples/boston/spec.json" --train-files "$B/boston_train.csv" --job-dir "$TMP/boston" \
    --train-steps 300
awk -F, 'NR > 1 && NR <= 11 { printf "{\"crim\": %s, \"zn\": %s, \"indus\": %s, \"chas\": %s, \"nox\": %s, \"rm\": %s, \"age\": %s, \"dis\": %s, \"rad\": %s, \"tax\": %s, \"ptratio\": %s, \"black\": %s, \"lstat\": %s}\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 }' \
    "$B/boston_test.csv" >"$TMP/boston.json"
run 0 predict --model-dir "$TMP/boston" --json-instances "$TMP/boston.json"
[ "$(wc -l <"$TMP/out")" -eq 10 ] || fail "10 Boston instances gave $(wc -l <"$TMP/out") lines"
awk '!/^\{"predictions": \[-?[0-9.e+-]+\]\}$/ { print "not {predictions: [x]}: " $0; bad = 1 }
    { match($0, /\[[^]]*\]/); v = substr($0, RSTART + 1, RLENGTH - 2) + 0; if (v < 0 || v > 80) { print "medv " v; bad = 1 } }
    END { exit bad }' "$TMP/out" >&2 || fail "Boston predictions"
echo "ok"
