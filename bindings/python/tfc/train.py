"""tf.train in tfc: optimizers, the global step, checkpoints (Saver).

Optimizers append update ops to the graph (tfc_optimizer_minimize), as
TensorFlow 1.x's do: `train_op = tfc.train.GradientDescentOptimizer(0.5).minimize(loss)`.
The same objects configure the canned estimators' optimizers.
"""

import ctypes
import os

from . import errors
from ._graph import Operation, Output, Variable, convert_to_output, get_default_graph, graph_of
from ._lib import FtrlOptions, Gradient, SaverOptions, cstr, lib, take_string
from ._lib import Output as COutput


def gradients(ys, xs, grad_ys=None, name=None):
    """tf.gradients: symbolic d(sum(ys))/d(xs) appended to the graph. Returns a
    list with one Output per x, None where x does not influence ys."""
    ys = list(ys) if isinstance(ys, (list, tuple)) else [ys]
    xs_list = list(xs) if isinstance(xs, (list, tuple)) else [xs]
    g = graph_of(ys + xs_list)
    ys = [convert_to_output(y, graph=g) for y in ys]
    xs_list = [convert_to_output(x, graph=g) for x in xs_list]
    if not ys or not xs_list:
        raise ValueError("gradients: ys and xs must not be empty")
    y_arr = (COutput * len(ys))(*[y._c for y in ys])
    x_arr = (COutput * len(xs_list))(*[x._c for x in xs_list])
    dy_arr = None
    if grad_ys is not None:
        grad_ys = list(grad_ys) if isinstance(grad_ys, (list, tuple)) else [grad_ys]
        if len(grad_ys) != len(ys):
            raise ValueError("gradients: %d grad_ys for %d ys" % (len(grad_ys), len(ys)))
        dy_arr = (COutput * len(ys))(*[convert_to_output(d, dtype=y.dtype, graph=g)._c
                                       for d, y in zip(grad_ys, ys)])
    dx = (COutput * len(xs_list))()
    lib.tfc_graph_add_gradients(g._handle(), y_arr, len(ys), x_arr, len(xs_list), dy_arr, dx)
    g._check()
    return [Output(g, d.op, d.index) if d.op else None for d in dx]


def get_or_create_global_step(graph=None):
    """The int64 scalar variable "global_step" of the graph, made on first use."""
    g = graph or get_default_graph()
    out = COutput()
    lib.tfc_train_global_step(g._handle(), ctypes.byref(out))
    return Variable._from_op(g, out.op)


get_global_step = get_or_create_global_step
create_global_step = get_or_create_global_step


