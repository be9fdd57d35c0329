/* The header-only C++ wrapper (bindings/cpp/tfc.hpp): tensor ownership
 * (copies share, moves empty the source, deep copies don't), graphs and
 * sessions, gradients, optimizers, checkpoints, exported models, feature
 * columns, CSV input, canned estimators end to end (train, evaluate, predict,
 * export, the export agreeing with predict), and errors thrown with the
 * library's code and message. Run under ASan too: no leaks. */
#include <CUnit/Basic.h>

#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tfc.hpp"

namespace {

/* A failed requirement ends the test by exception (CUnit's *_FATAL asserts
 * longjmp over C++ destructors, so they are not used here). */
struct TestAbort {};

#define REQUIRE(cond)                           \
    do {                                        \
        bool req_ok_ = static_cast<bool>(cond); \
        CU_ASSERT(req_ok_);                     \
        if (!req_ok_) throw TestAbort{};        \
    } while (0)

#define NEAR(a, b, tol) CU_ASSERT_DOUBLE_EQUAL((double)(a), (double)(b), (tol))

/* Runs body expecting an exception of class E with code and text in what(). */
template <class E, class F>
void expect_throw(F &&body, tfc_code code, const std::string &text, const char *file, int line)
{
    try {
        body();
    } catch (const E &e) {
        CU_ASSERT_EQUAL(e.code(), code);
        bool has = std::string(e.what()).find(text) != std::string::npos;
        if (!has || e.code() != code)
            fprintf(stderr, "\n%s:%d: expected %s with '%s', got %s: %s\n", file, line, tfc_code_name(code),
                    text.c_str(), e.code_name(), e.what());
        CU_ASSERT(has);
        return;
    } catch (const std::exception &e) {
        fprintf(stderr, "\n%s:%d: wrong exception type: %s\n", file, line, e.what());
        CU_FAIL("wrong exception type");
        return;
    }
    fprintf(stderr, "\n%s:%d: no exception (expected '%s')\n", file, line, text.c_str());
    CU_FAIL("no exception");
}
#define EXPECT_THROW(E, code, text, ...) expect_throw<E>([&] { __VA_ARGS__; }, code, text, __FILE__, __LINE__)

/* A fresh directory under $TMPDIR, removed with its contents at scope exit. */
class TempDir {
public:
    TempDir()
    {
        const char *t = getenv("TMPDIR");
        std::string tmpl = std::string(t && *t ? t : "/tmp") + "/tfc_cpp_XXXXXX";
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back('\0');
        if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
        path_ = buf.data();
    }
    ~TempDir()
    {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::string &path() const { return path_; }
    std::string operator/(const std::string &name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

/* ---- Tensors ------------------------------------------------------------ */

void test_tensor_construction()
{
    tfc::Tensor a = {1.f, 2.f, 3.f};
    CU_ASSERT_EQUAL(a.dtype(), TFC_FLOAT);
    CU_ASSERT(a.shape() == tfc::Shape{3});
    CU_ASSERT_EQUAL(a.rank(), 1);
    CU_ASSERT_EQUAL(a.num_elements(), 3);
    CU_ASSERT_EQUAL(a.byte_size(), 12u);
    CU_ASSERT(a.values<float>() == (std::vector<float>{1, 2, 3}));

    tfc::Tensor m({1, 2, 3, 4, 5, 6}, {2, 3});
    CU_ASSERT_EQUAL(m.dtype(), TFC_INT32);
    CU_ASSERT(m.shape() == (tfc::Shape{2, 3}));
    CU_ASSERT_EQUAL(m.dim(1), 3);
    CU_ASSERT_EQUAL(m.data<int32_t>()[5], 6);

    std::vector<double> dv = {0.5, 1.5, 2.5, 3.5};
    tfc::Tensor d(dv, {2, 2});
    CU_ASSERT_EQUAL(d.dtype(), TFC_DOUBLE);
    CU_ASSERT_EQUAL(d.data<double>()[3], 3.5);
    tfc::Tensor v(std::vector<int64_t>{7, 8});
    CU_ASSERT_EQUAL(v.dtype(), TFC_INT64);
    CU_ASSERT(v.shape() == tfc::Shape{2});
    const uint8_t raw[4] = {1, 2, 250, 255};
    tfc::Tensor r(raw, {2, 2});
    CU_ASSERT_EQUAL(r.dtype(), TFC_UINT8);
    CU_ASSERT_EQUAL(r.values<uint8_t>()[2], 250);
    tfc::Tensor b(std::vector<bool>{true, false, true});
    CU_ASSERT_EQUAL(b.dtype(), TFC_BOOL);
    CU_ASSERT(b.values<bool>() == (std::vector<bool>{true, false, true}));

    tfc::Tensor s({"a", "bc", std::string("x\0y", 3)});
    CU_ASSERT_EQUAL(s.dtype(), TFC_STRING);
    CU_ASSERT(s.strings() == (std::vector<std::string>{"a", "bc", std::string("x\0y", 3)}));
    CU_ASSERT_EQUAL(s.string_at(2).size(), 3u);
    tfc::Tensor s2(std::vector<std::string>{"p", "q", "r", "s"}, {2, 2});
    CU_ASSERT(s2.shape() == (tfc::Shape{2, 2}));

    CU_ASSERT_EQUAL(tfc::Tensor::scalar(2.5f).scalar<float>(), 2.5f);
    CU_ASSERT_EQUAL(tfc::Tensor::scalar(2.5f).rank(), 0);
    CU_ASSERT_EQUAL(tfc::Tensor::scalar(int64_t{1} << 40).scalar<int64_t>(), int64_t{1} << 40);
    CU_ASSERT(tfc::Tensor::scalar(std::string("hi")).scalar<std::string>() == "hi");
    CU_ASSERT(tfc::Tensor::scalar("lit").scalar<std::string>() == "lit");
    tfc::Tensor z = tfc::Tensor::zeros<float>({2, 2});
    CU_ASSERT(z.values<float>() == (std::vector<float>{0, 0, 0, 0}));
    CU_ASSERT_EQUAL(tfc::dtype_of<int16_t>, TFC_INT16);
    CU_ASSERT_EQUAL(tfc::dtype_of<int8_t>, TFC_INT8);
    CU_ASSERT_EQUAL(tfc::dtype_of<long long>, TFC_INT64);
}

void test_tensor_ownership()
{
    tfc::Tensor a = {1.f, 2.f, 3.f};
    tfc_tensor *h = a.get();
    {
        tfc::Tensor b = a; /* copies share the buffer */
        CU_ASSERT_PTR_EQUAL(b.get(), h);
        b.data<float>()[0] = 10;
        CU_ASSERT_EQUAL(a.data<float>()[0], 10.f);
        tfc::Tensor c = std::move(b); /* moves leave the source empty */
        CU_ASSERT(!b);
        CU_ASSERT_PTR_NULL(b.get());
        CU_ASSERT_PTR_EQUAL(c.get(), h);
        tfc::Tensor d;
        d = c;
        CU_ASSERT_PTR_EQUAL(d.get(), h);
        d = std::move(c);
        CU_ASSERT(!c);
        tfc::Tensor &alias = d;
        d = alias; /* self-assignment keeps it */
        CU_ASSERT_PTR_EQUAL(d.get(), h);
    }
    /* The copies are gone, a still holds its reference. */
    CU_ASSERT_EQUAL(a.data<float>()[0], 10.f);
    tfc::Tensor deep = a.copy();
    CU_ASSERT_PTR_NOT_EQUAL(deep.get(), h);
    deep.data<float>()[1] = -1;
    CU_ASSERT_EQUAL(a.data<float>()[1], 2.f);
    CU_ASSERT_EQUAL(deep.data<float>()[0], 10.f);

    /* release/adopt hand the reference to C and back. */
    tfc_tensor *raw = deep.release();
    CU_ASSERT(!deep);
    tfc::Tensor back = tfc::Tensor::adopt(raw);
    CU_ASSERT_EQUAL(back.data<float>()[1], -1.f);
    tfc::Tensor shared = tfc::Tensor::share(back.get());
    CU_ASSERT_PTR_EQUAL(shared.get(), back.get());

    /* wrap: no copy, the vector lives in the tensor until the last reference. */
    tfc::Tensor outlives;
    {
        std::vector<double> buf(6, 1.5);
        const double *p = buf.data();
        tfc::Tensor w = tfc::Tensor::wrap(std::move(buf), {2, 3});
        CU_ASSERT_PTR_EQUAL(w.data<double>(), p);
        outlives = w;
    }
    CU_ASSERT_EQUAL(outlives.data<double>()[5], 1.5);
    CU_ASSERT_EQUAL(outlives.num_elements(), 6);
    /* A tensor in a std::vector moves with it. */
    std::vector<tfc::Tensor> many;
    for (int i = 0; i < 100; i++) many.push_back(tfc::Tensor::scalar(i));
    CU_ASSERT_EQUAL(many[99].scalar<int32_t>(), 99);
}

void test_tensor_errors()
{
    EXPECT_THROW(tfc::InvalidArgumentError, TFC_INVALID_ARGUMENT, "3 values do not fill shape [2, 2] (4 elements)",
                 tfc::Tensor({1.f, 2.f, 3.f}, {2, 2}));
    EXPECT_THROW(tfc::InvalidArgumentError, TFC_INVALID_ARGUMENT, "has a negative dimension",
                 tfc::Tensor::zeros<float>({2, -1}));
    tfc::Tensor a = {1.f, 2.f};
    EXPECT_THROW(tfc::InvalidArgumentError, TFC_INVALID_ARGUMENT, "the tensor holds float32, not int32",
                 a.data<int32_t>());
    EXPECT_THROW(tfc::InvalidArgumentError, TFC_INVALID_ARGUMENT, "has 2 elements, not 1", a.scalar<float>());
    EXPECT_THROW(tfc::InvalidArgumentError, TFC_INVALID_ARGUMENT, "not string", a.strings());
    tfc::Tensor empty;
    EXPECT_THROW(tfc::FailedPreconditionError, TFC_FAILED_PRECONDITION, "tfc::Tensor::dtype: the tensor is empty",
                 empty.dtype());
    /* The base class catches them all, with the code. */
    try {
        a.data<double>();
        CU_FAIL("no exception");
    } catch (const tfc::Error &e) {
        CU_ASSERT_EQUAL(e.code(), TFC_INVALID_ARGUMENT);
        CU_ASSERT_STRING_EQUAL(e.code_name(), "INVALID_ARGUMENT");
    }
    /* A C failure carries tfc_last_error()'s message. */
    EXPECT_THROW(tfc::InvalidArgumentError, TFC_INVALID_ARGUMENT, "use tfc_tensor_new_strings",
                 tfc::Tensor::zeros(TFC_STRING, {2}));
}

/* ---- Graphs and sessions --------------------------------------------------- */

void test_graph_run()
{
    tfc::Graph g;
    tfc::Output x = g.placeholder<float>({-1, 2}, "x");
    tfc::Output w = g.constant(tfc::Tensor({1.f, 2.f, 3.f, 4.f}, {2, 2}), "w");
    tfc::Output b = g.constant(tfc::Tensor{0.5f, -0.5f}, "b");
    tfc::Output y = tfc::matmul(x, w) + b;
    CU_ASSERT(y.op().type() == "Add");
    CU_ASSERT(g.operation("x").type() == "Placeholder");
    CU_ASSERT(x.name() == "x:0");
    CU_ASSERT_EQUAL(y.dtype(), TFC_FLOAT);
    CU_ASSERT(y.shape() == std::optional<tfc::Shape>(tfc::Shape{-1, 2}));
    CU_ASSERT(!g.find_operation("nope"));
    CU_ASSERT_EQUAL(g.operations().size(), g.num_operations());

    tfc::Session s(g, 1);
    CU_ASSERT_EQUAL(s.num_threads(), 1);
    tfc::Tensor out = s.run(y, {{x, tfc::Tensor({1.f, 1.f, 0.f, 2.f}, {2, 2})}});
    CU_ASSERT(out.shape() == (tfc::Shape{2, 2}));
    CU_ASSERT(out.values<float>() == (std::vector<float>{4.5f, 5.5f, 6.5f, 7.5f}));

    /* Several fetches, feeds from a std::map, scalar arithmetic by dtype. */
    std::map<tfc::Output, tfc::Tensor> feeds = {{x, tfc::Tensor({1.f, 0.f}, {1, 2})}};
    std::vector<tfc::Tensor> both = s.run(feeds, {y, 2.0 * y - 1.0, tfc::reduce_sum(y)});
    REQUIRE(both.size() == 3);
    CU_ASSERT(both[0].values<float>() == (std::vector<float>{1.5f, 1.5f}));
    CU_ASSERT(both[1].values<float>() == (std::vector<float>{2.f, 2.f}));
    NEAR(both[2].scalar<float>(), 3.0, 1e-6);

    /* Name scopes, softmax, the generic builder. */
    {
        auto scope = g.name_scope("layer");
        tfc::Output act = tfc::relu(y, "act");
        CU_ASSERT(act.op().name() == "layer/act");
    }
    tfc::Output p = tfc::softmax(y);
    tfc::Output r = tfc::OpBuilder(g, "Relu", "built").input(y - 5.0).finish().output();
    CU_ASSERT(r.op().name() == "built");
    tfc::Output i64 = tfc::cast(tfc::argmax(y, 1), TFC_INT32);
    /* x = [1, 2]: y = [7.5, 9.5] */
    std::vector<tfc::Tensor> v = s.run(tfc::Feeds().add(x, tfc::Tensor({1.f, 2.f}, {1, 2})), {p, r, i64});
    NEAR(v[0].data<float>()[0] + v[0].data<float>()[1], 1.0, 1e-6);
    NEAR(v[0].data<float>()[1], 1 / (1 + std::exp(-2.0)), 1e-6);
    CU_ASSERT(v[1].values<float>() == (std::vector<float>{2.5f, 4.5f}));
    CU_ASSERT_EQUAL(v[2].scalar<int32_t>(), 1);

    /* Other dtypes: int32 arithmetic and strings through the graph. */
    tfc::Output k = g.constant(tfc::Tensor{1, 2, 3}) * 3.0;
    CU_ASSERT(s.run(k).values<int32_t>() == (std::vector<int32_t>{3, 6, 9}));
    tfc::Output words = g.placeholder(TFC_STRING, {-1});
    tfc::Output ids = tfc::lookup_vocab(words, {"a", "b"}, 0, -1);
    CU_ASSERT(s.run(ids, {{words, tfc::Tensor{"b", "zz", "a"}}}).values<int64_t>() == (std::vector<int64_t>{1, -1, 0}));

    /* GraphDef round trip into a second graph. */
    tfc::Graph g2;
    g2.import_graph_def(g.to_graph_def(), "copy");
    CU_ASSERT(g2.operation("copy/x").type() == "Placeholder");
}

void test_gradients()
{
    tfc::Graph g;
    tfc::Output x = g.placeholder<double>({3}, "x");
    tfc::Output unrelated = g.placeholder<double>({3}, "u");
    tfc::Output y = tfc::reduce_sum(x * x + 3.0 * x);
    std::vector<tfc::Output> d = tfc::gradients(y, {x, unrelated});
    REQUIRE(d.size() == 2);
    CU_ASSERT(static_cast<bool>(d[0]));
    CU_ASSERT(!d[1]); /* no path */
    tfc::Session s(g);
    tfc::Tensor dx = s.run(d[0], {{x, tfc::Tensor{1.0, 2.0, -3.0}}});
    CU_ASSERT(dx.values<double>() == (std::vector<double>{5, 7, -3}));
    /* Weighted by dys, through two ys. */
    std::vector<tfc::Output> d2 = tfc::gradients({y, tfc::reduce_sum(x)}, {x}, {g.constant(2.0), g.constant(1.0)});
    CU_ASSERT(s.run(d2[0], {{x, tfc::Tensor{1.0, 0.0, 1.0}}}).values<double>() == (std::vector<double>{11, 7, 11}));
    /* A sparse gradient from a gather. */
    tfc::Output table = g.variable(g.ones(TFC_FLOAT, {4, 2}), "table");
    tfc::Output rows = tfc::gather(table, g.constant(tfc::Tensor(std::vector<int64_t>{3, 1})));
    std::vector<tfc::Gradient> sg = tfc::gradients_sparse({tfc::reduce_sum(rows)}, {table});
    CU_ASSERT(sg[0].is_sparse());
}

void test_optimizer_step()
{
    tfc::Graph g;
    tfc::Output w = g.variable(g.constant(0.f), "w");
    tfc::Output loss = tfc::square(w - 3.0);
    tfc::GradientDescentOptimizer opt(0.1);
    CU_ASSERT(opt.name() == "GradientDescent");
    tfc::Operation train = opt.minimize(loss);
    tfc::Operation init = g.global_variables_initializer();
    tfc::Session s(g);
    s.run(init);
    CU_ASSERT_EQUAL(s.variable_value(w).scalar<float>(), 0.f);
    s.run(train);
    /* w -= 0.1 * 2 (w - 3) */
    NEAR(s.variable_value(w).scalar<float>(), 0.6, 1e-6);
    CU_ASSERT_EQUAL(s.variable_value(g.global_step()).scalar<int64_t>(), 1);
    for (int i = 0; i < 100; i++) s.run(train);
    NEAR(s.variable_value(w).scalar<float>(), 3.0, 1e-4);
    s.set_variable(w, tfc::Tensor::scalar(7.f));
    NEAR(s.run(loss).scalar<float>(), 16.0, 1e-6);

    /* Optimizers with slots. */
    tfc::Graph g2;
    tfc::Output v = g2.variable(g2.constant(tfc::Tensor{1.f, -1.f}), "v");
    tfc::AdagradOptimizer ada(0.5);
    tfc::Operation step = ada.minimize(tfc::reduce_sum(tfc::square(v)), {v});
    CU_ASSERT(static_cast<bool>(ada.slot(v, "accumulator")));
    CU_ASSERT(!ada.slot(v, "momentum"));
    tfc::Session s2(g2);
    s2.run(g2.global_variables_initializer());
    s2.run(step);
    std::vector<float> after = s2.variable_value(v).values<float>();
    CU_ASSERT(std::fabs(after[0]) < 1 && std::fabs(after[1]) < 1);
    tfc::AdamOptimizer adam(0.01);
    tfc::MomentumOptimizer mom(0.1, 0.9);
    tfc::FtrlOptimizer ftrl(0.2);
    tfc::FtrlOptions fo;
    fo.l1_regularization_strength = 0.1;
    tfc::FtrlOptimizer ftrl2(fo);
    CU_ASSERT(adam.name() == "Adam" && mom.name() == "Momentum" && ftrl.name() == "Ftrl" && ftrl2.name() == "Ftrl");
    tfc::FtrlOptimizer moved = std::move(ftrl2);
    CU_ASSERT_PTR_NULL(ftrl2.get());
    EXPECT_THROW(tfc::InvalidArgumentError, TFC_INVALID_ARGUMENT, "learning_rate must be a finite number > 0, got -1",
                 tfc::GradientDescentOptimizer(-1));
}

/* Blobs around three centres: the MNIST softmax recipe and an MLP on a
 * problem a linear model cannot solve (XOR of the signs). */
struct Blobs {
    std::vector<float> x, onehot, xor_onehot;
    std::vector<int64_t> label;
    int n = 0;
};

Blobs make_blobs(int n)
{
    Blobs b;
    b.n = n;
    uint64_t s = 12345;
    auto uniform = [&s] {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return (double)(s >> 11) / 9007199254740992.0;
    };
    const float cx[3] = {-2, 2, 0}, cy[3] = {-1, -1, 2};
    for (int i = 0; i < n; i++) {
        int k = i % 3;
        float px = cx[k] + (float)(uniform() - 0.5), py = cy[k] + (float)(uniform() - 0.5);
        b.x.push_back(px);
        b.x.push_back(py);
        b.label.push_back(k);
        for (int j = 0; j < 3; j++) b.onehot.push_back(j == k ? 1.f : 0.f);
        float qx = (float)(uniform() * 2 - 1), qy = (float)(uniform() * 2 - 1);
        b.x.push_back(qx); /* a second set of points for XOR, interleaved after */
        b.x.push_back(qy);
        bool pos = (qx > 0) != (qy > 0);
        b.xor_onehot.push_back(pos ? 0.f : 1.f);
        b.xor_onehot.push_back(pos ? 1.f : 0.f);
    }
    return b;
}

double train_classifier(const std::vector<float> &xs, const std::vector<float> &ys, int n, int classes, int hidden,
                        int steps)
{
    tfc::Graph g;
    g.set_seed(3);
    tfc::Output x = g.placeholder<float>({-1, 2}, "x");
    tfc::Output y_ = g.placeholder<float>({-1, classes}, "y_");
    tfc::Output logits;
    if (hidden == 0) {
        tfc::Output W = g.variable(g.zeros(TFC_FLOAT, {2, classes}), "W");
        tfc::Output b = g.variable(g.zeros(TFC_FLOAT, {classes}), "b");
        logits = tfc::matmul(x, W) + b;
    } else {
        tfc::Output W1 = g.variable(g.glorot_uniform(TFC_FLOAT, {2, hidden}), "W1");
        tfc::Output b1 = g.variable(g.zeros(TFC_FLOAT, {hidden}), "b1");
        tfc::Output W2 = g.variable(g.glorot_uniform(TFC_FLOAT, {hidden, classes}), "W2");
        tfc::Output b2 = g.variable(g.zeros(TFC_FLOAT, {classes}), "b2");
        logits = tfc::bias_add(tfc::matmul(tfc::relu(tfc::bias_add(tfc::matmul(x, W1), b1)), W2), b2);
    }
    tfc::Output loss = tfc::reduce_mean(tfc::softmax_cross_entropy_with_logits(y_, logits));
    tfc::Output correct = tfc::equal(tfc::argmax(logits, 1), tfc::argmax(y_, 1));
    tfc::Output accuracy = tfc::reduce_mean(tfc::cast(correct, TFC_FLOAT));
    tfc::Operation train;
    if (hidden == 0) train = tfc::GradientDescentOptimizer(0.5).minimize(loss);
    else train = tfc::AdamOptimizer(0.05).minimize(loss);
    tfc::Session s(g);
    s.run(g.global_variables_initializer());
    tfc::Feeds feeds = {{x, tfc::Tensor(xs, {n, 2})}, {y_, tfc::Tensor(ys, {n, classes})}};
    double first = s.run(loss, feeds).scalar<float>();
    for (int i = 0; i < steps; i++) s.run(train, feeds);
    CU_ASSERT(s.run(loss, feeds).scalar<float>() < first);
    return s.run(accuracy, feeds).scalar<float>();
}

void test_softmax_and_mlp()
{
    Blobs b = make_blobs(300);
    std::vector<float> blob_x, xor_x;
    for (int i = 0; i < b.n; i++) {
        blob_x.insert(blob_x.end(), {b.x[4 * i], b.x[4 * i + 1]});
        xor_x.insert(xor_x.end(), {b.x[4 * i + 2], b.x[4 * i + 3]});
    }
    double softmax_acc = train_classifier(blob_x, b.onehot, b.n, 3, 0, 100);
    CU_ASSERT(softmax_acc > 0.99);
    double linear_xor = train_classifier(xor_x, b.xor_onehot, b.n, 2, 0, 100);
    double mlp_xor = train_classifier(xor_x, b.xor_onehot, b.n, 2, 16, 300);
    if (!(mlp_xor > 0.9 && linear_xor < 0.75)) fprintf(stderr, "\nxor: linear %.3f, mlp %.3f\n", linear_xor, mlp_xor);
    CU_ASSERT(linear_xor < 0.75);
    CU_ASSERT(mlp_xor > 0.9);
}

/* ---- Checkpoints and exports ------------------------------------------------- */

void test_save_restore_export()
{
    TempDir dir;
    tfc::Graph g;
    tfc::Output x = g.placeholder<float>({-1}, "x");
    tfc::Output v = g.variable(g.constant(tfc::Tensor{1.f, 2.f}), "v");
    tfc::Output y = x * v + 1.0;
    tfc::Session s(g);
    s.run(g.global_variables_initializer());
    tfc::Saver saver(g);
    std::string path = saver.save(s, dir / "model.ckpt", 7);
    CU_ASSERT(path == dir / "model.ckpt-7.tfc");
    CU_ASSERT(tfc::Saver::latest(dir.path()) == path);
    s.set_variable(v, tfc::Tensor{9.f, 9.f});
    CU_ASSERT(s.variable_value(v).values<float>() == (std::vector<float>{9, 9}));
    saver.restore(s, path);
    CU_ASSERT(s.variable_value(v).values<float>() == (std::vector<float>{1, 2}));
    EXPECT_THROW(tfc::NotFoundError, TFC_NOT_FOUND, "nope.tfc", saver.restore(s, dir / "nope.tfc"));
    EXPECT_THROW(tfc::NotFoundError, TFC_NOT_FOUND, "empty_dir_that_is_not_there': No such file",
                 tfc::Saver::latest(dir / "empty_dir_that_is_not_there"));

    /* Export with a signature, load, run by keys. */
    std::string exp = dir / "export";
    tfc::export_saved_model(s, g, exp, {tfc::Signature().input("x", x).output("y", y)});
    tfc::SavedModel m(exp);
    CU_ASSERT(m.signature_keys() == std::vector<std::string>{"serving_default"});
    tfc::SignatureInfo info = m.signature("serving_default");
    REQUIRE(info.inputs.size() == 1 && info.outputs.size() == 1);
    CU_ASSERT(info.inputs[0].key == "x");
    CU_ASSERT_EQUAL(info.inputs[0].dtype, TFC_FLOAT);
    CU_ASSERT(info.inputs[0].shape == std::optional<tfc::Shape>(tfc::Shape{-1}));
    std::map<std::string, tfc::Tensor> out = m.predict({{"x", tfc::Tensor{3.f, 4.f}}});
    REQUIRE(out.count("y") == 1);
    CU_ASSERT(out["y"].values<float>() == (std::vector<float>{4, 9}));
    tfc::Session ms = m.session();
    tfc::Graph mg = m.graph();
    tfc::Operation mv = mg.operation("v");
    CU_ASSERT(ms.variable_value(mv).values<float>() == (std::vector<float>{1, 2}));
    /* The loaded graph may be extended and run through the model's session. */
    tfc::Output doubled = info.outputs[0].tensor * 2.0;
    CU_ASSERT(ms.run(doubled, {{info.inputs[0].tensor, tfc::Tensor{1.f, 1.f}}}).values<float>() ==
              (std::vector<float>{4, 6}));
    EXPECT_THROW(tfc::NotFoundError, TFC_NOT_FOUND, "no signature 'predict' (the model has: serving_default)",
                 m.run("predict", {}));
    EXPECT_THROW(tfc::AlreadyExistsError, TFC_ALREADY_EXISTS, "",
                 tfc::export_saved_model(s, g, exp, {tfc::Signature().input("x", x).output("y", y)}));
    /* Moves keep the model usable. */
    tfc::SavedModel m2 = std::move(m);
    CU_ASSERT_PTR_NULL(m.get());
    CU_ASSERT_EQUAL(m2.predict({{"x", tfc::Tensor{0.f, 0.f}}}).at("y").values<float>()[0], 1.f);
}

/* ---- Feature columns and CSV ------------------------------------------------ */

void test_feature_columns_and_csv()
{
    namespace fc = tfc::feature_column;
    tfc::FeatureColumn x = fc::numeric_column("x");
    tfc::FeatureColumn c = fc::categorical_column_with_vocabulary_list("c", {"a", "b", "c"});
    tfc::FeatureColumn h = fc::categorical_column_with_hash_bucket("h", 10);
    tfc::FeatureColumn xb = fc::bucketized_column(x, {0.f, 1.f});
    tfc::FeatureColumn cross = fc::crossed_column({"h", c}, 100);
    tfc::FeatureColumn emb = fc::embedding_column(c, 4);
    tfc::FeatureColumn ind = fc::indicator_column(c);
    tfc::FeatureColumn id = fc::categorical_column_with_identity("k", 5, 0);
    tfc::FeatureColumn weighted = fc::weighted_categorical_column(c, "w");
    CU_ASSERT(x.name() == "x" && c.name() == "c" && xb.name() == "x_bucketized");
    CU_ASSERT(cross.name() == "c_X_h");
    CU_ASSERT(emb.name() == "c_embedding" && ind.name() == "c_indicator");
    CU_ASSERT(weighted.name() == "c_weighted_by_w");
    CU_ASSERT_EQUAL(c.num_buckets(), 3);
    CU_ASSERT_EQUAL(xb.num_buckets(), 3);
    CU_ASSERT_EQUAL(cross.num_buckets(), 100);
    CU_ASSERT_EQUAL(id.num_buckets(), 5);
    CU_ASSERT_EQUAL(emb.dense_size(), 4);
    CU_ASSERT(ind.is_dense() && !c.is_dense());
    CU_ASSERT(fc::numeric_column("d", {2}, {1.f, 2.f}).default_value() == (std::vector<float>{1, 2}));

    /* Compiled into a graph: sorted by name, c_indicator then x (normalized). */
    tfc::Graph g;
    tfc::FeatureColumn xn = fc::numeric_column("x", [](tfc::Output v) { return (v - 1.0) / 2.0; });
    tfc::Features f = tfc::Features::placeholders(g, {xn, ind});
    CU_ASSERT(f.keys().size() == 2);
    tfc::Output dense = fc::input_layer(g, f, {xn, ind});
    CU_ASSERT(dense.shape() == std::optional<tfc::Shape>(tfc::Shape{-1, 4}));
    tfc::Output logits = fc::linear_model(g, f, {c, xb}, 1);
    tfc::Session s(g);
    s.run(g.global_variables_initializer());
    tfc::Feeds feeds = {{f["x"], tfc::Tensor{3.f, -1.f}}, {f["c"], tfc::Tensor{"b", "zz"}}};
    tfc::Tensor out = s.run(dense, feeds);
    CU_ASSERT(out.values<float>() == (std::vector<float>{0, 1, 0, 1, 0, 0, 0, -1}));
    CU_ASSERT(s.run(logits, feeds).values<float>() == (std::vector<float>{0, 0}));
    EXPECT_THROW(tfc::NotFoundError, TFC_NOT_FOUND, "no feature 'q'", f["q"]);
    EXPECT_THROW(tfc::InvalidArgumentError, TFC_INVALID_ARGUMENT, "column 'c' is categorical",
                 fc::input_layer(g, f, {c}));

    /* A normalizer that throws: the exception's message reaches the caller. */
    tfc::Graph g2;
    tfc::FeatureColumn bad =
        fc::numeric_column("x", [](tfc::Output) -> tfc::Output { throw std::runtime_error("stats not ready"); });
    tfc::Features f2 = tfc::Features::placeholders(g2, {bad});
    EXPECT_THROW(tfc::InvalidArgumentError, TFC_INVALID_ARGUMENT,
                 "numeric_column 'x': normalizer_fn returned no output (normalizer threw: stats not ready)",
                 fc::input_layer(g2, f2, {bad}));
    /* An op failing inside a normalizer: its sticky error becomes the message. */
    tfc::FeatureColumn mixed = fc::numeric_column("x", [](tfc::Output v) { return v + tfc::cast(v, TFC_INT32); });
    EXPECT_THROW(tfc::InvalidArgumentError, TFC_INVALID_ARGUMENT, "normalizer threw: op 'Add' (Add): inputs 0",
                 fc::input_layer(g2, f2, {mixed}));
    CU_ASSERT_EQUAL(tfc_graph_status(g2.get()), TFC_OK);

    /* CSV: schema, reader from a buffer, malformed rows, JSON lines. */
    tfc::CsvSchemaOptions so;
    so.missing_value = "?";
    tfc::CsvSchema schema(so);
    schema.add_column("age", TFC_FLOAT).add_column("city", TFC_STRING, "").add_column("label", TFC_INT64);
    schema.set_label_vocabulary("label", {"no", "yes"});
    CU_ASSERT(schema.column_names() == (std::vector<std::string>{"age", "city", "label"}));
    CU_ASSERT_EQUAL(schema.column_dtype(2), TFC_INT64);
    tfc::CsvReaderOptions ro;
    ro.batch_size = 2;
    tfc::CsvReader reader =
        tfc::CsvReader::from_buffer(schema, "30, paris, yes\n41, ?, no\n25, rome, no\n", "mem.csv", ro);
    std::optional<tfc::CsvBatch> b1 = reader.next_batch();
    REQUIRE(b1 && b1->rows == 2 && b1->columns.size() == 3);
    CU_ASSERT(b1->columns[0].values<float>() == (std::vector<float>{30, 41}));
    CU_ASSERT(b1->columns[1].strings() == (std::vector<std::string>{"paris", ""}));
    CU_ASSERT(b1->columns[2].values<int64_t>() == (std::vector<int64_t>{1, 0}));
    std::optional<tfc::CsvBatch> b2 = reader.next_batch();
    REQUIRE(b2 && b2->rows == 1);
    CU_ASSERT(!reader.next_batch()); /* the end of the data is not an error */
    tfc::CsvReader bad_rows = tfc::CsvReader::from_buffer(schema, "30, paris, yes\nabc, x, no\n", "mem.csv");
    EXPECT_THROW(tfc::InvalidArgumentError, TFC_INVALID_ARGUMENT, "mem.csv:2", bad_rows.next_batch());
    tfc::CsvBatch j = tfc::json_lines_parse(schema, "{\"age\": 5, \"city\": \"x\", \"label\": \"yes\"}\n", "mem.jsonl");
    CU_ASSERT_EQUAL(j.rows, 1);
    CU_ASSERT(j.columns[1].strings() == std::vector<std::string>{"x"});
}

/* ---- Estimators ------------------------------------------------------------- */

constexpr int N = 400;

/* class: x + shift(c) > 0, as tests/estimators/test_estimator.c. */
struct Synthetic {
    std::vector<float> x;
    std::vector<std::string> c;
    std::vector<int64_t> y;
};

Synthetic make_synthetic(uint64_t seed)
{
    static const char *cats[3] = {"a", "b", "c"};
    Synthetic d;
    uint64_t s = seed * 2654435761u + 1;
    for (int i = 0; i < N; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        float x = (float)((double)(s >> 11) / 9007199254740992.0 * 2 - 1);
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        int k = (int)((s >> 33) % 3);
        double shift = k == 0 ? 0.8 : k == 2 ? -0.5 : 0;
        d.x.push_back(x);
        d.c.push_back(cats[k]);
        d.y.push_back(x + shift > 0);
    }
    return d;
}

tfc::Input synthetic_input(const Synthetic &d, bool labels, int64_t batch, int64_t epochs, bool shuffle)
{
    tfc::TensorInputOptions o;
    o.batch_size = batch;
    o.num_epochs = epochs;
    o.shuffle = shuffle;
    o.seed = 7;
    return tfc::Input::from_tensors({{"x", tfc::Tensor(d.x)}, {"c", tfc::Tensor(d.c)}},
                                    labels ? tfc::Tensor(d.y) : tfc::Tensor(), o);
}

void test_estimator_end_to_end()
{
    namespace fc = tfc::feature_column;
    TempDir dir;
    Synthetic d = make_synthetic(2);
    tfc::FeatureColumn x = fc::numeric_column("x");
    tfc::FeatureColumn c = fc::categorical_column_with_vocabulary_list("c", {"a", "b", "c"});
    tfc::EstimatorOptions o = tfc::EstimatorOptions::dnn_linear_combined_classifier(
        {x, c}, {fc::numeric_column("x", [](tfc::Output v) { return v * 2.0; }), fc::embedding_column(c, 2)}, {8, 4});
    o.label_vocabulary = {"no", "yes"};
    o.linear_optimizer = tfc::optimizers::ftrl(0.1);
    o.dnn_optimizer = tfc::optimizers::adagrad(0.05);
    o.config.model_dir = dir / "model";
    o.config.tf_random_seed = 5;
    o.config.log_step_count_steps = 100;
    tfc::Estimator est(o);
    CU_ASSERT(est.model_dir() == dir / "model");
    CU_ASSERT_EQUAL(est.global_step(), 0);

    /* Nothing to predict from before training. */
    EXPECT_THROW(tfc::FailedPreconditionError, TFC_FAILED_PRECONDITION, "no checkpoint",
                 est.predict(synthetic_input(d, false, 64, 1, false)));

    int loss_lines = 0;
    tfc::set_log_callback([&loss_lines](tfc_log_level level, const std::string &m) {
        if (level == TFC_LOG_INFO && m.rfind("loss = ", 0) == 0) loss_lines++;
    });
    tfc::TrainStats st = est.train(synthetic_input(d, true, 32, 0, true), 300);
    tfc::set_log_callback(nullptr);
    CU_ASSERT_EQUAL(loss_lines, 3);
    CU_ASSERT_EQUAL(st.steps, 300);
    CU_ASSERT_EQUAL(st.examples, 300 * 32);
    CU_ASSERT_EQUAL(st.global_step, 300);
    CU_ASSERT(std::isfinite(st.last_loss) && st.last_loss > 0);
    CU_ASSERT_EQUAL(est.global_step(), 300);

    std::map<std::string, double> metrics = est.evaluate(synthetic_input(d, true, 100, 1, false));
    for (const char *k : {"accuracy", "accuracy_baseline", "auc", "auc_precision_recall", "average_loss", "global_step",
                          "label/mean", "loss", "precision", "prediction/mean", "recall"})
        CU_ASSERT_EQUAL(metrics.count(k), 1u);
    if (!(metrics["accuracy"] > 0.9)) fprintf(stderr, "\naccuracy %.4f\n", metrics["accuracy"]);
    CU_ASSERT(metrics["accuracy"] > 0.9);
    CU_ASSERT(metrics["auc"] > 0.95);
    NEAR(metrics["global_step"], 300, 0);

    std::map<std::string, tfc::Tensor> p = est.predict(synthetic_input(d, false, 64, 1, false));
    for (const char *k :
         {"logits", "logistic", "probabilities", "class_ids", "classes", "all_class_ids", "all_classes"})
        CU_ASSERT_EQUAL(p.count(k), 1u);
    REQUIRE(p.count("logistic") && p.count("classes") && p.count("class_ids"));
    const tfc::Tensor &logistic = p["logistic"];
    CU_ASSERT_EQUAL(logistic.dim(0), N);
    std::vector<std::string> classes = p["classes"].strings();
    std::vector<int64_t> ids = p["class_ids"].values<int64_t>();
    int correct = 0;
    for (int i = 0; i < N; i++) {
        CU_ASSERT(classes[i] == (ids[i] ? "yes" : "no"));
        correct += ids[i] == d.y[i];
    }
    CU_ASSERT(correct > 0.9 * N);

    /* The export takes raw features and gives the same answers. */
    std::string path = est.export_saved_model(dir / "export");
    CU_ASSERT(path.rfind(dir / "export/", 0) == 0);
    tfc::SavedModel m(path);
    for (int i : {0, 17, 399}) {
        std::map<std::string, tfc::Tensor> out = m.predict(
            {{"x", tfc::Tensor(std::vector<float>{d.x[i]})}, {"c", tfc::Tensor(std::vector<std::string>{d.c[i]})}},
            {"logistic", "classes"});
        NEAR(out["logistic"].data<float>()[0], logistic.data<float>()[i], 1e-6);
        CU_ASSERT(out["classes"].string_at(0) == classes[i]);
    }
    std::map<std::string, tfc::Tensor> cls =
        m.run("classification", {{"x", tfc::Tensor{0.5f}}, {"c", tfc::Tensor{"a"}}});
    CU_ASSERT(cls.count("classes") == 1 && cls.count("scores") == 1);

    /* Missing feature: the error names it. */
    tfc::Input no_c = tfc::Input::from_tensors({{"x", tfc::Tensor(d.x)}});
    EXPECT_THROW(tfc::Error, TFC_INVALID_ARGUMENT, "'c'", est.predict(no_c));
    try {
        est.predict(no_c);
    } catch (const tfc::InvalidArgumentError &) {
        CU_PASS("caught by subclass");
    } catch (const tfc::Error &e) {
        fprintf(stderr, "\nmissing feature: %s %s\n", e.code_name(), e.what());
        CU_FAIL("not an InvalidArgumentError");
    }

    /* The estimator is a shared handle: a copy resumes the same directory. */
    tfc::Estimator again = est;
    again.train(synthetic_input(d, true, 32, 0, true), 20);
    CU_ASSERT_EQUAL(est.global_step(), 320);
}

void test_estimator_linear_csv_train_and_evaluate()
{
    namespace fc = tfc::feature_column;
    TempDir dir;
    Synthetic d = make_synthetic(3);
    {
        std::ofstream csv(dir / "data.csv");
        for (int i = 0; i < N; i++) csv << d.x[i] << "," << d.c[i] << "," << (d.y[i] ? "pos" : "neg") << "\n";
    }
    tfc::CsvSchema schema;
    schema.add_column("x", TFC_FLOAT).add_column("c", TFC_STRING).add_column("label", TFC_INT64);
    schema.set_label_vocabulary("label", {"neg", "pos"});
    tfc::CsvReaderOptions train_ro;
    train_ro.batch_size = 20;
    train_ro.num_epochs = 0;
    train_ro.shuffle_buffer_size = N;
    tfc::CsvReaderOptions eval_ro;
    eval_ro.batch_size = 100;
    tfc::Input train = tfc::Input::from_csv(schema, dir / "data.csv", "label", train_ro);
    tfc::Input eval = tfc::Input::from_csv(schema, {dir / "data.csv"}, "label", eval_ro);

    tfc::EstimatorOptions o = tfc::EstimatorOptions::linear_classifier(
        {fc::numeric_column("x"), fc::categorical_column_with_vocabulary_list("c", {"a", "b", "c"})});
    o.config.model_dir = dir / "model";
    o.config.tf_random_seed = 1;
    o.config.save_checkpoints_steps = 100;
    o.config.log_step_count_steps = -1;
    tfc::Estimator est(o);
    tfc::TrainSpec ts{train, 250};
    tfc::EvalSpec es{eval};
    std::map<std::string, double> final = tfc::train_and_evaluate(est, ts, es);
    NEAR(final["global_step"], 250, 0);
    if (!(final["accuracy"] > 0.9)) fprintf(stderr, "\nlinear accuracy %.4f\n", final["accuracy"]);
    CU_ASSERT(final["accuracy"] > 0.9);
    CU_ASSERT(std::filesystem::exists(dir / "model/eval"));

    /* A regressor and a baseline through the same API. */
    tfc::EstimatorOptions r = tfc::EstimatorOptions::dnn_regressor({fc::numeric_column("x")}, {4});
    r.config.model_dir = dir / "reg";
    r.config.log_step_count_steps = -1;
    tfc::Estimator reg(r);
    std::vector<float> target;
    for (float v : d.x) target.push_back(2 * v + 1);
    tfc::TensorInputOptions tio;
    tio.batch_size = 50;
    tio.num_epochs = 0;
    reg.train(tfc::Input::from_tensors({{"x", tfc::Tensor(d.x)}}, tfc::Tensor(target), tio), 50);
    tfc::TensorInputOptions one;
    one.batch_size = 400;
    std::map<std::string, tfc::Tensor> pr = reg.predict(tfc::Input::from_tensors({{"x", tfc::Tensor(d.x)}}, {}, one));
    REQUIRE(pr.count("predictions") == 1);
    CU_ASSERT(pr["predictions"].shape() == (tfc::Shape{N, 1}));

    /* Missing file: NOT_FOUND naming it, when the pass starts. */
    tfc::Input missing = tfc::Input::from_csv(schema, dir / "missing.csv", "label");
    EXPECT_THROW(tfc::NotFoundError, TFC_NOT_FOUND, "missing.csv", est.evaluate(missing));
    EXPECT_THROW(tfc::NotFoundError, TFC_NOT_FOUND, "missing.csv", tfc::CsvReader(schema, dir / "missing.csv"));
    EXPECT_THROW(tfc::NotFoundError, TFC_NOT_FOUND, "no_such_export", tfc::SavedModel(dir / "no_such_export"));
    /* Bad options: the library names the problem. */
    tfc::EstimatorOptions no_hidden = tfc::EstimatorOptions::dnn_classifier({fc::numeric_column("x")}, {});
    no_hidden.config.model_dir = dir / "bad";
    EXPECT_THROW(tfc::InvalidArgumentError, TFC_INVALID_ARGUMENT, "a DNN needs hidden_units",
                 tfc::Estimator{no_hidden});
}

/* ---- Errors from graphs and runs ------------------------------------------------ */

void test_graph_errors()
{
    tfc::Graph g;
    tfc::Output a = g.constant(tfc::Tensor({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}, {2, 3}), "a");
    /* Bad shape: the sticky error is thrown, with the op and shapes... */
    try {
        tfc::matmul(a, a, false, false, "mm");
        CU_FAIL("no exception");
    } catch (const tfc::InvalidArgumentError &e) {
        CU_ASSERT_STRING_EQUAL(e.what(), "op 'mm' (MatMul): inner dimensions do not match: a [2,3] has 3 columns, "
                                         "b [2,3] has 2 rows");
        CU_ASSERT_EQUAL(e.code(), TFC_INVALID_ARGUMENT);
    }
    /* ...and cleared: the graph goes on. */
    CU_ASSERT_EQUAL(tfc_graph_status(g.get()), TFC_OK);
    tfc::Output ok = tfc::matmul(a, a, false, true, "mm_ok");
    tfc::Session s(g);
    CU_ASSERT(s.run(ok).values<float>() == (std::vector<float>{14, 32, 32, 77}));

    /* Feeding a value of the wrong shape fails at run time. */
    tfc::Output x = g.placeholder<float>({-1, 2}, "x");
    tfc::Output y = tfc::reduce_sum(x);
    EXPECT_THROW(tfc::InvalidArgumentError, TFC_INVALID_ARGUMENT, "feed 'x:0' expects float32 [?,2], got float32 [3]",
                 s.run(y, {{x, tfc::Tensor{1.f, 2.f, 3.f}}}));
    /* Not feeding a placeholder. */
    EXPECT_THROW(tfc::Error, TFC_INVALID_ARGUMENT, "placeholder 'x' must be fed", s.run(y));
    /* Wrapper-side misuse. */
    EXPECT_THROW(tfc::InvalidArgumentError, TFC_INVALID_ARGUMENT, "tfc::relu: input 0 is an empty tfc::Output",
                 tfc::relu(tfc::Output()));
    EXPECT_THROW(tfc::InvalidArgumentError, TFC_INVALID_ARGUMENT, "fetch 0 is an empty",
                 s.run(tfc::Feeds(), {tfc::Output()}));
    EXPECT_THROW(tfc::NotFoundError, TFC_NOT_FOUND, "no operation named 'ghost'", g.operation("ghost"));
    EXPECT_THROW(tfc::NotFoundError, TFC_NOT_FOUND, "unknown op type 'NoSuchOp'",
                 tfc::OpBuilder(g, "NoSuchOp").finish());
    tfc::OpBuilder unfinished(g, "Relu"); /* abandoned by its destructor */
    unfinished.input(a);
    EXPECT_THROW(tfc::NotFoundError, TFC_NOT_FOUND, "", a.op().attr_int("no_such_attr"));
    CU_ASSERT(a.op().attr_tensor("value").values<float>()[5] == 6.f);
    CU_ASSERT_EQUAL(a.op().attr_type("dtype"), TFC_FLOAT);
    /* Missing files. */
    EXPECT_THROW(tfc::NotFoundError, TFC_NOT_FOUND, "/nonexistent/graph.pb",
                 g.import_graph_def_file("/nonexistent/graph.pb"));
    EXPECT_THROW(tfc::NotFoundError, TFC_NOT_FOUND, "/nonexistent/x.idx", tfc::idx_read("/nonexistent/x.idx"));
}

template <void (*F)()>
void guarded()
{
    try {
        F();
    } catch (const TestAbort &) {
        /* the failed REQUIRE was recorded */
    } catch (const std::exception &e) {
        fprintf(stderr, "\nunexpected exception: %s\n", e.what());
        CU_FAIL("unexpected exception");
    }
}

} // namespace

int main()
{
    struct Case {
        const char *name;
        void (*fn)();
    };
    const Case cases[] = {
        {"tensor_construction", guarded<test_tensor_construction>},
        {"tensor_ownership", guarded<test_tensor_ownership>},
        {"tensor_errors", guarded<test_tensor_errors>},
        {"graph_run", guarded<test_graph_run>},
        {"gradients", guarded<test_gradients>},
        {"optimizer_step", guarded<test_optimizer_step>},
        {"softmax_and_mlp", guarded<test_softmax_and_mlp>},
        {"save_restore_export", guarded<test_save_restore_export>},
        {"feature_columns_and_csv", guarded<test_feature_columns_and_csv>},
        {"estimator_end_to_end", guarded<test_estimator_end_to_end>},
        {"estimator_linear_csv_train_and_evaluate", guarded<test_estimator_linear_csv_train_and_evaluate>},
        {"graph_errors", guarded<test_graph_errors>},
    };
    if (CU_initialize_registry() != CUE_SUCCESS) return 1;
    CU_pSuite suite = CU_add_suite("cpp_wrapper", nullptr, nullptr);
    if (!suite) return 1;
    for (const Case &c : cases)
        if (!CU_add_test(suite, c.name, c.fn)) return 1;
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
