/* Checkpoint files and the saver: round trips of every dtype, the saver end
 * to end (max_to_keep, state file, latest, name map, subset restore, every
 * mismatch reported with the session untouched), corruption of every kind
 * (truncation and bit flips at every offset, wrong magic, future version,
 * oversized claims), atomic writes, and a SIGKILL crash test. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "io/atomic_file.h"
#include "io/checkpoint_internal.h"
#include "testutil.h"
#include "tfc/saver.h"

/* ---- helpers ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_rf(const char *dir) { nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* A fresh directory under $TMPDIR (or /tmp); caller frees and removes. */
static char *temp_dir(void)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    char *d = malloc(strlen(base) + 32);
    sprintf(d, "%s/tfc_ckpt_XXXXXX", base);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(d));
    return d;
}

static char *join(const char *dir, const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    CU_ASSERT_EQUAL_FATAL(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    b[n] = 0;
    *size = (size_t)n;
    return b;
}

static void spit(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(data, 1, size, f), size);
    fclose(f);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Number of directory entries whose name contains needle. */
static int count_files(const char *dir, const char *needle)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, needle)) n++;
    closedir(d);
    return n;
}

/* True when two tensors have the same dtype, shape and values. */
static bool same_tensor(const tfc_tensor *a, const tfc_tensor *b)
{
    if (tfc_tensor_dtype(a) != tfc_tensor_dtype(b) || tfc_tensor_rank(a) != tfc_tensor_rank(b)) return false;
    for (int i = 0; i < tfc_tensor_rank(a); i++)
        if (tfc_tensor_dim(a, i) != tfc_tensor_dim(b, i)) return false;
    if (tfc_tensor_dtype(a) != TFC_STRING)
        return tfc_tensor_byte_size(a) == tfc_tensor_byte_size(b) &&
               (tfc_tensor_byte_size(a) == 0 || memcmp(tfc_tensor_data(a), tfc_tensor_data(b), tfc_tensor_byte_size(a)) == 0);
    for (int64_t i = 0; i < tfc_tensor_num_elements(a); i++) {
        const char *sa, *sb;
        size_t la, lb;
        if (tfc_tensor_string(a, i, &sa, &la) || tfc_tensor_string(b, i, &sb, &lb)) return false;
        if (la != lb || (la && memcmp(sa, sb, la) != 0)) return false;
    }
    return true;
}

static tfc_tensor *mk(tfc_dtype dt, const int64_t *dims, int rank, const void *data, size_t bytes)
{
    tfc_tensor *t = NULL;
    TFCT_OK(tfc_tensor_new(dt, dims, rank, data, bytes, &t));
    return t;
}

/* ---- round trips ---- */

enum { NT = 16 };

/* One tensor of every dtype, plus scalars, empty tensors, strings with
 * empty and binary elements, a compressible and an incompressible tensor. */
static int make_tensors(tfc_tensor **t, const char **names)
{
    int k = 0;
    float f[6] = {1.5f, -2.25f, 3e-8f, 0.0f, -0.0f, 1e30f};
    int64_t d23[2] = {2, 3};
    names[k] = "float";
    t[k++] = mk(TFC_FLOAT, d23, 2, f, sizeof f);
    double dd[3] = {3.141592653589793, -1e300, 5e-324};
    int64_t d3[1] = {3};
    names[k] = "scope/double";
    t[k++] = mk(TFC_DOUBLE, d3, 1, dd, sizeof dd);
    int32_t i32[4] = {INT32_MIN, -1, 0, INT32_MAX};
    int64_t d4[1] = {4};
    names[k] = "int32";
    t[k++] = mk(TFC_INT32, d4, 1, i32, sizeof i32);
    uint8_t u8[5] = {0, 1, 127, 128, 255};
    int64_t d5[1] = {5};
    names[k] = "uint8";
    t[k++] = mk(TFC_UINT8, d5, 1, u8, sizeof u8);
    int16_t i16[4] = {-32768, -1, 1, 32767};
    int64_t d22[2] = {2, 2};
    names[k] = "int16";
    t[k++] = mk(TFC_INT16, d22, 2, i16, sizeof i16);
    int8_t i8[3] = {-128, 0, 127};
    names[k] = "int8";
    t[k++] = mk(TFC_INT8, d3, 1, i8, sizeof i8);
    int64_t i64[2] = {INT64_MIN, INT64_MAX};
    int64_t d2[1] = {2};
    names[k] = "int64";
    t[k++] = mk(TFC_INT64, d2, 1, i64, sizeof i64);
    bool bo[4] = {true, false, false, true};
    names[k] = "bool";
    t[k++] = mk(TFC_BOOL, d4, 1, bo, sizeof bo);
    const char *strs[4] = {"hello", "", "with\0nul", "\xff\xfe unicode \xc3\xa9"};
    size_t lens[4] = {5, 0, 8, 14};
    names[k] = "strings";
    TFCT_OK(tfc_tensor_new_strings(d22, 2, strs, lens, &t[k++]));
    float sc = 42.5f;
    names[k] = "scalar_float";
    t[k++] = mk(TFC_FLOAT, NULL, 0, &sc, sizeof sc);
    const char *one = "scalar string";
    names[k] = "scalar_string";
    TFCT_OK(tfc_tensor_new_strings(NULL, 0, &one, NULL, &t[k++]));
    int64_t d03[2] = {0, 3};
    names[k] = "empty_float";
    t[k++] = mk(TFC_FLOAT, d03, 2, NULL, 0);
    int64_t d0[1] = {0};
    names[k] = "empty_strings";
    TFCT_OK(tfc_tensor_new_strings(d0, 1, NULL, NULL, &t[k++]));
    /* Compressible: mostly a constant (like an Adagrad accumulator). */
    int64_t dbig[2] = {300, 200};
    float *acc = malloc(sizeof(float) * 60000);
    for (int i = 0; i < 60000; i++) acc[i] = i % 97 == 0 ? 0.5f : 0.1f;
    names[k] = "accumulator";
    t[k++] = mk(TFC_FLOAT, dbig, 2, acc, sizeof(float) * 60000);
    /* Incompressible: random bits. */
    uint32_t *rnd = malloc(4 * 60000);
    uint64_t s = 88172645463325252ull;
    for (int i = 0; i < 60000; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        rnd[i] = (uint32_t)s;
    }
    names[k] = "random";
    t[k++] = mk(TFC_INT32, dbig, 2, rnd, 4 * 60000);
    free(acc);
    free(rnd);
    return k;
}

