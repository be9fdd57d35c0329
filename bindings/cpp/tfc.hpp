/* tfc.hpp — a thin, header-only C++17 wrapper over tfc's C API.
 *
 * Everything here is inline and calls the C library (include/tfc/tfc.h), which
 * does the work: the wrapper has no ABI of its own and no library to build. Link
 * the program with libtfc as a C program would.
 *
 * Errors are EXCEPTIONS. Every C call that returns a code other than TFC_OK
 * throws a tfc::Error (a std::runtime_error) whose what() is tfc_last_error()'s
 * message, taken at once, and whose code() is the tfc_code. Each code has its
 * own subclass named like TensorFlow's (tfc::InvalidArgumentError,
 * tfc::NotFoundError, ...), so callers catch what they can handle. Typed op
 * constructors keep a sticky error in the graph (graph.h); the wrapper checks it
 * after every op it adds, clears it (the graph stays usable) and throws it.
 * Misuse the C library cannot see (an empty tfc::Tensor, data<float>() on an
 * int64 tensor) throws the same classes with a message naming the call.
 * The one non-throwing "failure" is the end of a CSV reader's data:
 * CsvReader::next_batch returns std::nullopt.
 *
 * Handles: tfc::Tensor is reference counted (copies share the buffer via
 * tfc_tensor_retain; Tensor::copy() makes a deep copy); Graph, Session, Saver,
 * SavedModel, Optimizer, OpBuilder and CsvReader own their handle and are
 * move-only; FeatureColumn, CsvSchema, Input and Estimator are cheap to copy
 * and copies share one C object. Output and Operation are small value types
 * that point into a graph: the graph must outlive them, and a Session must not
 * outlive its Graph (as in the C API).
 *
 * Thread safety is the C API's: building a graph is single-threaded, a
 * Session's run may be called from several threads, an Estimator is used by one
 * thread at a time.
 */
#ifndef TFC_HPP
#define TFC_HPP

#include <tfc/tfc.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace tfc {

/* ======================================================================== */
/* Errors                                                                    */
/* ======================================================================== */

/* A failed call: what() is the library's message, code() its tfc_code. */
class Error : public std::runtime_error {
public:
    Error(tfc_code code, const std::string &message) : std::runtime_error(message), code_(code) {}
    tfc_code code() const noexcept { return code_; }
    /* "INVALID_ARGUMENT", "NOT_FOUND", ... */
    const char *code_name() const noexcept { return tfc_code_name(code_); }

private:
    tfc_code code_;
};

/* One subclass per code, so `catch (const tfc::NotFoundError &)` works. */
template <tfc_code C>
class CodedError : public Error {
public:
    explicit CodedError(const std::string &message) : Error(C, message) {}
};
using CancelledError = CodedError<TFC_CANCELLED>;
using UnknownError = CodedError<TFC_UNKNOWN>;
using InvalidArgumentError = CodedError<TFC_INVALID_ARGUMENT>;
using DeadlineExceededError = CodedError<TFC_DEADLINE_EXCEEDED>;
using NotFoundError = CodedError<TFC_NOT_FOUND>;
using AlreadyExistsError = CodedError<TFC_ALREADY_EXISTS>;
using PermissionDeniedError = CodedError<TFC_PERMISSION_DENIED>;
using ResourceExhaustedError = CodedError<TFC_RESOURCE_EXHAUSTED>;
using FailedPreconditionError = CodedError<TFC_FAILED_PRECONDITION>;
using AbortedError = CodedError<TFC_ABORTED>;
using OutOfRangeError = CodedError<TFC_OUT_OF_RANGE>;
using UnimplementedError = CodedError<TFC_UNIMPLEMENTED>;
using InternalError = CodedError<TFC_INTERNAL>;
using UnavailableError = CodedError<TFC_UNAVAILABLE>;
using DataLossError = CodedError<TFC_DATA_LOSS>;
using UnauthenticatedError = CodedError<TFC_UNAUTHENTICATED>;

/* Throws the subclass for code (code must not be TFC_OK). */
[[noreturn]] inline void throw_error(tfc_code code, const std::string &message)
{
    switch (code) {
    case TFC_CANCELLED: throw CancelledError(message);
    case TFC_UNKNOWN: throw UnknownError(message);
    case TFC_INVALID_ARGUMENT: throw InvalidArgumentError(message);
    case TFC_DEADLINE_EXCEEDED: throw DeadlineExceededError(message);
    case TFC_NOT_FOUND: throw NotFoundError(message);
    case TFC_ALREADY_EXISTS: throw AlreadyExistsError(message);
    case TFC_PERMISSION_DENIED: throw PermissionDeniedError(message);
    case TFC_RESOURCE_EXHAUSTED: throw ResourceExhaustedError(message);
    case TFC_FAILED_PRECONDITION: throw FailedPreconditionError(message);
    case TFC_ABORTED: throw AbortedError(message);
    case TFC_OUT_OF_RANGE: throw OutOfRangeError(message);
    case TFC_UNIMPLEMENTED: throw UnimplementedError(message);
    case TFC_INTERNAL: throw InternalError(message);
    case TFC_UNAVAILABLE: throw UnavailableError(message);
    case TFC_DATA_LOSS: throw DataLossError(message);
    case TFC_UNAUTHENTICATED: throw UnauthenticatedError(message);
    default: throw Error(code, message);
    }
}

namespace detail {

/* A normalizer (a C++ callback run by the C library) cannot throw through C
 * frames: it parks its exception's message here and the failing call that
 * ran it appends the message to its own. */
inline std::string &pending_callback_error()
{
    thread_local std::string message;
    return message;
}

inline std::string last_error_message()
{
    std::string m = tfc_last_error();
    std::string &pending = pending_callback_error();
    if (!pending.empty()) {
        m += " (" + pending + ")";
        pending.clear();
    }
    return m;
}

} // namespace detail

/* Throws when code is not TFC_OK (the message is the thread's last error). */
inline void check(tfc_code code)
{
    if (code != TFC_OK) throw_error(code, detail::last_error_message());
}

/* ======================================================================== */
/* Library-wide                                                              */
/* ======================================================================== */

inline std::string version()
{
    return tfc_version();
}

/* Routes the library's log messages to fn (an empty function silences them,
 * the default). Process-wide: set it before other threads use tfc. */
using LogFunction = std::function<void(tfc_log_level, const std::string &)>;

namespace detail {
inline LogFunction &log_function()
{
    static LogFunction fn;
    return fn;
}
inline void log_trampoline(tfc_log_level level, const char *message, void *)
{
    try {
        if (log_function()) log_function()(level, message ? message : "");
    } catch (...) {
        /* a logger must not unwind through the library */
    }
}
} // namespace detail

inline void set_log_callback(LogFunction fn)
{
    detail::log_function() = std::move(fn);
    if (detail::log_function()) tfc_set_log_callback(detail::log_trampoline, nullptr);
    else tfc_set_log_callback(nullptr, nullptr);
}

/* ======================================================================== */
/* Tensors                                                                   */
/* ======================================================================== */

using Shape = std::vector<int64_t>;

namespace detail {

template <class T>
constexpr tfc_dtype dtype_for()
{
    using U = std::remove_cv_t<T>;
    if constexpr (std::is_same_v<U, bool>) return TFC_BOOL;
    else if constexpr (std::is_same_v<U, float>) return TFC_FLOAT;
    else if constexpr (std::is_same_v<U, double>) return TFC_DOUBLE;
    else if constexpr (std::is_same_v<U, unsigned char>) return TFC_UINT8;
    else if constexpr (std::is_integral_v<U> && std::is_signed_v<U> && !std::is_same_v<U, char>) {
        return sizeof(U) == 1   ? TFC_INT8
               : sizeof(U) == 2 ? TFC_INT16
               : sizeof(U) == 4 ? TFC_INT32
               : sizeof(U) == 8 ? TFC_INT64
                                : TFC_INVALID_DTYPE;
    } else return TFC_INVALID_DTYPE;
}

template <class T>
inline constexpr bool is_element_v = dtype_for<T>() != TFC_INVALID_DTYPE;

template <class T>
inline constexpr bool is_string_v = std::is_same_v<std::remove_cv_t<T>, std::string>;

static_assert(sizeof(bool) == 1, "tfc's bool tensors hold one byte per element");

/* A container's size as the C API's int counts. */
template <class C>
inline int isize(const C &c)
{
    return static_cast<int>(c.size());
}

inline const char *opt_name(const std::string &name)
{
    return name.empty() ? nullptr : name.c_str();
}

inline std::string shape_string(const Shape &s)
{
    std::string r = "[";
    for (size_t i = 0; i < s.size(); i++) r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
}

/* Elements a shape holds; throws on a negative or too large shape. */
inline int64_t elements_of(const Shape &shape, const char *where)
{
    if (shape.size() > TFC_MAX_RANK)
        throw InvalidArgumentError(std::string(where) + ": shape " + shape_string(shape) + " has more than " +
                                   std::to_string(TFC_MAX_RANK) + " dimensions");
    int64_t n = 1;
    for (int64_t d : shape) {
        if (d < 0)
            throw InvalidArgumentError(std::string(where) + ": shape " + shape_string(shape) +
                                       " has a negative dimension");
        n *= d;
    }
    return n;
}

inline void check_count(size_t n, const Shape &shape, const char *where)
{
    int64_t want = elements_of(shape, where);
    if (static_cast<int64_t>(n) != want)
        throw InvalidArgumentError(std::string(where) + ": " + std::to_string(n) + " values do not fill shape " +
                                   shape_string(shape) + " (" + std::to_string(want) + " elements)");
}

} // namespace detail

/* The tfc_dtype of a C++ element type: tfc::dtype_of<float> == TFC_FLOAT. */
template <class T>
inline constexpr tfc_dtype dtype_of = detail::dtype_for<T>();

/* A typed, shaped, reference-counted buffer (tfc_tensor). Copies share the
 * buffer (writes through one are seen by all); Tensor::copy() duplicates it.
 * An empty Tensor (default-constructed or moved from) holds no handle.
 *
 *   tfc::Tensor a = {1.f, 2.f, 3.f};                  // float32 [3]
 *   tfc::Tensor b({1, 2, 3, 4, 5, 6}, {2, 3});         // int32 [2, 3]
 *   tfc::Tensor s({"a", "b"});                         // string [2]
 *   float x = tfc::Tensor::scalar(2.5f).scalar<float>();
 */
class Tensor {
public:
    Tensor() noexcept = default;
    Tensor(const Tensor &o) noexcept : t_(o.t_ ? tfc_tensor_retain(o.t_) : nullptr) {}
    Tensor(Tensor &&o) noexcept : t_(std::exchange(o.t_, nullptr)) {}
    Tensor &operator=(const Tensor &o) noexcept
    {
        Tensor tmp(o);
        std::swap(t_, tmp.t_);
        return *this;
    }
    Tensor &operator=(Tensor &&o) noexcept
    {
        Tensor tmp(std::move(o));
        std::swap(t_, tmp.t_);
        return *this;
    }
    ~Tensor() { tfc_tensor_free(t_); }

    /* Takes over one reference the caller owns (a C call's result). */
    static Tensor adopt(tfc_tensor *t) noexcept
    {
        Tensor r;
        r.t_ = t;
        return r;
    }
    /* Adds a reference to a tensor the caller keeps (lent by the library). */
    static Tensor share(const tfc_tensor *t) noexcept
    {
        return adopt(t ? tfc_tensor_retain(const_cast<tfc_tensor *>(t)) : nullptr);
    }

    /* Numbers: from a vector (shape [n], or the given shape), an initializer
     * list or a raw pointer to prod(shape) elements; the values are copied.
     * The dtype follows the element type (float, double, int8..int64, uint8,
     * bool): write 1.f for float32, 1.0 is float64 and 1 int32. */
    template <class T, std::enable_if_t<detail::is_element_v<T>, int> = 0>
    Tensor(const std::vector<T> &values) : Tensor(values, Shape{static_cast<int64_t>(values.size())})
    {}
    template <class T, std::enable_if_t<detail::is_element_v<T>, int> = 0>
    Tensor(const std::vector<T> &values, const Shape &shape)
    {
        t_ = from_range<T>(values.begin(), values.size(), shape);
    }
    template <class T, std::enable_if_t<detail::is_element_v<T>, int> = 0>
    Tensor(std::initializer_list<T> values) : Tensor(values, Shape{static_cast<int64_t>(values.size())})
    {}
    template <class T, std::enable_if_t<detail::is_element_v<T>, int> = 0>
    Tensor(std::initializer_list<T> values, const Shape &shape)
    {
        t_ = from_range<T>(values.begin(), values.size(), shape);
    }
    template <class T, std::enable_if_t<detail::is_element_v<T>, int> = 0>
    Tensor(const T *data, const Shape &shape)
    {
        t_ = from_range<T>(data, static_cast<size_t>(detail::elements_of(shape, "tfc::Tensor")), shape);
    }

    /* Strings (TFC_STRING): copied; may hold any bytes, NUL included. */
    Tensor(const std::vector<std::string> &values) : Tensor(values, Shape{static_cast<int64_t>(values.size())}) {}
    Tensor(const std::vector<std::string> &values, const Shape &shape) { t_ = from_strings(values, shape); }
    Tensor(std::initializer_list<std::string> values) : Tensor(std::vector<std::string>(values)) {}
    Tensor(std::initializer_list<std::string> values, const Shape &shape)
        : Tensor(std::vector<std::string>(values), shape)
    {}

    /* A rank-0 tensor holding v (a number or a std::string). */
    template <class T>
    static Tensor scalar(const T &v)
    {
        if constexpr (detail::is_element_v<T>) return Tensor(&v, Shape{});
        else return Tensor(std::vector<std::string>{std::string(v)}, Shape{});
    }
    /* Zero-filled tensors ("" for strings is not offered: use the string constructor). */
    static Tensor zeros(tfc_dtype dtype, const Shape &shape)
    {
        tfc_tensor *t = nullptr;
        detail::elements_of(shape, "tfc::Tensor::zeros");
        check(tfc_tensor_new(dtype, shape.data(), detail::isize(shape), nullptr, 0, &t));
        return adopt(t);
    }
    template <class T>
    static Tensor zeros(const Shape &shape)
    {
        static_assert(detail::is_element_v<T>, "tfc::Tensor::zeros<T>: T must be a numeric element type");
        return zeros(dtype_of<T>, shape);
    }
    /* Without a copy: the tensor keeps the vector's buffer alive (moved into
     * it) until its last reference goes. */
    template <class T>
    static Tensor wrap(std::vector<T> &&values, const Shape &shape)
    {
        static_assert(detail::is_element_v<T> && !std::is_same_v<T, bool>,
                      "tfc::Tensor::wrap: T must be a numeric element type other than bool");
        detail::check_count(values.size(), shape, "tfc::Tensor::wrap");
        auto *owner = new std::vector<T>(std::move(values));
        tfc_tensor *t = nullptr;
        tfc_code c = tfc_tensor_new_borrowed(dtype_of<T>, shape.data(), detail::isize(shape), owner->data(),
                                             owner->size() * sizeof(T), &free_vector<T>, owner, &t);
        if (c != TFC_OK) {
            values = std::move(*owner); /* failure: the caller keeps the data */
            delete owner;
            check(c);
        }
        return adopt(t);
    }

