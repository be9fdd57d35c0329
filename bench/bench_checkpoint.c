/* Checkpoint throughput: tfc_saver_save and tfc_saver_restore of 100 MB of
 * float32 variables (25 variables of 1M values), against writing the same
 * bytes with fwrite + fsync and reading them back with fread (the ratio is
 * our overhead: serialisation, CRCs, compression decisions, the atomic
 * rename and the state file). Two value mixes:
 *   weights       ~N(0, 0.05), like trained weights: zlib saves ~7%, so the
 *                 saver stores them raw
 *   accumulators  0.1 with 1% of the values changed, like Adagrad's slots:
 *                 zlib level 1 shrinks them ~100x
 *   bench_checkpoint [DIR] [--reps N]     (DIR default $TMPDIR or /tmp)
 * The page cache is warm for the reads; writes include fsync and go to a new
 * file each time on both sides (the saver keeps 2 checkpoints, the raw side
 * its last 2 files). */
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"
#include "tfc/saver.h"
#include "tfc/tfc.h"

#define NVARS 25
#define NVALS (1000 * 1000)
#define MB 1e6 /* decimal megabytes, as disks and the brief count them */

#define CHECK(call)                                                                                                \
    do {                                                                                                           \
        if ((call) != TFC_OK) {                                                                                    \
            fprintf(stderr, "error: %s\n", tfc_last_error());                                                      \
            exit(1);                                                                                               \
        }                                                                                                          \
    } while (0)

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static double uniform(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return ((rng >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static void fill(float *v, int accumulators)
{
    for (int i = 0; i < NVALS; i++) {
        if (accumulators) {
            v[i] = uniform() < 0.01 ? (float)(0.1 + uniform()) : 0.1f;
        } else {
            /* Box-Muller */
            double u1 = uniform(), u2 = uniform();
            v[i] = (float)(0.05 * sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2));
        }
    }
}

static double file_mb(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size / MB : 0;
}

static void run(const char *dir, int accumulators, int reps)
{
    const char *mix = accumulators ? "accumulators" : "weights";
    tfc_graph *g;
    CHECK(tfc_graph_new(&g));
    int64_t dims[1] = {NVALS};
    tfc_op *vars[NVARS];
    for (int i = 0; i < NVARS; i++) {
        char name[32];
        snprintf(name, sizeof name, "layer%02d/kernel", i);
        /* The initial value is replaced below; Fill keeps the graph light
         * (no 4 MB constant per variable). */
        vars[i] = tfc_variable(g, tfc_fill(g, dims, 1, tfc_const_float(g, 0.0f, NULL), NULL), name).op;
    }
    if (tfc_graph_status(g)) {
        fprintf(stderr, "error: %s\n", tfc_graph_error_message(g));
        exit(1);
    }
    tfc_session *s;
    CHECK(tfc_session_new(g, NULL, &s));
    float *all = malloc(sizeof(float) * NVALS * NVARS);
    for (int i = 0; i < NVARS; i++) {
        fill(all + (size_t)i * NVALS, accumulators);
        tfc_tensor *t;
        CHECK(tfc_tensor_new(TFC_FLOAT, dims, 1, all + (size_t)i * NVALS, sizeof(float) * NVALS, &t));
        CHECK(tfc_session_set_variable(s, vars[i], t));
        tfc_tensor_free(t);
    }
    /* Both sides keep the last two files: the page cache holds the same. */
    tfc_saver_options so = TFC_SAVER_OPTIONS_INIT;
    so.max_to_keep = 2;
    tfc_saver *sv;
    CHECK(tfc_saver_new(g, NULL, 0, &so, &sv));
    const double mb = sizeof(float) * (double)NVALS * NVARS / MB;

    double *ts = malloc(sizeof(double) * (size_t)reps), *tr = malloc(sizeof(double) * (size_t)reps);
    double *ws = malloc(sizeof(double) * (size_t)reps), *wr = malloc(sizeof(double) * (size_t)reps);
    char prefix[4096], raw[4096], old_raw[4096];
    snprintf(prefix, sizeof prefix, "%s/model.ckpt", dir);
    char *path = NULL;
    for (int r = 0; r < reps; r++) {
        tfc_string_free(path);
        double t0 = bench_now();
        CHECK(tfc_saver_save(sv, s, prefix, r, &path));
        ts[r] = bench_now() - t0;
        t0 = bench_now();
        CHECK(tfc_saver_restore(sv, s, path));
        tr[r] = bench_now() - t0;

        /* A new file each time, as a checkpoint is. */
        snprintf(raw, sizeof raw, "%s/raw-%d.bin", dir, r);
        if (r >= 2) {
            snprintf(old_raw, sizeof old_raw, "%s/raw-%d.bin", dir, r - 2);
            unlink(old_raw);
        }
        t0 = bench_now();
        FILE *f = fopen(raw, "wb");
        if (!f || fwrite(all, sizeof(float), (size_t)NVALS * NVARS, f) != (size_t)NVALS * NVARS || fflush(f) ||
            fsync(fileno(f)) || fclose(f)) {
            perror("raw write");
            exit(1);
        }
        ws[r] = bench_now() - t0;
        t0 = bench_now();
        f = fopen(raw, "rb");
        float *back = malloc(sizeof(float) * NVALS * NVARS);
        if (!f || fread(back, sizeof(float), (size_t)NVALS * NVARS, f) != (size_t)NVALS * NVARS) {
            perror("raw read");
            exit(1);
        }
        fclose(f);
        wr[r] = bench_now() - t0;
        /* Touch the result so the read is not optimised away. */
        if (back[NVALS] != all[NVALS]) fprintf(stderr, "raw read mismatch\n");
        free(back);
    }
    /* The restored values are the saved ones. */
    tfc_tensor *t;
    CHECK(tfc_session_variable_value(s, vars[NVARS - 1], &t));
    if (memcmp(tfc_tensor_data(t), all + (size_t)(NVARS - 1) * NVALS, sizeof(float) * NVALS) != 0) {
        fprintf(stderr, "error: restored values differ\n");
        exit(1);
    }
    tfc_tensor_free(t);
    double save = bench_median(ts, reps), restore = bench_median(tr, reps);
    double rawsave = bench_median(ws, reps), rawread = bench_median(wr, reps);
    double fmb = file_mb(path);
    printf("%s: %.0f MB in %d variables, checkpoint file %.1f MB\n", mix, mb, NVARS, fmb);
    printf("  save     %7.1f ms  %7.0f MB/s   (fwrite+fsync %7.1f ms, %7.0f MB/s): overhead x%.2f\n", save * 1e3,
           mb / save, rawsave * 1e3, mb / rawsave, save / rawsave);
    printf("  restore  %7.1f ms  %7.0f MB/s   (fread        %7.1f ms, %7.0f MB/s): overhead x%.2f\n", restore * 1e3,
           mb / restore, rawread * 1e3, mb / rawread, restore / rawread);
    char name[64];
    snprintf(name, sizeof name, "checkpoint_save_%s", mix);
    BENCH_RESULT(name, mb / save, "MB/s");
    snprintf(name, sizeof name, "checkpoint_restore_%s", mix);
    BENCH_RESULT(name, mb / restore, "MB/s");
    snprintf(name, sizeof name, "raw_fwrite_fsync_%s", mix);
    BENCH_RESULT(name, mb / rawsave, "MB/s");
    snprintf(name, sizeof name, "raw_fread_%s", mix);
    BENCH_RESULT(name, mb / rawread, "MB/s");
    snprintf(name, sizeof name, "checkpoint_save_overhead_%s", mix);
    BENCH_RESULT(name, save / rawsave, "x");
    snprintf(name, sizeof name, "checkpoint_restore_overhead_%s", mix);
    BENCH_RESULT(name, restore / rawread, "x");
    snprintf(name, sizeof name, "checkpoint_file_%s", mix);
    BENCH_RESULT(name, fmb, "MB");
    tfc_string_free(path);
    free(ts);
    free(tr);
    free(ws);
    free(wr);
    free(all);
    tfc_saver_free(sv);
    tfc_session_free(s);
    tfc_graph_free(g);
}

int main(int argc, char **argv)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    int reps = 5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else base = argv[i];
    }
    if (reps < 1) reps = 1;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/bench_ckpt_XXXXXX", base);
    if (!mkdtemp(dir)) {
        perror(dir);
        return 1;
    }
    printf("bench_checkpoint: tfc_saver_save / tfc_saver_restore of %d float32 variables x %d values in %s,\n"
           "median of %d runs; compared with fwrite+fsync / fread of the same bytes (warm page cache)\n",
           NVARS, NVALS, dir, reps);
    run(dir, 0, reps);
    run(dir, 1, reps);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
