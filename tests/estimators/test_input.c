/* The CSV input pipeline: batches, epochs, shuffling, files, globs, gzip,
 * label vocabularies, and the census and Boston files.
 *
 * The real data sets are read in place from ../shared/data (relative to the
 * project's root, found from this file's path), or from $TFC_SHARED_DATA;
 * the tests that need them print a note and pass when they are absent. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "testutil.h"
#include "tfc/input.h"

static char tmpdir[64];

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

static const char *tmp_path(const char *name)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

/* ../shared/data from the project root: the root is this file's path minus
 * "tests/estimators/test_input.c" (meson compiles it as ../tests/... from the
 * build directory, where the tests run). */
static const char *data_dir(void)
{
    static char dir[1024];
    const char *env = getenv("TFC_SHARED_DATA");
    if (env && env[0]) return env;
    const char *file = __FILE__;
    const char *tail = strstr(file, "tests/estimators/test_input.c");
    int root = tail ? (int)(tail - file) : 0;
    snprintf(dir, sizeof dir, "%.*s../shared/data", root, file);
    return dir;
}

static int have_data(const char *rel, char *path, size_t size)
{
    const char *dir = data_dir();
    if (strlen(dir) + strlen(rel) + 2 > size) return 0;
    strcpy(path, dir);
    strcat(path, "/");
    strcat(path, rel);
    if (access(path, R_OK) == 0) return 1;
    printf("\n  note: %s not found (set TFC_SHARED_DATA); skipping this check ", path);
    return 0;
}

static int str_eq(const tfc_tensor *t, int64_t i, const char *want)
{
    const char *p;
    size_t n;
    if (tfc_tensor_string(t, i, &p, &n) != TFC_OK) return 0;
    return n == strlen(want) && !memcmp(p, want, n);
}

/* Schema: id (int64), name (string "r<id>"). */
static tfc_csv_schema *id_schema(void)
{
    tfc_csv_schema *s;
    TFCT_OK(tfc_csv_schema_new(NULL, &s));
    TFCT_OK(tfc_csv_schema_add_column(s, "id", TFC_INT64, NULL));
    TFCT_OK(tfc_csv_schema_add_column(s, "name", TFC_STRING, NULL));
    return s;
}

static char *id_text(int from, int to)
{
    char *t = malloc((size_t)(to - from) * 32 + 1);
    t[0] = 0;
    size_t n = 0;
    for (int i = from; i < to; i++) n += (size_t)sprintf(t + n, "%d,r%d\n", i, i);
    return t;
}

/* Reads every batch; appends ids to out (checking each name matches its id);
 * sizes of the batches go to sizes. Returns the number of batches. */
static int drain(tfc_csv_reader *r, int64_t batch, int64_t *out, int64_t *nout, int64_t *sizes)
{
    tfc_tensor *c[2];
    int64_t rows;
    int nb = 0;
    tfc_code code;
    *nout = 0;
    while ((code = tfc_csv_reader_next_batch(r, batch, c, &rows)) == TFC_OK) {
        const int64_t *ids = tfc_tensor_data(c[0]);
        for (int64_t i = 0; i < rows; i++) {
            char want[32];
            snprintf(want, sizeof want, "r%lld", (long long)ids[i]);
            CU_ASSERT(str_eq(c[1], i, want));
            out[(*nout)++] = ids[i];
        }
        sizes[nb++] = rows;
        tfc_tensor_free(c[0]);
        tfc_tensor_free(c[1]);
    }
    CU_ASSERT_EQUAL(code, TFC_OUT_OF_RANGE);
    CU_ASSERT_PTR_NULL(c[0]);
    return nb;
}

