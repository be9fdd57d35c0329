/* Census columns as in GoogleCloudPlatform/cloudml-samples census/estimator
 * (featurizer.py) and TensorFlow's wide & deep tutorial: vocabulary and hash
 * columns, age buckets, three crosses for the wide part; indicators,
 * embeddings of size 8 and standardized numbers for the deep part. */
#include "common/census_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const census_numeric_keys[CENSUS_NUMERIC] = {"age", "education_num", "capital_gain", "capital_loss",
                                                          "hours_per_week"};

static const char *const columns[15] = {
    "age",          "workclass",    "fnlwgt",         "education",    "education_num",
    "marital_status", "occupation", "relationship",   "race",         "gender",
    "capital_gain", "capital_loss", "hours_per_week", "native_country", "income_bracket"};

const char *census_data_dir(void)
{
    static char dir[4096];
    const char *env = getenv("TFC_SHARED_DATA");
    if (env && env[0]) snprintf(dir, sizeof dir, "%s/census", env);
    else snprintf(dir, sizeof dir, "%s/../shared/data/census", TFC_SOURCE_ROOT);
    return dir;
}

tfc_code census_schema_new(tfc_csv_schema **out)
{
    tfc_csv_schema_options so = TFC_CSV_SCHEMA_OPTIONS_INIT;
    so.missing_value = "?";
    so.comment_prefix = "|"; /* adult.test starts with "|1x3 Cross validator" */
    tfc_csv_schema *s;
    tfc_code c = tfc_csv_schema_new(&so, &s);
    if (c) return c;
    for (int i = 0; i < 15 && !c; i++) {
        const char *name = columns[i];
        bool numeric = !strcmp(name, "age") || !strcmp(name, "fnlwgt") || !strcmp(name, "education_num") ||
                       !strcmp(name, "capital_gain") || !strcmp(name, "capital_loss") ||
                       !strcmp(name, "hours_per_week");
        if (i == 14) c = tfc_csv_schema_add_column(s, name, TFC_INT64, NULL);
        else if (numeric) c = tfc_csv_schema_add_column(s, name, TFC_FLOAT, NULL);
        else c = tfc_csv_schema_add_column(s, name, TFC_STRING, ""); /* '?' -> "" -> out of vocabulary */
    }
    static const char *const labels[2] = {"<=50K", ">50K"};
    if (!c) c = tfc_csv_schema_set_label_vocabulary(s, "income_bracket", labels, 2, TFC_LABEL_STRIP_TRAILING_PERIOD);
    if (c) {
        tfc_csv_schema_free(s);
        return c;
    }
    *out = s;
    return TFC_OK;
}

/* Mean and population standard deviation of the numeric columns. */
static tfc_code numeric_stats(census_model *m, const char *train_files)
{
    tfc_csv_reader_options ro = TFC_CSV_READER_OPTIONS_INIT;
    ro.batch_size = 4096;
    tfc_csv_reader *r;
    tfc_code c = tfc_csv_reader_new(m->schema, &train_files, 1, &ro, &r);
    if (c) return c;
    double sum[CENSUS_NUMERIC] = {0}, sq[CENSUS_NUMERIC] = {0};
    int idx[CENSUS_NUMERIC];
    for (int k = 0; k < CENSUS_NUMERIC; k++)
        for (int i = 0; i < 15; i++)
            if (!strcmp(columns[i], census_numeric_keys[k])) idx[k] = i;
    int64_t total = 0;
    tfc_tensor *cols[15];
    int64_t rows;
    while ((c = tfc_csv_reader_next_batch(r, 0, cols, &rows)) == TFC_OK) {
        for (int k = 0; k < CENSUS_NUMERIC; k++) {
            const float *v = tfc_tensor_data(cols[idx[k]]);
            for (int64_t i = 0; i < rows; i++) {
                sum[k] += v[i];
                sq[k] += (double)v[i] * v[i];
            }
        }
        total += rows;
        for (int i = 0; i < 15; i++) tfc_tensor_free(cols[i]);
    }
    tfc_csv_reader_free(r);
    if (c != TFC_OUT_OF_RANGE) return c;
    if (total == 0) {
        fprintf(stderr, "census: %s has no rows\n", train_files);
        return TFC_INVALID_ARGUMENT;
    }
    for (int k = 0; k < CENSUS_NUMERIC; k++) {
        double mean = sum[k] / (double)total;
        double var = sq[k] / (double)total - mean * mean;
        m->mean_std[k][0] = (float)mean;
        m->mean_std[k][1] = (float)(var > 0 ? sqrt(var) : 1.0);
    }
    return TFC_OK;
}