    tfc_tensor *get() const noexcept { return t_; }
    /* Gives up the reference to the caller (who must tfc_tensor_free it). */
    tfc_tensor *release() noexcept { return std::exchange(t_, nullptr); }
    explicit operator bool() const noexcept { return t_ != nullptr; }

    tfc_dtype dtype() const { return tfc_tensor_dtype(handle("dtype")); }
    int rank() const { return tfc_tensor_rank(handle("rank")); }
    Shape shape() const
    {
        const tfc_tensor *t = handle("shape");
        const int64_t *d = tfc_tensor_dims(t);
        return Shape(d, d + tfc_tensor_rank(t));
    }
    int64_t dim(int i) const { return tfc_tensor_dim(handle("dim"), i); }
    int64_t num_elements() const { return tfc_tensor_num_elements(handle("num_elements")); }
    size_t byte_size() const { return tfc_tensor_byte_size(handle("byte_size")); }
    /* The untyped element buffer (not for strings). */
    void *raw_data() const { return tfc_tensor_data(handle("raw_data")); }

    /* Typed element buffer, row-major; throws when T is not the dtype. */
    template <class T>
    T *data()
    {
        expect_dtype(dtype_of<T>, "data");
        return static_cast<T *>(tfc_tensor_data(t_));
    }
    template <class T>
    const T *data() const
    {
        expect_dtype(dtype_of<T>, "data");
        return static_cast<const T *>(tfc_tensor_data(t_));
    }
    /* The one element of a tensor with one element (a number or std::string). */
    template <class T>
    T scalar() const
    {
        if (num_elements() != 1)
            throw InvalidArgumentError("tfc::Tensor::scalar: the tensor has " + std::to_string(num_elements()) +
                                       " elements, not 1");
        if constexpr (detail::is_string_v<T>) return string_at(0);
        else return data<T>()[0];
    }
    /* All elements, copied out in row-major order. */
    template <class T>
    std::vector<T> values() const
    {
        if constexpr (detail::is_string_v<T>) {
            return strings();
        } else {
            const T *p = data<T>();
            return std::vector<T>(p, p + num_elements());
        }
    }
    /* Element i of a string tensor. */
    std::string string_at(int64_t i) const
    {
        expect_dtype(TFC_STRING, "string_at");
        const char *s = nullptr;
        size_t len = 0;
        check(tfc_tensor_string(t_, i, &s, &len));
        return std::string(s, len);
    }
    std::vector<std::string> strings() const
    {
        expect_dtype(TFC_STRING, "strings");
        std::vector<std::string> r;
        r.reserve(static_cast<size_t>(num_elements()));
        for (int64_t i = 0; i < num_elements(); i++) r.push_back(string_at(i));
        return r;
    }
    /* A new tensor with its own buffer. */
    Tensor copy() const
    {
        tfc_tensor *t = nullptr;
        check(tfc_tensor_copy(handle("copy"), &t));
        return adopt(t);
    }

private:
    tfc_tensor *t_ = nullptr;

    const tfc_tensor *handle(const char *what) const
    {
        if (!t_) throw FailedPreconditionError(std::string("tfc::Tensor::") + what + ": the tensor is empty");
        return t_;
    }
    void expect_dtype(tfc_dtype want, const char *what) const
    {
        tfc_dtype have = tfc_tensor_dtype(handle(what));
        if (have != want)
            throw InvalidArgumentError(std::string("tfc::Tensor::") + what + ": the tensor holds " +
                                       tfc_dtype_name(have) + ", not " + tfc_dtype_name(want));
    }
    template <class T>
    static void free_vector(void *, size_t, void *arg)
    {
        delete static_cast<std::vector<T> *>(arg);
    }
    template <class T, class It>
    static tfc_tensor *from_range(It first, size_t n, const Shape &shape)
    {
        detail::check_count(n, shape, "tfc::Tensor");
        tfc_tensor *t = nullptr;
        check(tfc_tensor_new(dtype_of<T>, shape.data(), detail::isize(shape), nullptr, 0, &t));
        T *p = static_cast<T *>(tfc_tensor_data(t));
        for (size_t i = 0; i < n; i++, ++first) p[i] = *first;
        return t;
    }
    static tfc_tensor *from_strings(const std::vector<std::string> &values, const Shape &shape)
    {
        detail::check_count(values.size(), shape, "tfc::Tensor");
        std::vector<const char *> strs(values.size());
        std::vector<size_t> lens(values.size());
        for (size_t i = 0; i < values.size(); i++) {
            strs[i] = values[i].data();
            lens[i] = values[i].size();
        }
        tfc_tensor *t = nullptr;
        check(tfc_tensor_new_strings(shape.data(), detail::isize(shape), strs.data(), lens.data(), &t));
        return t;
    }
};

/* Reads an IDX file (MNIST format, plain or gzip). */
inline Tensor idx_read(const std::string &path)
{
    tfc_tensor *t = nullptr;
    check(tfc_idx_read(path.c_str(), &t));
    return Tensor::adopt(t);
}

/* ======================================================================== */
/* Graphs, operations, outputs                                               */
/* ======================================================================== */

class Output;
class Graph;

/* An operation of a graph (lent: valid while the graph lives). */
class Operation {
public:
    Operation() noexcept = default;
    static Operation wrap(tfc_graph *g, tfc_op *op) noexcept
    {
        Operation r;
        r.g_ = g;
        r.op_ = op;
        return r;
    }
    tfc_op *get() const noexcept { return op_; }
    tfc_graph *graph() const noexcept { return g_; }
    explicit operator bool() const noexcept { return op_ != nullptr; }
    friend bool operator==(const Operation &a, const Operation &b) { return a.op_ == b.op_; }
    friend bool operator!=(const Operation &a, const Operation &b) { return a.op_ != b.op_; }
    friend bool operator<(const Operation &a, const Operation &b) { return std::less<tfc_op *>()(a.op_, b.op_); }

    std::string name() const { return tfc_op_name(handle()); }
    std::string type() const { return tfc_op_type(handle()); }
    int num_inputs() const { return tfc_op_num_inputs(handle()); }
    int num_outputs() const { return tfc_op_num_outputs(handle()); }
    int num_control_inputs() const { return tfc_op_num_control_inputs(handle()); }
    inline Output input(int i) const;
    inline Output output(int i = 0) const;
    Operation control_input(int i) const { return wrap(g_, tfc_op_control_input(handle(), i)); }

    /* Attributes (NotFoundError when absent, InvalidArgumentError for another type). */
    int64_t attr_int(const std::string &name) const
    {
        int64_t v = 0;
        check(tfc_op_attr_int(handle(), name.c_str(), &v));
        return v;
    }
    float attr_float(const std::string &name) const
    {
        float v = 0;
        check(tfc_op_attr_float(handle(), name.c_str(), &v));
        return v;
    }
    bool attr_bool(const std::string &name) const
    {
        bool v = false;
        check(tfc_op_attr_bool(handle(), name.c_str(), &v));
        return v;
    }
    tfc_dtype attr_type(const std::string &name) const
    {
        tfc_dtype v = TFC_INVALID_DTYPE;
        check(tfc_op_attr_type(handle(), name.c_str(), &v));
        return v;
    }
    std::string attr_string(const std::string &name) const
    {
        const char *v = nullptr;
        check(tfc_op_attr_string(handle(), name.c_str(), &v));
        return v ? v : "";
    }
    /* std::nullopt for an unknown-rank shape. */
    std::optional<Shape> attr_shape(const std::string &name) const
    {
        int64_t d[TFC_MAX_RANK];
        int rank = -1;
        check(tfc_op_attr_shape(handle(), name.c_str(), d, &rank));
        if (rank < 0) return std::nullopt;
        return Shape(d, d + rank);
    }
    /* A copy of the attribute's tensor. */
    Tensor attr_tensor(const std::string &name) const
    {
        const tfc_tensor *t = nullptr;
        check(tfc_op_attr_tensor(handle(), name.c_str(), &t));
        tfc_tensor *c = nullptr;
        check(tfc_tensor_copy(t, &c));
        return Tensor::adopt(c);
    }
    std::vector<int64_t> attr_int_list(const std::string &name) const
    {
        const int64_t *v = nullptr;
        int n = 0;
        check(tfc_op_attr_int_list(handle(), name.c_str(), &v, &n));
        return std::vector<int64_t>(v, v + n);
    }

    /* Variables: trainable flag and the initializer (Assign) op. */
    bool trainable() const { return tfc_variable_trainable(handle()); }
    void set_trainable(bool t) { check(tfc_variable_set_trainable(handle_mut(), t)); }
    Operation initializer() const { return wrap(g_, tfc_variable_initializer(handle())); }

private:
    tfc_graph *g_ = nullptr;
    tfc_op *op_ = nullptr;

    const tfc_op *handle() const
    {
        if (!op_) throw FailedPreconditionError("tfc::Operation: the operation is empty");
        return op_;
    }
    tfc_op *handle_mut() const
    {
        if (!op_) throw FailedPreconditionError("tfc::Operation: the operation is empty");
        return op_;
    }
};

/* One output of an operation: a value type (graph, op, index). */
class Output {
public:
    Output() noexcept = default;
    static Output wrap(tfc_graph *g, tfc_output o) noexcept
    {
        Output r;
        r.g_ = o.op ? g : nullptr;
        r.o_ = o;
        return r;
    }
    tfc_output c() const noexcept { return o_; }
    tfc_graph *graph() const noexcept { return g_; }
    explicit operator bool() const noexcept { return o_.op != nullptr; }
    Operation op() const noexcept { return Operation::wrap(g_, o_.op); }
    int index() const noexcept { return o_.index; }
    /* "op_name:index", as TensorFlow names tensors. */
    std::string name() const { return op().name() + ":" + std::to_string(o_.index); }
    tfc_dtype dtype() const { return tfc_output_dtype(o_); }
    /* Static shape (-1 for unknown dimensions); std::nullopt for unknown rank. */
    std::optional<Shape> shape() const
    {
        if (!o_.op) throw FailedPreconditionError("tfc::Output::shape: the output is empty");
        int64_t d[TFC_MAX_RANK];
        int rank = -1;
        check(tfc_graph_output_shape(g_, o_, d, &rank));
        if (rank < 0) return std::nullopt;
        return Shape(d, d + rank);
    }
    friend bool operator==(const Output &a, const Output &b) { return a.o_.op == b.o_.op && a.o_.index == b.o_.index; }
    friend bool operator!=(const Output &a, const Output &b) { return !(a == b); }
    /* An ordering, so Outputs can key a std::map (not an op). */
    friend bool operator<(const Output &a, const Output &b)
    {
        if (a.o_.op != b.o_.op) return std::less<tfc_op *>()(a.o_.op, b.o_.op);
        return a.o_.index < b.o_.index;
    }

private:
    tfc_graph *g_ = nullptr;
    tfc_output o_{nullptr, 0};
};

inline Output Operation::input(int i) const
{
    return Output::wrap(g_, tfc_op_input(handle(), i));
}
inline Output Operation::output(int i) const
{
    return Output::wrap(g_, tfc_op_output(handle_mut(), i));
}

namespace detail {

/* Throws the graph's sticky error (clearing it, so the graph stays usable). */
[[noreturn]] inline void throw_graph_error(tfc_graph *g)
{
    tfc_code c = tfc_graph_status(g);
    std::string m = tfc_graph_error_message(g);
    tfc_graph_clear_error(g);
    std::string &pending = pending_callback_error();
    if (!pending.empty()) {
        m += " (" + pending + ")";
        pending.clear();
    }
    throw_error(c == TFC_OK ? TFC_INTERNAL : c, m);
}

/* After a typed constructor: throw its sticky error, else wrap the result. */
inline Output checked(tfc_graph *g, tfc_output o)
{
    if (tfc_graph_status(g) != TFC_OK) throw_graph_error(g);
    if (!o.op) throw InternalError("tfc: an op constructor returned no output without an error");
    return Output::wrap(g, o);
}
inline Operation checked_op(tfc_graph *g, tfc_op *op)
{
    if (tfc_graph_status(g) != TFC_OK) throw_graph_error(g);
    if (!op) check(TFC_INTERNAL);
    return Operation::wrap(g, op);
}

/* The graph of an op's inputs; every input must be set. */
inline tfc_graph *graph_of(const char *fn, std::initializer_list<Output> inputs)
{
    tfc_graph *g = nullptr;
    int i = 0;
    for (const Output &o : inputs) {
        if (!o)
            throw InvalidArgumentError(std::string("tfc::") + fn + ": input " + std::to_string(i) +
                                       " is an empty tfc::Output");
        if (!g) g = o.graph();
        i++;
    }
    if (!g) throw InvalidArgumentError(std::string("tfc::") + fn + ": no input");
    return g;
}
inline tfc_graph *graph_of(const char *fn, const std::vector<Output> &inputs)
{
    tfc_graph *g = nullptr;
    for (size_t i = 0; i < inputs.size(); i++) {
        if (!inputs[i])
            throw InvalidArgumentError(std::string("tfc::") + fn + ": input " + std::to_string(i) +
                                       " is an empty tfc::Output");
        if (!g) g = inputs[i].graph();
    }
    if (!g) throw InvalidArgumentError(std::string("tfc::") + fn + ": no input");
    return g;
}

inline std::vector<tfc_output> raw(const std::vector<Output> &v)
{
    std::vector<tfc_output> r;
    r.reserve(v.size());
    for (const Output &o : v) r.push_back(o.c());
    return r;
}

} // namespace detail

/* Passed where an unknown-rank shape is meant: g.placeholder(TFC_FLOAT, tfc::unknown_rank). */
struct UnknownRank {
    explicit UnknownRank() = default;
};
inline const UnknownRank unknown_rank{};

/* A dataflow graph (tfc_graph); owns its operations. Move-only. */
class Graph {
public:
    Graph() { check(tfc_graph_new(&g_)); }
    Graph(Graph &&o) noexcept : g_(std::exchange(o.g_, nullptr)), owned_(o.owned_) {}
    Graph &operator=(Graph &&o) noexcept
    {
        if (this != &o) {
            if (owned_) tfc_graph_free(g_);
            g_ = std::exchange(o.g_, nullptr);
            owned_ = o.owned_;
        }
        return *this;
    }
    Graph(const Graph &) = delete;
    Graph &operator=(const Graph &) = delete;
    ~Graph()
    {
        if (owned_) tfc_graph_free(g_);
    }
    /* A non-owning view of a graph someone else frees (a loaded model's). */
    static Graph borrow(tfc_graph *g) noexcept { return Graph(g, false); }

    tfc_graph *get() const noexcept { return g_; }

    void set_seed(int64_t seed) { tfc_graph_set_seed(g_, seed); }

