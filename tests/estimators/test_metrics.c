/* Evaluation metrics of the heads (tfc_metrics): hand-computed values on
 * small data, weights, several batches, edge cases, errors, and the
 * 200-threshold AUC against the exact (sorting) AUC on random data. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tfc/head.h"

static double get(const tfc_metrics *m, const char *key)
{
    double v = -12345;
    TFCT_OK(tfc_metrics_get(m, key, &v));
    return v;
}

static void update(tfc_metrics *m, const float *p, int64_t np, const float *y, const float *w, const float *l,
                   int64_t n, double batch_loss)
{
    int64_t dn[1] = {n}, dp[1] = {np};
    tfc_tensor *tp = tfct_f32(p, dp, 1), *ty = tfct_f32(y, dn, 1), *tl = tfct_f32(l, dp, 1);
    tfc_tensor *tw = w ? tfct_f32(w, dn, 1) : NULL;
    TFCT_OK(tfc_metrics_update(m, tp, ty, tw, tl, batch_loss));
    tfc_tensor_free(tp);
    tfc_tensor_free(ty);
    tfc_tensor_free(tl);
    tfc_tensor_free(tw);
}

static void test_binary_keys(void)
{
    tfc_metrics *m;
    TFCT_OK(tfc_metrics_new(TFC_HEAD_BINARY, 2, &m));
    static const char *want[] = {"accuracy",     "accuracy_baseline", "auc",  "auc_precision_recall",
                                 "average_loss", "label/mean",        "loss", "precision",
                                 "prediction/mean", "recall"};
    CU_ASSERT_EQUAL(tfc_metrics_count(m), 10);
    for (int i = 0; i < 10; i++) CU_ASSERT_STRING_EQUAL(tfc_metrics_name(m, i), want[i]);
    CU_ASSERT_PTR_NULL(tfc_metrics_name(m, 10));
    double v;
    CU_ASSERT_EQUAL(tfc_metrics_get(m, "global_step", &v), TFC_NOT_FOUND);
    TFCT_ERR_HAS("global_step");
    tfc_metrics_free(m);

    TFCT_OK(tfc_metrics_new(TFC_HEAD_MULTI_CLASS, 3, &m));
    CU_ASSERT_EQUAL(tfc_metrics_count(m), 3);
    CU_ASSERT_STRING_EQUAL(tfc_metrics_name(m, 0), "accuracy");
    CU_ASSERT_STRING_EQUAL(tfc_metrics_name(m, 1), "average_loss");
    CU_ASSERT_STRING_EQUAL(tfc_metrics_name(m, 2), "loss");
    CU_ASSERT_EQUAL(tfc_metrics_get(m, "auc", &v), TFC_NOT_FOUND);
    tfc_metrics_free(m);

    TFCT_OK(tfc_metrics_new(TFC_HEAD_REGRESSION, 1, &m));
    CU_ASSERT_EQUAL(tfc_metrics_count(m), 4);
    CU_ASSERT_STRING_EQUAL(tfc_metrics_name(m, 0), "average_loss");
    CU_ASSERT_STRING_EQUAL(tfc_metrics_name(m, 1), "label/mean");
    CU_ASSERT_STRING_EQUAL(tfc_metrics_name(m, 2), "loss");
    CU_ASSERT_STRING_EQUAL(tfc_metrics_name(m, 3), "prediction/mean");
    tfc_metrics_free(m);

    CU_ASSERT_EQUAL(tfc_metrics_new(TFC_HEAD_BINARY, 3, &m), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("n_classes 2");
    CU_ASSERT_EQUAL(tfc_metrics_new(TFC_HEAD_MULTI_CLASS, 1, &m), TFC_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(tfc_metrics_new(TFC_HEAD_REGRESSION, 0, &m), TFC_INVALID_ARGUMENT);
}

/* p = [.9 .2 .6 .4], y = [1 0 0 1]: positives {.9,.4}, negatives {.2,.6}. */
static const float P4[4] = {0.9f, 0.2f, 0.6f, 0.4f};
static const float Y4[4] = {1, 0, 0, 1};
static const float L4[4] = {0.1f, 0.2f, 0.3f, 0.4f};

