/* Canned estimators end to end on small synthetic data: training reaches the
 * accuracy a separable problem allows, resumes from checkpoints, evaluation
 * returns TensorFlow's keys and writes eval events, predictions agree with
 * the exported model, train_and_evaluate evaluates on schedule, and every
 * misuse is a clear error. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

#define N 400

typedef struct data {
    float x[N];
    const char *c[N];
    int64_t y[N];   /* class: x + shift(c) > 0 */
    float target[N]; /* regression: 2x + 1 + shift(c) */
    int64_t y3[N];  /* three classes by x */
} data;

static void make_data(data *d, uint64_t seed)
{
    static const char *cats[3] = {"a", "b", "c"};
    uint64_t s = seed * 2654435761u + 1;
    for (int i = 0; i < N; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        d->x[i] = (float)((double)(s >> 11) / 9007199254740992.0 * 2 - 1);
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        int k = (int)((s >> 33) % 3);
        d->c[i] = cats[k];
        double shift = k == 0 ? 0.8 : k == 2 ? -0.5 : 0;
        d->y[i] = d->x[i] + shift > 0;
        d->target[i] = (float)(2 * d->x[i] + 1 + shift);
        d->y3[i] = d->x[i] < -0.33 ? 0 : d->x[i] < 0.33 ? 1 : 2;
    }
}

/* An input over the data: features x (float) and c (string); labels by kind
 * (0: binary, 1: regression, 2: three classes, -1: none). */
static tfc_input *make_input(const data *d, int labels, int64_t batch, int64_t epochs, int shuffle)
{
    int64_t dims[1] = {N};
    tfc_tensor *x = tfct_f32(d->x, dims, 1);
    tfc_tensor *c;
    TFCT_OK(tfc_tensor_new_strings(dims, 1, d->c, NULL, &c));
    tfc_tensor *l = labels == 0 ? tfct_i64(d->y, dims, 1)
                    : labels == 1 ? tfct_f32(d->target, dims, 1)
                    : labels == 2 ? tfct_i64(d->y3, dims, 1)
                                  : NULL;
    const char *keys[2] = {"x", "c"};
    tfc_tensor *feats[2] = {x, c};
    tfc_tensor_input_options o = TFC_TENSOR_INPUT_OPTIONS_INIT;
    o.batch_size = batch;
    o.num_epochs = epochs;
    o.shuffle = shuffle;
    o.seed = 7;
    tfc_input *in;
    TFCT_OK(tfc_input_from_tensors(keys, feats, 2, l, &o, &in));
    tfc_tensor_free(x);
    tfc_tensor_free(c);
    tfc_tensor_free(l);
    return in;
}

typedef struct columns {
    tfc_feature_column *x, *c, *c_emb, *c_ind;
} columns;

static void make_columns(columns *k)
{
    TFCT_OK(tfc_numeric_column("x", NULL, 0, NULL, TFC_FLOAT, &k->x));
    const char *vocab[3] = {"a", "b", "c"};
    TFCT_OK(tfc_categorical_column_with_vocabulary_list("c", vocab, 3, 0, -1, &k->c));
    TFCT_OK(tfc_embedding_column(k->c, 2, TFC_COMBINER_MEAN, 0, 0, &k->c_emb));
    TFCT_OK(tfc_indicator_column(k->c, &k->c_ind));
}

static void free_columns(columns *k)
{
    tfc_feature_column_free(k->x);
    tfc_feature_column_free(k->c);
    tfc_feature_column_free(k->c_emb);
    tfc_feature_column_free(k->c_ind);
}

static int count_files(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, part)) n++;
    closedir(d);
    return n;
}

static double metric(const tfc_eval_results *r, const char *name)
{
    double v = NAN;
    TFCT_OK(tfc_eval_results_get(r, name, &v));
    return v;
}

typedef struct log_capture {
    int loss_lines, rate_lines, saves;
} log_capture;

static void capture_log(tfc_log_level level, const char *msg, void *arg)
{
    log_capture *lc = arg;
    if (level != TFC_LOG_INFO) return;
    if (!strncmp(msg, "loss = ", 7) && strstr(msg, ", step = ")) lc->loss_lines++;
    if (!strncmp(msg, "global_step/sec: ", 17)) lc->rate_lines++;
    if (!strncmp(msg, "Saving checkpoints for ", 23)) lc->saves++;
}

/* Tags and steps of the scalar events in the one event file in dir. */
static int read_scalars(const char *dir, const char *tag, int64_t *steps, int max)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    while (d && (de = readdir(d))) {
        if (!strstr(de->d_name, "events.out.tfevents")) continue;
        char path[8400];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        tfc_event_reader *er;
        TFCT_OK(tfc_event_reader_open(path, &er));
        while (tfc_event_reader_next(er) == TFC_OK)
            for (int i = 0; i < tfc_event_num_values(er); i++)
                if (!strcmp(tfc_event_value_tag(er, i), tag) && n < max) steps[n++] = tfc_event_step(er);
        tfc_event_reader_free(er);
    }
    if (d) closedir(d);
    return n;
}