    /* Name scope for the ops made while the returned guard lives. */
    class NameScope {
    public:
        NameScope(NameScope &&o) noexcept : g_(std::exchange(o.g_, nullptr)) {}
        NameScope(const NameScope &) = delete;
        NameScope &operator=(const NameScope &) = delete;
        NameScope &operator=(NameScope &&) = delete;
        ~NameScope()
        {
            if (g_) tfc_graph_pop_name_scope(g_);
        }

    private:
        friend class Graph;
        explicit NameScope(tfc_graph *g) : g_(g) {}
        tfc_graph *g_;
    };
    [[nodiscard]] NameScope name_scope(const std::string &scope)
    {
        check(tfc_graph_push_name_scope(g_, scope.c_str()));
        return NameScope(g_);
    }

    /* By full name: NotFoundError when absent (find_operation: empty instead). */
    Operation operation(const std::string &name) const
    {
        Operation op = find_operation(name);
        if (!op) throw NotFoundError("tfc::Graph::operation: no operation named '" + name + "'");
        return op;
    }
    Operation find_operation(const std::string &name) const noexcept
    {
        return Operation::wrap(g_, tfc_graph_op_by_name(g_, name.c_str()));
    }
    std::vector<Operation> operations() const
    {
        std::vector<Operation> r;
        size_t pos = 0;
        while (tfc_op *op = tfc_graph_next_op(g_, &pos)) r.push_back(Operation::wrap(g_, op));
        return r;
    }
    size_t num_operations() const { return tfc_graph_num_ops(g_); }
    std::vector<Operation> variables() const
    {
        std::vector<Operation> r;
        for (size_t i = 0, n = tfc_graph_num_variables(g_); i < n; i++)
            r.push_back(Operation::wrap(g_, tfc_graph_variable(g_, i)));
        return r;
    }

    /* ---- ops without inputs --------------------------------------------- */

    /* shape dims -1 for unknown sizes; tfc::unknown_rank for an unknown rank. */
    Output placeholder(tfc_dtype dtype, const Shape &shape, const std::string &name = {})
    {
        return detail::checked(g_,
                               tfc_placeholder(g_, dtype, shape.data(), detail::isize(shape), detail::opt_name(name)));
    }
    Output placeholder(tfc_dtype dtype, UnknownRank, const std::string &name = {})
    {
        return detail::checked(g_, tfc_placeholder(g_, dtype, nullptr, -1, detail::opt_name(name)));
    }
    template <class T>
    Output placeholder(const Shape &shape, const std::string &name = {})
    {
        return placeholder(dtype_of<T>, shape, name);
    }
    /* A constant holding a copy of value. */
    Output constant(const Tensor &value, const std::string &name = {})
    {
        if (!value) throw InvalidArgumentError("tfc::Graph::constant: the tensor is empty");
        return detail::checked(g_, tfc_const(g_, value.get(), detail::opt_name(name)));
    }
    /* A scalar constant of T's dtype (2.f float32, 2.0 float64, 2 int32). */
    template <class T, std::enable_if_t<detail::is_element_v<T>, int> = 0>
    Output constant(T value, const std::string &name = {})
    {
        return constant(Tensor::scalar(value), name);
    }
    Output zeros(tfc_dtype dtype, const Shape &shape, const std::string &name = {})
    {
        return detail::checked(g_, tfc_zeros(g_, dtype, shape.data(), detail::isize(shape), detail::opt_name(name)));
    }
    Output ones(tfc_dtype dtype, const Shape &shape, const std::string &name = {})
    {
        return detail::checked(g_, tfc_ones(g_, dtype, shape.data(), detail::isize(shape), detail::opt_name(name)));
    }
    Output random_uniform(tfc_dtype dtype, const Shape &shape, double minval = 0, double maxval = 1, int64_t seed = 0,
                          const std::string &name = {})
    {
        return detail::checked(g_, tfc_random_uniform(g_, dtype, shape.data(), detail::isize(shape), minval, maxval,
                                                      seed, detail::opt_name(name)));
    }
    Output random_normal(tfc_dtype dtype, const Shape &shape, double mean = 0, double stddev = 1, int64_t seed = 0,
                         const std::string &name = {})
    {
        return detail::checked(g_, tfc_random_normal(g_, dtype, shape.data(), detail::isize(shape), mean, stddev, seed,
                                                     detail::opt_name(name)));
    }
    Output truncated_normal(tfc_dtype dtype, const Shape &shape, double mean = 0, double stddev = 1, int64_t seed = 0,
                            const std::string &name = {})
    {
        return detail::checked(g_, tfc_truncated_normal(g_, dtype, shape.data(), detail::isize(shape), mean, stddev,
                                                        seed, detail::opt_name(name)));
    }
    Output glorot_uniform(tfc_dtype dtype, const Shape &shape, int64_t seed = 0, const std::string &name = {})
    {
        return detail::checked(
            g_, tfc_glorot_uniform(g_, dtype, shape.data(), detail::isize(shape), seed, detail::opt_name(name)));
    }
    /* A trainable variable initialized to initial_value (an output of this graph). */
    Output variable(Output initial_value, const std::string &name = {})
    {
        detail::graph_of("Graph::variable", {initial_value});
        return detail::checked(g_, tfc_variable(g_, initial_value.c(), detail::opt_name(name)));
    }
    /* Runs every existing variable's initializer: make it after Optimizer::minimize. */
    Operation global_variables_initializer() { return detail::checked_op(g_, tfc_global_variables_initializer(g_)); }
    Operation no_op(const std::string &name = {})
    {
        return detail::checked_op(g_, tfc_no_op(g_, detail::opt_name(name)));
    }
    Operation group(const std::vector<Operation> &ops, const std::string &name = {})
    {
        std::vector<tfc_op *> raw;
        for (const Operation &o : ops) raw.push_back(o.get());
        return detail::checked_op(g_, tfc_group(g_, raw.data(), detail::isize(raw), detail::opt_name(name)));
    }
    /* The int64 scalar variable "global_step" (made on first use). */
    Output global_step()
    {
        tfc_output o{nullptr, 0};
        check(tfc_train_global_step(g_, &o));
        return Output::wrap(g_, o);
    }

    /* ---- GraphDef ---------------------------------------------------------- */

    std::string to_graph_def() const
    {
        tfc_buffer *b = nullptr;
        check(tfc_graph_to_graph_def(g_, &b));
        std::string r(static_cast<const char *>(tfc_buffer_data(b)), tfc_buffer_size(b));
        tfc_buffer_free(b);
        return r;
    }
    void import_graph_def(const std::string &bytes, const std::string &prefix = {})
    {
        check(tfc_graph_import_graph_def(g_, bytes.data(), bytes.size(), detail::opt_name(prefix)));
    }
    void import_graph_def_file(const std::string &path, const std::string &prefix = {})
    {
        check(tfc_graph_import_graph_def_file(g_, path.c_str(), detail::opt_name(prefix)));
    }
    void write_graph_def(const std::string &path) const { check(tfc_graph_write_graph_def_file(g_, path.c_str())); }

private:
    Graph(tfc_graph *g, bool owned) noexcept : g_(g), owned_(owned) {}
    tfc_graph *g_ = nullptr;
    bool owned_ = true;
};

/* ---- The generic op builder, for any registered op type ------------------- */

class OpBuilder {
public:
    OpBuilder(Graph &g, const std::string &type, const std::string &name = {})
        : g_(g.get()), b_(tfc_op_builder_new(g.get(), type.c_str(), detail::opt_name(name)))
    {
        if (!b_) throw ResourceExhaustedError("tfc::OpBuilder: out of memory starting a '" + type + "' op");
    }
    OpBuilder(OpBuilder &&o) noexcept : g_(o.g_), b_(std::exchange(o.b_, nullptr)) {}
    OpBuilder(const OpBuilder &) = delete;
    OpBuilder &operator=(const OpBuilder &) = delete;
    OpBuilder &operator=(OpBuilder &&) = delete;
    ~OpBuilder()
    {
        if (b_) tfc_op_builder_abandon(b_);
    }

    OpBuilder &input(Output in) { return tfc_op_builder_add_input(live(), in.c()), *this; }
    OpBuilder &inputs(const std::vector<Output> &ins)
    {
        std::vector<tfc_output> r = detail::raw(ins);
        tfc_op_builder_add_inputs(live(), r.data(), detail::isize(r));
        return *this;
    }
    OpBuilder &control_input(Operation op) { return tfc_op_builder_add_control_input(live(), op.get()), *this; }
    OpBuilder &attr(const std::string &n, int64_t v)
    {
        return tfc_op_builder_set_attr_int(live(), n.c_str(), v), *this;
    }
    OpBuilder &attr(const std::string &n, int v) { return attr(n, static_cast<int64_t>(v)); }
    OpBuilder &attr(const std::string &n, float v)
    {
        return tfc_op_builder_set_attr_float(live(), n.c_str(), v), *this;
    }
    OpBuilder &attr(const std::string &n, double v) { return attr(n, static_cast<float>(v)); }
    OpBuilder &attr(const std::string &n, bool v) { return tfc_op_builder_set_attr_bool(live(), n.c_str(), v), *this; }
    OpBuilder &attr(const std::string &n, tfc_dtype v)
    {
        return tfc_op_builder_set_attr_type(live(), n.c_str(), v), *this;
    }
    OpBuilder &attr(const std::string &n, const char *v)
    {
        return tfc_op_builder_set_attr_string(live(), n.c_str(), v), *this;
    }
    OpBuilder &attr(const std::string &n, const std::string &v) { return attr(n, v.c_str()); }
    OpBuilder &attr_shape(const std::string &n, const Shape &dims)
    {
        return tfc_op_builder_set_attr_shape(live(), n.c_str(), dims.data(), detail::isize(dims)), *this;
    }
    OpBuilder &attr_shape(const std::string &n, UnknownRank)
    {
        return tfc_op_builder_set_attr_shape(live(), n.c_str(), nullptr, -1), *this;
    }
    OpBuilder &attr_tensor(const std::string &n, const Tensor &t)
    {
        return tfc_op_builder_set_attr_tensor(live(), n.c_str(), t.get()), *this;
    }
    OpBuilder &attr_int_list(const std::string &n, const std::vector<int64_t> &v)
    {
        return tfc_op_builder_set_attr_int_list(live(), n.c_str(), v.data(), detail::isize(v)), *this;
    }
    OpBuilder &attr_float_list(const std::string &n, const std::vector<float> &v)
    {
        return tfc_op_builder_set_attr_float_list(live(), n.c_str(), v.data(), detail::isize(v)), *this;
    }
    OpBuilder &attr_type_list(const std::string &n, const std::vector<tfc_dtype> &v)
    {
        return tfc_op_builder_set_attr_type_list(live(), n.c_str(), v.data(), detail::isize(v)), *this;
    }
    OpBuilder &attr_string_list(const std::string &n, const std::vector<std::string> &v)
    {
        std::vector<const char *> p;
        for (const std::string &s : v) p.push_back(s.c_str());
        return tfc_op_builder_set_attr_string_list(live(), n.c_str(), p.data(), detail::isize(p)), *this;
    }
    /* Validates and adds the op; the builder is spent whatever the outcome. */
    Operation finish()
    {
        tfc_op *op = nullptr;
        check(tfc_op_builder_finish(std::exchange(live(), nullptr), &op));
        return Operation::wrap(g_, op);
    }

private:
    tfc_graph *g_;
    tfc_op_builder *b_;
    tfc_op_builder *&live()
    {
        if (!b_) throw FailedPreconditionError("tfc::OpBuilder: finish() was already called");
        return b_;
    }
};

/* ======================================================================== */
/* Typed op constructors (free functions; the graph is the inputs')          */
/* ======================================================================== */