static void test_binary_hand(void)
{
    tfc_metrics *m;
    TFCT_OK(tfc_metrics_new(TFC_HEAD_BINARY, 0, &m));
    /* Two batches of two: "loss" is the mean of the batch losses. */
    update(m, P4, 2, Y4, NULL, L4, 2, 0.5);
    update(m, P4 + 2, 2, Y4 + 2, NULL, L4 + 2, 2, 1.5);
    TFCT_NEAR(get(m, "accuracy"), 0.5, 1e-12);
    TFCT_NEAR(get(m, "accuracy_baseline"), 0.5, 1e-12);
    TFCT_NEAR(get(m, "label/mean"), 0.5, 1e-12);
    TFCT_NEAR(get(m, "prediction/mean"), 0.525, 1e-7);
    TFCT_NEAR(get(m, "precision"), 0.5, 1e-12);
    TFCT_NEAR(get(m, "recall"), 0.5, 1e-12);
    TFCT_NEAR(get(m, "average_loss"), 0.25, 1e-7);
    TFCT_NEAR(get(m, "loss"), 1.0, 1e-12);
    /* 3 of the 4 positive/negative pairs are ordered: no ties inside a bucket, so exact. */
    TFCT_NEAR(get(m, "auc"), 0.75, 1e-9);
    /* Careful interpolation by hand: 0.5 from (tp 0->1, p 0->1) and
     * (1 - ln 1.5) / 2 from (tp 1->2, p 2->3). */
    TFCT_NEAR(get(m, "auc_precision_recall"), 0.5 + (1.0 - log(1.5)) / 2.0, 1e-9);
    /* value(i) agrees with get. */
    TFCT_NEAR(tfc_metrics_value(m, 2), 0.75, 1e-9);
    CU_ASSERT(isnan(tfc_metrics_value(m, 99)));

    /* Reset forgets everything. */
    tfc_metrics_reset(m);
    CU_ASSERT(isnan(get(m, "accuracy")));
    update(m, P4, 4, Y4, NULL, L4, 4, 2.0);
    TFCT_NEAR(get(m, "loss"), 2.0, 1e-12);
    TFCT_NEAR(get(m, "auc"), 0.75, 1e-9);
    tfc_metrics_free(m);
}

static void test_binary_weighted(void)
{
    static const float w[4] = {3, 1, 1, 0};
    tfc_metrics *m;
    TFCT_OK(tfc_metrics_new(TFC_HEAD_BINARY, 2, &m));
    update(m, P4, 4, Y4, w, L4, 4, 0.7);
    TFCT_NEAR(get(m, "accuracy"), 0.8, 1e-12);          /* (3 + 1) / 5 */
    TFCT_NEAR(get(m, "label/mean"), 0.6, 1e-12);        /* 3 / 5 */
    TFCT_NEAR(get(m, "accuracy_baseline"), 0.6, 1e-12);
    TFCT_NEAR(get(m, "prediction/mean"), 0.7, 1e-7);    /* (2.7 + .2 + .6) / 5 */
    TFCT_NEAR(get(m, "precision"), 0.75, 1e-12);        /* tp 3, fp 1 */
    TFCT_NEAR(get(m, "recall"), 1.0, 1e-12);            /* the missed positive has weight 0 */
    TFCT_NEAR(get(m, "average_loss"), 0.16, 1e-7);      /* (.3 + .2 + .3) / 5 */
    TFCT_NEAR(get(m, "loss"), 0.7, 1e-12);
    TFCT_NEAR(get(m, "auc"), 1.0, 1e-9);
    TFCT_NEAR(get(m, "auc_precision_recall"), 1.0, 1e-9);
    tfc_metrics_free(m);

    /* baseline picks the majority class: label mean 0.25 -> 0.75. */
    static const float y[4] = {1, 0, 0, 0};
    TFCT_OK(tfc_metrics_new(TFC_HEAD_BINARY, 2, &m));
    update(m, P4, 4, y, NULL, L4, 4, 0.0);
    TFCT_NEAR(get(m, "accuracy_baseline"), 0.75, 1e-12);
    TFCT_NEAR(get(m, "auc"), 1.0, 1e-9);
    tfc_metrics_free(m);
}