static void test_linear_classifier_train_evaluate_resume(void)
{
    data d;
    make_data(&d, 1);
    columns k;
    make_columns(&k);
    char *dir = tfct_temp_dir("tfc_est");
    const tfc_feature_column *cols[2] = {k.x, k.c};
    tfc_estimator_options o = TFC_ESTIMATOR_OPTIONS_INIT;
    o.model = TFC_MODEL_LINEAR;
    o.linear_feature_columns = cols;
    o.n_linear_feature_columns = 2;
    o.config.model_dir = dir;
    o.config.tf_random_seed = 3;
    o.config.save_checkpoints_steps = 100;
    tfc_estimator *e;
    TFCT_OK(tfc_estimator_new(&o, &e));
    CU_ASSERT_STRING_EQUAL(tfc_estimator_model_dir(e), dir);

    tfc_input *train = make_input(&d, 0, 20, 0, 1);
    tfc_input *eval = make_input(&d, 0, 50, 1, 0);
    log_capture lc = {0, 0, 0};
    tfc_set_log_callback(capture_log, &lc);
    TFCT_OK(tfc_estimator_train(e, train, 250, 0));
    tfc_set_log_callback(NULL, NULL);
    tfc_train_stats st = {sizeof st, 0, 0, 0, 0, 0, 0};
    TFCT_OK(tfc_estimator_train_stats(e, &st));
    CU_ASSERT_EQUAL(st.steps, 250);
    CU_ASSERT_EQUAL(st.examples, 250 * 20);
    CU_ASSERT_EQUAL(st.global_step, 250);
    CU_ASSERT(st.step_seconds > 0 && st.step_seconds <= st.seconds);
    CU_ASSERT(isfinite(st.last_loss) && st.last_loss > 0);
    CU_ASSERT_EQUAL(lc.loss_lines, 2); /* every 100 steps */
    CU_ASSERT_EQUAL(lc.rate_lines, 2);
    CU_ASSERT_EQUAL(lc.saves, 3);      /* 100, 200 and the end */
    int64_t ev_steps[8];
    CU_ASSERT_EQUAL(read_scalars(dir, "loss", ev_steps, 8), 2);
    CU_ASSERT_EQUAL(ev_steps[0], 100);
    CU_ASSERT_EQUAL(ev_steps[1], 200);
    CU_ASSERT_EQUAL(read_scalars(dir, "global_step/sec", ev_steps, 8), 2);
    int64_t step = -1;
    TFCT_OK(tfc_estimator_global_step(e, &step));
    CU_ASSERT_EQUAL(step, 250);
    CU_ASSERT(count_files(dir, "model.ckpt-") >= 2); /* 100, 200, 250 */
    CU_ASSERT_EQUAL(count_files(dir, "events.out.tfevents"), 1);

    tfc_eval_results *r;
    TFCT_OK(tfc_estimator_evaluate(e, eval, 0, NULL, &r));
    static const char *keys[] = {"accuracy", "accuracy_baseline", "auc", "auc_precision_recall", "average_loss",
                                 "global_step", "label/mean", "loss", "precision", "prediction/mean", "recall"};
    CU_ASSERT_EQUAL(tfc_eval_results_count(r), 11);
    for (int i = 0; i < 11 && i < tfc_eval_results_count(r); i++)
        CU_ASSERT_STRING_EQUAL(tfc_eval_results_name(r, i), keys[i]);
    CU_ASSERT(metric(r, "accuracy") > 0.9);
    CU_ASSERT(metric(r, "auc") > 0.95);
    TFCT_NEAR(metric(r, "global_step"), 250, 0);
    double positives = 0;
    for (int i = 0; i < N; i++) positives += (double)d.y[i];
    TFCT_NEAR(metric(r, "label/mean"), positives / N, 1e-6);
    tfc_eval_results_free(r);
    char evaldir[4200];
    snprintf(evaldir, sizeof evaldir, "%s/eval", dir);
    CU_ASSERT_EQUAL(count_files(evaldir, "events.out.tfevents"), 1);
    CU_ASSERT_EQUAL(read_scalars(evaldir, "auc", ev_steps, 8), 1);
    CU_ASSERT_EQUAL(ev_steps[0], 250);

    /* A new estimator on the same directory resumes at the newest checkpoint. */
    tfc_estimator_free(e);
    TFCT_OK(tfc_estimator_new(&o, &e));
    TFCT_OK(tfc_estimator_global_step(e, &step));
    CU_ASSERT_EQUAL(step, 250);
    TFCT_OK(tfc_estimator_train(e, train, 50, 0));
    TFCT_OK(tfc_estimator_global_step(e, &step));
    CU_ASSERT_EQUAL(step, 300);
    /* max_steps already reached: nothing happens. */
    TFCT_OK(tfc_estimator_train(e, train, 0, 280));
    TFCT_OK(tfc_estimator_global_step(e, &step));
    CU_ASSERT_EQUAL(step, 300);
    TFCT_OK(tfc_estimator_train(e, train, 0, 320));
    TFCT_OK(tfc_estimator_global_step(e, &step));
    CU_ASSERT_EQUAL(step, 320);

    tfc_input_free(train);
    tfc_input_free(eval);
    tfc_estimator_free(e);
    free_columns(&k);
    tfct_rm_rf(dir);
    free(dir);
}