static void test_batches_and_partial(void)
{
    tfc_csv_schema *s = id_schema();
    char *text = id_text(0, 10);
    tfc_csv_reader *r;
    int64_t ids[100], n, sizes[100];
    TFCT_OK(tfc_csv_reader_new_from_buffer(s, text, strlen(text), "b.csv", NULL, &r));
    CU_ASSERT_EQUAL(drain(r, 4, ids, &n, sizes), 3);
    CU_ASSERT_EQUAL(sizes[0], 4);
    CU_ASSERT_EQUAL(sizes[1], 4);
    CU_ASSERT_EQUAL(sizes[2], 2);
    CU_ASSERT_EQUAL(n, 10);
    for (int i = 0; i < 10; i++) CU_ASSERT_EQUAL(ids[i], i);
    tfc_csv_reader_free(r);

    tfc_csv_reader_options o = TFC_CSV_READER_OPTIONS_INIT;
    o.partial_final_batch = 0;
    o.batch_size = 4;
    TFCT_OK(tfc_csv_reader_new_from_buffer(s, text, strlen(text), "b.csv", &o, &r));
    CU_ASSERT_EQUAL(drain(r, 0, ids, &n, sizes), 2);
    CU_ASSERT_EQUAL(n, 8);
    tfc_csv_reader_free(r);
    free(text);
    tfc_csv_schema_free(s);
}

static void test_epochs(void)
{
    tfc_csv_schema *s = id_schema();
    char *text = id_text(0, 5);
    tfc_csv_reader_options o = TFC_CSV_READER_OPTIONS_INIT;
    o.num_epochs = 2;
    tfc_csv_reader *r;
    int64_t ids[100], n, sizes[100];
    TFCT_OK(tfc_csv_reader_new_from_buffer(s, text, strlen(text), "e.csv", &o, &r));
    /* Batches run across the epoch boundary: 3, 3, 3, 1. */
    CU_ASSERT_EQUAL(drain(r, 3, ids, &n, sizes), 4);
    CU_ASSERT_EQUAL(sizes[2], 3);
    CU_ASSERT_EQUAL(sizes[3], 1);
    CU_ASSERT_EQUAL(n, 10);
    for (int i = 0; i < 10; i++) CU_ASSERT_EQUAL(ids[i], i % 5);
    tfc_csv_reader_free(r);

    /* Forever: 1,000 rows out of 5 keep coming in order. */
    o.num_epochs = 0;
    TFCT_OK(tfc_csv_reader_new_from_buffer(s, text, strlen(text), "e.csv", &o, &r));
    tfc_tensor *c[2];
    int64_t rows;
    for (int b = 0; b < 10; b++) {
        TFCT_OK(tfc_csv_reader_next_batch(r, 100, c, &rows));
        CU_ASSERT_EQUAL(rows, 100);
        const int64_t *v = tfc_tensor_data(c[0]);
        for (int i = 0; i < 100; i++) CU_ASSERT_EQUAL(v[i], (b * 100 + i) % 5);
        tfc_tensor_free(c[0]);
        tfc_tensor_free(c[1]);
    }
    tfc_csv_reader_free(r);
    free(text);
    tfc_csv_schema_free(s);
}

static int is_permutation(const int64_t *v, int64_t n)
{
    char seen[1000] = {0};
    for (int64_t i = 0; i < n; i++) {
        if (v[i] < 0 || v[i] >= n || seen[v[i]]) return 0;
        seen[v[i]] = 1;
    }
    return 1;
}

static void test_shuffle(void)
{
    tfc_csv_schema *s = id_schema();
    char *text = id_text(0, 300);
    tfc_csv_reader_options o = TFC_CSV_READER_OPTIONS_INIT;
    o.shuffle_buffer_size = 1000;
    o.seed = 42;
    tfc_csv_reader *r;
    static int64_t a[1000], b[1000], c2[1000], sizes[1000];
    int64_t na, nb, nc;
    TFCT_OK(tfc_csv_reader_new_from_buffer(s, text, strlen(text), "s.csv", &o, &r));
    drain(r, 32, a, &na, sizes);
    tfc_csv_reader_free(r);
    CU_ASSERT_EQUAL(na, 300);
    CU_ASSERT(is_permutation(a, na));
    int inorder = 0;
    for (int i = 0; i < 300; i++) inorder += a[i] == i;
    CU_ASSERT(inorder < 30);

    /* Same seed, same order; another seed, another order. */
    TFCT_OK(tfc_csv_reader_new_from_buffer(s, text, strlen(text), "s.csv", &o, &r));
    drain(r, 7, b, &nb, sizes);
    tfc_csv_reader_free(r);
    CU_ASSERT_EQUAL(nb, 300);
    CU_ASSERT(!memcmp(a, b, sizeof(int64_t) * 300));
    o.seed = 43;
    TFCT_OK(tfc_csv_reader_new_from_buffer(s, text, strlen(text), "s.csv", &o, &r));
    drain(r, 32, c2, &nc, sizes);
    tfc_csv_reader_free(r);
    CU_ASSERT(is_permutation(c2, nc));
    CU_ASSERT(memcmp(a, c2, sizeof(int64_t) * 300) != 0);

    /* A small buffer still gives every row once, each within reach of its place. */
    o.shuffle_buffer_size = 10;
    o.num_epochs = 2;
    TFCT_OK(tfc_csv_reader_new_from_buffer(s, text, strlen(text), "s.csv", &o, &r));
    drain(r, 64, a, &na, sizes);
    tfc_csv_reader_free(r);
    CU_ASSERT_EQUAL_FATAL(na, 600);
    CU_ASSERT(is_permutation(a, 300));       /* epoch 1 */
    CU_ASSERT(is_permutation(a + 300, 300)); /* epoch 2: the buffer drains at the boundary */
    CU_ASSERT(memcmp(a, a + 300, sizeof(int64_t) * 300) != 0);
    for (int i = 0; i < 300; i++) CU_ASSERT(a[i] <= i + 9); /* a row can't come out before it is read */
    free(text);
    tfc_csv_schema_free(s);
}

