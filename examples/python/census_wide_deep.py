"""Census income with a wide & deep model: examples/census_estimator.c with tfc's Python bindings."""
import os, tempfile
import tfc
fc = tfc.feature_column
DATA = os.environ.get("TFC_SHARED_DATA", os.path.join(os.path.dirname(__file__), "../../../shared/data"))
COLUMNS = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation", "relationship",
           "race", "gender", "capital_gain", "capital_loss", "hours_per_week", "native_country", "income_bracket"]
DEFAULTS = [None, "", None, "", None, "", "", "", "", "", None, None, None, "", None]  # None: required (float32)
NUMBERS, CLASSES = ["age", "education_num", "capital_gain", "capital_loss", "hours_per_week"], ["<=50K", ">50K"]
read = lambda f: tfc.data.read_csv(os.path.join(DATA, "census", f), COLUMNS, DEFAULTS, na_value="?",  # noqa: E731
    comment_prefix="|", label_name="income_bracket", label_vocabulary=CLASSES, label_strip_trailing_period=True)
(x, y), (test_x, test_y) = read("adult.data"), read("adult.test")
stats = {k: (float(x[k].mean(dtype="float64")), float(x[k].std(dtype="float64"))) for k in NUMBERS}
standardized = lambda k, m, s: fc.numeric_column(k, normalizer_fn=lambda v: (v - m) / s)  # noqa: E731
vocab = lambda key, words: fc.categorical_column_with_vocabulary_list(key, words.split(), num_oov_buckets=1)  # noqa
gender, race = vocab("gender", "Female Male"), vocab("race", "Amer-Indian-Eskimo Asian-Pac-Islander Black Other White")
education = vocab("education", "Bachelors HS-grad 11th Masters 9th Some-college Assoc-acdm Assoc-voc 7th-8th "
                  "Doctorate Prof-school 5th-6th 10th 1st-4th Preschool 12th")
marital = vocab("marital_status", "Married-civ-spouse Divorced Married-spouse-absent Never-married Separated "
                "Married-AF-spouse Widowed")
relation = vocab("relationship", "Husband Not-in-family Wife Own-child Unmarried Other-relative")
work = vocab("workclass", "Federal-gov Local-gov Never-worked Private Self-emp-inc Self-emp-not-inc State-gov "
             "Without-pay")
occupation, country = [fc.categorical_column_with_hash_bucket(k, 1000) for k in ("occupation", "native_country")]
age = fc.bucketized_column(fc.numeric_column("age"), [18, 25, 30, 35, 40, 45, 50, 55, 60, 65])
eo = ["education", "occupation"]
wide = [gender, country, education, occupation, work, marital, relation, race, age, fc.crossed_column(eo, 10000),
        fc.crossed_column([age] + eo, 1000000), fc.crossed_column(["native_country", "occupation"], 10000)]
deep = ([fc.indicator_column(c) for c in (work, education, marital, gender, relation, race)] +
        [fc.embedding_column(c, 8) for c in (country, occupation)] + [standardized(k, *stats[k]) for k in NUMBERS])
with tempfile.TemporaryDirectory() as model_dir:
    model = tfc.estimator.DNNLinearCombinedClassifier(
        linear_feature_columns=wide, linear_optimizer=tfc.train.FtrlOptimizer(0.05), dnn_feature_columns=deep,
        dnn_optimizer=tfc.train.AdagradOptimizer(0.05), dnn_hidden_units=[100, 70, 49, 34], label_vocabulary=CLASSES,
        config=tfc.estimator.RunConfig(model_dir=model_dir, tf_random_seed=1))
    model.train(tfc.estimator.inputs.numpy_input_fn(x, y, batch_size=40, num_epochs=None, shuffle=True), steps=3000)
    metrics = model.evaluate(tfc.estimator.inputs.numpy_input_fn(test_x, test_y, batch_size=1000, shuffle=False))
print("accuracy %.4f auc %.4f" % (metrics["accuracy"], metrics["auc"]))