static void test_predict_and_export_agree(void)
{
    data d;
    make_data(&d, 2);
    columns k;
    make_columns(&k);
    char *dir = tfct_temp_dir("tfc_est");
    const tfc_feature_column *lin[2] = {k.x, k.c};
    const tfc_feature_column *dnn[2] = {k.x, k.c_emb};
    int64_t hidden[2] = {8, 4};
    const char *vocab[2] = {"no", "yes"};
    tfc_estimator_options o = TFC_ESTIMATOR_OPTIONS_INIT;
    o.model = TFC_MODEL_DNN_LINEAR_COMBINED;
    o.linear_feature_columns = lin;
    o.n_linear_feature_columns = 2;
    o.dnn_feature_columns = dnn;
    o.n_dnn_feature_columns = 2;
    o.hidden_units = hidden;
    o.n_hidden_units = 2;
    o.label_vocabulary = vocab;
    o.label_vocabulary_size = 2;
    o.linear_optimizer.learning_rate = 0.1;
    o.dnn_optimizer.learning_rate = 0.05;
    o.config.model_dir = dir;
    o.config.tf_random_seed = 5;
    tfc_estimator *e;
    TFCT_OK(tfc_estimator_new(&o, &e));
    tfc_input *train = make_input(&d, 0, 32, 0, 1);
    tfc_input *pred = make_input(&d, -1, 64, 1, 0);

    /* Nothing to predict from before training. */
    tfc_predictions *p = NULL;
    CU_ASSERT_EQUAL(tfc_estimator_predict(e, pred, &p), TFC_FAILED_PRECONDITION);
    TFCT_ERR_HAS("no checkpoint");
    TFCT_OK(tfc_estimator_train(e, train, 300, 0));
    TFCT_OK(tfc_estimator_predict(e, pred, &p));
    CU_ASSERT_EQUAL(tfc_predictions_rows(p), N);
    static const char *keys[] = {"logits", "logistic", "probabilities", "class_ids", "classes", "all_class_ids",
                                 "all_classes"};
    for (int i = 0; i < 7; i++) CU_ASSERT_PTR_NOT_NULL(tfc_predictions_get(p, keys[i]));
    const tfc_tensor *logistic = tfc_predictions_get(p, "logistic");
    const tfc_tensor *probs = tfc_predictions_get(p, "probabilities");
    const tfc_tensor *ids = tfc_predictions_get(p, "class_ids");
    const tfc_tensor *classes = tfc_predictions_get(p, "classes");
    const tfc_tensor *all_ids = tfc_predictions_get(p, "all_class_ids");
    const tfc_tensor *all_classes = tfc_predictions_get(p, "all_classes");
    CU_ASSERT_EQUAL(tfc_tensor_dim(probs, 0), N);
    CU_ASSERT_EQUAL(tfc_tensor_dim(probs, 1), 2);
    CU_ASSERT_EQUAL(tfc_tensor_dtype(ids), TFC_INT64);
    CU_ASSERT_EQUAL(tfc_tensor_dtype(all_ids), TFC_INT32);
    CU_ASSERT_EQUAL(tfc_tensor_dim(all_classes, 1), 2);
    int correct = 0;
    for (int i = 0; i < N; i++) {
        float pl = ((const float *)tfc_tensor_data(logistic))[i];
        const float *pr = (const float *)tfc_tensor_data(probs) + 2 * i;
        int64_t id = ((const int64_t *)tfc_tensor_data(ids))[i];
        TFCT_NEAR(pr[1], pl, 1e-6);
        TFCT_NEAR(pr[0] + pr[1], 1, 1e-6);
        CU_ASSERT_EQUAL(id, pl > 0.5f);
        const char *s;
        size_t len;
        TFCT_OK(tfc_tensor_string(classes, i, &s, &len));
        CU_ASSERT_EQUAL(strncmp(s, vocab[id], len), 0);
        CU_ASSERT_EQUAL(((const int32_t *)tfc_tensor_data(all_ids))[2 * i + 1], 1);
        TFCT_OK(tfc_tensor_string(all_classes, 2 * i + 1, &s, &len));
        CU_ASSERT_EQUAL(strncmp(s, "yes", len), 0);
        correct += id == d.y[i];
    }
    CU_ASSERT(correct > 0.9 * N);

    /* The export takes raw features and gives the same answers. */
    char base[4200];
    snprintf(base, sizeof base, "%s/export", dir);
    char *path = NULL;
    TFCT_OK(tfc_estimator_export(e, base, &path));
    CU_ASSERT_PTR_NOT_NULL_FATAL(path);
    char not_dir[4300];
    snprintf(not_dir, sizeof not_dir, "%s/not_a_dir", dir);
    FILE *nf = fopen(not_dir, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(nf);
    fclose(nf);
    char *none_path = NULL;
    CU_ASSERT_EQUAL(tfc_estimator_export(e, not_dir, &none_path), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("not_a_dir' exists and is not a directory");
    CU_ASSERT_PTR_NULL(none_path);
    tfc_saved_model *m;
    TFCT_OK(tfc_saved_model_load(path, NULL, &m));
    CU_ASSERT_PTR_NOT_NULL(tfc_saved_model_find_signature(m, "serving_default"));
    CU_ASSERT_PTR_NOT_NULL(tfc_saved_model_find_signature(m, "classification"));
    CU_ASSERT_PTR_NOT_NULL(tfc_saved_model_find_signature(m, "regression"));
    int64_t one = 1;
    tfc_tensor *x = tfct_f32(&d.x[17], &one, 1);
    tfc_tensor *c;
    TFCT_OK(tfc_tensor_new_strings(&one, 1, &d.c[17], NULL, &c));
    const char *in_keys[2] = {"x", "c"};
    tfc_tensor *ins[2] = {x, c};
    const char *out_keys[2] = {"logistic", "classes"};
    tfc_tensor *outs[2] = {NULL, NULL};
    TFCT_OK(tfc_saved_model_run(m, "serving_default", in_keys, ins, 2, out_keys, outs, 2));
    TFCT_NEAR(((const float *)tfc_tensor_data(outs[0]))[0], ((const float *)tfc_tensor_data(logistic))[17], 1e-6);
    /* A missing raw feature is an error naming it. */
    tfc_tensor *none[2] = {NULL, NULL};
    CU_ASSERT_NOT_EQUAL(tfc_saved_model_run(m, "serving_default", in_keys, ins, 1, out_keys, none, 2), TFC_OK);
    TFCT_ERR_HAS("c");
    for (int i = 0; i < 2; i++) tfc_tensor_free(outs[i]);
    tfc_tensor_free(x);
    tfc_tensor_free(c);
    tfc_saved_model_free(m);
    tfc_string_free(path);

    tfc_predictions_free(p);
    tfc_input_free(train);
    tfc_input_free(pred);
    tfc_estimator_free(e);
    free_columns(&k);
    tfct_rm_rf(dir);
    free(dir);
}

static void test_dnn_regressor_and_multiclass(void)
{
    data d;
    make_data(&d, 3);
    columns k;
    make_columns(&k);
    char *dir = tfct_temp_dir("tfc_est");
    const tfc_feature_column *dnn[2] = {k.x, k.c_ind};
    int64_t hidden[2] = {16, 8};
    tfc_estimator_options o = TFC_ESTIMATOR_OPTIONS_INIT;
    o.model = TFC_MODEL_DNN;
    o.regressor = 1;
    o.dnn_feature_columns = dnn;
    o.n_dnn_feature_columns = 2;
    o.hidden_units = hidden;
    o.n_hidden_units = 2;
    o.dnn_optimizer.kind = TFC_OPTIMIZER_ADAM;
    o.dnn_optimizer.learning_rate = 0.01;
    o.config.model_dir = dir;
    o.config.tf_random_seed = 11;
    tfc_estimator *e;
    TFCT_OK(tfc_estimator_new(&o, &e));
    tfc_input *train = make_input(&d, 1, 32, 0, 1);
    tfc_input *eval = make_input(&d, 1, 100, 1, 0);
    TFCT_OK(tfc_estimator_train(e, train, 800, 0));
    tfc_eval_results *r;
    TFCT_OK(tfc_estimator_evaluate(e, eval, 0, "holdout", &r));
    CU_ASSERT_EQUAL(tfc_eval_results_count(r), 5);
    CU_ASSERT(metric(r, "average_loss") < 0.02);
    TFCT_NEAR(metric(r, "average_loss"), metric(r, "loss"), 1e-4);
    tfc_eval_results_free(r);
    char evaldir[4200];
    snprintf(evaldir, sizeof evaldir, "%s/eval_holdout", dir);
    CU_ASSERT_EQUAL(count_files(evaldir, "events.out.tfevents"), 1);
    tfc_predictions *p;
    TFCT_OK(tfc_estimator_predict(e, eval, &p));
    CU_ASSERT_EQUAL(tfc_predictions_count(p), 1);
    CU_ASSERT_STRING_EQUAL(tfc_predictions_name(p, 0), "predictions");
    CU_ASSERT_EQUAL(tfc_tensor_dim(tfc_predictions_tensor(p, 0), 0), N);
    tfc_predictions_free(p);
    tfc_estimator_free(e);
    tfc_input_free(train);
    tfc_input_free(eval);
    tfct_rm_rf(dir);

    /* Three classes. */
    o.regressor = 0;
    o.n_classes = 3;
    o.dnn_optimizer.learning_rate = 0.02;
    TFCT_OK(tfc_estimator_new(&o, &e));
    train = make_input(&d, 2, 32, 0, 1);
    eval = make_input(&d, 2, 100, 1, 0);
    TFCT_OK(tfc_estimator_train(e, train, 600, 0));
    TFCT_OK(tfc_estimator_evaluate(e, eval, 0, NULL, &r));
    CU_ASSERT_EQUAL(tfc_eval_results_count(r), 4);
    CU_ASSERT(metric(r, "accuracy") > 0.9);
    tfc_eval_results_free(r);
    TFCT_OK(tfc_estimator_predict(e, eval, &p));
    const tfc_tensor *classes = tfc_predictions_get(p, "classes");
    const char *s;
    size_t len;
    TFCT_OK(tfc_tensor_string(classes, 0, &s, &len));
    CU_ASSERT(len == 1 && s[0] >= '0' && s[0] <= '2');
    CU_ASSERT_EQUAL(tfc_tensor_dim(tfc_predictions_get(p, "probabilities"), 1), 3);
    CU_ASSERT_PTR_NULL(tfc_predictions_get(p, "logistic"));
    tfc_predictions_free(p);
    tfc_estimator_free(e);
    tfc_input_free(train);
    tfc_input_free(eval);
    free_columns(&k);
    tfct_rm_rf(dir);
    free(dir);
}

static void test_baseline_learns_the_prior(void)
{
    data d;
    make_data(&d, 4);
    char *dir = tfct_temp_dir("tfc_est");
    tfc_estimator_options o = TFC_ESTIMATOR_OPTIONS_INIT;
    o.model = TFC_MODEL_BASELINE;
    o.config.model_dir = dir;
    tfc_estimator *e;
    TFCT_OK(tfc_estimator_new(&o, &e));
    tfc_input *train = make_input(&d, 0, 40, 0, 1);
    TFCT_OK(tfc_estimator_train(e, train, 1500, 0));
    tfc_input *pred = make_input(&d, -1, 100, 1, 0);
    tfc_predictions *p;
    TFCT_OK(tfc_estimator_predict(e, pred, &p));
    double positives = 0;
    for (int i = 0; i < N; i++) positives += (double)d.y[i];
    const float *pl = tfc_tensor_data(tfc_predictions_get(p, "logistic"));
    TFCT_NEAR(pl[0], positives / N, 0.03);
    TFCT_NEAR(pl[N - 1], pl[0], 1e-7);
    tfc_predictions_free(p);
    tfc_input_free(pred);
    tfc_input_free(train);
    tfc_estimator_free(e);
    tfct_rm_rf(dir);
    free(dir);
}

static void test_train_and_evaluate_schedule(void)
{
    data d;
    make_data(&d, 5);
    columns k;
    make_columns(&k);
    char *dir = tfct_temp_dir("tfc_est");
    const tfc_feature_column *cols[2] = {k.x, k.c};
    tfc_estimator_options o = TFC_ESTIMATOR_OPTIONS_INIT;
    o.model = TFC_MODEL_LINEAR;
    o.linear_feature_columns = cols;
    o.n_linear_feature_columns = 2;
    o.config.model_dir = dir;
    o.config.save_checkpoints_steps = 50;
    o.config.keep_checkpoint_max = 2;
    tfc_estimator *e;
    TFCT_OK(tfc_estimator_new(&o, &e));
    tfc_input *train = make_input(&d, 0, 20, 0, 1);
    tfc_input *eval = make_input(&d, 0, 100, 1, 0);
    tfc_train_spec ts = {sizeof ts, train, 300};
    tfc_eval_spec es = {sizeof es, eval, 0, NULL, 0, 0, 100};
    tfc_eval_results *r = NULL;
    TFCT_OK(tfc_train_and_evaluate(e, &ts, &es, &r));
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    TFCT_NEAR(metric(r, "global_step"), 300, 0);
    CU_ASSERT(metric(r, "accuracy") > 0.9);
    tfc_eval_results_free(r);
    CU_ASSERT_EQUAL(count_files(dir, "model.ckpt-"), 2); /* keep_checkpoint_max */
    /* Evaluations at 50, 150, 250 and 300: four eval event files' worth of
     * events, read back from the eval directory. */
    char evaldir[4200];
    snprintf(evaldir, sizeof evaldir, "%s/eval", dir);
    CU_ASSERT(count_files(evaldir, "events.out.tfevents") >= 1);
    DIR *dd = opendir(evaldir);
    struct dirent *de;
    int64_t steps_seen[16];
    int nseen = 0;
    while (dd && (de = readdir(dd))) {
        if (!strstr(de->d_name, "events.out.tfevents")) continue;
        char path[8400];
        snprintf(path, sizeof path, "%s/%s", evaldir, de->d_name);
        tfc_event_reader *er;
        TFCT_OK(tfc_event_reader_open(path, &er));
        while (tfc_event_reader_next(er) == TFC_OK)
            if (tfc_event_num_values(er) > 0 && nseen < 16) {
                bool dup = false;
                for (int i = 0; i < nseen; i++) dup |= steps_seen[i] == tfc_event_step(er);
                if (!dup) steps_seen[nseen++] = tfc_event_step(er);
            }
        tfc_event_reader_free(er);
    }
    if (dd) closedir(dd);
    CU_ASSERT_EQUAL(nseen, 4);
    tfc_input_free(train);
    tfc_input_free(eval);
    tfc_estimator_free(e);
    free_columns(&k);
    tfct_rm_rf(dir);
    free(dir);
}

static void test_errors(void)
{
    data d;
    make_data(&d, 6);
    columns k;
    make_columns(&k);
    char *dir = tfct_temp_dir("tfc_est");
    tfc_estimator *e = NULL;
    tfc_estimator_options o = TFC_ESTIMATOR_OPTIONS_INIT;
    o.config.model_dir = dir;

    CU_ASSERT_EQUAL(tfc_estimator_new(&o, &e), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("linear_feature_columns");
    const tfc_feature_column *dnn[2] = {k.x, k.c};
    int64_t hidden[1] = {4};
    o.model = TFC_MODEL_DNN;
    o.dnn_feature_columns = dnn;
    o.n_dnn_feature_columns = 2;
    CU_ASSERT_EQUAL(tfc_estimator_new(&o, &e), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("'c' is categorical");
    dnn[1] = k.c_ind;
    CU_ASSERT_EQUAL(tfc_estimator_new(&o, &e), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("hidden_units");
    o.hidden_units = hidden;
    o.n_hidden_units = 1;
    const char *vocab[3] = {"a", "b", "c"};
    o.label_vocabulary = vocab;
    o.label_vocabulary_size = 3;
    CU_ASSERT_EQUAL(tfc_estimator_new(&o, &e), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("label_vocabulary has 3 entries but n_classes is 2");
    o.label_vocabulary = NULL;
    o.dropout = 1.0;
    CU_ASSERT_EQUAL(tfc_estimator_new(&o, &e), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("dropout");
    o.dropout = 0.1;
    o.n_classes = 1;
    CU_ASSERT_EQUAL(tfc_estimator_new(&o, &e), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("n_classes");
    o.n_classes = 0;
    TFCT_OK(tfc_estimator_new(&o, &e));

    tfc_input *eval = make_input(&d, 0, 100, 1, 0);
    tfc_eval_results *r = NULL;
    CU_ASSERT_EQUAL(tfc_estimator_evaluate(e, eval, 0, NULL, &r), TFC_FAILED_PRECONDITION);
    TFCT_ERR_HAS("no checkpoint");

    /* Features the model reads must be in the input. */
    int64_t dims[1] = {N};
    tfc_tensor *x = tfct_f32(d.x, dims, 1);
    tfc_tensor *l = tfct_i64(d.y, dims, 1);
    const char *keys[1] = {"x"};
    tfc_input *only_x;
    TFCT_OK(tfc_input_from_tensors(keys, &x, 1, l, NULL, &only_x));
    CU_ASSERT_EQUAL(tfc_estimator_train(e, only_x, 10, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("feature 'c' is read by the model but the input has no such feature (it has: x)");

    /* Labels out of range, and labels missing. */
    tfc_input *bad_labels = make_input(&d, 2, 100, 1, 0); /* ids 0..2 for a binary head */
    CU_ASSERT_EQUAL(tfc_estimator_train(e, bad_labels, 10, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("is not a class id in [0, 2)");
    tfc_input *no_labels = make_input(&d, -1, 100, 1, 0);
    CU_ASSERT_EQUAL(tfc_estimator_train(e, no_labels, 10, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("no labels");

    /* A feature of the wrong type names the feature. */
    tfc_tensor *c;
    TFCT_OK(tfc_tensor_new_strings(dims, 1, d.c, NULL, &c));
    const char *swapped_keys[2] = {"x", "c"};
    tfc_tensor *swapped[2] = {c, x};
    tfc_input *wrong;
    TFCT_OK(tfc_input_from_tensors(swapped_keys, swapped, 2, l, NULL, &wrong));
    CU_ASSERT_EQUAL(tfc_estimator_train(e, wrong, 10, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("feature 'x': the model expects float32 values, the input gives string");

    /* A NaN feature makes a NaN loss (in a linear model: ReLU would hide it):
     * training stops without saving the diverged state. */
    float xs[N];
    memcpy(xs, d.x, sizeof xs);
    xs[5] = NAN;
    tfc_tensor *xn = tfct_f32(xs, dims, 1);
    tfc_tensor *good[2] = {xn, c};
    tfc_input *nan_in;
    TFCT_OK(tfc_input_from_tensors(swapped_keys, good, 2, l, NULL, &nan_in));
    char *lin_dir = tfct_temp_dir("tfc_est");
    const tfc_feature_column *lin[2] = {k.x, k.c};
    tfc_estimator_options lo = TFC_ESTIMATOR_OPTIONS_INIT;
    lo.linear_feature_columns = lin;
    lo.n_linear_feature_columns = 2;
    lo.config.model_dir = lin_dir;
    tfc_estimator *le;
    TFCT_OK(tfc_estimator_new(&lo, &le));
    CU_ASSERT_EQUAL(tfc_estimator_train(le, nan_in, 10, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("NaN loss");
    CU_ASSERT_EQUAL(count_files(lin_dir, "model.ckpt-"), 0);
    int64_t step = -1;
    TFCT_OK(tfc_estimator_global_step(le, &step));
    CU_ASSERT_EQUAL(step, 0);
    tfc_estimator_free(le);
    tfct_rm_rf(lin_dir);
    free(lin_dir);

    /* Regression labels must be finite. */
    tfc_estimator_free(e);
    tfct_rm_rf(dir);
    o.regressor = 1;
    TFCT_OK(tfc_estimator_new(&o, &e));
    float ts[N];
    memcpy(ts, d.target, sizeof ts);
    ts[9] = INFINITY;
    tfc_tensor *tl = tfct_f32(ts, dims, 1);
    tfc_tensor *fine[2] = {x, c};
    tfc_input *inf_labels;
    TFCT_OK(tfc_input_from_tensors(swapped_keys, fine, 2, tl, NULL, &inf_labels));
    CU_ASSERT_EQUAL(tfc_estimator_train(e, inf_labels, 10, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("labels must be finite");

    tfc_input_free(inf_labels);
    tfc_input_free(nan_in);
    tfc_input_free(wrong);
    tfc_input_free(no_labels);
    tfc_input_free(bad_labels);
    tfc_input_free(only_x);
    tfc_input_free(eval);
    tfc_tensor_free(tl);
    tfc_tensor_free(xn);
    tfc_tensor_free(c);
    tfc_tensor_free(x);
    tfc_tensor_free(l);
    tfc_estimator_free(e);
    free_columns(&k);
    tfct_rm_rf(dir);
    free(dir);
}

/* The census files through the CSV input: label vocabulary (with the test
 * file's trailing period), '?' as missing, a comment line, hashing. */
static void test_census_csv_end_to_end(void)
{
    char train_path[4096], test_path[4096];
    const char *env = getenv("TFC_SHARED_DATA");
    const char *file = __FILE__;
    const char *tail = strstr(file, "tests/estimators/test_estimator.c");
    if (env && env[0]) {
        snprintf(train_path, sizeof train_path, "%s/census/adult.data", env);
        snprintf(test_path, sizeof test_path, "%s/census/adult.test", env);
    } else {
        int root = tail ? (int)(tail - file) : 0;
        snprintf(train_path, sizeof train_path, "%.*s../shared/data/census/adult.data", root, file);
        snprintf(test_path, sizeof test_path, "%.*s../shared/data/census/adult.test", root, file);
    }
    FILE *probe = fopen(train_path, "r");
    if (!probe) {
        printf("\n  note: %s not found (set TFC_SHARED_DATA); skipping ", train_path);
        return;
    }
    fclose(probe);
    static const char *names[15] = {"age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
                                    "occupation", "relationship", "race", "gender", "capital_gain",
                                    "capital_loss", "hours_per_week", "native_country", "income_bracket"};
    tfc_csv_schema_options so = TFC_CSV_SCHEMA_OPTIONS_INIT;
    so.missing_value = "?";
    so.comment_prefix = "|";
    tfc_csv_schema *schema;
    TFCT_OK(tfc_csv_schema_new(&so, &schema));
    for (int i = 0; i < 15; i++) {
        bool num = i == 0 || i == 2 || i == 4 || i == 10 || i == 11 || i == 12;
        TFCT_OK(tfc_csv_schema_add_column(schema, names[i], i == 14 ? TFC_INT64 : num ? TFC_INT64 : TFC_STRING,
                                          i == 14 || num ? NULL : ""));
    }
    const char *labels[2] = {"<=50K", ">50K"};
    TFCT_OK(tfc_csv_schema_set_label_vocabulary(schema, "income_bracket", labels, 2,
                                                TFC_LABEL_STRIP_TRAILING_PERIOD));
    tfc_feature_column *edu, *occ, *rel, *num, *age, *age_b;
    TFCT_OK(tfc_categorical_column_with_hash_bucket("education", 100, &edu));
    TFCT_OK(tfc_categorical_column_with_hash_bucket("occupation", 100, &occ));
    TFCT_OK(tfc_categorical_column_with_hash_bucket("relationship", 100, &rel));
    TFCT_OK(tfc_numeric_column("education_num", NULL, 0, NULL, TFC_FLOAT, &num));
    TFCT_OK(tfc_numeric_column("age", NULL, 0, NULL, TFC_FLOAT, &age));
    const float bounds[] = {25, 35, 45, 55, 65};
    TFCT_OK(tfc_bucketized_column(age, bounds, 5, &age_b));
    const tfc_feature_column *cols[5] = {edu, occ, rel, num, age_b};
    char *dir = tfct_temp_dir("tfc_est");
    tfc_estimator_options o = TFC_ESTIMATOR_OPTIONS_INIT;
    o.linear_feature_columns = cols;
    o.n_linear_feature_columns = 5;
    o.label_vocabulary = labels;
    o.label_vocabulary_size = 2;
    o.config.model_dir = dir;
    tfc_estimator *e;
    TFCT_OK(tfc_estimator_new(&o, &e));
    tfc_csv_reader_options tro = TFC_CSV_READER_OPTIONS_INIT;
    tro.batch_size = 64;
    tro.shuffle_buffer_size = 1000;
    tfc_input *train, *test;
    const char *tp = train_path, *ep = test_path;
    TFCT_OK(tfc_input_from_csv(schema, &tp, 1, &tro, "income_bracket", &train));
    tfc_csv_reader_options ero = TFC_CSV_READER_OPTIONS_INIT;
    ero.batch_size = 4096;
    TFCT_OK(tfc_input_from_csv(schema, &ep, 1, &ero, "income_bracket", &test));
    TFCT_OK(tfc_estimator_train(e, train, 0, 0)); /* one epoch: 509 batches */
    int64_t step = 0;
    TFCT_OK(tfc_estimator_global_step(e, &step));
    CU_ASSERT_EQUAL(step, (32561 + 63) / 64);
    tfc_eval_results *r;
    TFCT_OK(tfc_estimator_evaluate(e, test, 0, NULL, &r));
    CU_ASSERT(metric(r, "accuracy") > 0.81);
    CU_ASSERT(metric(r, "auc") > 0.85);
    TFCT_NEAR(metric(r, "label/mean"), 3846.0 / 16281.0, 1e-6); /* every row of adult.test, ">50K." counted */
    tfc_eval_results_free(r);
    tfc_eval_results_free(NULL);
    tfc_input_free(train);
    tfc_input_free(test);
    tfc_estimator_free(e);
    tfc_feature_column_free(edu);
    tfc_feature_column_free(occ);
    tfc_feature_column_free(rel);
    tfc_feature_column_free(num);
    tfc_feature_column_free(age);
    tfc_feature_column_free(age_b);
    tfc_csv_schema_free(schema);
    tfct_rm_rf(dir);
    free(dir);
}

int main(void)
{
    static const tfct_case cases[] = {
        {"linear classifier: train, evaluate, resume", test_linear_classifier_train_evaluate_resume},
        {"wide & deep: predict and the export agree", test_predict_and_export_agree},
        {"DNN regressor and 3-class classifier", test_dnn_regressor_and_multiclass},
        {"baseline classifier", test_baseline_learns_the_prior},
        {"train_and_evaluate schedule", test_train_and_evaluate_schedule},
        {"errors", test_errors},
        {"census CSV files end to end", test_census_csv_end_to_end},
        {NULL, NULL},
    };
    return tfct_main("estimator", cases);
}