static void test_binary_edges(void)
{
    tfc_metrics *m;
    TFCT_OK(tfc_metrics_new(TFC_HEAD_BINARY, 2, &m));
    /* Empty: the means are NaN; Keras's ratios (divide_no_nan) are 0. */
    CU_ASSERT(isnan(get(m, "accuracy")));
    CU_ASSERT(isnan(get(m, "average_loss")));
    CU_ASSERT(isnan(get(m, "loss")));
    CU_ASSERT(isnan(get(m, "label/mean")));
    TFCT_NEAR(get(m, "auc"), 0.0, 0);
    TFCT_NEAR(get(m, "precision"), 0.0, 0);
    /* All one class: Keras's AUC is 0 (the false-positive rate is 0/0 -> 0). */
    static const float ones[4] = {1, 1, 1, 1};
    update(m, P4, 4, ones, NULL, L4, 4, 1.0);
    TFCT_NEAR(get(m, "auc"), 0.0, 0);
    TFCT_NEAR(get(m, "accuracy_baseline"), 1.0, 1e-12);
    TFCT_NEAR(get(m, "recall"), 0.5, 1e-12);
    TFCT_NEAR(get(m, "precision"), 1.0, 1e-12);
    /* Scores at 0 and 1 exactly fall inside the bracketing thresholds. */
    tfc_metrics_reset(m);
    static const float p01[2] = {1.0f, 0.0f}, y01[2] = {1, 0}, l01[2] = {0, 0};
    update(m, p01, 2, y01, NULL, l01, 2, 0.0);
    TFCT_NEAR(get(m, "auc"), 1.0, 1e-12);
    TFCT_NEAR(get(m, "auc_precision_recall"), 1.0, 1e-12);
    /* A positive and a negative with the same score: one half. */
    tfc_metrics_reset(m);
    static const float ptie[2] = {0.3f, 0.3f};
    update(m, ptie, 2, y01, NULL, l01, 2, 0.0);
    TFCT_NEAR(get(m, "auc"), 0.5, 1e-12);
    tfc_metrics_free(m);
}

/* Threshold placement: thresholds are i/199 in float32, and a score counts as
 * positive at t when score > t; scores within one bucket are tied. */
static void test_threshold_placement(void)
{
    tfc_metrics *m;
    TFCT_OK(tfc_metrics_new(TFC_HEAD_BINARY, 2, &m));
    static const float y[2] = {1, 0}, l[2] = {0, 0};
    /* 0.3010 and 0.3000 both lie in (59/199, 60/199]: tied, although ordered. */
    float p[2] = {0.3010f, 0.3000f};
    update(m, p, 2, y, NULL, l, 2, 0);
    TFCT_NEAR(get(m, "auc"), 0.5, 1e-12);
    /* A score equal to the threshold 100/199 is not above it. */
    float t100 = (float)(100.0 / 199.0);
    p[0] = t100;
    p[1] = nextafterf(t100, 0.0f);
    tfc_metrics_reset(m);
    update(m, p, 2, y, NULL, l, 2, 0);
    TFCT_NEAR(get(m, "auc"), 0.5, 1e-12);
    p[0] = nextafterf(t100, 1.0f);
    tfc_metrics_reset(m);
    update(m, p, 2, y, NULL, l, 2, 0);
    TFCT_NEAR(get(m, "auc"), 1.0, 1e-12);
    /* the exact AUC sees the order */
    double sd[2] = {0.3010, 0.3000}, yd[2] = {1, 0}, auc;
    TFCT_OK(tfc_metrics_exact_auc(2, sd, yd, NULL, &auc));
    TFCT_NEAR(auc, 1.0, 0);
    tfc_metrics_free(m);
}