static tfc_output standardize(tfc_graph *g, tfc_output x, void *arg)
{
    const float *ms = arg;
    tfc_output centered = tfc_sub(g, x, tfc_const_float(g, ms[0], "mean"), "centered");
    return tfc_div(g, centered, tfc_const_float(g, ms[1], "stddev"), "standardized");
}

/* Keeps a column for census_model_free; returns it. */
static tfc_feature_column *own(census_model *m, tfc_feature_column *c)
{
    m->owned[m->n_owned++] = c;
    return c;
}

#define TRY(call)                                                                                                  \
    do {                                                                                                           \
        if ((c = (call))) goto fail;                                                                               \
    } while (0)

tfc_code census_model_init(census_model *m, const char *train_files)
{
    memset(m, 0, sizeof *m);
    tfc_code c;
    TRY(census_schema_new(&m->schema));
    TRY(numeric_stats(m, train_files));

    static const char *const gender[] = {"Female", "Male"};
    static const char *const race[] = {"Amer-Indian-Eskimo", "Asian-Pac-Islander", "Black", "Other", "White"};
    static const char *const education[] = {"Bachelors", "HS-grad", "11th", "Masters", "9th", "Some-college",
                                            "Assoc-acdm", "Assoc-voc", "7th-8th", "Doctorate", "Prof-school",
                                            "5th-6th", "10th", "1st-4th", "Preschool", "12th"};
    static const char *const marital[] = {"Married-civ-spouse", "Divorced", "Married-spouse-absent",
                                          "Never-married", "Separated", "Married-AF-spouse", "Widowed"};
    static const char *const relationship[] = {"Husband", "Not-in-family", "Wife", "Own-child", "Unmarried",
                                               "Other-relative"};
    static const char *const workclass[] = {"Federal-gov", "Local-gov", "Never-worked", "Private",
                                            "Self-emp-inc", "Self-emp-not-inc", "State-gov", "Without-pay"};
    tfc_feature_column *g, *r, *e, *ms, *rel, *w, *occ, *nc, *age, *age_b;
    TRY(tfc_categorical_column_with_vocabulary_list("gender", gender, 2, 1, -1, &g));
    own(m, g);
    TRY(tfc_categorical_column_with_vocabulary_list("race", race, 5, 1, -1, &r));
    own(m, r);
    TRY(tfc_categorical_column_with_vocabulary_list("education", education, 16, 1, -1, &e));
    own(m, e);
    TRY(tfc_categorical_column_with_vocabulary_list("marital_status", marital, 7, 1, -1, &ms));
    own(m, ms);
    TRY(tfc_categorical_column_with_vocabulary_list("relationship", relationship, 6, 1, -1, &rel));
    own(m, rel);
    TRY(tfc_categorical_column_with_vocabulary_list("workclass", workclass, 8, 1, -1, &w));
    own(m, w);
    TRY(tfc_categorical_column_with_hash_bucket("occupation", 1000, &occ));
    own(m, occ);
    TRY(tfc_categorical_column_with_hash_bucket("native_country", 1000, &nc));
    own(m, nc);
    TRY(tfc_numeric_column("age", NULL, 0, NULL, TFC_FLOAT, &age));
    own(m, age);
    static const float bounds[] = {18, 25, 30, 35, 40, 45, 50, 55, 60, 65};
    TRY(tfc_bucketized_column(age, bounds, 10, &age_b));
    own(m, age_b);

    tfc_feature_column *cross_eo, *cross_aeo, *cross_no;
    const char *eo[2] = {"education", "occupation"};
    TRY(tfc_crossed_column(eo, NULL, 2, 10000, 0, &cross_eo));
    own(m, cross_eo);
    const char *aeo_keys[3] = {NULL, "education", "occupation"};
    const tfc_feature_column *aeo_cols[3] = {age_b, NULL, NULL};
    TRY(tfc_crossed_column(aeo_keys, aeo_cols, 3, 1000000, 0, &cross_aeo));
    own(m, cross_aeo);
    const char *no[2] = {"native_country", "occupation"};
    TRY(tfc_crossed_column(no, NULL, 2, 10000, 0, &cross_no));
    own(m, cross_no);
    tfc_feature_column *wide[] = {g, nc, e, occ, w, ms, rel, r, age_b, cross_eo, cross_aeo, cross_no};
    m->n_wide = (int)(sizeof wide / sizeof wide[0]);
    memcpy(m->wide, wide, sizeof wide);

    tfc_feature_column *deep_cat[] = {w, e, ms, g, rel, r};
    for (int i = 0; i < 6; i++) {
        tfc_feature_column *ind;
        TRY(tfc_indicator_column(deep_cat[i], &ind));
        m->deep[m->n_deep++] = own(m, ind);
    }
    tfc_feature_column *emb;
    TRY(tfc_embedding_column(nc, 8, TFC_COMBINER_MEAN, 0, 0, &emb));
    m->deep[m->n_deep++] = own(m, emb);
    TRY(tfc_embedding_column(occ, 8, TFC_COMBINER_MEAN, 0, 0, &emb));
    m->deep[m->n_deep++] = own(m, emb);
    for (int k = 0; k < CENSUS_NUMERIC; k++) {
        tfc_feature_column *num;
        TRY(tfc_numeric_column_with_normalizer(census_numeric_keys[k], NULL, 0, NULL, TFC_FLOAT, standardize,
                                               m->mean_std[k], &num));
        m->deep[m->n_deep++] = own(m, num);
    }
    /* The linear model alone also reads the standardized numbers (the deep part
     * has them in wide & deep). */
    memcpy(m->linear, m->wide, sizeof(m->wide[0]) * (size_t)m->n_wide);
    m->n_linear = m->n_wide;
    for (int i = m->n_deep - CENSUS_NUMERIC; i < m->n_deep; i++) m->linear[m->n_linear++] = m->deep[i];
    return TFC_OK;
fail:
    census_model_free(m);
    return c;
}