#define TFC_HPP_UNARY(fn, cfn)                                            \
    inline Output fn(Output x, const std::string &name = {})              \
    {                                                                     \
        tfc_graph *g = detail::graph_of(#fn, {x});                        \
        return detail::checked(g, cfn(g, x.c(), detail::opt_name(name))); \
    }
#define TFC_HPP_BINARY(fn, cfn)                                                  \
    inline Output fn(Output x, Output y, const std::string &name = {})           \
    {                                                                            \
        tfc_graph *g = detail::graph_of(#fn, {x, y});                            \
        return detail::checked(g, cfn(g, x.c(), y.c(), detail::opt_name(name))); \
    }

/* math (broadcasting as NumPy) */
TFC_HPP_BINARY(add, tfc_add)
TFC_HPP_BINARY(sub, tfc_sub)
TFC_HPP_BINARY(mul, tfc_mul)
TFC_HPP_BINARY(div, tfc_div)
TFC_HPP_BINARY(pow, tfc_pow)
TFC_HPP_BINARY(maximum, tfc_maximum)
TFC_HPP_BINARY(minimum, tfc_minimum)
TFC_HPP_BINARY(squared_difference, tfc_squared_difference)
TFC_HPP_UNARY(neg, tfc_neg)
TFC_HPP_UNARY(abs, tfc_abs)
TFC_HPP_UNARY(sign, tfc_sign)
TFC_HPP_UNARY(square, tfc_square)
TFC_HPP_UNARY(sqrt, tfc_sqrt)
TFC_HPP_UNARY(rsqrt, tfc_rsqrt)
TFC_HPP_UNARY(exp, tfc_exp)
TFC_HPP_UNARY(log, tfc_log)
TFC_HPP_UNARY(log1p, tfc_log1p)
TFC_HPP_BINARY(equal, tfc_equal)
TFC_HPP_BINARY(not_equal, tfc_not_equal)
TFC_HPP_BINARY(less, tfc_less)
TFC_HPP_BINARY(less_equal, tfc_less_equal)
TFC_HPP_BINARY(greater, tfc_greater)
TFC_HPP_BINARY(greater_equal, tfc_greater_equal)
TFC_HPP_BINARY(logical_and, tfc_logical_and)
TFC_HPP_BINARY(logical_or, tfc_logical_or)
TFC_HPP_UNARY(logical_not, tfc_logical_not)
/* nn */
TFC_HPP_BINARY(bias_add, tfc_bias_add)
TFC_HPP_UNARY(sigmoid, tfc_sigmoid)
TFC_HPP_UNARY(tanh, tfc_tanh)
TFC_HPP_UNARY(relu, tfc_relu)
TFC_HPP_UNARY(relu6, tfc_relu6)
TFC_HPP_UNARY(elu, tfc_elu)
TFC_HPP_UNARY(softplus, tfc_softplus)
TFC_HPP_UNARY(softmax, tfc_softmax)
TFC_HPP_UNARY(log_softmax, tfc_log_softmax)
/* losses (per example) */
TFC_HPP_BINARY(softmax_cross_entropy_with_logits, tfc_softmax_cross_entropy_with_logits)
TFC_HPP_BINARY(sparse_softmax_cross_entropy_with_logits, tfc_sparse_softmax_cross_entropy_with_logits)
TFC_HPP_BINARY(sigmoid_cross_entropy_with_logits, tfc_sigmoid_cross_entropy_with_logits)
TFC_HPP_UNARY(l2_loss, tfc_l2_loss)
/* array and state */
TFC_HPP_UNARY(zeros_like, tfc_zeros_like)
TFC_HPP_UNARY(ones_like, tfc_ones_like)
TFC_HPP_UNARY(identity, tfc_identity)
TFC_HPP_BINARY(assign, tfc_assign)
TFC_HPP_BINARY(assign_add, tfc_assign_add)
TFC_HPP_BINARY(assign_sub, tfc_assign_sub)
TFC_HPP_BINARY(reshape_to, tfc_reshape_to)

#undef TFC_HPP_UNARY
#undef TFC_HPP_BINARY

inline Output add_n(const std::vector<Output> &xs, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("add_n", xs);
    std::vector<tfc_output> r = detail::raw(xs);
    return detail::checked(g, tfc_add_n(g, r.data(), detail::isize(r), detail::opt_name(name)));
}
/* cond ? x : y, element-wise with broadcasting. */
inline Output select(Output cond, Output x, Output y, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("select", {cond, x, y});
    return detail::checked(g, tfc_select(g, cond.c(), x.c(), y.c(), detail::opt_name(name)));
}
inline Output matmul(Output a, Output b, bool transpose_a = false, bool transpose_b = false,
                     const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("matmul", {a, b});
    return detail::checked(g, tfc_matmul(g, a.c(), b.c(), transpose_a, transpose_b, detail::opt_name(name)));
}
inline Output leaky_relu(Output x, float alpha = 0.2f, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("leaky_relu", {x});
    return detail::checked(g, tfc_leaky_relu(g, x.c(), alpha, detail::opt_name(name)));
}
inline Output dropout(Output x, float rate, int64_t seed = 0, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("dropout", {x});
    return detail::checked(g, tfc_dropout(g, x.c(), rate, seed, detail::opt_name(name)));
}

/* reductions: axes empty = all axes */
#define TFC_HPP_REDUCE(fn, cfn)                                                                                       \
    inline Output fn(Output x, const std::vector<int64_t> &axes = {}, bool keep_dims = false,                         \
                     const std::string &name = {})                                                                    \
    {                                                                                                                 \
        tfc_graph *g = detail::graph_of(#fn, {x});                                                                    \
        return detail::checked(g, cfn(g, x.c(), axes.empty() ? nullptr : axes.data(), detail::isize(axes), keep_dims, \
                                      detail::opt_name(name)));                                                       \
    }
TFC_HPP_REDUCE(reduce_sum, tfc_reduce_sum)
TFC_HPP_REDUCE(reduce_mean, tfc_reduce_mean)
TFC_HPP_REDUCE(reduce_max, tfc_reduce_max)
TFC_HPP_REDUCE(reduce_min, tfc_reduce_min)
TFC_HPP_REDUCE(reduce_prod, tfc_reduce_prod)
#undef TFC_HPP_REDUCE
inline Output argmax(Output x, int axis, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("argmax", {x});
    return detail::checked(g, tfc_argmax(g, x.c(), axis, detail::opt_name(name)));
}
inline Output argmin(Output x, int axis, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("argmin", {x});
    return detail::checked(g, tfc_argmin(g, x.c(), axis, detail::opt_name(name)));
}

/* array */
inline Output cast(Output x, tfc_dtype to, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("cast", {x});
    return detail::checked(g, tfc_cast(g, x.c(), to, detail::opt_name(name)));
}
/* One dimension may be -1 (inferred). */
inline Output reshape(Output x, const Shape &shape, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("reshape", {x});
    return detail::checked(g, tfc_reshape(g, x.c(), shape.data(), detail::isize(shape), detail::opt_name(name)));
}
inline Output expand_dims(Output x, int axis, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("expand_dims", {x});
    return detail::checked(g, tfc_expand_dims(g, x.c(), axis, detail::opt_name(name)));
}
/* axes empty: every dimension of size 1. */
inline Output squeeze(Output x, const std::vector<int64_t> &axes = {}, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("squeeze", {x});
    return detail::checked(
        g, tfc_squeeze(g, x.c(), axes.empty() ? nullptr : axes.data(), detail::isize(axes), detail::opt_name(name)));
}
/* perm empty: reverse the dimensions. */
inline Output transpose(Output x, const std::vector<int64_t> &perm = {}, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("transpose", {x});
    return detail::checked(
        g, tfc_transpose(g, x.c(), perm.empty() ? nullptr : perm.data(), detail::isize(perm), detail::opt_name(name)));
}
inline Output concat(const std::vector<Output> &xs, int axis, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("concat", xs);
    std::vector<tfc_output> r = detail::raw(xs);
    return detail::checked(g, tfc_concat(g, r.data(), detail::isize(r), axis, detail::opt_name(name)));
}
/* num_split equal parts along axis. */
inline std::vector<Output> split(Output x, int axis, int num_split, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("split", {x});
    Output first = detail::checked(g, tfc_split(g, x.c(), axis, num_split, detail::opt_name(name)));
    std::vector<Output> r;
    for (int i = 0; i < num_split; i++) r.push_back(first.op().output(i));
    return r;
}
/* size[i] -1: to the end. */
inline Output slice(Output x, const std::vector<int64_t> &begin, const std::vector<int64_t> &size,
                    const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("slice", {x});
    if (begin.size() != size.size())
        throw InvalidArgumentError("tfc::slice: begin has " + std::to_string(begin.size()) + " entries, size " +
                                   std::to_string(size.size()));
    return detail::checked(
        g, tfc_slice(g, x.c(), begin.data(), size.data(), detail::isize(begin), detail::opt_name(name)));
}
inline Output strided_slice(Output x, const std::vector<int64_t> &begin, const std::vector<int64_t> &end,
                            const std::vector<int64_t> &strides, int64_t begin_mask = 0, int64_t end_mask = 0,
                            int64_t shrink_axis_mask = 0, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("strided_slice", {x});
    if (begin.size() != end.size() || begin.size() != strides.size())
        throw InvalidArgumentError("tfc::strided_slice: begin, end and strides differ in length");
    return detail::checked(g,
                           tfc_strided_slice(g, x.c(), begin.data(), end.data(), strides.data(), detail::isize(begin),
                                             begin_mask, end_mask, shrink_axis_mask, detail::opt_name(name)));
}
inline Output gather(Output params, Output indices, int axis = 0, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("gather", {params, indices});
    return detail::checked(g, tfc_gather(g, params.c(), indices.c(), axis, detail::opt_name(name)));
}
inline Output tile(Output x, const std::vector<int64_t> &multiples, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("tile", {x});
    return detail::checked(g, tfc_tile(g, x.c(), multiples.data(), detail::isize(multiples), detail::opt_name(name)));
}
inline Output shape(Output x, tfc_dtype out_type = TFC_INT32, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("shape", {x});
    return detail::checked(g, tfc_shape(g, x.c(), out_type, detail::opt_name(name)));
}
inline Output size(Output x, tfc_dtype out_type = TFC_INT32, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("size", {x});
    return detail::checked(g, tfc_size(g, x.c(), out_type, detail::opt_name(name)));
}
/* A tensor of the given shape filled with the scalar value. */
inline Output fill(const Shape &dims, Output value, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("fill", {value});
    return detail::checked(g, tfc_fill(g, dims.data(), detail::isize(dims), value.c(), detail::opt_name(name)));
}
inline Output range(Output start, Output limit, Output delta, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("range", {start, limit, delta});
    return detail::checked(g, tfc_range(g, start.c(), limit.c(), delta.c(), detail::opt_name(name)));
}
inline Output one_hot(Output indices, int64_t depth, float on_value = 1, float off_value = 0,
                      tfc_dtype dtype = TFC_FLOAT, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("one_hot", {indices});
    return detail::checked(g, tfc_one_hot(g, indices.c(), depth, on_value, off_value, dtype, detail::opt_name(name)));
}
/* paddings: (before, after) per dimension, flattened. */
inline Output pad(Output x, const std::vector<int64_t> &paddings, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("pad", {x});
    if (paddings.size() % 2)
        throw InvalidArgumentError("tfc::pad: paddings must hold (before, after) pairs, got " +
                                   std::to_string(paddings.size()) + " values");
    return detail::checked(g, tfc_pad(g, x.c(), paddings.data(), detail::isize(paddings) / 2, detail::opt_name(name)));
}
inline Output placeholder_with_default(Output default_value, const Shape &shape, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("placeholder_with_default", {default_value});
    return detail::checked(g, tfc_placeholder_with_default(g, default_value.c(), shape.data(), detail::isize(shape),
                                                           detail::opt_name(name)));
}

/* sparse and embeddings */
inline Output sparse_segment_sum(Output data, Output indices, Output segment_ids, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("sparse_segment_sum", {data, indices, segment_ids});
    return detail::checked(g,
                           tfc_sparse_segment_sum(g, data.c(), indices.c(), segment_ids.c(), detail::opt_name(name)));
}
inline Output sparse_segment_mean(Output data, Output indices, Output segment_ids, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("sparse_segment_mean", {data, indices, segment_ids});
    return detail::checked(g,
                           tfc_sparse_segment_mean(g, data.c(), indices.c(), segment_ids.c(), detail::opt_name(name)));
}
inline Output sparse_segment_sqrtn(Output data, Output indices, Output segment_ids, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("sparse_segment_sqrtn", {data, indices, segment_ids});
    return detail::checked(g,
                           tfc_sparse_segment_sqrtn(g, data.c(), indices.c(), segment_ids.c(), detail::opt_name(name)));
}
inline Output unsorted_segment_sum(Output data, Output segment_ids, Output num_segments, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("unsorted_segment_sum", {data, segment_ids, num_segments});
    return detail::checked(
        g, tfc_unsorted_segment_sum(g, data.c(), segment_ids.c(), num_segments.c(), detail::opt_name(name)));
}
/* weights may be an empty Output (no weights). */
inline Output embedding_lookup_sparse(Output params, Output ids, Output segment_ids, Output weights,
                                      Output num_segments, tfc_combiner combiner = TFC_COMBINER_MEAN,
                                      const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("embedding_lookup_sparse", {params, ids, segment_ids, num_segments});
    return detail::checked(g, tfc_embedding_lookup_sparse(g, params.c(), ids.c(), segment_ids.c(), weights.c(),
                                                          num_segments.c(), combiner, detail::opt_name(name)));
}

/* feature transformations */
inline Output bucketize(Output x, const std::vector<float> &boundaries, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("bucketize", {x});
    return detail::checked(
        g, tfc_bucketize(g, x.c(), boundaries.data(), detail::isize(boundaries), detail::opt_name(name)));
}
inline Output string_to_hash_bucket_fast(Output x, int64_t num_buckets, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("string_to_hash_bucket_fast", {x});
    return detail::checked(g, tfc_string_to_hash_bucket_fast(g, x.c(), num_buckets, detail::opt_name(name)));
}
inline Output lookup_vocab(Output x, const std::vector<std::string> &vocab, int64_t num_oov_buckets = 0,
                           int64_t default_value = -1, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("lookup_vocab", {x});
    std::vector<const char *> v;
    for (const std::string &s : vocab) v.push_back(s.c_str());
    return detail::checked(g, tfc_lookup_vocab(g, x.c(), v.data(), detail::isize(v), num_oov_buckets, default_value,
                                               detail::opt_name(name)));
}
inline Output hashed_cross(const std::vector<Output> &columns, int64_t num_buckets,
                           uint64_t hash_key = TFC_DEFAULT_HASH_KEY, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("hashed_cross", columns);
    std::vector<tfc_output> r = detail::raw(columns);
    return detail::checked(
        g, tfc_hashed_cross(g, r.data(), detail::isize(r), num_buckets, hash_key, detail::opt_name(name)));
}
inline Output identity_buckets(Output x, int64_t num_buckets, int64_t default_value = -1, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("identity_buckets", {x});
    return detail::checked(g, tfc_identity_buckets(g, x.c(), num_buckets, default_value, detail::opt_name(name)));
}
inline Output string_to_number(Output x, tfc_dtype out_type = TFC_FLOAT, const std::string &name = {})
{
    tfc_graph *g = detail::graph_of("string_to_number", {x});
    return detail::checked(g, tfc_string_to_number(g, x.c(), out_type, detail::opt_name(name)));
}

/* ---- Operators: element-wise math with Outputs and numbers ---------------- */

namespace detail {
/* A scalar constant of x's dtype, so `x * 2` works for float32 and float64 alike. */
inline Output scalar_like(Output x, double v)
{
    tfc_graph *g = graph_of("operator", {x});
    switch (x.dtype()) {
    case TFC_FLOAT: return checked(g, tfc_const_float(g, static_cast<float>(v), nullptr));
    case TFC_DOUBLE: return checked(g, tfc_const_double(g, v, nullptr));
    case TFC_INT32: return checked(g, tfc_const_int32(g, static_cast<int32_t>(v), nullptr));
    case TFC_INT64: return checked(g, tfc_const_int64(g, static_cast<int64_t>(v), nullptr));
    default: return cast(checked(g, tfc_const_double(g, v, nullptr)), x.dtype());
    }
}
} // namespace detail

inline Output operator+(Output a, Output b)
{
    return add(a, b);
}
inline Output operator-(Output a, Output b)
{
    return sub(a, b);
}
inline Output operator*(Output a, Output b)
{
    return mul(a, b);
}
inline Output operator/(Output a, Output b)
{
    return div(a, b);
}
inline Output operator-(Output a)
{
    return neg(a);
}
inline Output operator+(Output a, double b)
{
    return add(a, detail::scalar_like(a, b));
}
inline Output operator-(Output a, double b)
{
    return sub(a, detail::scalar_like(a, b));
}
inline Output operator*(Output a, double b)
{
    return mul(a, detail::scalar_like(a, b));
}
inline Output operator/(Output a, double b)
{
    return div(a, detail::scalar_like(a, b));
}
inline Output operator+(double a, Output b)
{
    return add(detail::scalar_like(b, a), b);
}
inline Output operator-(double a, Output b)
{
    return sub(detail::scalar_like(b, a), b);
}
inline Output operator*(double a, Output b)
{
    return mul(detail::scalar_like(b, a), b);
}
inline Output operator/(double a, Output b)
{
    return div(detail::scalar_like(b, a), b);
}

/* ======================================================================== */
/* Gradients                                                                 */
/* ======================================================================== */

/* Symbolic gradients of sum(ys) (weighted by dys) with respect to xs. An
 * entry is an empty Output when xs[i] does not influence ys. */
inline std::vector<Output> gradients(const std::vector<Output> &ys, const std::vector<Output> &xs,
                                     const std::vector<Output> &dys = {})
{
    tfc_graph *g = detail::graph_of("gradients", ys);
    if (!dys.empty() && dys.size() != ys.size())
        throw InvalidArgumentError("tfc::gradients: " + std::to_string(dys.size()) + " dys for " +
                                   std::to_string(ys.size()) + " ys");
    std::vector<tfc_output> y = detail::raw(ys), x = detail::raw(xs), dy = detail::raw(dys);
    std::vector<tfc_output> dx(xs.size(), tfc_output{nullptr, 0});
    check(tfc_graph_add_gradients(g, y.data(), detail::isize(y), x.data(), detail::isize(x),
                                  dys.empty() ? nullptr : dy.data(), dx.data()));
    std::vector<Output> r;
    for (const tfc_output &o : dx) r.push_back(Output::wrap(g, o));
    return r;
}
inline std::vector<Output> gradients(Output y, const std::vector<Output> &xs)
{
    return gradients(std::vector<Output>{y}, xs);
}

/* A gradient that may be sparse: dense set, or rows `values` for row `indices`. */
struct Gradient {
    Output dense, indices, values;
    bool is_sparse() const noexcept { return static_cast<bool>(indices); }
};
inline std::vector<Gradient> gradients_sparse(const std::vector<Output> &ys, const std::vector<Output> &xs,
                                              const std::vector<Output> &dys = {})
{
    tfc_graph *g = detail::graph_of("gradients_sparse", ys);
    if (!dys.empty() && dys.size() != ys.size())
        throw InvalidArgumentError("tfc::gradients_sparse: " + std::to_string(dys.size()) + " dys for " +
                                   std::to_string(ys.size()) + " ys");
    std::vector<tfc_output> y = detail::raw(ys), x = detail::raw(xs), dy = detail::raw(dys);
    std::vector<tfc_gradient> dx(xs.size());
    check(tfc_graph_add_gradients_sparse(g, y.data(), detail::isize(y), x.data(), detail::isize(x),
                                         dys.empty() ? nullptr : dy.data(), dx.data()));
    std::vector<Gradient> r;
    for (const tfc_gradient &d : dx)
        r.push_back(Gradient{Output::wrap(g, d.dense), Output::wrap(g, d.indices), Output::wrap(g, d.values)});
    return r;
}

/* ======================================================================== */
/* Sessions                                                                  */
/* ======================================================================== */

/* Values to feed: {{x, x_value}, {y, y_value}}, a vector of pairs or a map. */
class Feeds {
public:
    Feeds() = default;
    Feeds(std::initializer_list<std::pair<Output, Tensor>> items) : items_(items) {}
    Feeds(std::vector<std::pair<Output, Tensor>> items) : items_(std::move(items)) {}
    Feeds(const std::map<Output, Tensor> &items) : items_(items.begin(), items.end()) {}
    Feeds &add(Output o, Tensor t)
    {
        items_.emplace_back(o, std::move(t));
        return *this;
    }
    const std::vector<std::pair<Output, Tensor>> &items() const noexcept { return items_; }

private:
    std::vector<std::pair<Output, Tensor>> items_;
};

/* Runs a graph and holds its variables (tfc_session). The Graph must outlive
 * it. Move-only. */
class Session {
public:
    /* num_threads 0: one per core. */
    explicit Session(Graph &g, int num_threads = 0) : g_(g.get())
    {
        tfc_session_options o = TFC_SESSION_OPTIONS_INIT;
        o.num_threads = num_threads;
        check(tfc_session_new(g_, &o, &s_));
    }
    Session(Session &&o) noexcept : g_(o.g_), s_(std::exchange(o.s_, nullptr)), owned_(o.owned_) {}
    Session &operator=(Session &&o) noexcept
    {
        if (this != &o) {
            if (owned_) tfc_session_free(s_);
            g_ = o.g_;
            s_ = std::exchange(o.s_, nullptr);
            owned_ = o.owned_;
        }
        return *this;
    }
    Session(const Session &) = delete;
    Session &operator=(const Session &) = delete;
    ~Session()
    {
        if (owned_) tfc_session_free(s_);
    }
    /* A non-owning view (a loaded model's session). */
    static Session borrow(tfc_graph *g, tfc_session *s) noexcept { return Session(g, s); }

    tfc_session *get() const noexcept { return s_; }
    int num_threads() const { return tfc_session_num_threads(s_); }

    /* Feeds, fetches and targets; returns the fetched values in order. */
    std::vector<Tensor> run(const Feeds &feeds, const std::vector<Output> &fetches,
                            const std::vector<Operation> &targets = {})
    {
        std::vector<tfc_output> fo, fe = detail::raw(fetches);
        std::vector<tfc_tensor *> fv;
        for (const auto &[o, t] : feeds.items()) {
            if (!o)
                throw InvalidArgumentError("tfc::Session::run: feed " + std::to_string(fo.size()) +
                                           " is an empty tfc::Output");
            if (!t) throw InvalidArgumentError("tfc::Session::run: the value fed to " + o.name() + " is empty");
            fo.push_back(o.c());
            fv.push_back(t.get());
        }
        for (size_t i = 0; i < fetches.size(); i++)
            if (!fetches[i])
                throw InvalidArgumentError("tfc::Session::run: fetch " + std::to_string(i) +
                                           " is an empty tfc::Output");
        std::vector<tfc_op *> tg;
        for (const Operation &op : targets) {
            if (!op) throw InvalidArgumentError("tfc::Session::run: a target is an empty tfc::Operation");
            tg.push_back(op.get());
        }
        std::vector<tfc_tensor *> out(fetches.size(), nullptr);
        std::vector<Tensor> r;
        r.reserve(fetches.size());
        check(tfc_session_run(s_, fo.data(), fv.data(), detail::isize(fo), fe.data(), out.data(), detail::isize(fe),
                              tg.data(), detail::isize(tg)));
        for (tfc_tensor *t : out) r.push_back(Tensor::adopt(t));
        return r;
    }
    /* One fetch. */
    Tensor run(Output fetch, const Feeds &feeds = {}) { return std::move(run(feeds, {fetch})[0]); }
    /* One target (an initializer, a training step). */
    void run(Operation target, const Feeds &feeds = {}) { run(feeds, {}, {target}); }

    /* A copy of a variable's current value; setting copies value in. */
    Tensor variable_value(Operation variable)
    {
        tfc_tensor *t = nullptr;
        check(tfc_session_variable_value(s_, variable.get(), &t));
        return Tensor::adopt(t);
    }
    Tensor variable_value(Output variable) { return variable_value(variable.op()); }
    void set_variable(Operation variable, const Tensor &value)
    {
        check(tfc_session_set_variable(s_, variable.get(), value.get()));
    }
    void set_variable(Output variable, const Tensor &value) { set_variable(variable.op(), value); }

private:
    Session(tfc_graph *g, tfc_session *s) noexcept : g_(g), s_(s), owned_(false) {}
    tfc_graph *g_ = nullptr;
    tfc_session *s_ = nullptr;
    bool owned_ = true;
};

/* ======================================================================== */
/* Optimizers                                                                */
/* ======================================================================== */

/* Base of the optimizers (tfc_optimizer). Move-only. */
class Optimizer {
public:
    Optimizer(Optimizer &&o) noexcept : o_(std::exchange(o.o_, nullptr)) {}
    Optimizer &operator=(Optimizer &&o) noexcept
    {
        if (this != &o) {
            tfc_optimizer_free(o_);
            o_ = std::exchange(o.o_, nullptr);
        }
        return *this;
    }
    Optimizer(const Optimizer &) = delete;
    Optimizer &operator=(const Optimizer &) = delete;
    ~Optimizer() { tfc_optimizer_free(o_); }

    tfc_optimizer *get() const noexcept { return o_; }
    std::string name() const { return tfc_optimizer_name(o_); }

    /* Gradients of the scalar loss and an update of vars (empty: every
     * trainable variable), plus the global step's increment; returns the op
     * to run per training step. */
    Operation minimize(Output loss, const std::vector<Output> &vars = {}, bool increment_global_step = true)
    {
        tfc_graph *g = detail::graph_of("Optimizer::minimize", {loss});
        std::vector<tfc_output> v = detail::raw(vars);
        tfc_op *op = nullptr;
        check(tfc_optimizer_minimize(o_, g, loss.c(), v.empty() ? nullptr : v.data(), detail::isize(v),
                                     increment_global_step, &op));
        return Operation::wrap(g, op);
    }
    Operation apply_gradients(const std::vector<Gradient> &grads, const std::vector<Output> &vars,
                              bool increment_global_step = true)
    {
        tfc_graph *g = detail::graph_of("Optimizer::apply_gradients", vars);
        if (grads.size() != vars.size())
            throw InvalidArgumentError("tfc::Optimizer::apply_gradients: " + std::to_string(grads.size()) +
                                       " gradients for " + std::to_string(vars.size()) + " variables");
        std::vector<tfc_gradient> gr;
        for (const Gradient &d : grads) gr.push_back(tfc_gradient{d.dense.c(), d.indices.c(), d.values.c()});
        std::vector<tfc_output> v = detail::raw(vars);
        tfc_op *op = nullptr;
        check(tfc_optimizer_apply_gradients(o_, g, gr.data(), v.data(), detail::isize(v), increment_global_step, &op));
        return Operation::wrap(g, op);
    }
    /* A slot variable ("accumulator", "linear", "momentum", "m", "v"); empty if none. */
    Operation slot(Output variable, const std::string &slot_name) const
    {
        return Operation::wrap(variable.graph(), tfc_optimizer_slot(o_, variable.op().get(), slot_name.c_str()));
    }

protected:
    Optimizer() = default;
    tfc_optimizer *o_ = nullptr;
};

class GradientDescentOptimizer : public Optimizer {
public:
    explicit GradientDescentOptimizer(double learning_rate)
    {
        check(tfc_optimizer_gradient_descent_new(learning_rate, &o_));
    }
};
class MomentumOptimizer : public Optimizer {
public:
    MomentumOptimizer(double learning_rate, double momentum, bool use_nesterov = false)
    {
        check(tfc_optimizer_momentum_new(learning_rate, momentum, use_nesterov, &o_));
    }
};
class AdagradOptimizer : public Optimizer {
public:
    explicit AdagradOptimizer(double learning_rate, double initial_accumulator_value = 0.1, double epsilon = 0)
    {
        check(tfc_optimizer_adagrad_new(learning_rate, initial_accumulator_value, epsilon, &o_));
    }
};
/* FTRL-Proximal's parameters, TensorFlow's defaults. */
struct FtrlOptions {
    double learning_rate = 0.2;
    double learning_rate_power = -0.5;
    double initial_accumulator_value = 0.1;
    double l1_regularization_strength = 0;
    double l2_regularization_strength = 0;
    double l2_shrinkage_regularization_strength = 0;
    double beta = 0;
};
class FtrlOptimizer : public Optimizer {
public:
    explicit FtrlOptimizer(const FtrlOptions &f)
    {
        tfc_ftrl_options o = TFC_FTRL_OPTIONS_INIT;
        o.learning_rate = f.learning_rate;
        o.learning_rate_power = f.learning_rate_power;
        o.initial_accumulator_value = f.initial_accumulator_value;
        o.l1_regularization_strength = f.l1_regularization_strength;
        o.l2_regularization_strength = f.l2_regularization_strength;
        o.l2_shrinkage_regularization_strength = f.l2_shrinkage_regularization_strength;
        o.beta = f.beta;
        check(tfc_optimizer_ftrl_new(&o, &o_));
    }
    explicit FtrlOptimizer(double learning_rate) : FtrlOptimizer(with_rate(learning_rate)) {}

private:
    static FtrlOptions with_rate(double lr)
    {
        FtrlOptions f;
        f.learning_rate = lr;
        return f;
    }
};
class AdamOptimizer : public Optimizer {
public:
    explicit AdamOptimizer(double learning_rate = 0.001, double beta1 = 0.9, double beta2 = 0.999,
                           double epsilon = 1e-8)
    {
        check(tfc_optimizer_adam_new(learning_rate, beta1, beta2, epsilon, &o_));
    }
};

/* ======================================================================== */
/* Checkpoints                                                               */
/* ======================================================================== */

/* tf.train.Saver (tfc_saver): saves and restores a session's variables. The
 * Graph must outlive it. Move-only. */
class Saver {
public:
    /* variables empty: every variable of g now (trainable, slots, global step). */
    explicit Saver(Graph &g, const std::vector<Output> &variables = {}, int max_to_keep = 5)
    {
        std::vector<tfc_op *> ops;
        for (const Output &v : variables) ops.push_back(v.op().get());
        tfc_saver_options o = TFC_SAVER_OPTIONS_INIT;
        o.max_to_keep = max_to_keep;
        check(tfc_saver_new(g.get(), ops.empty() ? nullptr : ops.data(), detail::isize(ops), &o, &s_));
    }
    Saver(Saver &&o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    Saver &operator=(Saver &&o) noexcept
    {
        if (this != &o) {
            tfc_saver_free(s_);
            s_ = std::exchange(o.s_, nullptr);
        }
        return *this;
    }
    Saver(const Saver &) = delete;
    Saver &operator=(const Saver &) = delete;
    ~Saver() { tfc_saver_free(s_); }
    tfc_saver *get() const noexcept { return s_; }

    /* Writes "<prefix>-<global_step>.tfc" ("<prefix>.tfc" for a negative step);
     * returns the checkpoint's path. */
    std::string save(Session &s, const std::string &prefix, int64_t global_step = -1) const
    {
        char *path = nullptr;
        check(tfc_saver_save(s_, s.get(), prefix.c_str(), global_step, &path));
        std::string r = path ? path : "";
        tfc_string_free(path);
        return r;
    }
    void restore(Session &s, const std::string &path) const { check(tfc_saver_restore(s_, s.get(), path.c_str())); }
    /* Store / restore variable_name under checkpoint_name. */
    void map_name(const std::string &variable_name, const std::string &checkpoint_name)
    {
        check(tfc_saver_map_name(s_, variable_name.c_str(), checkpoint_name.c_str()));
    }
    /* The newest checkpoint in dir (NotFoundError when there is none). */
    static std::string latest(const std::string &dir)
    {
        char *path = nullptr;
        check(tfc_saver_latest(dir.c_str(), &path));
        std::string r = path ? path : "";
        tfc_string_free(path);
        return r;
    }

private:
    tfc_saver *s_ = nullptr;
};

/* ======================================================================== */
/* Exported models                                                           */
/* ======================================================================== */

/* A signature to export: a key, a method name and named graph tensors. A
 * plain value; the C signature is made at export time. */
class Signature {
public:
    explicit Signature(std::string key = TFC_SERVING_DEFAULT_SIGNATURE_KEY,
                       std::string method_name = TFC_PREDICT_METHOD_NAME)
        : key_(std::move(key)), method_(std::move(method_name))
    {}
    Signature &input(const std::string &key, Output tensor) { return inputs_.emplace_back(key, tensor), *this; }
    Signature &output(const std::string &key, Output tensor) { return outputs_.emplace_back(key, tensor), *this; }

    const std::string &key() const noexcept { return key_; }
    const std::string &method_name() const noexcept { return method_; }
    const std::vector<std::pair<std::string, Output>> &inputs() const noexcept { return inputs_; }
    const std::vector<std::pair<std::string, Output>> &outputs() const noexcept { return outputs_; }

private:
    std::string key_, method_;
    std::vector<std::pair<std::string, Output>> inputs_, outputs_;
};

/* Writes graph g, the variables' values in session s and the signatures to
 * export_dir (which must not exist or be empty). */
inline void export_saved_model(Session &s, const Graph &g, const std::string &export_dir,
                               const std::vector<Signature> &signatures, Operation main_op = {})
{
    std::vector<tfc_signature *> sigs;
    auto free_all = [&sigs] {
        for (tfc_signature *p : sigs) tfc_signature_free(p);
    };
    try {
        for (const Signature &sg : signatures) {
            tfc_signature *p = nullptr;
            check(tfc_signature_new(sg.key().c_str(), sg.method_name().c_str(), &p));
            sigs.push_back(p);
            for (const auto &[k, o] : sg.inputs()) check(tfc_signature_add_input(p, k.c_str(), o.c()));
            for (const auto &[k, o] : sg.outputs()) check(tfc_signature_add_output(p, k.c_str(), o.c()));
        }
        tfc_export_options eo = TFC_EXPORT_OPTIONS_INIT;
        eo.main_op = main_op.get();
        check(tfc_saved_model_export(s.get(), g.get(), export_dir.c_str(), sigs.data(), detail::isize(sigs), &eo));
    } catch (...) {
        free_all();
        throw;
    }
    free_all();
}

/* Description of a signature's tensor. */
struct TensorInfo {
    std::string key;
    tfc_dtype dtype = TFC_INVALID_DTYPE;
    std::optional<Shape> shape; /* nullopt: unknown rank; -1 for unknown dimensions */
    Output tensor;              /* in the loaded model's graph */
};
struct SignatureInfo {
    std::string key, method_name;
    std::vector<TensorInfo> inputs, outputs;
};

/* A loaded export (tfc_saved_model): a ready session and named signatures.
 * Move-only; run() may be called from several threads. */
class SavedModel {
public:
    explicit SavedModel(const std::string &export_dir, int num_threads = 0)
    {
        tfc_session_options o = TFC_SESSION_OPTIONS_INIT;
        o.num_threads = num_threads;
        check(tfc_saved_model_load(export_dir.c_str(), &o, &m_));
    }
    SavedModel(SavedModel &&o) noexcept : m_(std::exchange(o.m_, nullptr)) {}
    SavedModel &operator=(SavedModel &&o) noexcept
    {
        if (this != &o) {
            tfc_saved_model_free(m_);
            m_ = std::exchange(o.m_, nullptr);
        }
        return *this;
    }
    SavedModel(const SavedModel &) = delete;
    SavedModel &operator=(const SavedModel &) = delete;
    ~SavedModel() { tfc_saved_model_free(m_); }
    tfc_saved_model *get() const noexcept { return m_; }

    /* Non-owning views of the model's graph and session. */
    Graph graph() const { return Graph::borrow(tfc_saved_model_graph(m_)); }
    Session session() const { return Session::borrow(tfc_saved_model_graph(m_), tfc_saved_model_session(m_)); }
    std::string writer_version() const { return tfc_saved_model_writer_version(m_); }

    std::vector<std::string> signature_keys() const
    {
        std::vector<std::string> r;
        for (int i = 0, n = tfc_saved_model_num_signatures(m_); i < n; i++)
            r.push_back(tfc_signature_key(tfc_saved_model_signature(m_, i)));
        return r;
    }
    /* NotFoundError naming the valid keys when there is no such signature. */
    SignatureInfo signature(const std::string &key) const
    {
        const tfc_signature *s = find(key);
        SignatureInfo r;
        r.key = tfc_signature_key(s);
        r.method_name = tfc_signature_method_name(s);
        tfc_graph *g = tfc_saved_model_graph(m_);
        for (int i = 0, n = tfc_signature_num_inputs(s); i < n; i++) {
            TensorInfo t;
            int64_t d[TFC_MAX_RANK];
            int rank = -1;
            check(tfc_signature_input_info(s, i, &t.dtype, d, &rank));
            if (rank >= 0) t.shape = Shape(d, d + rank);
            t.key = tfc_signature_input_key(s, i);
            t.tensor = Output::wrap(g, tfc_signature_input(s, i));
            r.inputs.push_back(std::move(t));
        }
        for (int i = 0, n = tfc_signature_num_outputs(s); i < n; i++) {
            TensorInfo t;
            int64_t d[TFC_MAX_RANK];
            int rank = -1;
            check(tfc_signature_output_info(s, i, &t.dtype, d, &rank));
            if (rank >= 0) t.shape = Shape(d, d + rank);
            t.key = tfc_signature_output_key(s, i);
            t.tensor = Output::wrap(g, tfc_signature_output(s, i));
            r.outputs.push_back(std::move(t));
        }
        return r;
    }

    /* Runs a signature: inputs by key; output_keys empty = every output. */
    std::map<std::string, Tensor> run(const std::string &signature_key, const std::map<std::string, Tensor> &inputs,
                                      const std::vector<std::string> &output_keys = {}) const
    {
        std::vector<std::string> outs = output_keys;
        if (outs.empty()) {
            const tfc_signature *s = find(signature_key);
            for (int i = 0, n = tfc_signature_num_outputs(s); i < n; i++)
                outs.push_back(tfc_signature_output_key(s, i));
        }
        std::vector<const char *> ik, ok;
        std::vector<tfc_tensor *> iv;
        for (const auto &[k, t] : inputs) {
            if (!t) throw InvalidArgumentError("tfc::SavedModel::run: input '" + k + "' is an empty tensor");
            ik.push_back(k.c_str());
            iv.push_back(t.get());
        }
        for (const std::string &k : outs) ok.push_back(k.c_str());
        std::vector<tfc_tensor *> ov(outs.size(), nullptr);
        check(tfc_saved_model_run(m_, signature_key.c_str(), ik.data(), iv.data(), detail::isize(iv), ok.data(),
                                  ov.data(), detail::isize(ov)));
        std::map<std::string, Tensor> r;
        std::vector<Tensor> owned;
        for (tfc_tensor *t : ov) owned.push_back(Tensor::adopt(t));
        for (size_t i = 0; i < outs.size(); i++) r[outs[i]] = std::move(owned[i]);
        return r;
    }
    /* The "serving_default" signature. */
    std::map<std::string, Tensor> predict(const std::map<std::string, Tensor> &inputs,
                                          const std::vector<std::string> &output_keys = {}) const
    {
        return run(TFC_SERVING_DEFAULT_SIGNATURE_KEY, inputs, output_keys);
    }

private:
    tfc_saved_model *m_ = nullptr;

    const tfc_signature *find(const std::string &key) const
    {
        const tfc_signature *s = tfc_saved_model_find_signature(m_, key.c_str());
        if (!s) {
            std::string keys;
            for (const std::string &k : signature_keys()) keys += (keys.empty() ? "" : ", ") + k;
            throw NotFoundError("tfc::SavedModel: no signature '" + key + "' (the model has: " + keys + ")");
        }
        return s;
    }
};

/* ======================================================================== */
/* Feature columns                                                           */
/* ======================================================================== */

/* An immutable column description (tfc_feature_column). Copies share it. */
class FeatureColumn {
public:
    FeatureColumn() = default;
    const tfc_feature_column *get() const noexcept { return h_ ? h_->col : nullptr; }
    explicit operator bool() const noexcept { return h_ != nullptr; }

    std::string name() const { return tfc_feature_column_name(handle()); }
    int64_t num_buckets() const { return tfc_feature_column_num_buckets(handle()); }
    int64_t dense_size() const { return tfc_feature_column_dense_size(handle()); }
    bool is_dense() const { return tfc_feature_column_is_dense(handle()); }
    /* A numeric column's default value (empty when none). */
    std::vector<float> default_value() const
    {
        const float *v = nullptr;
        int n = 0;
        tfc_feature_column_default_value(handle(), &v, &n);
        return std::vector<float>(v, v + n);
    }

    /* Takes over a column the caller owns; keep: objects its callbacks use. */
    static FeatureColumn adopt(tfc_feature_column *col, std::vector<std::shared_ptr<const void>> keep = {})
    {
        FeatureColumn r;
        try {
            r.h_ = std::make_shared<Holder>();
        } catch (...) {
            tfc_feature_column_free(col);
            throw;
        }
        r.h_->col = col;
        r.h_->keep = std::move(keep);
        return r;
    }
    /* What a composed column must keep alive of this one (its normalizers). */
    const std::vector<std::shared_ptr<const void>> &keep_alive() const
    {
        static const std::vector<std::shared_ptr<const void>> none;
        return h_ ? h_->keep : none;
    }

private:
    struct Holder {
        tfc_feature_column *col = nullptr;
        std::vector<std::shared_ptr<const void>> keep;
        Holder() = default;
        Holder(const Holder &) = delete;
        Holder &operator=(const Holder &) = delete;
        ~Holder() { tfc_feature_column_free(col); }
    };
    std::shared_ptr<Holder> h_;

    const tfc_feature_column *handle() const
    {
        if (!h_) throw FailedPreconditionError("tfc::FeatureColumn: the column is empty");
        return h_->col;
    }
};

/* A numeric column's normalizer: x is its float32 [batch, d] tensor; return
 * the replacement of the same shape, e.g. (x - mean) / stddev. */
using Normalizer = std::function<Output(Output)>;

/* The raw features of a model: key -> graph output (tfc_features). Move-only. */
class Features {
public:
    Features() { check(tfc_features_new(&f_)); }
    Features(Features &&o) noexcept : f_(std::exchange(o.f_, nullptr)), g_(o.g_) {}
    Features &operator=(Features &&o) noexcept
    {
        if (this != &o) {
            tfc_features_free(f_);
            f_ = std::exchange(o.f_, nullptr);
            g_ = o.g_;
        }
        return *this;
    }
    Features(const Features &) = delete;
    Features &operator=(const Features &) = delete;
    ~Features() { tfc_features_free(f_); }
    const tfc_features *get() const noexcept { return f_; }

    /* One placeholder per raw feature key the columns read (named by the key). */
    static Features placeholders(Graph &g, const std::vector<FeatureColumn> &columns)
    {
        std::vector<const tfc_feature_column *> c;
        for (const FeatureColumn &col : columns) c.push_back(col.get());
        Features r(nullptr);
        check(tfc_feature_placeholders_new(g.get(), c.data(), detail::isize(c), &r.f_));
        r.g_ = g.get();
        return r;
    }
    Features &set(const std::string &key, Output value)
    {
        check(tfc_features_set(f_, key.c_str(), value.c()));
        if (!g_) g_ = value.graph();
        return *this;
    }
    /* NotFoundError for a key the map lacks. */
    Output operator[](const std::string &key) const
    {
        tfc_output o = tfc_features_get(f_, key.c_str());
        if (!o.op) throw NotFoundError("tfc::Features: no feature '" + key + "'");
        return Output::wrap(g_, o);
    }
    std::vector<std::string> keys() const
    {
        std::vector<std::string> r;
        for (int i = 0, n = tfc_features_count(f_); i < n; i++) r.push_back(tfc_features_key(f_, i));
        return r;
    }

private:
    explicit Features(std::nullptr_t) noexcept {}
    tfc_features *f_ = nullptr;
    tfc_graph *g_ = nullptr;
};

namespace detail {
struct NormalizerHolder {
    Normalizer fn;
};
/* Runs a C++ normalizer for the C library; exceptions stop here. */
inline tfc_output normalizer_trampoline(tfc_graph *g, tfc_output x, void *arg) noexcept
{
    try {
        Output y = static_cast<const NormalizerHolder *>(arg)->fn(Output::wrap(g, x));
        if (y) return y.c();
        pending_callback_error() = "the normalizer returned an empty tfc::Output";
    } catch (const std::exception &e) {
        pending_callback_error() = std::string("normalizer threw: ") + e.what();
    } catch (...) {
        pending_callback_error() = "normalizer threw a non-std::exception";
    }
    return tfc_output{nullptr, 0};
}
inline std::vector<const tfc_feature_column *> raw(const std::vector<FeatureColumn> &cols)
{
    std::vector<const tfc_feature_column *> r;
    for (const FeatureColumn &c : cols) {
        if (!c) throw InvalidArgumentError("tfc: an empty tfc::FeatureColumn in a list of columns");
        r.push_back(c.get());
    }
    return r;
}
inline std::vector<std::shared_ptr<const void>> keep_of(std::initializer_list<const FeatureColumn *> cols)
{
    std::vector<std::shared_ptr<const void>> r;
    for (const FeatureColumn *c : cols) r.insert(r.end(), c->keep_alive().begin(), c->keep_alive().end());
    return r;
}
inline const tfc_feature_column *col_of(const FeatureColumn &c, const char *fn)
{
    if (!c) throw InvalidArgumentError(std::string("tfc::feature_column::") + fn + ": the column is empty");
    return c.get();
}
} // namespace detail

/* TensorFlow's tf.feature_column, by the same names and arguments. */
namespace feature_column {

/* numeric_column(key, shape=(1,), default_value=None, dtype=float32,
 * normalizer_fn=None). The normalizer lives as long as any column or
 * estimator using it. */
inline FeatureColumn numeric_column(const std::string &key, const Shape &shape = {1},
                                    const std::vector<float> &default_value = {}, tfc_dtype dtype = TFC_FLOAT,
                                    Normalizer normalizer = {})
{
    tfc_feature_column *c = nullptr;
    if (!normalizer) {
        check(tfc_numeric_column(key.c_str(), shape.data(), detail::isize(shape),
                                 default_value.empty() ? nullptr : default_value.data(), dtype, &c));
        return FeatureColumn::adopt(c);
    }
    auto holder = std::make_shared<const detail::NormalizerHolder>(detail::NormalizerHolder{std::move(normalizer)});
    check(tfc_numeric_column_with_normalizer(
        key.c_str(), shape.data(), detail::isize(shape), default_value.empty() ? nullptr : default_value.data(), dtype,
        detail::normalizer_trampoline, const_cast<detail::NormalizerHolder *>(holder.get()), &c));
    return FeatureColumn::adopt(c, {holder});
}
/* numeric_column(key, normalizer_fn=...) with shape [1]. */
inline FeatureColumn numeric_column(const std::string &key, Normalizer normalizer)
{
    return numeric_column(key, Shape{1}, {}, TFC_FLOAT, std::move(normalizer));
}
inline FeatureColumn bucketized_column(const FeatureColumn &source, const std::vector<float> &boundaries)
{
    tfc_feature_column *c = nullptr;
    check(tfc_bucketized_column(detail::col_of(source, "bucketized_column"), boundaries.data(),
                                detail::isize(boundaries), &c));
    return FeatureColumn::adopt(c, detail::keep_of({&source}));
}
inline FeatureColumn categorical_column_with_vocabulary_list(const std::string &key,
                                                             const std::vector<std::string> &vocabulary,
                                                             int64_t num_oov_buckets = 0, int64_t default_value = -1)
{
    std::vector<const char *> v;
    for (const std::string &s : vocabulary) v.push_back(s.c_str());
    tfc_feature_column *c = nullptr;
    check(tfc_categorical_column_with_vocabulary_list(key.c_str(), v.data(), detail::isize(v), num_oov_buckets,
                                                      default_value, &c));
    return FeatureColumn::adopt(c);
}
inline FeatureColumn categorical_column_with_vocabulary_file(const std::string &key, const std::string &path,
                                                             int64_t num_oov_buckets = 0, int64_t default_value = -1)
{
    tfc_feature_column *c = nullptr;
    check(tfc_categorical_column_with_vocabulary_file(key.c_str(), path.c_str(), num_oov_buckets, default_value, &c));
    return FeatureColumn::adopt(c);
}
inline FeatureColumn categorical_column_with_hash_bucket(const std::string &key, int64_t hash_bucket_size)
{
    tfc_feature_column *c = nullptr;
    check(tfc_categorical_column_with_hash_bucket(key.c_str(), hash_bucket_size, &c));
    return FeatureColumn::adopt(c);
}
inline FeatureColumn categorical_column_with_identity(const std::string &key, int64_t num_buckets,
                                                      int64_t default_value = -1)
{
    tfc_feature_column *c = nullptr;
    check(tfc_categorical_column_with_identity(key.c_str(), num_buckets, default_value, &c));
    return FeatureColumn::adopt(c);
}

/* A key of a crossed column: a raw string feature's key or a categorical column. */
class CrossKey {
public:
    CrossKey(const char *key) : key_(key) {}
    CrossKey(std::string key) : key_(std::move(key)) {}
    CrossKey(FeatureColumn column) : column_(std::move(column)) {}
    const std::string &key() const noexcept { return key_; }
    const FeatureColumn &column() const noexcept { return column_; }

private:
    std::string key_;
    FeatureColumn column_;
};
/* crossed_column(keys, hash_bucket_size, hash_key=None): hash_key 0 = TensorFlow's. */
inline FeatureColumn crossed_column(const std::vector<CrossKey> &keys, int64_t hash_bucket_size, uint64_t hash_key = 0)
{
    std::vector<const char *> k;
    std::vector<const tfc_feature_column *> c;
    std::vector<std::shared_ptr<const void>> keep;
    for (const CrossKey &ck : keys) {
        k.push_back(ck.column() ? nullptr : ck.key().c_str());
        c.push_back(ck.column() ? ck.column().get() : nullptr);
        if (ck.column()) keep.insert(keep.end(), ck.column().keep_alive().begin(), ck.column().keep_alive().end());
    }
    tfc_feature_column *out = nullptr;
    check(tfc_crossed_column(k.data(), c.data(), detail::isize(k), hash_bucket_size, hash_key, &out));
    return FeatureColumn::adopt(out, std::move(keep));
}
/* embedding_column(categorical_column, dimension, combiner='mean'); stddev 0:
 * 1/sqrt(dimension); seed 0: from the graph seed. */
inline FeatureColumn embedding_column(const FeatureColumn &categorical, int64_t dimension,
                                      tfc_combiner combiner = TFC_COMBINER_MEAN, double initializer_stddev = 0,
                                      int64_t seed = 0)
{
    tfc_feature_column *c = nullptr;
    check(tfc_embedding_column(detail::col_of(categorical, "embedding_column"), dimension, combiner, initializer_stddev,
                               seed, &c));
    return FeatureColumn::adopt(c, detail::keep_of({&categorical}));
}
inline FeatureColumn indicator_column(const FeatureColumn &categorical)
{
    tfc_feature_column *c = nullptr;
    check(tfc_indicator_column(detail::col_of(categorical, "indicator_column"), &c));
    return FeatureColumn::adopt(c, detail::keep_of({&categorical}));
}
inline FeatureColumn weighted_categorical_column(const FeatureColumn &categorical, const std::string &weight_key)
{
    tfc_feature_column *c = nullptr;
    check(tfc_weighted_categorical_column(detail::col_of(categorical, "weighted_categorical_column"),
                                          weight_key.c_str(), &c));
    return FeatureColumn::adopt(c, detail::keep_of({&categorical}));
}

/* input_layer(features, columns): float [batch, sum of dense sizes]. */
inline Output input_layer(Graph &g, const Features &features, const std::vector<FeatureColumn> &columns)
{
    std::vector<const tfc_feature_column *> c = detail::raw(columns);
    tfc_output o{nullptr, 0};
    check(tfc_input_layer(g.get(), features.get(), c.data(), detail::isize(c), &o));
    return Output::wrap(g.get(), o);
}
/* linear_model(features, columns, units): float logits [batch, units]. */
inline Output linear_model(Graph &g, const Features &features, const std::vector<FeatureColumn> &columns,
                           int64_t units = 1)
{
    std::vector<const tfc_feature_column *> c = detail::raw(columns);
    tfc_output o{nullptr, 0};
    check(tfc_linear_model(g.get(), features.get(), c.data(), detail::isize(c), units, &o));
    return Output::wrap(g.get(), o);
}

} // namespace feature_column

/* ======================================================================== */
/* CSV and JSON-lines input                                                  */
/* ======================================================================== */

/* How the text is written (tfc_csv_schema_options, same defaults). */
struct CsvSchemaOptions {
    char delimiter = ',';
    bool trim_whitespace = true;
    std::string missing_value{}; /* besides the empty field ("?"); "": none */
    int header_lines = 0;
    std::string comment_prefix{}; /* "": none */
    bool quoted_fields = true;
    bool allow_nonfinite = false;
    bool skip_malformed = false;
    size_t max_line_bytes = 0; /* 0: 1 MiB */
};

/* Columns of a CSV file in file order (tfc_csv_schema). Copies share one
 * schema; finish adding columns before making readers. */
class CsvSchema {
public:
    explicit CsvSchema(const CsvSchemaOptions &opts = {})
    {
        tfc_csv_schema_options o = TFC_CSV_SCHEMA_OPTIONS_INIT;
        o.delimiter = opts.delimiter;
        o.trim_whitespace = opts.trim_whitespace;
        o.missing_value = opts.missing_value.empty() ? nullptr : opts.missing_value.c_str();
        o.header_lines = opts.header_lines;
        o.comment_prefix = opts.comment_prefix.empty() ? nullptr : opts.comment_prefix.c_str();
        o.quoted_fields = opts.quoted_fields;
        o.allow_nonfinite = opts.allow_nonfinite;
        o.skip_malformed = opts.skip_malformed;
        o.max_line_bytes = opts.max_line_bytes;
        tfc_csv_schema *s = nullptr;
        check(tfc_csv_schema_new(&o, &s));
        s_.reset(s, tfc_csv_schema_free);
    }
    tfc_csv_schema *get() const noexcept { return s_.get(); }

    /* default_value: the text used for a missing field (nullopt: required). */
    CsvSchema &add_column(const std::string &name, tfc_dtype dtype,
                          const std::optional<std::string> &default_value = std::nullopt)
    {
        check(
            tfc_csv_schema_add_column(s_.get(), name.c_str(), dtype, default_value ? default_value->c_str() : nullptr));
        return *this;
    }
    /* The int32/int64 column's text is looked up in labels and becomes the index. */
    CsvSchema &set_label_vocabulary(const std::string &column, const std::vector<std::string> &labels,
                                    unsigned flags = 0)
    {
        std::vector<const char *> l;
        for (const std::string &s : labels) l.push_back(s.c_str());
        check(tfc_csv_schema_set_label_vocabulary(s_.get(), column.c_str(), l.data(), detail::isize(l), flags));
        return *this;
    }
    int num_columns() const { return tfc_csv_schema_num_columns(s_.get()); }
    std::string column_name(int i) const
    {
        const char *n = tfc_csv_schema_column_name(s_.get(), i);
        if (!n) throw OutOfRangeError("tfc::CsvSchema::column_name: no column " + std::to_string(i));
        return n;
    }
    tfc_dtype column_dtype(int i) const { return tfc_csv_schema_column_dtype(s_.get(), i); }
    std::vector<std::string> column_names() const
    {
        std::vector<std::string> r;
        for (int i = 0; i < num_columns(); i++) r.push_back(column_name(i));
        return r;
    }

private:
    std::shared_ptr<tfc_csv_schema> s_;
};

/* File paths or glob(3) patterns: "a.csv", {"a.csv", "more/b-*.csv"} (a glob). */
class Patterns {
public:
    Patterns(const char *p) : v_{p} {}
    Patterns(std::string p) : v_{std::move(p)} {}
    Patterns(std::vector<std::string> v) : v_(std::move(v)) {}
    Patterns(std::initializer_list<std::string> v) : v_(v) {}
    std::vector<const char *> c_strs() const
    {
        std::vector<const char *> r;
        for (const std::string &s : v_) r.push_back(s.c_str());
        return r;
    }

private:
    std::vector<std::string> v_;
};

/* tfc_csv_reader_options, same defaults. */
struct CsvReaderOptions {
    int64_t batch_size = 32;
    int64_t num_epochs = 1;          /* 0: forever */
    int64_t shuffle_buffer_size = 0; /* 0 or 1: file order */
    uint64_t seed = 0;
    bool partial_final_batch = true;
};

namespace detail {
inline tfc_csv_reader_options csv_reader_options(const CsvReaderOptions &r)
{
    tfc_csv_reader_options o = TFC_CSV_READER_OPTIONS_INIT;
    o.batch_size = r.batch_size;
    o.num_epochs = r.num_epochs;
    o.shuffle_buffer_size = r.shuffle_buffer_size;
    o.seed = r.seed;
    o.partial_final_batch = r.partial_final_batch;
    return o;
}
} // namespace detail

/* One batch: a [rows] tensor per schema column. */
struct CsvBatch {
    std::vector<Tensor> columns;
    int64_t rows = 0;
};

/* Reads CSV files into batches (tfc_csv_reader). Move-only. */
class CsvReader {
public:
    CsvReader(const CsvSchema &schema, const Patterns &patterns, const CsvReaderOptions &opts = {})
        : ncols_(schema.num_columns())
    {
        std::vector<const char *> p = patterns.c_strs();
        tfc_csv_reader_options o = detail::csv_reader_options(opts);
        check(tfc_csv_reader_new(schema.get(), p.data(), detail::isize(p), &o, &r_));
    }
    /* Over a copy of in-memory CSV text; source names it in errors. */
    static CsvReader from_buffer(const CsvSchema &schema, const std::string &data, const std::string &source,
                                 const CsvReaderOptions &opts = {})
    {
        CsvReader r(schema.num_columns());
        tfc_csv_reader_options o = detail::csv_reader_options(opts);
        check(tfc_csv_reader_new_from_buffer(schema.get(), data.data(), data.size(), source.c_str(), &o, &r.r_));
        return r;
    }
    CsvReader(CsvReader &&o) noexcept : r_(std::exchange(o.r_, nullptr)), ncols_(o.ncols_) {}
    CsvReader &operator=(CsvReader &&o) noexcept
    {
        if (this != &o) {
            tfc_csv_reader_free(r_);
            r_ = std::exchange(o.r_, nullptr);
            ncols_ = o.ncols_;
        }
        return *this;
    }
    CsvReader(const CsvReader &) = delete;
    CsvReader &operator=(const CsvReader &) = delete;
    ~CsvReader() { tfc_csv_reader_free(r_); }
    tfc_csv_reader *get() const noexcept { return r_; }

    /* The next batch (batch_size 0: the options'); std::nullopt at the end of
     * the data. Errors (a malformed row, ...) throw and are sticky. */
    std::optional<CsvBatch> next_batch(int64_t batch_size = 0)
    {
        std::vector<tfc_tensor *> cols(static_cast<size_t>(ncols_), nullptr);
        int64_t rows = 0;
        tfc_code c = tfc_csv_reader_next_batch(r_, batch_size, cols.data(), &rows);
        if (c == TFC_OUT_OF_RANGE) return std::nullopt;
        check(c);
        CsvBatch b;
        b.rows = rows;
        for (tfc_tensor *t : cols) b.columns.push_back(Tensor::adopt(t));
        return b;
    }
    int64_t malformed_count() const { return tfc_csv_reader_malformed_count(r_); }

private:
    explicit CsvReader(int ncols) noexcept : ncols_(ncols) {}
    tfc_csv_reader *r_ = nullptr;
    int ncols_ = 0;
};

/* JSON lines (one object of feature -> value per line) into one batch. */
inline CsvBatch json_lines_read(const CsvSchema &schema, const std::string &path)
{
    std::vector<tfc_tensor *> cols(static_cast<size_t>(schema.num_columns()), nullptr);
    CsvBatch b;
    check(tfc_json_lines_read(schema.get(), path.c_str(), cols.data(), &b.rows));
    for (tfc_tensor *t : cols) b.columns.push_back(Tensor::adopt(t));
    return b;
}
inline CsvBatch json_lines_parse(const CsvSchema &schema, const std::string &data, const std::string &source)
{
    std::vector<tfc_tensor *> cols(static_cast<size_t>(schema.num_columns()), nullptr);
    CsvBatch b;
    check(tfc_json_lines_parse(schema.get(), data.data(), data.size(), source.c_str(), cols.data(), &b.rows));
    for (tfc_tensor *t : cols) b.columns.push_back(Tensor::adopt(t));
    return b;
}

/* tfc_tensor_input_options, same defaults (numpy_input_fn's). */
struct TensorInputOptions {
    int64_t batch_size = 128;
    int64_t num_epochs = 1; /* 0: forever */
    bool shuffle = false;
    uint64_t seed = 0;
    bool partial_final_batch = true;
};

/* A recipe for batches of features and labels (TensorFlow's input_fn). Each
 * train / evaluate / predict call starts a fresh pass. Copies share it. */
class Input {
public:
    Input() = default;
    tfc_input *get() const noexcept { return in_.get(); }
    explicit operator bool() const noexcept { return in_ != nullptr; }

    /* Every schema column is a feature except label_column ("": no labels). */
    static Input from_csv(const CsvSchema &schema, const Patterns &patterns, const std::string &label_column = {},
                          const CsvReaderOptions &opts = {})
    {
        std::vector<const char *> p = patterns.c_strs();
        tfc_csv_reader_options o = detail::csv_reader_options(opts);
        tfc_input *in = nullptr;
        check(tfc_input_from_csv(schema.get(), p.data(), detail::isize(p), &o, detail::opt_name(label_column), &in));
        return Input(in);
    }
    /* In-memory columns by feature key, all with N rows; labels empty: none.
     * The tensors are shared, not copied. */
    static Input from_tensors(const std::map<std::string, Tensor> &features, const Tensor &labels = {},
                              const TensorInputOptions &opts = {})
    {
        std::vector<const char *> k;
        std::vector<tfc_tensor *> t;
        for (const auto &[key, value] : features) {
            if (!value) throw InvalidArgumentError("tfc::Input::from_tensors: feature '" + key + "' is empty");
            k.push_back(key.c_str());
            t.push_back(value.get());
        }
        tfc_tensor_input_options o = TFC_TENSOR_INPUT_OPTIONS_INIT;
        o.batch_size = opts.batch_size;
        o.num_epochs = opts.num_epochs;
        o.shuffle = opts.shuffle;
        o.seed = opts.seed;
        o.partial_final_batch = opts.partial_final_batch;
        tfc_input *in = nullptr;
        check(tfc_input_from_tensors(k.data(), t.data(), detail::isize(k), labels.get(), &o, &in));
        return Input(in);
    }

private:
    explicit Input(tfc_input *in) : in_(in, tfc_input_free) {}
    std::shared_ptr<tfc_input> in_;
};

/* ======================================================================== */
/* Estimators                                                                */
/* ======================================================================== */

/* An optimizer by name for an estimator part; zero fields take the defaults. */
struct OptimizerConfig {
    tfc_optimizer_kind kind = TFC_OPTIMIZER_DEFAULT;
    double learning_rate = 0; /* 0: the estimator's default for the part */
    double initial_accumulator_value = 0;
    double l1_regularization_strength = 0;
    double l2_regularization_strength = 0;
    double momentum = 0;
    double beta1 = 0, beta2 = 0, epsilon = 0;
};

/* OptimizerConfig factories: tfc::optimizers::ftrl(0.05), adagrad(0.05), ... */
namespace optimizers {
inline OptimizerConfig sgd(double learning_rate)
{
    OptimizerConfig c;
    c.kind = TFC_OPTIMIZER_SGD;
    c.learning_rate = learning_rate;
    return c;
}
inline OptimizerConfig adagrad(double learning_rate, double initial_accumulator_value = 0, double epsilon = 0)
{
    OptimizerConfig c;
    c.kind = TFC_OPTIMIZER_ADAGRAD;
    c.learning_rate = learning_rate;
    c.initial_accumulator_value = initial_accumulator_value;
    c.epsilon = epsilon;
    return c;
}
inline OptimizerConfig ftrl(double learning_rate, double l1 = 0, double l2 = 0)
{
    OptimizerConfig c;
    c.kind = TFC_OPTIMIZER_FTRL;
    c.learning_rate = learning_rate;
    c.l1_regularization_strength = l1;
    c.l2_regularization_strength = l2;
    return c;
}
inline OptimizerConfig adam(double learning_rate, double beta1 = 0, double beta2 = 0, double epsilon = 0)
{
    OptimizerConfig c;
    c.kind = TFC_OPTIMIZER_ADAM;
    c.learning_rate = learning_rate;
    c.beta1 = beta1;
    c.beta2 = beta2;
    c.epsilon = epsilon;
    return c;
}
inline OptimizerConfig momentum(double learning_rate, double momentum = 0)
{
    OptimizerConfig c;
    c.kind = TFC_OPTIMIZER_MOMENTUM;
    c.learning_rate = learning_rate;
    c.momentum = momentum;
    return c;
}
} // namespace optimizers

/* tf.estimator.RunConfig; zero fields take the defaults (estimator.h). */
struct RunConfig {
    std::string model_dir{}; /* "": a new temporary directory */
    int64_t tf_random_seed = 0;
    int64_t save_checkpoints_steps = 0;
    double save_checkpoints_secs = 0;
    int keep_checkpoint_max = 0;
    int64_t save_summary_steps = 0;
    int64_t log_step_count_steps = 0;
    int num_threads = 0;
};

/* tfc_estimator_options as a C++ aggregate: the same fields and defaults
 * (designated initializers in C++20, field assignment in C++17), plus one
 * factory per canned estimator that sets the model and its columns. */
struct EstimatorOptions {
    tfc_estimator_model model = TFC_MODEL_LINEAR;
    bool regressor = false;
    int n_classes = 0;       /* classifiers: 0 = 2 (binary) */
    int label_dimension = 0; /* regressors: 0 = 1 */
    std::string weight_column{};
    std::vector<std::string> label_vocabulary{};
    std::vector<FeatureColumn> linear_feature_columns{};
    std::vector<FeatureColumn> dnn_feature_columns{};
    std::vector<int64_t> hidden_units{};
    tfc_activation activation = TFC_ACTIVATION_RELU;
    double dropout = 0;
    OptimizerConfig linear_optimizer{};
    OptimizerConfig dnn_optimizer{};
    RunConfig config{};

    static EstimatorOptions linear_classifier(std::vector<FeatureColumn> columns, int n_classes = 2)
    {
        EstimatorOptions o;
        o.model = TFC_MODEL_LINEAR;
        o.n_classes = n_classes;
        o.linear_feature_columns = std::move(columns);
        return o;
    }
    static EstimatorOptions linear_regressor(std::vector<FeatureColumn> columns, int label_dimension = 1)
    {
        EstimatorOptions o = linear_classifier(std::move(columns), 0);
        o.regressor = true;
        o.label_dimension = label_dimension;
        return o;
    }
    static EstimatorOptions dnn_classifier(std::vector<FeatureColumn> columns, std::vector<int64_t> hidden_units,
                                           int n_classes = 2)
    {
        EstimatorOptions o;
        o.model = TFC_MODEL_DNN;
        o.n_classes = n_classes;
        o.dnn_feature_columns = std::move(columns);
        o.hidden_units = std::move(hidden_units);
        return o;
    }
    static EstimatorOptions dnn_regressor(std::vector<FeatureColumn> columns, std::vector<int64_t> hidden_units,
                                          int label_dimension = 1)
    {
        EstimatorOptions o = dnn_classifier(std::move(columns), std::move(hidden_units), 0);
        o.regressor = true;
        o.label_dimension = label_dimension;
        return o;
    }
    /* Wide & deep. */
    static EstimatorOptions dnn_linear_combined_classifier(std::vector<FeatureColumn> linear_columns,
                                                           std::vector<FeatureColumn> dnn_columns,
                                                           std::vector<int64_t> hidden_units, int n_classes = 2)
    {
        EstimatorOptions o = dnn_classifier(std::move(dnn_columns), std::move(hidden_units), n_classes);
        o.model = TFC_MODEL_DNN_LINEAR_COMBINED;
        o.linear_feature_columns = std::move(linear_columns);
        return o;
    }
    static EstimatorOptions dnn_linear_combined_regressor(std::vector<FeatureColumn> linear_columns,
                                                          std::vector<FeatureColumn> dnn_columns,
                                                          std::vector<int64_t> hidden_units, int label_dimension = 1)
    {
        EstimatorOptions o = dnn_linear_combined_classifier(std::move(linear_columns), std::move(dnn_columns),
                                                            std::move(hidden_units), 0);
        o.regressor = true;
        o.label_dimension = label_dimension;
        return o;
    }
    static EstimatorOptions baseline_classifier(int n_classes = 2)
    {
        EstimatorOptions o;
        o.model = TFC_MODEL_BASELINE;
        o.n_classes = n_classes;
        return o;
    }
    static EstimatorOptions baseline_regressor(int label_dimension = 1)
    {
        EstimatorOptions o = baseline_classifier(0);
        o.regressor = true;
        o.label_dimension = label_dimension;
        return o;
    }
};

/* What the last train (or train_and_evaluate) call did. */
struct TrainStats {
    int64_t steps = 0, examples = 0, global_step = 0;
    double seconds = 0, step_seconds = 0, last_loss = 0;
};

struct TrainSpec {
    Input input{};
    int64_t max_steps = 0; /* 0: until the input ends */
};
struct EvalSpec {
    Input input{};
    int64_t steps = 0;     /* batches per evaluation; 0: the whole input */
    std::string name = {}; /* "": "eval" */
    double start_delay_secs = 0;
    double throttle_secs = 0;
    int64_t min_step_interval = 0;
};

namespace detail {
inline tfc_optimizer_config optimizer_config(const OptimizerConfig &c)
{
    tfc_optimizer_config o = TFC_OPTIMIZER_CONFIG_INIT;
    o.kind = c.kind;
    o.learning_rate = c.learning_rate;
    o.initial_accumulator_value = c.initial_accumulator_value;
    o.l1_regularization_strength = c.l1_regularization_strength;
    o.l2_regularization_strength = c.l2_regularization_strength;
    o.momentum = c.momentum;
    o.beta1 = c.beta1;
    o.beta2 = c.beta2;
    o.epsilon = c.epsilon;
    return o;
}
inline std::map<std::string, double> eval_results(tfc_eval_results *r)
{
    std::map<std::string, double> m;
    try {
        for (int i = 0, n = tfc_eval_results_count(r); i < n; i++)
            m[tfc_eval_results_name(r, i)] = tfc_eval_results_value(r, i);
    } catch (...) {
        tfc_eval_results_free(r);
        throw;
    }
    tfc_eval_results_free(r);
    return m;
}
} // namespace detail

/* A canned estimator (tfc_estimator). Copies share it (and its model
 * directory); use one from one thread at a time. */
class Estimator {
public:
    explicit Estimator(const EstimatorOptions &opts) : opts_(std::make_shared<EstimatorOptions>(opts))
    {
        const EstimatorOptions &x = *opts_;
        std::vector<const char *> vocab;
        for (const std::string &s : x.label_vocabulary) vocab.push_back(s.c_str());
        std::vector<const tfc_feature_column *> lin = detail::raw(x.linear_feature_columns);
        std::vector<const tfc_feature_column *> dnn = detail::raw(x.dnn_feature_columns);
        tfc_estimator_options o = TFC_ESTIMATOR_OPTIONS_INIT;
        o.model = x.model;
        o.regressor = x.regressor;
        o.n_classes = x.n_classes;
        o.label_dimension = x.label_dimension;
        o.weight_column = detail::opt_name(x.weight_column);
        o.label_vocabulary = vocab.empty() ? nullptr : vocab.data();
        o.label_vocabulary_size = detail::isize(vocab);
        o.linear_feature_columns = lin.empty() ? nullptr : lin.data();
        o.n_linear_feature_columns = detail::isize(lin);
        o.dnn_feature_columns = dnn.empty() ? nullptr : dnn.data();
        o.n_dnn_feature_columns = detail::isize(dnn);
        o.hidden_units = x.hidden_units.empty() ? nullptr : x.hidden_units.data();
        o.n_hidden_units = detail::isize(x.hidden_units);
        o.activation = x.activation;
        o.dropout = x.dropout;
        o.linear_optimizer = detail::optimizer_config(x.linear_optimizer);
        o.dnn_optimizer = detail::optimizer_config(x.dnn_optimizer);
        o.config.model_dir = detail::opt_name(x.config.model_dir);
        o.config.tf_random_seed = x.config.tf_random_seed;
        o.config.save_checkpoints_steps = x.config.save_checkpoints_steps;
        o.config.save_checkpoints_secs = x.config.save_checkpoints_secs;
        o.config.keep_checkpoint_max = x.config.keep_checkpoint_max;
        o.config.save_summary_steps = x.config.save_summary_steps;
        o.config.log_step_count_steps = x.config.log_step_count_steps;
        o.config.num_threads = x.config.num_threads;
        tfc_estimator *e = nullptr;
        check(tfc_estimator_new(&o, &e));
        e_.reset(e, tfc_estimator_free);
    }
    tfc_estimator *get() const noexcept { return e_.get(); }
    /* The options it was made with (its columns stay alive with it). */
    const EstimatorOptions &options() const noexcept { return *opts_; }

    std::string model_dir() const { return tfc_estimator_model_dir(e_.get()); }
    /* The newest checkpoint's global step (0 if none). */
    int64_t global_step() const
    {
        int64_t s = 0;
        check(tfc_estimator_global_step(e_.get(), &s));
        return s;
    }

    /* `steps` more steps (0: no limit), stopping at max_steps (0: none) or
     * when the input ends. */
    TrainStats train(const Input &input, int64_t steps = 0, int64_t max_steps = 0)
    {
        check(tfc_estimator_train(e_.get(), require(input, "train"), steps, max_steps));
        return train_stats();
    }
    TrainStats train_stats() const
    {
        tfc_train_stats s{};
        s.size = sizeof s;
        check(tfc_estimator_train_stats(e_.get(), &s));
        TrainStats r;
        r.steps = s.steps;
        r.examples = s.examples;
        r.global_step = s.global_step;
        r.seconds = s.seconds;
        r.step_seconds = s.step_seconds;
        r.last_loss = s.last_loss;
        return r;
    }
    /* Metrics by TensorFlow's keys, plus "global_step". */
    std::map<std::string, double> evaluate(const Input &input, int64_t steps = 0, const std::string &name = {})
    {
        tfc_eval_results *r = nullptr;
        check(tfc_estimator_evaluate(e_.get(), require(input, "evaluate"), steps, detail::opt_name(name), &r));
        return detail::eval_results(r);
    }
    /* Every prediction key for every example of input: "logits",
     * "probabilities", "class_ids", "classes", ... or "predictions". */
    std::map<std::string, Tensor> predict(const Input &input)
    {
        tfc_predictions *p = nullptr;
        check(tfc_estimator_predict(e_.get(), require(input, "predict"), &p));
        std::map<std::string, Tensor> m;
        try {
            for (int i = 0, n = tfc_predictions_count(p); i < n; i++)
                m[tfc_predictions_name(p, i)] = Tensor::share(tfc_predictions_tensor(p, i));
        } catch (...) {
            tfc_predictions_free(p);
            throw;
        }
        tfc_predictions_free(p);
        return m;
    }
    /* Exports the newest checkpoint under "<base>/<unix seconds>"; returns that path. */
    std::string export_saved_model(const std::string &export_dir_base)
    {
        char *path = nullptr;
        check(tfc_estimator_export(e_.get(), export_dir_base.c_str(), &path));
        std::string r = path ? path : "";
        tfc_string_free(path);
        return r;
    }
    /* tf.estimator.train_and_evaluate; returns the last evaluation. */
    std::map<std::string, double> train_and_evaluate(const TrainSpec &train, const EvalSpec &eval)
    {
        tfc_train_spec ts{sizeof(tfc_train_spec), require(train.input, "train_and_evaluate"), train.max_steps};
        tfc_eval_spec es{sizeof(tfc_eval_spec),
                         require(eval.input, "train_and_evaluate"),
                         eval.steps,
                         detail::opt_name(eval.name),
                         eval.start_delay_secs,
                         eval.throttle_secs,
                         eval.min_step_interval};
        tfc_eval_results *r = nullptr;
        check(tfc_train_and_evaluate(e_.get(), &ts, &es, &r));
        return detail::eval_results(r);
    }

private:
    std::shared_ptr<const EstimatorOptions> opts_; /* keeps normalizers alive */
    std::shared_ptr<tfc_estimator> e_;

    static tfc_input *require(const Input &in, const char *fn)
    {
        if (!in) throw InvalidArgumentError(std::string("tfc::Estimator::") + fn + ": the input is empty");
        return in.get();
    }
};

inline std::map<std::string, double> train_and_evaluate(Estimator &e, const TrainSpec &train, const EvalSpec &eval)
{
    return e.train_and_evaluate(train, eval);
}

} // namespace tfc

#endif