static void test_errors(void)
{
    tfc_metrics *m;
    TFCT_OK(tfc_metrics_new(TFC_HEAD_BINARY, 2, &m));
    int64_t d4[1] = {4}, d3[1] = {3};
    static const float bad_y[4] = {1, 2, 0, 1}, bad_p[4] = {0.5f, 1.5f, 0, 0}, bad_w[4] = {1, -1, 1, 1};
    tfc_tensor *p = tfct_f32(P4, d4, 1), *y = tfct_f32(Y4, d4, 1), *l = tfct_f32(L4, d4, 1);
    tfc_tensor *by = tfct_f32(bad_y, d4, 1), *bp = tfct_f32(bad_p, d4, 1), *bw = tfct_f32(bad_w, d4, 1);
    tfc_tensor *p3 = tfct_f32(P4, d3, 1);
    CU_ASSERT_EQUAL(tfc_metrics_update(m, p, by, NULL, l, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("binary label 1 is 2, expected 0 or 1");
    CU_ASSERT_EQUAL(tfc_metrics_update(m, bp, y, NULL, l, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("expected a probability in [0, 1]");
    CU_ASSERT_EQUAL(tfc_metrics_update(m, p, y, bw, l, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("weight 1 is -1");
    CU_ASSERT_EQUAL(tfc_metrics_update(m, p3, y, NULL, l, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("predictions has 3 elements, expected 4");
    CU_ASSERT_EQUAL(tfc_metrics_update(m, p, y, NULL, NULL, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("example_loss is NULL");
    CU_ASSERT_EQUAL(tfc_metrics_update(m, p, y, NULL, l, NAN), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("batch_loss");
    /* A rejected batch changed nothing. */
    CU_ASSERT(isnan(get(m, "accuracy")));
    tfc_metrics_free(m);

    TFCT_OK(tfc_metrics_new(TFC_HEAD_MULTI_CLASS, 3, &m));
    int64_t d2[1] = {2}, d23[2] = {2, 3};
    static const int64_t ids[2] = {0, 3};
    static const float probs[6] = {1, 0, 0, 0, 0, 1};
    tfc_tensor *ti = tfct_i64(ids, d2, 1), *tpr = tfct_f32(probs, d23, 2), *tl2 = tfct_f32(L4, d2, 1);
    CU_ASSERT_EQUAL(tfc_metrics_update(m, tpr, ti, NULL, tl2, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("class label 1 is 3, expected an id in [0, 3)");
    tfc_metrics_free(m);
    tfc_tensor *all[] = {p, y, l, by, bp, bw, p3, ti, tpr, tl2};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) tfc_tensor_free(all[i]);
}

static void test_multi_class(void)
{
    tfc_metrics *m;
    TFCT_OK(tfc_metrics_new(TFC_HEAD_MULTI_CLASS, 3, &m));
    /* argmax: 1, 2, 0 (first of the tie), 1 vs labels 1, 0, 0, 2 -> rows 0 and 2 correct. */
    static const float probs[12] = {0.1f, 0.7f, 0.2f, 0.2f, 0.3f, 0.5f, 0.4f, 0.4f, 0.2f, 0.3f, 0.6f, 0.1f};
    static const int32_t labels[4] = {1, 0, 0, 2};
    static const float loss[4] = {1, 2, 3, 4}, w[4] = {1, 2, 3, 4};
    int64_t d42[2] = {4, 3}, d4[1] = {4};
    tfc_tensor *tp = tfct_f32(probs, d42, 2), *tl = tfct_i32(labels, d4, 1), *tx = tfct_f32(loss, d4, 1);
    tfc_tensor *tw = tfct_f32(w, d4, 1);
    TFCT_OK(tfc_metrics_update(m, tp, tl, NULL, tx, 2.5));
    TFCT_NEAR(get(m, "accuracy"), 0.5, 1e-12);
    TFCT_NEAR(get(m, "average_loss"), 2.5, 1e-12);
    TFCT_NEAR(get(m, "loss"), 2.5, 1e-12);
    tfc_metrics_reset(m);
    TFCT_OK(tfc_metrics_update(m, tp, tl, tw, tx, 3.0));
    TFCT_NEAR(get(m, "accuracy"), 0.4, 1e-12);      /* (1 + 3) / 10 */
    TFCT_NEAR(get(m, "average_loss"), 3.0, 1e-12); /* (1 + 4 + 9 + 16) / 10 */
    tfc_tensor_free(tp);
    tfc_tensor_free(tl);
    tfc_tensor_free(tx);
    tfc_tensor_free(tw);
    tfc_metrics_free(m);
}

static void test_regression(void)
{
    tfc_metrics *m;
    TFCT_OK(tfc_metrics_new(TFC_HEAD_REGRESSION, 2, &m));
    static const double pred[4] = {1, 2, 3, 4}, lab[4] = {2, 2, 3, 6}, w[2] = {1, 3};
    double loss[4];
    for (int i = 0; i < 4; i++) loss[i] = (pred[i] - lab[i]) * (pred[i] - lab[i]);
    int64_t d22[2] = {2, 2}, d2[1] = {2};
    tfc_tensor *tp = tfct_f64(pred, d22, 2), *tl = tfct_f64(lab, d22, 2), *tx = tfct_f64(loss, d22, 2);
    tfc_tensor *tw = tfct_f64(w, d2, 1);
    TFCT_OK(tfc_metrics_update(m, tp, tl, tw, tx, 1.0));
    /* weights per example, counted over both label dimensions: total 8. */
    TFCT_NEAR(get(m, "prediction/mean"), (1 + 2 + 3 * 7) / 8.0, 1e-12);
    TFCT_NEAR(get(m, "label/mean"), (2 + 2 + 3 * 9) / 8.0, 1e-12);
    TFCT_NEAR(get(m, "average_loss"), (1 + 0 + 3 * (0 + 4)) / 8.0, 1e-12);
    TFCT_NEAR(get(m, "loss"), 1.0, 1e-12);
    /* labels not a multiple of the dimension */
    int64_t d3[1] = {3};
    tfc_tensor *t3 = tfct_f64(lab, d3, 1);
    CU_ASSERT_EQUAL(tfc_metrics_update(m, tp, t3, NULL, tx, 1.0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("not a multiple of the label dimension 2");
    tfc_tensor *all[] = {tp, tl, tx, tw, t3};
    for (int i = 0; i < 5; i++) tfc_tensor_free(all[i]);
    tfc_metrics_free(m);
}

static void test_exact_auc(void)
{
    static const double s[4] = {0.9, 0.2, 0.6, 0.4}, y[4] = {1, 0, 0, 1}, w[4] = {1, 1, 1, 2};
    double auc;
    TFCT_OK(tfc_metrics_exact_auc(4, s, y, NULL, &auc));
    TFCT_NEAR(auc, 0.75, 1e-15);
    /* weighted pairs: (.9: 1*2) + (.4 beats .2: 2*1) = 4 of 3*2 */
    TFCT_OK(tfc_metrics_exact_auc(4, s, y, w, &auc));
    TFCT_NEAR(auc, 4.0 / 6.0, 1e-15);
    static const double st[3] = {0.5, 0.5, 0.1}, yt[3] = {1, 0, 0};
    TFCT_OK(tfc_metrics_exact_auc(3, st, yt, NULL, &auc));
    TFCT_NEAR(auc, 0.75, 1e-15); /* tie 1/2 + win 1, of 2 */
    TFCT_OK(tfc_metrics_exact_auc(2, st, yt + 1, NULL, &auc));
    CU_ASSERT(isnan(auc)); /* no positives */
    TFCT_OK(tfc_metrics_exact_auc(0, NULL, NULL, NULL, &auc));
    CU_ASSERT(isnan(auc));
    static const double sn[2] = {NAN, 0};
    CU_ASSERT_EQUAL(tfc_metrics_exact_auc(2, sn, y, NULL, &auc), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("NaN");
}

/* Deterministic pseudo-random numbers for the large comparisons. */
static uint64_t rng = 88172645463325252ull;
static double uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(void) { return sqrt(-2.0 * log(uniform())) * cos(6.283185307179586 * uniform()); }

static void random_case(bool weighted)
{
    enum { N = 20000, B = 1000 };
    float *p = malloc(N * sizeof *p), *y = malloc(N * sizeof *y), *w = malloc(N * sizeof *w);
    float *l = calloc(N, sizeof *l);
    double *pd = malloc(N * sizeof *pd), *yd = malloc(N * sizeof *yd), *wd = malloc(N * sizeof *wd);
    CU_ASSERT_FATAL(p && y && w && l && pd && yd && wd);
    for (int i = 0; i < N; i++) {
        y[i] = uniform() < 0.3 ? 1.0f : 0.0f;
        double z = gauss() + (y[i] != 0 ? 1.2 : 0.0);
        p[i] = (float)(1.0 / (1.0 + exp(-z)));
        w[i] = weighted ? (float)(0.5 + 2.0 * uniform()) : 1.0f;
        pd[i] = p[i];
        yd[i] = y[i];
        wd[i] = w[i];
    }
    tfc_metrics *m;
    TFCT_OK(tfc_metrics_new(TFC_HEAD_BINARY, 2, &m));
    for (int b = 0; b < N; b += B) update(m, p + b, B, y + b, weighted ? w + b : NULL, l + b, B, 0.0);
    double exact;
    TFCT_OK(tfc_metrics_exact_auc(N, pd, yd, weighted ? wd : NULL, &exact));
    CU_ASSERT(exact > 0.7 && exact < 0.85);
    TFCT_NEAR(get(m, "auc"), exact, 1e-3);
    /* PR AUC is within a few thousandths of average precision-like quantities;
     * check it is a sane value between the positive rate and 1. */
    double pr = get(m, "auc_precision_recall");
    CU_ASSERT(pr > get(m, "label/mean") && pr < 1.0);
    tfc_metrics_free(m);
    free(p);
    free(y);
    free(w);
    free(l);
    free(pd);
    free(yd);
    free(wd);
}

static void test_auc_random(void) { random_case(false); }
static void test_auc_random_weighted(void) { random_case(true); }

int main(void)
{
    static const tfct_case cases[] = {
        {"keys", test_binary_keys},
        {"binary_hand", test_binary_hand},
        {"binary_weighted", test_binary_weighted},
        {"binary_edges", test_binary_edges},
        {"threshold placement", test_threshold_placement},
        {"errors", test_errors},
        {"multi_class", test_multi_class},
        {"regression", test_regression},
        {"exact_auc", test_exact_auc},
        {"auc_random", test_auc_random},
        {"auc_random_weighted", test_auc_random_weighted},
        {NULL, NULL},
    };
    return tfct_main("estimators_metrics", cases);
}