static void test_roundtrip_all_dtypes(void)
{
    tfc_tensor *t[NT];
    const char *names[NT];
    int n = make_tensors(t, names);
    char *dir = temp_dir();
    char *path = join(dir, "all.tfc");
    TFCT_OK(tfci_ckpt_write(path, names, (const tfc_tensor *const *)t, n));
    CU_ASSERT_EQUAL(count_files(dir, ".tmp."), 0);
    /* The constant tensor was compressed, the random one stored: the file is
     * a little over the random tensor's 240000 bytes. */
    size_t size;
    unsigned char *bytes = slurp(path, &size);
    CU_ASSERT(size > 240000 && size < 240000 + 20000);
    CU_ASSERT_EQUAL(memcmp(bytes, "TFCCKPT\0", 8), 0);

    tfci_ckpt *c;
    TFCT_OK(tfci_ckpt_open(path, &c));
    CU_ASSERT_EQUAL_FATAL(tfci_ckpt_count(c), n);
    for (int i = 0; i < n; i++) {
        CU_ASSERT_STRING_EQUAL(tfci_ckpt_name(c, i), names[i]);
        tfc_tensor *got = NULL;
        TFCT_OK(tfci_ckpt_get(c, names[i], &got));
        if (!same_tensor(got, t[i])) fprintf(stderr, "\ntensor '%s' differs after the round trip\n", names[i]);
        CU_ASSERT(same_tensor(got, t[i]));
        tfc_tensor_free(got);
    }
    CU_ASSERT_PTR_NULL(tfci_ckpt_name(c, n));
    CU_ASSERT_PTR_NULL(tfci_ckpt_name(c, -1));
    tfc_tensor *none = (tfc_tensor *)1;
    CU_ASSERT_EQUAL(tfci_ckpt_get(c, "missing", &none), TFC_NOT_FOUND);
    CU_ASSERT_PTR_NULL(none);
    TFCT_ERR_HAS("has no tensor 'missing'");
    tfc_dtype dt;
    int64_t dims[TFC_MAX_RANK];
    int rank;
    TFCT_OK(tfci_ckpt_info(c, "strings", &dt, dims, &rank));
    CU_ASSERT_EQUAL(dt, TFC_STRING);
    CU_ASSERT_EQUAL(rank, 2);
    CU_ASSERT_EQUAL(dims[1], 2);
    tfci_ckpt_close(c);

    /* Same bytes from memory. */
    TFCT_OK(tfci_ckpt_open_buffer(bytes, size, "mem", &c));
    tfc_tensor *got;
    TFCT_OK(tfci_ckpt_get(c, "scalar_string", &got));
    CU_ASSERT(same_tensor(got, t[10]));
    tfc_tensor_free(got);
    tfci_ckpt_close(c);

    /* An empty checkpoint is valid. */
    TFCT_OK(tfci_ckpt_write(path, NULL, NULL, 0));
    TFCT_OK(tfci_ckpt_open(path, &c));
    CU_ASSERT_EQUAL(tfci_ckpt_count(c), 0);
    tfci_ckpt_close(c);

    /* Bad arguments. */
    const char *dup[2] = {"a", "a"};
    const tfc_tensor *two[2] = {t[0], t[1]};
    CU_ASSERT_EQUAL(tfci_ckpt_write(path, dup, two, 2), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("name 'a' is used twice");
    const char *empty[1] = {""};
    CU_ASSERT_EQUAL(tfci_ckpt_write(path, empty, two, 1), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("has no name");
    CU_ASSERT_EQUAL(tfci_ckpt_open("/nonexistent/dir/x.tfc", &c), TFC_NOT_FOUND);
    TFCT_ERR_HAS("/nonexistent/dir/x.tfc");
    CU_ASSERT_EQUAL(count_files(dir, ".tmp."), 0);

    free(bytes);
    for (int i = 0; i < n; i++) tfc_tensor_free(t[i]);
    rm_rf(dir);
    free(path);
    free(dir);
}

/* Big enough (over 8 MB) to be compressed and checksummed on worker
 * threads: entries must still come out in order with the right values. */
static void test_roundtrip_parallel(void)
{
    enum { NBIG = 7, VALS = 500000 };
    tfc_tensor *t[NBIG];
    const char *names[NBIG] = {"a", "b", "c", "d", "e", "f", "g"};
    int64_t d[1] = {VALS};
    float *v = malloc(sizeof(float) * VALS);
    uint64_t s = 7;
    for (int k = 0; k < NBIG; k++) {
        for (int i = 0; i < VALS; i++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            /* Even tensors compress (a constant with a few changes), odd ones do not. */
            uint32_t bits = (uint32_t)(s >> 32);
            if (k % 2) memcpy(&v[i], &bits, 4);
            else v[i] = i % 101 == 0 ? (float)k : 0.1f;
        }
        t[k] = mk(TFC_FLOAT, d, 1, v, sizeof(float) * VALS);
    }
    free(v);
    char *dir = temp_dir();
    char *path = join(dir, "big.tfc");
    TFCT_OK(tfci_ckpt_write(path, names, (const tfc_tensor *const *)t, NBIG));
    struct stat st;
    stat(path, &st);
    /* Three incompressible tensors of 2 MB, four small compressed ones. */
    CU_ASSERT(st.st_size > 3 * 2000000 && st.st_size < 3 * 2000000 + 400000);
    tfci_ckpt *c;
    TFCT_OK(tfci_ckpt_open(path, &c));
    CU_ASSERT_EQUAL(tfci_ckpt_count(c), NBIG);
    for (int k = 0; k < NBIG; k++) {
        CU_ASSERT_STRING_EQUAL(tfci_ckpt_name(c, k), names[k]);
        tfc_tensor *got;
        TFCT_OK(tfci_ckpt_get(c, names[k], &got));
        CU_ASSERT(same_tensor(got, t[k]));
        tfc_tensor_free(got);
    }
    tfci_ckpt_close(c);
    for (int k = 0; k < NBIG; k++) tfc_tensor_free(t[k]);
    rm_rf(dir);
    free(path);
    free(dir);
}

/* ---- atomic files ---- */

static void test_atomic_write(void)
{
    char *dir = temp_dir();
    char *path = join(dir, "f.txt");
    TFCT_OK(tfci_atomic_write(path, "first", 5));
    TFCT_OK(tfci_atomic_write(path, "second!", 7));
    size_t size;
    unsigned char *b = slurp(path, &size);
    CU_ASSERT_EQUAL(size, 7);
    CU_ASSERT_EQUAL(memcmp(b, "second!", 7), 0);
    free(b);
    CU_ASSERT_EQUAL(count_files(dir, ".tmp."), 0);

    /* Failure names the path and errno's text. */
    char *bad = join(dir, "no/such/dir/f.txt");
    CU_ASSERT_EQUAL(tfci_atomic_write(bad, "x", 1), TFC_NOT_FOUND);
    TFCT_ERR_HAS(bad);
    TFCT_ERR_HAS("No such file or directory");
    free(bad);

    /* Streaming with a header patched at the end; abort leaves nothing. */
    tfci_atomic_file *f;
    TFCT_OK(tfci_atomic_begin(path, &f));
    TFCT_OK(tfci_atomic_append(f, "....body", 8));
    TFCT_OK(tfci_atomic_pwrite(f, "HEAD", 4, 0));
    CU_ASSERT_EQUAL(tfci_atomic_pwrite(f, "x", 1, 8), TFC_INTERNAL);
    tfci_atomic_abort(f);
    CU_ASSERT_EQUAL(count_files(dir, ".tmp."), 0);
    TFCT_OK(tfci_atomic_begin(path, &f));
    TFCT_OK(tfci_atomic_append(f, "....body", 8));
    TFCT_OK(tfci_atomic_pwrite(f, "HEAD", 4, 0));
    TFCT_OK(tfci_atomic_commit(f));
    b = slurp(path, &size);
    CU_ASSERT_EQUAL(size, 8);
    CU_ASSERT_EQUAL(memcmp(b, "HEADbody", 8), 0);
    free(b);

    /* Stale temporary files of dead processes go; a live one's stay. */
    pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, NULL, 0);
    char name[128];
    snprintf(name, sizeof name, "f.txt.tmp.%d.00ff", (int)child);
    char *stale = join(dir, name);
    spit(stale, "x", 1);
    snprintf(name, sizeof name, "f.txt.tmp.%d.00ff", (int)getppid());
    char *live = join(dir, name);
    spit(live, "x", 1);
    CU_ASSERT_EQUAL(tfci_atomic_remove_stale(dir, "f.txt"), 1);
    CU_ASSERT_FALSE(exists(stale));
    CU_ASSERT_TRUE(exists(live));
    free(stale);
    free(live);

    /* mkdir -p */
    char *deep = join(dir, "a/b/c");
    TFCT_OK(tfci_mkdir_p(deep));
    TFCT_OK(tfci_mkdir_p(deep));
    struct stat st;
    CU_ASSERT(stat(deep, &st) == 0 && S_ISDIR(st.st_mode));
    CU_ASSERT_EQUAL(tfci_mkdir_p(path), TFC_FAILED_PRECONDITION);
    free(deep);

    rm_rf(dir);
    free(path);
    free(dir);
}

/* ---- the saver ---- */

typedef struct model {
    tfc_graph *g;
    tfc_session *s;
    tfc_output w, b, step, names;
    tfc_op *init;
} model;

/* w float32 [2,3], b float32 [3], global_step int64 [], names string [2]. */
static void model_new(model *m, const int64_t *wdims, bool with_names)
{
    TFCT_OK(tfc_graph_new(&m->g));
    float w0[6] = {1, 2, 3, 4, 5, 6}, b0[3] = {0.5f, -0.5f, 0.25f};
    int64_t d3[1] = {3};
    m->w = tfc_variable(m->g, tfc_const_array(m->g, TFC_FLOAT, wdims, 2, w0, NULL), "w");
    m->b = tfc_variable(m->g, tfc_const_array(m->g, TFC_FLOAT, d3, 1, b0, NULL), "b");
    m->step = tfc_variable(m->g, tfc_const_int64(m->g, 0, NULL), "global_step");
    m->names.op = NULL;
    if (with_names) {
        const char *s[2] = {"alpha", "beta"};
        int64_t d2[1] = {2};
        tfc_tensor *t;
        TFCT_OK(tfc_tensor_new_strings(d2, 1, s, NULL, &t));
        m->names = tfc_variable(m->g, tfc_const(m->g, t, NULL), "names");
        tfc_tensor_free(t);
    }
    m->init = tfc_global_variables_initializer(m->g);
    TFCT_GRAPH_OK(m->g);
    TFCT_OK(tfc_session_new(m->g, NULL, &m->s));
}

static void model_init(model *m) { TFCT_OK(tfc_session_run(m->s, NULL, NULL, 0, NULL, NULL, 0, &m->init, 1)); }

static void model_free(model *m)
{
    tfc_session_free(m->s);
    tfc_graph_free(m->g);
}

static void set_floats(model *m, tfc_output v, const float *vals, const int64_t *dims, int rank)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    tfc_tensor *t = mk(TFC_FLOAT, dims, rank, vals, (size_t)n * 4);
    TFCT_OK(tfc_session_set_variable(m->s, v.op, t));
    tfc_tensor_free(t);
}

