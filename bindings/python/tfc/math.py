"""tf.math in tfc: element-wise math, comparisons, reductions and segment sums."""

from ._ops import (abs, add, add_n, argmax, argmin, divide, equal, exp, greater, greater_equal, less, less_equal,
                   log, log1p, logical_and, logical_not, logical_or, maximum, minimum, multiply, negative,
                   not_equal, pow, reduce_max, reduce_mean, reduce_min, reduce_prod, reduce_sum, rsqrt, sigmoid,
                   sign, softplus, sqrt, square, squared_difference, subtract, tanh, unsorted_segment_sum)
from ._ops import sparse_segment_mean, sparse_segment_sqrt_n, sparse_segment_sum  # noqa: F401

__all__ = ["abs", "add", "add_n", "argmax", "argmin", "divide", "equal", "exp", "greater", "greater_equal", "less",
           "less_equal", "log", "log1p", "logical_and", "logical_not", "logical_or", "maximum", "minimum",
           "multiply", "negative", "not_equal", "pow", "reduce_max", "reduce_mean", "reduce_min", "reduce_prod",
           "reduce_sum", "rsqrt", "sigmoid", "sign", "softplus", "sqrt", "square", "squared_difference",
           "subtract", "tanh", "unsorted_segment_sum", "sparse_segment_mean", "sparse_segment_sqrt_n",
           "sparse_segment_sum"]
