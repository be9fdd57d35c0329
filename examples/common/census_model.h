/* The census income model of TensorFlow's census samples, with tfc's
 * feature columns: the CSV schema of adult.data / adult.test and the wide
 * (linear) and deep (DNN) columns, for the examples and benchmarks. */
#ifndef TFC_EXAMPLES_CENSUS_MODEL_H
#define TFC_EXAMPLES_CENSUS_MODEL_H

#include "tfc/tfc.h"

#define CENSUS_MAX_COLUMNS 16
#define CENSUS_NUMERIC 5

typedef struct census_model {
    tfc_csv_schema *schema;
    tfc_feature_column *wide[CENSUS_MAX_COLUMNS];
    int n_wide;
    tfc_feature_column *linear[CENSUS_MAX_COLUMNS + CENSUS_NUMERIC]; /* wide + numbers: LinearClassifier */
    int n_linear;
    tfc_feature_column *deep[CENSUS_MAX_COLUMNS];
    int n_deep;
    /* Standardization of the deep part's numeric columns: the training
     * set's mean and standard deviation (lent to the normalizers). */
    float mean_std[CENSUS_NUMERIC][2];
    tfc_feature_column *owned[48];
    int n_owned;
} census_model;

/* The 15 columns of the census files (label "income_bracket": <=50K = 0,
 * >50K = 1, with or without adult.test's trailing period). */
tfc_code census_schema_new(tfc_csv_schema **out);

/* Builds the schema and the columns; reads train_files once for the numeric
 * columns' mean and standard deviation. */
tfc_code census_model_init(census_model *m, const char *train_files);
void census_model_free(census_model *m);

/* An input over files read into memory once (tf.data's cache()): batches
 * of batch_size rows for num_epochs (0: forever), shuffled with seed when
 * shuffle is set. */
tfc_code census_input_in_memory(const census_model *m, const char *files, int64_t batch_size, int64_t num_epochs,
                                int shuffle, uint64_t seed, tfc_input **out);

/* The directory of adult.data and adult.test: $TFC_SHARED_DATA/census, else
 * the repository's ../shared/data/census. */
const char *census_data_dir(void);

/* One raw example's features by key for the exported model: the numeric
 * columns' values and the categorical strings, in signature-input order. */
extern const char *const census_numeric_keys[CENSUS_NUMERIC];

#endif