class Optimizer:
    """Base of the optimizers: minimize, compute_gradients, apply_gradients, get_slot."""

    _kind = 0  # tfc_optimizer_kind for estimators

    def __init__(self):
        self._ptr = None

    def _new(self):
        raise NotImplementedError

    def _handle(self):
        if not self._ptr:
            out = ctypes.c_void_p()
            self._new(out)
            self._ptr = out.value
        return self._ptr

    def __del__(self, _free=lib.tfc_optimizer_free):
        p = getattr(self, "_ptr", None)
        if p:
            self._ptr = None
            _free(p)

    def get_name(self):
        return lib.tfc_optimizer_name(self._handle()).decode()

    def minimize(self, loss, global_step=None, var_list=None, name=None):
        """Appends gradients of the scalar loss and one update per variable
        (var_list, default: every trainable variable); returns the op that runs
        them. Passing global_step (tfc.train.get_or_create_global_step())
        makes the op increment it, as in TensorFlow."""
        loss = convert_to_output(loss)
        g = loss.graph
        vars_arr, n = self._vars(var_list, g)
        out = ctypes.c_void_p()
        lib.tfc_optimizer_minimize(self._handle(), g._handle(), loss._c, vars_arr, n, global_step is not None,
                                   ctypes.byref(out))
        g._check()
        return Operation(g, out.value)

    def compute_gradients(self, loss, var_list=None):
        """[(gradient, variable)] for var_list (default: the trainable variables)."""
        loss = convert_to_output(loss)
        if var_list is None:
            var_list = loss.graph.trainable_variables()
        grads = gradients(loss, list(var_list))
        return list(zip(grads, var_list))

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """Appends updates for the given (dense) gradients; returns the op running them."""
        pairs = [(gr, v) for gr, v in grads_and_vars if gr is not None]
        if not pairs:
            raise ValueError("apply_gradients: no gradients (every gradient is None)")
        g = graph_of([v for _, v in pairs])
        grads = (Gradient * len(pairs))()
        for i, (gr, _) in enumerate(pairs):
            grads[i].dense = convert_to_output(gr, graph=g)._c
        vars_arr = (COutput * len(pairs))(*[v._c for _, v in pairs])
        out = ctypes.c_void_p()
        lib.tfc_optimizer_apply_gradients(self._handle(), g._handle(), grads, vars_arr, len(pairs),
                                          global_step is not None, ctypes.byref(out))
        g._check()
        return Operation(g, out.value)

    def get_slot(self, var, name):
        """The slot variable ("accumulator", "linear", "momentum", "m", "v", ...) made for var, or None."""
        p = lib.tfc_optimizer_slot(self._handle(), var.op._ptr, cstr(name))
        return Variable._from_op(var.graph, p) if p else None

    @staticmethod
    def _vars(var_list, g):
        if var_list is None:
            return None, 0
        var_list = list(var_list)
        for v in var_list:
            if not isinstance(v, Output):
                raise TypeError("var_list: expected variables, got %r" % (v,))
        return (COutput * max(len(var_list), 1))(*[v._c for v in var_list]), len(var_list)

    def _estimator_config(self, cfg):
        """Fills a tfc_optimizer_config for the canned estimators."""
        cfg.kind = self._kind
        cfg.learning_rate = self.learning_rate


class GradientDescentOptimizer(Optimizer):
    _kind = 1

    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__()
        self.learning_rate = float(learning_rate)

    def _new(self, out):
        lib.tfc_optimizer_gradient_descent_new(self.learning_rate, ctypes.byref(out))


class MomentumOptimizer(Optimizer):
    _kind = 5

    def __init__(self, learning_rate, momentum, use_locking=False, name="Momentum", use_nesterov=False):
        super().__init__()
        self.learning_rate = float(learning_rate)
        self.momentum = float(momentum)
        self.use_nesterov = bool(use_nesterov)

    def _new(self, out):
        lib.tfc_optimizer_momentum_new(self.learning_rate, self.momentum, self.use_nesterov, ctypes.byref(out))

    def _estimator_config(self, cfg):
        if self.use_nesterov:
            raise ValueError("the canned estimators' Momentum optimizer has no Nesterov variant")
        super()._estimator_config(cfg)
        cfg.momentum = self.momentum


class AdagradOptimizer(Optimizer):
    """TensorFlow 1.x's Adagrad (no epsilon); epsilon > 0 gives ApplyAdagradV2."""
    _kind = 2

    def __init__(self, learning_rate, initial_accumulator_value=0.1, use_locking=False, name="Adagrad",
                 epsilon=0.0):
        super().__init__()
        self.learning_rate = float(learning_rate)
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = float(epsilon)

    def _new(self, out):
        lib.tfc_optimizer_adagrad_new(self.learning_rate, self.initial_accumulator_value, self.epsilon,
                                      ctypes.byref(out))

    def _estimator_config(self, cfg):
        super()._estimator_config(cfg)
        cfg.initial_accumulator_value = self.initial_accumulator_value
        cfg.epsilon = self.epsilon