/* Several files, a glob, a gzip file; string rows survive their file being
 * closed while they wait in the shuffle buffer (ASan checks the lifetimes). */
static void test_files_glob_gzip(void)
{
    char *t0 = id_text(0, 40), *t1 = id_text(40, 70), *t2 = id_text(70, 100);
    write_file("part-0.csv", t0);
    write_file("part-1.csv", t1);
    write_file("other.txt", "not,csv,at all\n");
    gzFile g = gzopen(tmp_path("part-2.csv.gz"), "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    gzwrite(g, t2, (unsigned)strlen(t2));
    gzclose(g);
    tfc_csv_schema *s = id_schema();
    char pat[256];
    snprintf(pat, sizeof pat, "%s/part-*", tmpdir);
    const char *pats[] = {pat};
    tfc_csv_reader *r;
    static int64_t ids[1000], sizes[1000];
    int64_t n;
    TFCT_OK(tfc_csv_reader_new(s, pats, 1, NULL, &r));
    drain(r, 16, ids, &n, sizes);
    tfc_csv_reader_free(r);
    CU_ASSERT_EQUAL_FATAL(n, 100);
    for (int i = 0; i < 100; i++) CU_ASSERT_EQUAL(ids[i], i); /* sorted matches: part-0, part-1, part-2.csv.gz */

    /* Explicit paths in the given order, shuffled across files. */
    char p0[256], p2[256];
    snprintf(p0, sizeof p0, "%s/part-0.csv", tmpdir);
    snprintf(p2, sizeof p2, "%s/part-2.csv.gz", tmpdir);
    const char *paths[] = {p2, p0};
    tfc_csv_reader_options o = TFC_CSV_READER_OPTIONS_INIT;
    o.shuffle_buffer_size = 50;
    o.seed = 7;
    TFCT_OK(tfc_csv_reader_new(s, paths, 2, &o, &r));
    drain(r, 16, ids, &n, sizes);
    tfc_csv_reader_free(r);
    CU_ASSERT_EQUAL_FATAL(n, 70);
    int seen[100] = {0};
    for (int i = 0; i < 70; i++) seen[ids[i]]++;
    for (int i = 0; i < 100; i++) CU_ASSERT_EQUAL(seen[i], (i < 40 || i >= 70) ? 1 : 0);

    /* A corrupt gzip file and an empty file are errors naming them. */
    FILE *f = fopen(tmp_path("bad.csv.gz"), "wb");
    fwrite("\x1f\x8b\x08\x00garbage-garbage", 1, 20, f);
    fclose(f);
    write_file("empty.csv", "");
    const char *bad[] = {tmp_path("bad.csv.gz")};
    TFCT_OK(tfc_csv_reader_new(s, bad, 1, NULL, &r));
    tfc_tensor *c[2];
    int64_t rows;
    CU_ASSERT_EQUAL(tfc_csv_reader_next_batch(r, 4, c, &rows), TFC_DATA_LOSS);
    TFCT_ERR_HAS("bad.csv.gz: gzip data is corrupt");
    tfc_csv_reader_free(r);
    const char *empty[] = {tmp_path("empty.csv")};
    TFCT_OK(tfc_csv_reader_new(s, empty, 1, NULL, &r));
    CU_ASSERT_EQUAL(tfc_csv_reader_next_batch(r, 4, c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("empty.csv: the file is empty (expected CSV rows)");
    tfc_csv_reader_free(r);

    /* A truncated gzip stream is an error, not a short file. */
    char *big = id_text(0, 200000); /* 2.4 MB: more than the first inflate buffer */
    g = gzopen(tmp_path("big.csv.gz"), "wb");
    gzwrite(g, big, (unsigned)strlen(big));
    gzclose(g);
    const char *bigp[] = {tmp_path("big.csv.gz")};
    TFCT_OK(tfc_csv_reader_new(s, bigp, 1, NULL, &r));
    int64_t total = 0, sum = 0;
    while (tfc_csv_reader_next_batch(r, 4096, c, &rows) == TFC_OK) {
        for (int64_t i = 0; i < rows; i++) sum += ((int64_t *)tfc_tensor_data(c[0]))[i];
        total += rows;
        tfc_tensor_free(c[0]);
        tfc_tensor_free(c[1]);
    }
    CU_ASSERT_EQUAL(total, 200000);
    CU_ASSERT_EQUAL(sum, (int64_t)199999 * 200000 / 2);
    tfc_csv_reader_free(r);
    free(big);
    f = fopen(tmp_path("big.csv.gz"), "rb");
    static char gzbytes[1 << 20];
    size_t gzn = fread(gzbytes, 1, sizeof gzbytes, f);
    fclose(f);
    f = fopen(tmp_path("big.csv.gz"), "wb");
    fwrite(gzbytes, 1, gzn / 2, f);
    fclose(f);
    TFCT_OK(tfc_csv_reader_new(s, bigp, 1, NULL, &r));
    CU_ASSERT_EQUAL(tfc_csv_reader_next_batch(r, 4, c, &rows), TFC_DATA_LOSS);
    TFCT_ERR_HAS("big.csv.gz: gzip data is corrupt");
    tfc_csv_reader_free(r);

    /* A file without a trailing newline, then an error in the second file names it. */
    write_file("nonl.csv", "1,r1\n2,r2");
    write_file("err.csv", "3,r3\n4,r4,extra\n");
    char pn[256], pe[256];
    snprintf(pn, sizeof pn, "%s/nonl.csv", tmpdir);
    snprintf(pe, sizeof pe, "%s/err.csv", tmpdir);
    const char *two[] = {pn, pe};
    TFCT_OK(tfc_csv_reader_new(s, two, 2, NULL, &r));
    TFCT_OK(tfc_csv_reader_next_batch(r, 3, c, &rows));
    CU_ASSERT_EQUAL(rows, 3);
    CU_ASSERT(str_eq(c[1], 1, "r2"));
    tfc_tensor_free(c[0]);
    tfc_tensor_free(c[1]);
    CU_ASSERT_EQUAL(tfc_csv_reader_next_batch(r, 3, c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("err.csv:2: expected 2 fields, found 3");
    tfc_csv_reader_free(r);
    tfc_csv_schema_free(s);
    free(t0);
    free(t1);
    free(t2);
}

static void test_label_vocabulary(void)
{
    tfc_csv_schema_options so = TFC_CSV_SCHEMA_OPTIONS_INIT;
    so.comment_prefix = "|";
    tfc_csv_schema *s;
    TFCT_OK(tfc_csv_schema_new(&so, &s));
    TFCT_OK(tfc_csv_schema_add_column(s, "x", TFC_FLOAT, NULL));
    TFCT_OK(tfc_csv_schema_add_column(s, "label", TFC_INT32, NULL));
    const char *labels[] = {"<=50K", ">50K"};
    TFCT_OK(tfc_csv_schema_set_label_vocabulary(s, "label", labels, 2, TFC_LABEL_STRIP_TRAILING_PERIOD));
    const char *text = "|1x3 Cross validator\n1, >50K.\n2, <=50K.\n3, >50K\n";
    tfc_csv_reader *r;
    tfc_tensor *c[3];
    int64_t rows;
    TFCT_OK(tfc_csv_reader_new_from_buffer(s, text, strlen(text), "adult.test", NULL, &r));
    TFCT_OK(tfc_csv_reader_next_batch(r, 10, c, &rows));
    CU_ASSERT_EQUAL_FATAL(rows, 3);
    CU_ASSERT_EQUAL(tfc_tensor_dtype(c[1]), TFC_INT32);
    const int32_t *y = tfc_tensor_data(c[1]);
    CU_ASSERT_EQUAL(y[0], 1);
    CU_ASSERT_EQUAL(y[1], 0);
    CU_ASSERT_EQUAL(y[2], 1);
    tfc_tensor_free(c[0]);
    tfc_tensor_free(c[1]);
    tfc_csv_reader_free(r);
    const char *bad = "1, >50K\n2, >50K..\n";
    TFCT_OK(tfc_csv_reader_new_from_buffer(s, bad, strlen(bad), "adult.test", NULL, &r));
    CU_ASSERT_EQUAL(tfc_csv_reader_next_batch(r, 10, c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("adult.test:2: column 2 'label': label '>50K..' is not in the label vocabulary (2 labels)");
    tfc_csv_reader_free(r);
    tfc_csv_schema_free(s);

    /* Without the flag the period is part of the label. */
    TFCT_OK(tfc_csv_schema_new(NULL, &s));
    TFCT_OK(tfc_csv_schema_add_column(s, "label", TFC_INT64, NULL));
    TFCT_OK(tfc_csv_schema_add_column(s, "name", TFC_STRING, NULL));
    TFCT_OK(tfc_csv_schema_add_column(s, "w", TFC_FLOAT, "1"));
    TFCT_OK(tfc_csv_schema_set_label_vocabulary(s, "label", labels, 2, 0));
    TFCT_OK(tfc_csv_reader_new_from_buffer(s, ">50K.,a,\n", 9, "t.csv", NULL, &r));
    CU_ASSERT_EQUAL(tfc_csv_reader_next_batch(r, 10, c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv:1: column 1 'label': label '>50K.' is not in the label vocabulary");
    tfc_csv_reader_free(r);

    /* Bad vocabularies are rejected when set. */
    CU_ASSERT_EQUAL(tfc_csv_schema_set_label_vocabulary(s, "label", labels, 2, 0), TFC_ALREADY_EXISTS);
    CU_ASSERT_EQUAL(tfc_csv_schema_set_label_vocabulary(s, "name", labels, 2, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("column 'name' is string, expected int32 or int64");
    CU_ASSERT_EQUAL(tfc_csv_schema_set_label_vocabulary(s, "nope", labels, 2, 0), TFC_NOT_FOUND);
    CU_ASSERT_EQUAL(tfc_csv_schema_set_label_vocabulary(s, "w", labels, 2, 0), TFC_INVALID_ARGUMENT);
    tfc_csv_schema_free(s);
    TFCT_OK(tfc_csv_schema_new(NULL, &s));
    TFCT_OK(tfc_csv_schema_add_column(s, "y", TFC_INT32, NULL));
    CU_ASSERT_EQUAL(tfc_csv_schema_set_label_vocabulary(s, "y", labels, 0, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("column 'y': the vocabulary is empty (0 labels)");
    const char *dup[] = {"a", "b", "a"};
    CU_ASSERT_EQUAL(tfc_csv_schema_set_label_vocabulary(s, "y", dup, 3, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("label 'a' appears twice (0 and 2)");
    const char *emptyl[] = {"a", ""};
    CU_ASSERT_EQUAL(tfc_csv_schema_set_label_vocabulary(s, "y", emptyl, 2, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("label 1 is empty");
    /* Many labels (the table grows past its first size). */
    char names[100][8];
    const char *many[100];
    for (int i = 0; i < 100; i++) {
        snprintf(names[i], sizeof names[i], "c%d", i);
        many[i] = names[i];
    }
    TFCT_OK(tfc_csv_schema_set_label_vocabulary(s, "y", many, 100, 0));
    TFCT_OK(tfc_csv_reader_new_from_buffer(s, "c0\nc99\nc57\n", 11, "t.csv", NULL, &r));
    TFCT_OK(tfc_csv_reader_next_batch(r, 10, c, &rows));
    CU_ASSERT_EQUAL(((int32_t *)tfc_tensor_data(c[0]))[1], 99);
    CU_ASSERT_EQUAL(((int32_t *)tfc_tensor_data(c[0]))[2], 57);
    tfc_tensor_free(c[0]);
    tfc_csv_reader_free(r);
    tfc_csv_schema_free(s);
}

static const char *census_names[15] = {"age", "workclass", "fnlwgt", "education", "education_num",
                                       "marital_status", "occupation", "relationship", "race", "gender",
                                       "capital_gain", "capital_loss", "hours_per_week", "native_country",
                                       "income_bracket"};

static tfc_csv_schema *census_schema(void)
{
    tfc_csv_schema_options o = TFC_CSV_SCHEMA_OPTIONS_INIT;
    o.missing_value = "?";
    o.comment_prefix = "|";
    tfc_csv_schema *s;
    TFCT_OK(tfc_csv_schema_new(&o, &s));
    for (int i = 0; i < 15; i++) {
        int numeric = i == 0 || i == 2 || i == 4 || i == 10 || i == 11 || i == 12;
        tfc_dtype dt = i == 14 ? TFC_INT32 : numeric ? TFC_FLOAT : TFC_STRING;
        const char *def = i == 14 ? NULL : numeric ? "0" : "";
        TFCT_OK(tfc_csv_schema_add_column(s, census_names[i], dt, def));
    }
    const char *labels[] = {"<=50K", ">50K"};
    TFCT_OK(tfc_csv_schema_set_label_vocabulary(s, "income_bracket", labels, 2, TFC_LABEL_STRIP_TRAILING_PERIOD));
    return s;
}

/* Reads a census file whole; checks the first row against the expected text. */
static void check_census(const char *rel, int64_t want_rows, int64_t want_positive, const float *num0,
                         const char *const *str0, int32_t label0)
{
    char path[1024];
    if (!have_data(rel, path, sizeof path)) return;
    tfc_csv_schema *s = census_schema();
    const char *pats[] = {path};
    tfc_csv_reader *r;
    tfc_csv_reader_options o = TFC_CSV_READER_OPTIONS_INIT;
    o.batch_size = 5000;
    TFCT_OK(tfc_csv_reader_new(s, pats, 1, &o, &r));
    tfc_tensor *c[15];
    int64_t rows, total = 0, positive = 0;
    int first = 1;
    tfc_code code;
    while ((code = tfc_csv_reader_next_batch(r, 0, c, &rows)) == TFC_OK) {
        const int32_t *y = tfc_tensor_data(c[14]);
        for (int64_t i = 0; i < rows; i++) positive += y[i];
        if (first) {
            int k = 0, m = 0;
            for (int j = 0; j < 14; j++) {
                if (tfc_tensor_dtype(c[j]) == TFC_FLOAT) {
                    CU_ASSERT_EQUAL(((float *)tfc_tensor_data(c[j]))[0], num0[k]);
                    k++;
                } else {
                    CU_ASSERT(str_eq(c[j], 0, str0[m]));
                    m++;
                }
            }
            CU_ASSERT_EQUAL(y[0], label0);
            first = 0;
        }
        total += rows;
        for (int j = 0; j < 15; j++) tfc_tensor_free(c[j]);
    }
    TFCT_ERR_HAS("end of data");
    CU_ASSERT_EQUAL(code, TFC_OUT_OF_RANGE);
    CU_ASSERT_EQUAL(total, want_rows);
    CU_ASSERT_EQUAL(positive, want_positive);
    tfc_csv_reader_free(r);
    tfc_csv_schema_free(s);
}

static void test_census(void)
{
    /* 39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male,
     * 2174, 0, 40, United-States, <=50K */
    const float n1[] = {39, 77516, 13, 2174, 0, 40};
    const char *s1[] = {"State-gov", "Bachelors", "Never-married", "Adm-clerical", "Not-in-family", "White", "Male",
                        "United-States"};
    /* 7,841 of the 32,561 training rows earn >50K; 3,846 of the 16,281 test rows. */
    check_census("census/adult.data", 32561, 7841, n1, s1, 0);
    /* 25, Private, 226802, 11th, 7, Never-married, Machine-op-inspct, Own-child, Black, Male, 0, 0, 40,
     * United-States, <=50K. */
    const float n2[] = {25, 226802, 7, 0, 0, 40};
    const char *s2[] = {"Private", "11th", "Never-married", "Machine-op-inspct", "Own-child", "Black", "Male",
                        "United-States"};
    check_census("census/adult.test", 16281, 3846, n2, s2, 0);
}

static void test_census_missing_values(void)
{
    /* Row 28 of adult.data: "54, ?, 180211, Some-college, 10, Married-civ-spouse, ?, Husband,
     * Asian-Pac-Islander, Male, 0, 0, 60, South, >50K": '?' takes the default "". */
    char path[1024];
    if (!have_data("census/adult.data", path, sizeof path)) return;
    tfc_csv_schema *s = census_schema();
    const char *pats[] = {path};
    tfc_csv_reader *r;
    TFCT_OK(tfc_csv_reader_new(s, pats, 1, NULL, &r));
    tfc_tensor *c[15];
    int64_t rows;
    TFCT_OK(tfc_csv_reader_next_batch(r, 28, c, &rows));
    CU_ASSERT_EQUAL(((float *)tfc_tensor_data(c[0]))[27], 54.0f);
    CU_ASSERT(str_eq(c[1], 27, ""));
    CU_ASSERT(str_eq(c[6], 27, ""));
    CU_ASSERT(str_eq(c[13], 27, "South"));
    CU_ASSERT_EQUAL(((int32_t *)tfc_tensor_data(c[14]))[27], 1);
    for (int j = 0; j < 15; j++) tfc_tensor_free(c[j]);
    tfc_csv_reader_free(r);
    tfc_csv_schema_free(s);
}

static void test_boston(void)
{
    char path[1024];
    if (!have_data("boston/boston_train.csv", path, sizeof path)) return;
    static const char *names[14] = {"crim", "zn",  "indus", "chas",    "nox",   "rm",    "age",
                                    "dis",  "rad", "tax",   "ptratio", "black", "lstat", "medv"};
    tfc_csv_schema_options o = TFC_CSV_SCHEMA_OPTIONS_INIT;
    o.header_lines = 1;
    tfc_csv_schema *s;
    TFCT_OK(tfc_csv_schema_new(&o, &s));
    for (int i = 0; i < 14; i++) TFCT_OK(tfc_csv_schema_add_column(s, names[i], TFC_FLOAT, NULL));
    const char *pats[] = {path};
    tfc_csv_reader *r;
    TFCT_OK(tfc_csv_reader_new(s, pats, 1, NULL, &r));
    tfc_tensor *c[14];
    int64_t rows, total = 0;
    int first = 1;
    while (tfc_csv_reader_next_batch(r, 100, c, &rows) == TFC_OK) {
        if (first) { /* 0.00632,18,2.31,0,0.538,6.575,65.2,4.09,1,296,15.3,396.9,4.98,24 */
            CU_ASSERT_EQUAL(((float *)tfc_tensor_data(c[0]))[0], 0.00632f);
            CU_ASSERT_EQUAL(((float *)tfc_tensor_data(c[5]))[0], 6.575f);
            CU_ASSERT_EQUAL(((float *)tfc_tensor_data(c[13]))[0], 24.0f);
            first = 0;
        }
        total += rows;
        for (int j = 0; j < 14; j++) tfc_tensor_free(c[j]);
    }
    CU_ASSERT_EQUAL(total, 404);
    tfc_csv_reader_free(r);
    tfc_csv_schema_free(s);
}

static void cleanup(void)
{
    static const char *names[] = {"part-0.csv", "part-1.csv", "part-2.csv.gz", "other.txt", "bad.csv.gz",
                                  "empty.csv",  "nonl.csv",   "err.csv",       "big.csv.gz"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) remove(tmp_path(names[i]));
    rmdir(tmpdir);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tfc_input_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    static const tfct_case cases[] = {
        {"batches and the final partial batch", test_batches_and_partial},
        {"epochs", test_epochs},
        {"shuffle buffer", test_shuffle},
        {"files, globs, gzip", test_files_glob_gzip},
        {"label vocabulary", test_label_vocabulary},
        {"census files", test_census},
        {"census missing values", test_census_missing_values},
        {"boston file", test_boston},
        {NULL, NULL},
    };
    int rc = tfct_main("input", cases);
    cleanup();
    return rc;
}