void census_model_free(census_model *m)
{
    for (int i = 0; i < m->n_owned; i++) tfc_feature_column_free(m->owned[i]);
    tfc_csv_schema_free(m->schema);
    memset(m, 0, sizeof *m);
}

tfc_code census_input_in_memory(const census_model *m, const char *files, int64_t batch_size, int64_t num_epochs,
                                int shuffle, uint64_t seed, tfc_input **out)
{
    tfc_csv_reader_options ro = TFC_CSV_READER_OPTIONS_INIT;
    ro.batch_size = 1 << 24; /* everything in one batch */
    tfc_csv_reader *r;
    tfc_code c = tfc_csv_reader_new(m->schema, &files, 1, &ro, &r);
    if (c) return c;
    tfc_tensor *cols[15];
    int64_t rows;
    c = tfc_csv_reader_next_batch(r, 0, cols, &rows);
    tfc_csv_reader_free(r);
    if (c) return c;
    tfc_tensor_input_options to = TFC_TENSOR_INPUT_OPTIONS_INIT;
    to.batch_size = batch_size;
    to.num_epochs = num_epochs;
    to.shuffle = shuffle;
    to.seed = seed;
    c = tfc_input_from_tensors(columns, cols, 14, cols[14], &to, out);
    for (int i = 0; i < 15; i++) tfc_tensor_free(cols[i]);
    return c;
}