class FtrlOptimizer(Optimizer):
    _kind = 3

    def __init__(self, learning_rate, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0, use_locking=False, name="Ftrl",
                 accum_name=None, linear_name=None, l2_shrinkage_regularization_strength=0.0, beta=None):
        super().__init__()
        self.learning_rate = float(learning_rate)
        self.learning_rate_power = float(learning_rate_power)
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.l1_regularization_strength = float(l1_regularization_strength)
        self.l2_regularization_strength = float(l2_regularization_strength)
        self.l2_shrinkage_regularization_strength = float(l2_shrinkage_regularization_strength)
        self.beta = float(beta or 0.0)

    def _new(self, out):
        o = FtrlOptions(ctypes.sizeof(FtrlOptions), self.learning_rate, self.learning_rate_power,
                        self.initial_accumulator_value, self.l1_regularization_strength,
                        self.l2_regularization_strength, self.l2_shrinkage_regularization_strength, self.beta)
        lib.tfc_optimizer_ftrl_new(ctypes.byref(o), ctypes.byref(out))

    def _estimator_config(self, cfg):
        if self.learning_rate_power != -0.5 or self.l2_shrinkage_regularization_strength or self.beta:
            raise ValueError("the canned estimators' FTRL takes learning_rate, initial_accumulator_value and the "
                             "l1/l2 strengths only")
        super()._estimator_config(cfg)
        cfg.initial_accumulator_value = self.initial_accumulator_value
        cfg.l1_regularization_strength = self.l1_regularization_strength
        cfg.l2_regularization_strength = self.l2_regularization_strength


class AdamOptimizer(Optimizer):
    _kind = 4

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-08, use_locking=False, name="Adam"):
        super().__init__()
        self.learning_rate = float(learning_rate)
        self.beta1, self.beta2, self.epsilon = float(beta1), float(beta2), float(epsilon)

    def _new(self, out):
        lib.tfc_optimizer_adam_new(self.learning_rate, self.beta1, self.beta2, self.epsilon, ctypes.byref(out))

    def _estimator_config(self, cfg):
        super()._estimator_config(cfg)
        cfg.beta1, cfg.beta2, cfg.epsilon = self.beta1, self.beta2, self.epsilon


class Saver:
    """tf.train.Saver: saves and restores a session's variables.

    Saver(var_list=None, max_to_keep=5): var_list None saves every variable
    of the default graph existing now; a list of variables; or a dict
    {name in the checkpoint: variable} to restore renamed variables.
    """

    def __init__(self, var_list=None, max_to_keep=5, graph=None):
        self._ptr = None
        names = None
        if isinstance(var_list, dict):
            names = {v.op.name: k for k, v in var_list.items()}
            var_list = list(var_list.values())
        if var_list is not None:
            var_list = list(var_list)
            g = graph_of(var_list, graph)
        else:
            g = graph or get_default_graph()
        self.graph = g
        n = 0 if var_list is None else len(var_list)
        arr = None if var_list is None else (ctypes.c_void_p * max(n, 1))(*[v.op._ptr for v in var_list])
        opts = SaverOptions(ctypes.sizeof(SaverOptions), 0 if max_to_keep is None else int(max_to_keep))
        out = ctypes.c_void_p()
        lib.tfc_saver_new(g._handle(), arr, n, ctypes.byref(opts), ctypes.byref(out))
        self._ptr = out.value
        for var_name, ckpt_name in (names or {}).items():
            if var_name != ckpt_name:
                lib.tfc_saver_map_name(self._ptr, cstr(var_name), cstr(ckpt_name))

    def __del__(self, _free=lib.tfc_saver_free):
        p = getattr(self, "_ptr", None)
        if p:
            self._ptr = None
            _free(p)

    def save(self, sess, save_path, global_step=None):
        """Writes "<save_path>-<global_step>.tfc" (or "<save_path>.tfc") and returns its path."""
        step = -1
        if global_step is not None:
            step = int(sess.run(global_step)) if isinstance(global_step, Output) else int(global_step)
        out = ctypes.c_void_p()
        lib.tfc_saver_save(self._ptr, sess._handle(), cstr(save_path), step, ctypes.byref(out))
        return take_string(out.value)

    def restore(self, sess, save_path):
        """Restores the variables from the checkpoint file save_path (all or nothing)."""
        if save_path is None:
            raise ValueError("restore: save_path is None (no checkpoint found?)")
        lib.tfc_saver_restore(self._ptr, sess._handle(), cstr(save_path))


def latest_checkpoint(checkpoint_dir):
    """The newest checkpoint's path in checkpoint_dir, or None when there is none."""
    out = ctypes.c_void_p()
    try:
        lib.tfc_saver_latest(cstr(os.fspath(checkpoint_dir)), ctypes.byref(out))
    except errors.NotFoundError:
        return None
    return take_string(out.value)