static float get_float(model *m, tfc_output v, int i)
{
    tfc_tensor *t = NULL;
    TFCT_OK(tfc_session_variable_value(m->s, v.op, &t));
    float x = ((float *)tfc_tensor_data(t))[i];
    tfc_tensor_free(t);
    return x;
}

static int64_t get_int64(model *m, tfc_output v)
{
    tfc_tensor *t = NULL;
    TFCT_OK(tfc_session_variable_value(m->s, v.op, &t));
    int64_t x = *(int64_t *)tfc_tensor_data(t);
    tfc_tensor_free(t);
    return x;
}

static void set_int64(model *m, tfc_output v, int64_t x)
{
    tfc_tensor *t;
    TFCT_OK(tfc_tensor_new_scalar_int64(x, &t));
    TFCT_OK(tfc_session_set_variable(m->s, v.op, t));
    tfc_tensor_free(t);
}

static void test_saver_end_to_end(void)
{
    char *dir = temp_dir();
    model m;
    int64_t d23[2] = {2, 3};
    model_new(&m, d23, true);
    model_init(&m);
    /* Change the values as training would (an assign op and set_variable). */
    float wd[6] = {10, 20, 30, 40, 50, 60};
    tfc_output upd = tfc_assign(m.g, m.w, tfc_const_array(m.g, TFC_FLOAT, d23, 2, wd, NULL), "upd");
    TFCT_GRAPH_OK(m.g);
    TFCT_OK(tfc_session_run(m.s, NULL, NULL, 0, NULL, NULL, 0, &upd.op, 1));
    set_int64(&m, m.step, 7);

    tfc_saver *sv;
    TFCT_OK(tfc_saver_new(m.g, NULL, 0, NULL, &sv));
    char *prefix = join(dir, "model.ckpt");
    char *saved = NULL;
    TFCT_OK(tfc_saver_save(sv, m.s, prefix, 7, &saved));
    char *want = join(dir, "model.ckpt-7.tfc");
    CU_ASSERT_STRING_EQUAL(saved, want);
    CU_ASSERT_TRUE(exists(want));
    tfc_string_free(saved);

    /* The state file, TensorFlow's text format with relative paths. */
    char *state = join(dir, "checkpoint");
    size_t size;
    char *text = (char *)slurp(state, &size);
    CU_ASSERT_STRING_EQUAL(text, "model_checkpoint_path: \"model.ckpt-7.tfc\"\n"
                                 "all_model_checkpoint_paths: \"model.ckpt-7.tfc\"\n");
    free(text);

    /* Clobber, then restore. */
    float zeros[6] = {0};
    set_floats(&m, m.w, zeros, d23, 2);
    set_int64(&m, m.step, 99);
    char *latest = NULL;
    TFCT_OK(tfc_saver_latest(dir, &latest));
    CU_ASSERT_STRING_EQUAL(latest, want);
    TFCT_OK(tfc_saver_restore(sv, m.s, latest));
    tfc_string_free(latest);
    CU_ASSERT_EQUAL(get_float(&m, m.w, 5), 60.0f);
    CU_ASSERT_EQUAL(get_float(&m, m.b, 1), -0.5f);
    CU_ASSERT_EQUAL(get_int64(&m, m.step), 7);

    /* A new process: fresh session, variables never initialized. */
    model m2;
    model_new(&m2, d23, true);
    tfc_saver *sv2;
    TFCT_OK(tfc_saver_new(m2.g, NULL, 0, NULL, &sv2));
    TFCT_OK(tfc_saver_restore(sv2, m2.s, want));
    CU_ASSERT_EQUAL(get_float(&m2, m2.w, 0), 10.0f);
    CU_ASSERT_EQUAL(get_int64(&m2, m2.step), 7);
    tfc_tensor *names = NULL;
    TFCT_OK(tfc_session_variable_value(m2.s, m2.names.op, &names));
    const char *s;
    size_t len;
    TFCT_OK(tfc_tensor_string(names, 1, &s, &len));
    CU_ASSERT(len == 4 && !memcmp(s, "beta", 4));
    tfc_tensor_free(names);
    tfc_saver_free(sv2);
    model_free(&m2);

    /* A directory as prefix means "<dir>/model.ckpt"; a negative step no suffix. */
    TFCT_OK(tfc_saver_save(sv, m.s, dir, 8, &saved));
    char *want8 = join(dir, "model.ckpt-8.tfc");
    CU_ASSERT_STRING_EQUAL(saved, want8);
    tfc_string_free(saved);
    TFCT_OK(tfc_saver_save(sv, m.s, prefix, -1, &saved));
    char *nostep = join(dir, "model.ckpt.tfc");
    CU_ASSERT_STRING_EQUAL(saved, nostep);
    tfc_string_free(saved);
    /* Saving a new directory creates it. */
    char *sub = join(dir, "deep/er/model");
    TFCT_OK(tfc_saver_save(sv, m.s, sub, 1, NULL));
    char *subdir = join(dir, "deep/er");
    TFCT_OK(tfc_saver_latest(subdir, &latest));
    CU_ASSERT_PTR_NOT_NULL(strstr(latest, "deep/er/model-1.tfc"));
    tfc_string_free(latest);

    /* Errors. */
    tfc_saver *bad;
    tfc_op *notvar = tfc_graph_op_by_name(m.g, "upd");
    CU_ASSERT_EQUAL(tfc_saver_new(m.g, &notvar, 1, NULL, &bad), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("'upd' (Assign) is not a variable");
    tfc_op *twice[2] = {m.w.op, m.w.op};
    CU_ASSERT_EQUAL(tfc_saver_new(m.g, twice, 2, NULL, &bad), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("listed twice");
    tfc_saver_options o = TFC_SAVER_OPTIONS_INIT;
    o.max_to_keep = -1;
    CU_ASSERT_EQUAL(tfc_saver_new(m.g, NULL, 0, &o, &bad), TFC_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(tfc_saver_map_name(sv, "nope", "x"), TFC_NOT_FOUND);
    TFCT_ERR_HAS("no variable 'nope'");
    /* Two variables mapped onto one name cannot be saved. */
    TFCT_OK(tfc_saver_map_name(sv, "b", "w"));
    CU_ASSERT_EQUAL(tfc_saver_save(sv, m.s, prefix, 9, NULL), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("both map to checkpoint name 'w'");
    /* Uninitialized variables cannot be saved. */
    model m3;
    model_new(&m3, d23, false);
    tfc_saver *sv3;
    TFCT_OK(tfc_saver_new(m3.g, NULL, 0, NULL, &sv3));
    CU_ASSERT_EQUAL(tfc_saver_save(sv3, m3.s, prefix, 10, NULL), TFC_FAILED_PRECONDITION);
    TFCT_ERR_HAS("uninitialized");
    char *want10 = join(dir, "model.ckpt-10.tfc");
    CU_ASSERT_FALSE(exists(want10));
    CU_ASSERT_EQUAL(count_files(dir, ".tmp."), 0);
    free(want10);
    tfc_saver_free(sv3);
    model_free(&m3);

    tfc_saver_free(sv);
    model_free(&m);
    rm_rf(dir);
    free(sub);
    free(subdir);
    free(nostep);
    free(want8);
    free(want);
    free(state);
    free(prefix);
    free(dir);
}

static void test_max_to_keep_and_latest(void)
{
    char *dir = temp_dir();
    model m;
    int64_t d23[2] = {2, 3};
    model_new(&m, d23, false);
    model_init(&m);
    tfc_saver_options o = TFC_SAVER_OPTIONS_INIT;
    o.max_to_keep = 2;
    tfc_saver *sv;
    TFCT_OK(tfc_saver_new(m.g, NULL, 0, &o, &sv));
    char *prefix = join(dir, "model.ckpt");
    for (int step = 1; step <= 5; step++) {
        set_int64(&m, m.step, step);
        TFCT_OK(tfc_saver_save(sv, m.s, prefix, step * 100, NULL));
    }
    CU_ASSERT_EQUAL(count_files(dir, ".tfc"), 2);
    char name[64];
    for (int step = 1; step <= 5; step++) {
        snprintf(name, sizeof name, "model.ckpt-%d.tfc", step * 100);
        char *p = join(dir, name);
        CU_ASSERT_EQUAL(exists(p), step >= 4);
        free(p);
    }
    char *state = join(dir, "checkpoint");
    size_t size;
    char *text = (char *)slurp(state, &size);
    CU_ASSERT_STRING_EQUAL(text, "model_checkpoint_path: \"model.ckpt-500.tfc\"\n"
                                 "all_model_checkpoint_paths: \"model.ckpt-400.tfc\"\n"
                                 "all_model_checkpoint_paths: \"model.ckpt-500.tfc\"\n");
    free(text);

    /* Saving the same step again moves it to the end; nothing is lost. */
    TFCT_OK(tfc_saver_save(sv, m.s, prefix, 400, NULL));
    text = (char *)slurp(state, &size);
    CU_ASSERT_STRING_EQUAL(text, "model_checkpoint_path: \"model.ckpt-400.tfc\"\n"
                                 "all_model_checkpoint_paths: \"model.ckpt-500.tfc\"\n"
                                 "all_model_checkpoint_paths: \"model.ckpt-400.tfc\"\n");
    free(text);

    /* A new saver (a restarted process) continues the kept list, and
     * deletes an older checkpoint of its series that a crash left unlisted,
     * but not other files. */
    char *orphan = join(dir, "model.ckpt-100.tfc"), *other = join(dir, "other-100.tfc");
    spit(orphan, "x", 1);
    spit(other, "x", 1);
    tfc_saver *sv2;
    TFCT_OK(tfc_saver_new(m.g, NULL, 0, &o, &sv2));
    TFCT_OK(tfc_saver_save(sv2, m.s, prefix, 600, NULL));
    CU_ASSERT_FALSE(exists(orphan));
    CU_ASSERT_TRUE(exists(other));
    unlink(other);
    free(orphan);
    free(other);
    CU_ASSERT_EQUAL(count_files(dir, ".tfc"), 2);
    char *p500 = join(dir, "model.ckpt-500.tfc");
    CU_ASSERT_FALSE(exists(p500));
    tfc_saver_free(sv2);

    char *latest;
    TFCT_OK(tfc_saver_latest(dir, &latest));
    char *p600 = join(dir, "model.ckpt-600.tfc");
    CU_ASSERT_STRING_EQUAL(latest, p600);
    tfc_string_free(latest);

    /* State file naming a missing file: the highest step on disk. */
    spit(state, "model_checkpoint_path: \"gone-900.tfc\"\n", strlen("model_checkpoint_path: \"gone-900.tfc\"\n"));
    TFCT_OK(tfc_saver_latest(dir, &latest));
    CU_ASSERT_STRING_EQUAL(latest, p600);
    tfc_string_free(latest);
    /* No state file at all, and a non-checkpoint file with a bigger number. */
    unlink(state);
    char *junk = join(dir, "notes-99999.txt");
    spit(junk, "x", 1);
    TFCT_OK(tfc_saver_latest(dir, &latest));
    CU_ASSERT_STRING_EQUAL(latest, p600);
    tfc_string_free(latest);
    /* Escaped names in the state file. */
    char *odd = join(dir, "we\"ird\\name-1.tfc");
    TFCT_OK(tfc_saver_save(sv, m.s, odd, -1, NULL));
    free(odd);
    odd = join(dir, "we\"ird\\name-1.tfc.tfc");
    TFCT_OK(tfc_saver_latest(dir, &latest));
    CU_ASSERT_STRING_EQUAL(latest, odd);
    tfc_string_free(latest);
    text = (char *)slurp(state, &size);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "model_checkpoint_path: \"we\\\"ird\\\\name-1.tfc.tfc\"\n"));
    free(text);
    free(odd);

    /* Nothing there. */
    char *empty = join(dir, "empty");
    mkdir(empty, 0777);
    latest = (char *)1;
    CU_ASSERT_EQUAL(tfc_saver_latest(empty, &latest), TFC_NOT_FOUND);
    CU_ASSERT_PTR_NULL(latest);
    TFCT_ERR_HAS("no checkpoint in");
    CU_ASSERT_EQUAL(tfc_saver_latest("/nonexistent/tfc", &latest), TFC_NOT_FOUND);

    /* Without a state file the kept list is rebuilt from the directory:
     * the series' files by step, so max_to_keep still holds. */
    char *again = join(dir, "again"), *pre3 = join(again, "m");
    for (int step = 1; step <= 2; step++) TFCT_OK(tfc_saver_save(sv, m.s, pre3, step, NULL));
    char *st3 = join(again, "checkpoint");
    unlink(st3);
    TFCT_OK(tfc_saver_save(sv, m.s, pre3, 3, NULL));
    CU_ASSERT_EQUAL(count_files(again, ".tfc"), 2);
    text = (char *)slurp(st3, &size);
    CU_ASSERT_STRING_EQUAL(text, "model_checkpoint_path: \"m-3.tfc\"\n"
                                 "all_model_checkpoint_paths: \"m-2.tfc\"\n"
                                 "all_model_checkpoint_paths: \"m-3.tfc\"\n");
    free(text);
    free(st3);
    free(pre3);
    free(again);

    /* max_to_keep 0 keeps everything. */
    o.max_to_keep = 0;
    tfc_saver *all;
    TFCT_OK(tfc_saver_new(m.g, NULL, 0, &o, &all));
    char *pre2 = join(empty, "m");
    for (int step = 0; step < 7; step++) TFCT_OK(tfc_saver_save(all, m.s, pre2, step, NULL));
    CU_ASSERT_EQUAL(count_files(empty, ".tfc"), 7);
    tfc_saver_free(all);

    free(pre2);
    free(empty);
    free(junk);
    free(p500);
    free(p600);
    free(state);
    free(prefix);
    tfc_saver_free(sv);
    model_free(&m);
    rm_rf(dir);
    free(dir);
}

static void test_name_map_and_subset(void)
{
    char *dir = temp_dir();
    model m;
    int64_t d23[2] = {2, 3};
    model_new(&m, d23, false);
    model_init(&m);
    tfc_saver *sv;
    TFCT_OK(tfc_saver_new(m.g, NULL, 0, NULL, &sv));
    char *path;
    char *prefix = join(dir, "m");
    TFCT_OK(tfc_saver_save(sv, m.s, prefix, 1, &path));

    /* A renamed model: "dense/kernel" restored from "w", "dense/bias" from "b". */
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    float z6[6] = {0}, z3[3] = {0};
    int64_t d3[1] = {3};
    tfc_output k = tfc_variable(g, tfc_const_array(g, TFC_FLOAT, d23, 2, z6, NULL), "dense/kernel");
    tfc_output bias = tfc_variable(g, tfc_const_array(g, TFC_FLOAT, d3, 1, z3, NULL), "dense/bias");
    tfc_output other = tfc_variable(g, tfc_const_float(g, 3.0f, NULL), "other");
    tfc_op *init = tfc_global_variables_initializer(g);
    TFCT_GRAPH_OK(g);
    tfc_session *s;
    TFCT_OK(tfc_session_new(g, NULL, &s));
    TFCT_OK(tfc_session_run(s, NULL, NULL, 0, NULL, NULL, 0, &init, 1));
    tfc_op *vars[2] = {k.op, bias.op};
    tfc_saver *mapped;
    TFCT_OK(tfc_saver_new(g, vars, 2, NULL, &mapped));
    TFCT_OK(tfc_saver_map_name(mapped, "dense/kernel", "w"));
    TFCT_OK(tfc_saver_map_name(mapped, "dense/bias", "b"));
    TFCT_OK(tfc_saver_restore(mapped, s, path));
    tfc_tensor *t;
    TFCT_OK(tfc_session_variable_value(s, k.op, &t));
    CU_ASSERT_EQUAL(((float *)tfc_tensor_data(t))[4], 5.0f);
    tfc_tensor_free(t);
    TFCT_OK(tfc_session_variable_value(s, bias.op, &t));
    CU_ASSERT_EQUAL(((float *)tfc_tensor_data(t))[2], 0.25f);
    tfc_tensor_free(t);
    /* "other" is outside the saver: untouched. */
    TFCT_OK(tfc_session_variable_value(s, other.op, &t));
    CU_ASSERT_EQUAL(*(float *)tfc_tensor_data(t), 3.0f);
    tfc_tensor_free(t);
    /* Without the map the names do not match. */
    tfc_saver *plain;
    TFCT_OK(tfc_saver_new(g, vars, 2, NULL, &plain));
    CU_ASSERT_EQUAL(tfc_saver_restore(plain, s, path), TFC_NOT_FOUND);
    TFCT_ERR_HAS("variable 'dense/kernel' is not in the checkpoint");
    tfc_saver_free(plain);
    tfc_saver_free(mapped);
    tfc_session_free(s);
    tfc_graph_free(g);

    /* Subset: a saver over b alone restores b and leaves w as it is. */
    float w1[6] = {9, 9, 9, 9, 9, 9}, b1[3] = {7, 7, 7};
    set_floats(&m, m.w, w1, d23, 2);
    set_floats(&m, m.b, b1, d3, 1);
    tfc_saver *onlyb;
    TFCT_OK(tfc_saver_new(m.g, &m.b.op, 1, NULL, &onlyb));
    TFCT_OK(tfc_saver_restore(onlyb, m.s, path));
    CU_ASSERT_EQUAL(get_float(&m, m.b, 0), 0.5f);
    CU_ASSERT_EQUAL(get_float(&m, m.w, 0), 9.0f);
    /* and saves only b */
    char *pb;
    TFCT_OK(tfc_saver_save(onlyb, m.s, prefix, 2, &pb));
    tfci_ckpt *c;
    TFCT_OK(tfci_ckpt_open(pb, &c));
    CU_ASSERT_EQUAL(tfci_ckpt_count(c), 1);
    CU_ASSERT_STRING_EQUAL(tfci_ckpt_name(c, 0), "b");
    tfci_ckpt_close(c);
    tfc_string_free(pb);
    tfc_saver_free(onlyb);

    tfc_string_free(path);
    free(prefix);
    tfc_saver_free(sv);
    model_free(&m);
    rm_rf(dir);
    free(dir);
}

/* Every mismatch in one message, and the session exactly as before. */
static void test_restore_reports_every_mismatch(void)
{
    char *dir = temp_dir();
    model m;
    int64_t d23[2] = {2, 3};
    model_new(&m, d23, false);
    model_init(&m);
    tfc_saver *sv;
    TFCT_OK(tfc_saver_new(m.g, NULL, 0, NULL, &sv));
    char *prefix = join(dir, "m"), *path;
    TFCT_OK(tfc_saver_save(sv, m.s, prefix, 1, &path));
    tfc_saver_free(sv);

    /* w is [3,2] here, b is right, "extra" does not exist in the file, and
     * global_step is int32 instead of int64. */
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    float v6[6] = {-1, -2, -3, -4, -5, -6}, v3[3] = {-7, -8, -9};
    int64_t d32[2] = {3, 2}, d3[1] = {3};
    tfc_output w = tfc_variable(g, tfc_const_array(g, TFC_FLOAT, d32, 2, v6, NULL), "w");
    tfc_output b = tfc_variable(g, tfc_const_array(g, TFC_FLOAT, d3, 1, v3, NULL), "b");
    tfc_output extra = tfc_variable(g, tfc_const_float(g, 1.0f, NULL), "extra");
    tfc_output gs = tfc_variable(g, tfc_const_int32(g, 5, NULL), "global_step");
    tfc_op *init = tfc_global_variables_initializer(g);
    TFCT_GRAPH_OK(g);
    tfc_session *s;
    TFCT_OK(tfc_session_new(g, NULL, &s));
    TFCT_OK(tfc_session_run(s, NULL, NULL, 0, NULL, NULL, 0, &init, 1));
    TFCT_OK(tfc_saver_new(g, NULL, 0, NULL, &sv));
    CU_ASSERT_EQUAL(tfc_saver_restore(sv, s, path), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS(path);
    TFCT_ERR_HAS("3 of 4 variables do not match");
    TFCT_ERR_HAS("variable 'w' is float32 [3,2], the checkpoint has float32 [2,3]");
    TFCT_ERR_HAS("variable 'extra' is not in the checkpoint");
    TFCT_ERR_HAS("variable 'global_step' is int32 [], the checkpoint has int64 []");
    CU_ASSERT_PTR_NULL(strstr(tfc_last_error(), "variable 'b'"));
    /* b matched but must not have been restored either. */
    tfc_tensor *t;
    TFCT_OK(tfc_session_variable_value(s, b.op, &t));
    CU_ASSERT_EQUAL(((float *)tfc_tensor_data(t))[0], -7.0f);
    tfc_tensor_free(t);
    TFCT_OK(tfc_session_variable_value(s, w.op, &t));
    CU_ASSERT_EQUAL(((float *)tfc_tensor_data(t))[5], -6.0f);
    tfc_tensor_free(t);
    TFCT_OK(tfc_session_variable_value(s, gs.op, &t));
    CU_ASSERT_EQUAL(*(int32_t *)tfc_tensor_data(t), 5);
    tfc_tensor_free(t);
    (void)extra;

    /* A damaged file: nothing restored either (uninitialized stays so). */
    size_t size;
    unsigned char *bytes = slurp(path, &size);
    bytes[size - 3] ^= 0x10;
    char *broken = join(dir, "broken.tfc");
    spit(broken, bytes, size);
    free(bytes);
    model m2;
    model_new(&m2, d23, false);
    tfc_saver *sv2;
    TFCT_OK(tfc_saver_new(m2.g, NULL, 0, NULL, &sv2));
    CU_ASSERT_EQUAL(tfc_saver_restore(sv2, m2.s, broken), TFC_DATA_LOSS);
    TFCT_ERR_HAS(broken);
    CU_ASSERT_EQUAL(tfc_session_variable_value(m2.s, m2.w.op, &t), TFC_FAILED_PRECONDITION);
    tfc_saver_free(sv2);
    model_free(&m2);

    free(broken);
    tfc_saver_free(sv);
    tfc_session_free(s);
    tfc_graph_free(g);
    tfc_string_free(path);
    free(prefix);
    model_free(&m);
    rm_rf(dir);
    free(dir);
}

/* ---- corruption ---- */

/* A small checkpoint holding a compressed, a stored and a string tensor. */
static unsigned char *small_checkpoint(const char *dir, size_t *size, tfc_tensor **t, const char **names)
{
    int64_t d[1] = {400};
    float *z = calloc(400, sizeof(float));
    for (int i = 0; i < 400; i++) z[i] = i % 50 == 0 ? 1.0f : 0.0f;
    names[0] = "zeros";
    t[0] = mk(TFC_FLOAT, d, 1, z, 1600);
    int64_t d8[1] = {24};
    double r[24];
    for (int i = 0; i < 24; i++) r[i] = 1.0 / (i + 3.7);
    names[1] = "stored";
    t[1] = mk(TFC_DOUBLE, d8, 1, r, sizeof r);
    const char *s[3] = {"a", "bb", "ccc"};
    int64_t d3[1] = {3};
    names[2] = "s";
    TFCT_OK(tfc_tensor_new_strings(d3, 1, s, NULL, &t[2]));
    free(z);
    char *path = join(dir, "small.tfc");
    TFCT_OK(tfci_ckpt_write(path, names, (const tfc_tensor *const *)t, 3));
    unsigned char *b = slurp(path, size);
    free(path);
    return b;
}

/* Opens bytes and reads every tensor: returns the first failure code, and
 * checks that whatever was read equals the original. */
static tfc_code open_and_check(const unsigned char *b, size_t n, tfc_tensor **t, const char **names)
{
    tfci_ckpt *c;
    tfc_code code = tfci_ckpt_open_buffer(b, n, "damaged", &c);
    if (code) {
        CU_ASSERT_PTR_NULL(c);
        CU_ASSERT_PTR_NOT_NULL(strstr(tfc_last_error(), "checkpoint 'damaged'"));
        return code;
    }
    for (int i = 0; i < 3 && !code; i++) {
        tfc_tensor *got = NULL;
        code = tfci_ckpt_get(c, names[i], &got);
        if (!code) CU_ASSERT(same_tensor(got, t[i]));
        tfc_tensor_free(got);
    }
    tfci_ckpt_close(c);
    return code;
}

static void test_truncation_and_bit_flips(void)
{
    char *dir = temp_dir();
    tfc_tensor *t[3];
    const char *names[3];
    size_t size;
    unsigned char *b = small_checkpoint(dir, &size, t, names);
    CU_ASSERT_EQUAL(open_and_check(b, size, t, names), TFC_OK);

    /* Every truncation. */
    int bad = 0;
    for (size_t n = 0; n < size; n++) {
        tfc_code c = open_and_check(b, n, t, names);
        if (c != TFC_DATA_LOSS) bad++;
        if (n > 32 && c == TFC_DATA_LOSS && !strstr(tfc_last_error(), "truncated at byte offset")) bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* Every bit of every byte flipped, one at a time: always DATA_LOSS (every
     * byte is under a checksum), never a crash or different values. */
    unsigned char *m = malloc(size);
    int flips = 0;
    for (size_t i = 0; i < size; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(m, b, size);
            m[i] ^= (unsigned char)(1u << bit);
            tfc_code c = open_and_check(m, size, t, names);
            if (c != TFC_DATA_LOSS) {
                if (bad < 5) fprintf(stderr, "\nflip byte %zu bit %d: %s %s\n", i, bit, tfc_code_name(c), tfc_last_error());
                bad++;
            }
            flips++;
        }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(flips, (int)size * 8);
    /* Random multi-byte damage. */
    uint64_t s = 12345;
    for (int k = 0; k < 2000; k++) {
        memcpy(m, b, size);
        for (int j = 0; j < 4; j++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            m[(s >> 33) % size] = (unsigned char)(s >> 20);
        }
        tfc_code c = open_and_check(m, size, t, names);
        CU_ASSERT(c == TFC_DATA_LOSS || c == TFC_OK);
    }
    free(m);

    /* Through files: the message names the path and the offset. */
    char *p = join(dir, "cut.tfc");
    spit(p, b, size - 10);
    tfci_ckpt *c;
    CU_ASSERT_EQUAL(tfci_ckpt_open(p, &c), TFC_DATA_LOSS);
    TFCT_ERR_HAS(p);
    char off[64];
    snprintf(off, sizeof off, "truncated at byte offset %zu", size - 10);
    TFCT_ERR_HAS(off);
    b[100] ^= 1;
    spit(p, b, size);
    CU_ASSERT_EQUAL(tfci_ckpt_open(p, &c), TFC_DATA_LOSS);
    TFCT_ERR_HAS("checksum mismatch");
    b[100] ^= 1;
    /* Trailing garbage. */
    unsigned char *longer = malloc(size + 3);
    memcpy(longer, b, size);
    memcpy(longer + size, "xyz", 3);
    CU_ASSERT_EQUAL(tfci_ckpt_open_buffer(longer, size + 3, "x", &c), TFC_DATA_LOSS);
    TFCT_ERR_HAS("3 unexpected bytes after byte offset");
    free(longer);
    free(p);

    for (int i = 0; i < 3; i++) tfc_tensor_free(t[i]);
    free(b);
    rm_rf(dir);
    free(dir);
}

/* ---- hand-made files: header variants and oversized claims ---- */

typedef struct pb {
    unsigned char b[4096];
    size_t n;
} pb;

static void pb_varint(pb *p, uint64_t v)
{
    while (v >= 0x80) {
        p->b[p->n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p->b[p->n++] = (unsigned char)v;
}
static void pb_key(pb *p, int field, int wt) { pb_varint(p, (uint64_t)field << 3 | (uint64_t)wt); }
static void pb_bytes(pb *p, int field, const void *d, size_t n)
{
    pb_key(p, field, 2);
    pb_varint(p, n);
    memcpy(p->b + p->n, d, n);
    p->n += n;
}
static void pb_uint(pb *p, int field, uint64_t v)
{
    pb_key(p, field, 0);
    pb_varint(p, v);
}
static void pb_fixed32(pb *p, int field, uint32_t v)
{
    pb_key(p, field, 5);
    for (int i = 0; i < 4; i++) p->b[p->n++] = (unsigned char)(v >> (8 * i));
}

/* One TensorEntry as Checkpoint field 1. dims packed. */
static void pb_entry(pb *msg, const char *name, int dtype, const int64_t *dims, int rank, int compression,
                     const void *data, size_t len, uint64_t raw_size, uint32_t crc)
{
    pb e = {.n = 0};
    pb_bytes(&e, 1, name, strlen(name));
    pb_uint(&e, 2, (uint64_t)dtype);
    pb d = {.n = 0};
    for (int i = 0; i < rank; i++) pb_varint(&d, (uint64_t)dims[i]);
    if (rank) pb_bytes(&e, 3, d.b, d.n);
    if (compression) pb_uint(&e, 4, (uint64_t)compression);
    pb_bytes(&e, 5, data, len);
    pb_uint(&e, 6, raw_size);
    pb_fixed32(&e, 7, crc);
    pb_bytes(msg, 1, e.b, e.n);
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Header + message; version and flags as given, all CRCs right. */
static size_t file_of(unsigned char *out, const pb *msg, uint32_t version, uint32_t flags)
{
    memcpy(out, "TFCCKPT\0", 8);
    put32(out + 8, version);
    put32(out + 12, flags);
    for (int i = 0; i < 8; i++) out[16 + i] = (unsigned char)((uint64_t)msg->n >> (8 * i));
    put32(out + 24, (uint32_t)crc32(0, msg->b, (uInt)msg->n));
    put32(out + 28, (uint32_t)crc32(0, out, 28));
    memcpy(out + 32, msg->b, msg->n);
    return 32 + msg->n;
}

static tfc_code open_made(const pb *msg, uint32_t version, uint32_t flags, tfci_ckpt **c)
{
    static unsigned char file[8192];
    size_t n = file_of(file, msg, version, flags);
    return tfci_ckpt_open_buffer(file, n, "made", c);
}

static void test_header_and_claims(void)
{
    float f4[4] = {1, 2, 3, 4};
    uint32_t crc4 = (uint32_t)crc32(0, (const Bytef *)f4, 16);
    int64_t d4[1] = {4};
    tfci_ckpt *c;
    tfc_tensor *t;

    /* A valid hand-made file reads back: the format is what the proto says. */
    pb ok = {.n = 0};
    pb_entry(&ok, "x", TFC_FLOAT, d4, 1, 0, f4, 16, 16, crc4);
    TFCT_OK(open_made(&ok, 1, 0, &c));
    TFCT_OK(tfci_ckpt_get(c, "x", &t));
    CU_ASSERT_EQUAL(((float *)tfc_tensor_data(t))[3], 4.0f);
    tfc_tensor_free(t);
    tfci_ckpt_close(c);

    /* Wrong magic. */
    unsigned char file[8192];
    size_t n = file_of(file, &ok, 1, 0);
    file[3] = 'X';
    CU_ASSERT_EQUAL(tfci_ckpt_open_buffer(file, n, "made", &c), TFC_DATA_LOSS);
    TFCT_ERR_HAS("not a tfc checkpoint (bad magic at byte offset 0");
    CU_ASSERT_EQUAL(tfci_ckpt_open_buffer("PK\3\4", 4, "zip", &c), TFC_DATA_LOSS);
    /* A future version (valid header) is refused, saying what is supported. */
    CU_ASSERT_EQUAL(open_made(&ok, 2, 0, &c), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("format version 2 is not supported: this library reads version 1");
    CU_ASSERT_EQUAL(open_made(&ok, 0, 0, &c), TFC_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(open_made(&ok, 1, 4, &c), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("flags 0x00000004");

    struct {
        const char *what, *err;
        int dtype;
        int64_t dims[9];
        int rank, compression;
        size_t len;
        uint64_t raw;
    } claims[] = {
        {"huge raw size", "more than the 1099511627776-byte limit", TFC_FLOAT, {(int64_t)1 << 48}, 1, 0, 16,
         (uint64_t)1 << 50},
        {"dims overflow", "overflows", TFC_FLOAT, {(int64_t)1 << 40, (int64_t)1 << 40}, 2, 0, 16, 16},
        {"negative dim", "negative", TFC_FLOAT, {-4}, 1, 0, 16, 16},
        {"rank 9", "9 dimensions", TFC_FLOAT, {1, 1, 1, 1, 1, 1, 1, 1, 4}, 9, 0, 16, 16},
        {"size vs shape", "records 12 raw bytes", TFC_FLOAT, {4}, 1, 0, 12, 12},
        {"stored size", "stores 16 bytes, 20 recorded", TFC_FLOAT, {5}, 1, 0, 16, 20},
        {"zlib ratio", "beyond zlib's 1032:1 limit", TFC_FLOAT, {(int64_t)1 << 28}, 1, 1, 16, (uint64_t)1 << 30},
        {"bad dtype", "unknown dtype 42", 42, {4}, 1, 0, 16, 16},
        {"bad compression", "unknown compression 7", TFC_FLOAT, {4}, 1, 7, 16, 16},
        {"strings too few", "too few for", TFC_STRING, {3}, 1, 0, 16, 16},
    };
    for (size_t i = 0; i < sizeof claims / sizeof claims[0]; i++) {
        pb m = {.n = 0};
        pb_entry(&m, "x", claims[i].dtype, claims[i].dims, claims[i].rank, claims[i].compression, f4,
                 claims[i].len, claims[i].raw, crc4);
        c = (tfci_ckpt *)1;
        tfc_code code = open_made(&m, 1, 0, &c);
        if (code != TFC_DATA_LOSS || !strstr(tfc_last_error(), claims[i].err))
            fprintf(stderr, "\n%s: %s %s\n", claims[i].what, tfc_code_name(code), tfc_last_error());
        CU_ASSERT_EQUAL(code, TFC_DATA_LOSS);
        CU_ASSERT_PTR_NOT_NULL(strstr(tfc_last_error(), claims[i].err));
        CU_ASSERT_PTR_NOT_NULL(strstr(tfc_last_error(), "tensor 'x' "));
        CU_ASSERT_PTR_NULL(c);
    }

    /* Duplicate names, a bad per-tensor CRC, an empty name. */
    pb dup = {.n = 0};
    pb_entry(&dup, "x", TFC_FLOAT, d4, 1, 0, f4, 16, 16, crc4);
    pb_entry(&dup, "x", TFC_FLOAT, d4, 1, 0, f4, 16, 16, crc4);
    CU_ASSERT_EQUAL(open_made(&dup, 1, 0, &c), TFC_DATA_LOSS);
    TFCT_ERR_HAS("tensor name 'x' appears twice");
    pb badcrc = {.n = 0};
    pb_entry(&badcrc, "x", TFC_FLOAT, d4, 1, 0, f4, 16, 16, crc4 ^ 1);
    CU_ASSERT_EQUAL(open_made(&badcrc, 1, 0, &c), TFC_DATA_LOSS);
    TFCT_ERR_HAS("tensor 'x' (byte offset 34): CRC mismatch");
    pb noname = {.n = 0};
    pb_entry(&noname, "", TFC_FLOAT, d4, 1, 0, f4, 16, 16, crc4);
    CU_ASSERT_EQUAL(open_made(&noname, 1, 0, &c), TFC_DATA_LOSS);
    TFCT_ERR_HAS("has no name");
    /* A message that is not protobuf (right CRCs). */
    pb junk = {.n = 0};
    memcpy(junk.b, "\x0f\xff\xff", 3);
    junk.n = 3;
    CU_ASSERT_EQUAL(open_made(&junk, 1, 0, &c), TFC_DATA_LOSS);
    TFCT_ERR_HAS("malformed data at byte offset 32");

    /* Problems only visible when inflating: open succeeds, get fails. */
    unsigned char z[64];
    uLongf zn = sizeof z;
    compress2(z, &zn, (const Bytef *)f4, 16, 1);
    struct {
        const char *what, *err;
        const void *data;
        size_t len;
        uint64_t raw;
        int64_t dim;
        uint32_t crc;
    } inflates[] = {
        {"garbage stream", "", "not zlib at all!", 16, 16, 4, crc4},
        {"longer than recorded", "more bytes than recorded", z, zn, 12, 3, crc4},
        {"cut short", "cut short", z, zn - 5, 16, 4, crc4},
        {"wrong crc", "CRC mismatch after inflating", z, zn, 16, 4, crc4 ^ 0x100},
    };
    for (size_t i = 0; i < sizeof inflates / sizeof inflates[0]; i++) {
        pb m = {.n = 0};
        int64_t d[1] = {inflates[i].dim};
        pb_entry(&m, "x", TFC_FLOAT, d, 1, 1, inflates[i].data, inflates[i].len, inflates[i].raw, inflates[i].crc);
        TFCT_OK(open_made(&m, 1, 0, &c));
        t = (tfc_tensor *)1;
        tfc_code code = tfci_ckpt_get(c, "x", &t);
        if (code != TFC_DATA_LOSS || !strstr(tfc_last_error(), inflates[i].err))
            fprintf(stderr, "\n%s: %s %s\n", inflates[i].what, tfc_code_name(code), tfc_last_error());
        CU_ASSERT_EQUAL(code, TFC_DATA_LOSS);
        CU_ASSERT_PTR_NOT_NULL(strstr(tfc_last_error(), inflates[i].err));
        TFCT_ERR_HAS("checkpoint 'made': tensor 'x' (byte offset");
        CU_ASSERT_PTR_NULL(t);
        tfci_ckpt_close(c);
    }
    /* Strings whose lengths run past the data; a bool that is not 0/1. */
    unsigned char sraw[8 * 2 + 3] = {5, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c'};
    int64_t d2[1] = {2};
    pb sm = {.n = 0};
    pb_entry(&sm, "s", TFC_STRING, d2, 1, 0, sraw, sizeof sraw, sizeof sraw, (uint32_t)crc32(0, sraw, sizeof sraw));
    TFCT_OK(open_made(&sm, 1, 0, &c));
    CU_ASSERT_EQUAL(tfci_ckpt_get(c, "s", &t), TFC_DATA_LOSS);
    TFCT_ERR_HAS("string 0 claims 5 bytes");
    tfci_ckpt_close(c);
    unsigned char bools[3] = {1, 0, 2};
    int64_t d3[1] = {3};
    pb bm = {.n = 0};
    pb_entry(&bm, "b", TFC_BOOL, d3, 1, 0, bools, 3, 3, (uint32_t)crc32(0, bools, 3));
    TFCT_OK(open_made(&bm, 1, 0, &c));
    CU_ASSERT_EQUAL(tfci_ckpt_get(c, "b", &t), TFC_DATA_LOSS);
    TFCT_ERR_HAS("holds the value 2");
    tfci_ckpt_close(c);
}

/* ---- crash test ---- */

enum { CRASH_ROUNDS = 50, CW = 128 };

/* Values of generation gen: every variable is a function of gen alone. */
static void gen_values(int64_t gen, float *w, int64_t *ids, char *label, size_t label_size)
{
    for (int i = 0; i < CW * CW; i++) w[i] = (float)((uint32_t)(i * 2654435761u + (uint32_t)gen * 40503u) % 1000) / 8.0f;
    for (int i = 0; i < 10; i++) ids[i] = gen * 1000 + i;
    snprintf(label, label_size, "generation %lld", (long long)gen);
}

typedef struct crash_model {
    tfc_graph *g;
    tfc_session *s;
    tfc_output w, ids, label, step;
    tfc_saver *sv;
} crash_model;

static int crash_model_new(crash_model *m)
{
    if (tfc_graph_new(&m->g)) return -1;
    int64_t dw[2] = {CW, CW}, d10[1] = {10};
    m->w = tfc_variable(m->g, tfc_zeros(m->g, TFC_FLOAT, dw, 2, NULL), "w");
    m->ids = tfc_variable(m->g, tfc_zeros(m->g, TFC_INT64, d10, 1, NULL), "ids");
    const char *empty = "";
    tfc_tensor *t;
    if (tfc_tensor_new_strings(NULL, 0, &empty, NULL, &t)) return -1;
    m->label = tfc_variable(m->g, tfc_const(m->g, t, NULL), "label");
    tfc_tensor_free(t);
    m->step = tfc_variable(m->g, tfc_const_int64(m->g, 0, NULL), "global_step");
    if (tfc_graph_status(m->g)) return -1;
    tfc_session_options o = TFC_SESSION_OPTIONS_INIT;
    o.num_threads = 1;
    if (tfc_session_new(m->g, &o, &m->s)) return -1;
    tfc_saver_options so = TFC_SAVER_OPTIONS_INIT;
    so.max_to_keep = 3;
    return tfc_saver_new(m->g, NULL, 0, &so, &m->sv) ? -1 : 0;
}

static void crash_model_free(crash_model *m)
{
    tfc_saver_free(m->sv);
    tfc_session_free(m->s);
    tfc_graph_free(m->g);
}

static int set_generation(crash_model *m, int64_t gen)
{
    static float w[CW * CW];
    int64_t ids[10];
    char label[64];
    gen_values(gen, w, ids, label, sizeof label);
    int64_t dw[2] = {CW, CW}, d10[1] = {10};
    tfc_tensor *tw, *ti, *tl, *ts;
    const char *lp = label;
    if (tfc_tensor_new(TFC_FLOAT, dw, 2, w, sizeof w, &tw) || tfc_tensor_new(TFC_INT64, d10, 1, ids, sizeof ids, &ti) ||
        tfc_tensor_new_strings(NULL, 0, &lp, NULL, &tl) || tfc_tensor_new_scalar_int64(gen, &ts))
        return -1;
    int rc = tfc_session_set_variable(m->s, m->w.op, tw) || tfc_session_set_variable(m->s, m->ids.op, ti) ||
             tfc_session_set_variable(m->s, m->label.op, tl) || tfc_session_set_variable(m->s, m->step.op, ts);
    tfc_tensor_free(tw);
    tfc_tensor_free(ti);
    tfc_tensor_free(tl);
    tfc_tensor_free(ts);
    return rc ? -1 : 0;
}

/* The child: save generation after generation until killed. It says when
 * it is ready, so the random delay is spent saving, not starting up. */
static void crash_child(const char *prefix, int64_t first_gen, int ready_fd)
{
    crash_model m;
    if (crash_model_new(&m)) _exit(2);
    if (write(ready_fd, "r", 1) != 1) _exit(4);
    close(ready_fd);
    for (int64_t gen = first_gen;; gen++) {
        if (set_generation(&m, gen) || tfc_saver_save(m.sv, m.s, prefix, gen, NULL)) {
            fprintf(stderr, "crash child: %s\n", tfc_last_error());
            _exit(3);
        }
    }
}

/* Restored values must all be one generation's: the one global_step names. */
static int64_t check_generation(crash_model *m, const char *path)
{
    static float want_w[CW * CW];
    int64_t want_ids[10];
    char want_label[64];
    tfc_tensor *t;
    TFCT_OK(tfc_session_variable_value(m->s, m->step.op, &t));
    int64_t gen = *(int64_t *)tfc_tensor_data(t);
    tfc_tensor_free(t);
    char suffix[48];
    snprintf(suffix, sizeof suffix, "-%lld.tfc", (long long)gen);
    CU_ASSERT_PTR_NOT_NULL(strstr(path, suffix));
    gen_values(gen, want_w, want_ids, want_label, sizeof want_label);
    TFCT_OK(tfc_session_variable_value(m->s, m->w.op, &t));
    CU_ASSERT_EQUAL(memcmp(tfc_tensor_data(t), want_w, sizeof want_w), 0);
    tfc_tensor_free(t);
    TFCT_OK(tfc_session_variable_value(m->s, m->ids.op, &t));
    CU_ASSERT_EQUAL(memcmp(tfc_tensor_data(t), want_ids, sizeof want_ids), 0);
    tfc_tensor_free(t);
    TFCT_OK(tfc_session_variable_value(m->s, m->label.op, &t));
    const char *s;
    size_t len;
    TFCT_OK(tfc_tensor_string(t, 0, &s, &len));
    CU_ASSERT(len == strlen(want_label) && !memcmp(s, want_label, len));
    tfc_tensor_free(t);
    return gen;
}

static void test_crash_while_saving(void)
{
    char *dir = temp_dir();
    char *prefix = join(dir, "model.ckpt");
    crash_model m;
    CU_ASSERT_EQUAL_FATAL(crash_model_new(&m), 0);
    /* Generation 0 exists before the first kill. */
    CU_ASSERT_EQUAL_FATAL(set_generation(&m, 0), 0);
    TFCT_OK(tfc_saver_save(m.sv, m.s, prefix, 0, NULL));
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    int64_t gen = 0, advanced = 0;
    for (int round = 0; round < CRASH_ROUNDS; round++) {
        fflush(NULL);
        int ready[2];
        CU_ASSERT_FATAL(pipe(ready) == 0);
        pid_t child = fork();
        CU_ASSERT_FATAL(child >= 0);
        if (child == 0) {
            close(ready[0]);
            crash_child(prefix, gen + 1, ready[1]);
        }
        close(ready[1]);
        char byte;
        CU_ASSERT(read(ready[0], &byte, 1) == 1);
        close(ready[0]);
        usleep((useconds_t)(rand() % 30001));
        kill(child, SIGKILL);
        int status;
        waitpid(child, &status, 0);
        /* Killed by us, not failed on its own. */
        CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        char *latest = NULL;
        TFCT_OK(tfc_saver_latest(dir, &latest));
        /* Scramble the session so the restore has to put everything back. */
        CU_ASSERT_EQUAL(set_generation(&m, -1), 0);
        TFCT_OK(tfc_saver_restore(m.sv, m.s, latest));
        int64_t got = check_generation(&m, latest);
        CU_ASSERT(got >= gen);
        if (got > gen) advanced++;
        gen = got;
        tfc_string_free(latest);
        /* At most max_to_keep plus two left by the kill: one written before
         * its state update, one the child did not get to delete (the next
         * save removes it). */
        int ckpts = count_files(dir, ".tfc") - count_files(dir, ".tfc.tmp.");
        if (ckpts > 5) fprintf(stderr, "\nround %d: %d checkpoint files\n", round, ckpts);
        CU_ASSERT(ckpts <= 5);
    }
    /* Rounds did get saves through (typically most of them; the bound is
     * loose so a loaded machine does not fail the test). */
    CU_ASSERT(advanced >= CRASH_ROUNDS / 10);
    /* The state file never lists more than max_to_keep; the next save
     * removes the killed children's temporary files. */
    CU_ASSERT_EQUAL(set_generation(&m, gen + 1), 0);
    TFCT_OK(tfc_saver_save(m.sv, m.s, prefix, gen + 1, NULL));
    CU_ASSERT_EQUAL(count_files(dir, ".tmp."), 0);
    CU_ASSERT_EQUAL(count_files(dir, ".tfc"), 3);
    char *state = join(dir, "checkpoint");
    size_t size;
    char *text = (char *)slurp(state, &size);
    int listed = 0;
    for (char *p = text; (p = strstr(p, "all_model_checkpoint_paths")) != NULL; p++) listed++;
    CU_ASSERT_EQUAL(listed, 3);
    free(text);
    free(state);
    crash_model_free(&m);
    rm_rf(dir);
    free(prefix);
    free(dir);
}

int main(void)
{
    static const tfct_case cases[] = {
        {"roundtrip_all_dtypes", test_roundtrip_all_dtypes},
        {"roundtrip_parallel", test_roundtrip_parallel},
        {"atomic_write", test_atomic_write},
        {"saver_end_to_end", test_saver_end_to_end},
        {"max_to_keep_and_latest", test_max_to_keep_and_latest},
        {"name_map_and_subset", test_name_map_and_subset},
        {"restore_reports_every_mismatch", test_restore_reports_every_mismatch},
        {"truncation_and_bit_flips", test_truncation_and_bit_flips},
        {"header_and_claims", test_header_and_claims},
        {"crash_while_saving", test_crash_while_saving},
        {NULL, NULL},
    };
    return tfct_main("checkpoint", cases);
}
