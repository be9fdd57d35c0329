"""tf.estimator's canned models over tfc's C estimators (include/tfc/estimator.h).

    est = tfc.estimator.DNNLinearCombinedClassifier(
        linear_feature_columns=wide, dnn_feature_columns=deep, dnn_hidden_units=[100, 70, 49, 34],
        label_vocabulary=["<=50K", ">50K"], config=tfc.estimator.RunConfig(model_dir="census_model"))
    est.train(train_input_fn, steps=3000)
    metrics = est.evaluate(eval_input_fn)          # {"accuracy": 0.86, "auc": 0.91, ...}
    for p in est.predict(predict_input_fn): ...    # {"probabilities": ..., "classes": ...} per example
    path = est.export_saved_model("export")        # load with tfc.saved_model.load(path)

Constructors take TensorFlow's arguments. optimizer: 'Adagrad', 'Ftrl',
'Adam', 'SGD', 'Momentum' or an optimizer object (tfc.train.FtrlOptimizer(0.05),
or any object whose class name says which and that has learning_rate).
Differences: no hooks, warm starts, partitioners or batch norm;
evaluate/predict read the newest checkpoint (checkpoint_path must be None);
predictions are computed when predict() is called.
"""

import ctypes
import math
import numbers

from .. import _ops, train as _train
from .._input import Input, InputFn, TensorInputFn
from .._lib import EstimatorOptions, EvalSpec as _CEvalSpec, OptimizerConfig, TrainSpec as _CTrainSpec
from .._lib import TrainStats, cstr, lib, str_array, take_string
from .._tensor import Tensor, to_python
from ..feature_column import FeatureColumn
from . import inputs  # noqa: F401 (tfc.estimator.inputs)

_MODEL_LINEAR, _MODEL_DNN, _MODEL_COMBINED, _MODEL_BASELINE = 0, 1, 2, 3
_OPTIMIZER_KINDS = {"sgd": 1, "gradientdescent": 1, "adagrad": 2, "ftrl": 3, "adam": 4, "momentum": 5}
_ACTIVATIONS = {"relu": 0, "tanh": 1, "sigmoid": 2, "elu": 3, "relu6": 4, "leaky_relu": 5}


class ModeKeys:
    TRAIN = "train"
    EVAL = "eval"
    PREDICT = "infer"


class RunConfig:
    """tf.estimator.RunConfig. num_threads (tfc) sets the session's threads (0: all cores)."""

    def __init__(self, model_dir=None, tf_random_seed=None, save_summary_steps=100, save_checkpoints_steps=None,
                 save_checkpoints_secs=None, keep_checkpoint_max=5, log_step_count_steps=100, num_threads=0,
                 session_config=None, keep_checkpoint_every_n_hours=None, train_distribute=None, device_fn=None,
                 protocol=None, eval_distribute=None, experimental_distribute=None):
        if save_checkpoints_steps is not None and save_checkpoints_secs is not None:
            raise ValueError("RunConfig: give at most one of save_checkpoints_steps and save_checkpoints_secs")
        for name, v in (("train_distribute", train_distribute), ("eval_distribute", eval_distribute),
                        ("experimental_distribute", experimental_distribute), ("device_fn", device_fn)):
            if v is not None:
                raise NotImplementedError("RunConfig: %s is not supported (tfc trains on one machine)" % name)
        self.model_dir = model_dir
        self.tf_random_seed = tf_random_seed
        self.save_summary_steps = save_summary_steps
        self.save_checkpoints_steps = save_checkpoints_steps
        self.save_checkpoints_secs = save_checkpoints_secs
        self.keep_checkpoint_max = keep_checkpoint_max
        self.log_step_count_steps = log_step_count_steps
        self.num_threads = num_threads
        self.session_config = session_config

    def replace(self, **kwargs):
        d = dict(self.__dict__)
        d.update(kwargs)
        return RunConfig(**d)

    def _fill(self, c, model_dir):
        c.model_dir = model_dir
        c.tf_random_seed = int(self.tf_random_seed or 0)
        c.save_checkpoints_steps = int(self.save_checkpoints_steps or 0)
        c.save_checkpoints_secs = float(self.save_checkpoints_secs or 0)
        # TensorFlow: None or 0 keeps every checkpoint / disables summaries and logging
        c.keep_checkpoint_max = int(self.keep_checkpoint_max) if self.keep_checkpoint_max else -1
        c.save_summary_steps = int(self.save_summary_steps) if self.save_summary_steps else -1
        c.log_step_count_steps = int(self.log_step_count_steps) if self.log_step_count_steps else -1
        threads = self.num_threads
        if isinstance(self.session_config, dict):
            threads = self.session_config.get("num_threads", threads)
        c.num_threads = int(threads or 0)


def _optimizer_config(opt, learning_rate, what):
    """A tfc_optimizer_config from a name, an optimizer object or a callable returning one."""
    cfg = OptimizerConfig()
    if opt is None:
        return cfg  # the C estimator's default for this part
    if isinstance(opt, str):
        kind = _OPTIMIZER_KINDS.get(opt.lower())
        if kind is None:
            raise ValueError("%s: unsupported optimizer %r (supported: 'Adagrad', 'Adam', 'Ftrl', 'SGD', "
                             "'Momentum')" % (what, opt))
        cfg.kind = kind
        cfg.learning_rate = learning_rate
        return cfg
    if isinstance(opt, _train.Optimizer):
        opt._estimator_config(cfg)
        return cfg
    if callable(opt) and not hasattr(opt, "learning_rate"):
        return _optimizer_config(opt(), learning_rate, what)
    lr = getattr(opt, "learning_rate", getattr(opt, "_learning_rate", None))
    cls = type(opt).__name__.lower().replace("optimizer", "")
    if lr is None or cls not in _OPTIMIZER_KINDS:
        raise TypeError("%s: expected an optimizer name or object (Adagrad, Ftrl, Adam, SGD, Momentum), got %r" %
                        (what, opt))
    cfg.kind = _OPTIMIZER_KINDS[cls]
    cfg.learning_rate = float(lr)
    for field in ("initial_accumulator_value", "l1_regularization_strength", "l2_regularization_strength",
                  "momentum", "beta1", "beta2", "epsilon"):
        v = getattr(opt, field, None)
        if isinstance(v, numbers.Real):
            setattr(cfg, field, float(v))
    return cfg


def _activation(fn):
    if fn is None:
        return 0
    if isinstance(fn, str):
        name = fn
    else:
        name = getattr(fn, "__name__", "")
        if getattr(_ops, name, None) is not fn:
            name = ""
    if name not in _ACTIVATIONS:
        raise ValueError("activation_fn must be one of tfc.nn.relu, tanh, sigmoid, elu, relu6, leaky_relu, got %r" %
                         (fn,))
    return _ACTIVATIONS[name]


def _columns(cols, what):
    cols = list(cols or [])
    for c in cols:
        if not isinstance(c, FeatureColumn):
            raise TypeError("%s: expected feature columns, got %r" % (what, c))
    return cols


class Estimator:
    """Base of the canned estimators: train, evaluate, predict, export_saved_model."""

    def __init__(self, model, regressor, model_dir=None, config=None, n_classes=2, label_dimension=1,
                 weight_column=None, label_vocabulary=None, linear_feature_columns=None, linear_optimizer=None,
                 linear_lr=0.0, dnn_feature_columns=None, dnn_optimizer=None, dnn_lr=0.0, hidden_units=None,
                 activation_fn=None, dropout=None):
        self._ptr = None
        config = config or RunConfig()
        if model_dir is not None and config.model_dir is not None and str(model_dir) != str(config.model_dir):
            raise ValueError("model_dir %r differs from config.model_dir %r" % (model_dir, config.model_dir))
        self._config = config.replace(model_dir=model_dir if model_dir is not None else config.model_dir)
        lin = _columns(linear_feature_columns, "linear_feature_columns")
        dnn = _columns(dnn_feature_columns, "dnn_feature_columns")
        if regressor and label_vocabulary is not None:
            raise ValueError("label_vocabulary is for classifiers")
        self._label_vocabulary = None if label_vocabulary is None else [str(v) for v in label_vocabulary]
        self._regressor = regressor
        if hasattr(weight_column, "key") and isinstance(weight_column, FeatureColumn):
            weight_column = weight_column.key
        o = EstimatorOptions()
        o.size = ctypes.sizeof(EstimatorOptions)
        o.model = model
        o.regressor = int(regressor)
        if not regressor:
            if n_classes is None or int(n_classes) < 2:
                raise ValueError("n_classes must be >= 2, got %r" % (n_classes,))
            o.n_classes = int(n_classes)
        else:
            if label_dimension is None or int(label_dimension) < 1:
                raise ValueError("label_dimension must be >= 1, got %r" % (label_dimension,))
            o.label_dimension = int(label_dimension)
        keep = [lin, dnn]
        o.weight_column = cstr(weight_column)
        if self._label_vocabulary is not None:
            arr, n = str_array(self._label_vocabulary)
            keep.append(arr)
            o.label_vocabulary, o.label_vocabulary_size = arr, n
        if lin:
            arr = (ctypes.c_void_p * len(lin))(*[c._ptr for c in lin])
            keep.append(arr)
            o.linear_feature_columns, o.n_linear_feature_columns = arr, len(lin)
        if dnn:
            arr = (ctypes.c_void_p * len(dnn))(*[c._ptr for c in dnn])
            keep.append(arr)
            o.dnn_feature_columns, o.n_dnn_feature_columns = arr, len(dnn)
        if hidden_units is not None:
            hu = [int(u) for u in hidden_units]
            arr = (ctypes.c_int64 * max(len(hu), 1))(*hu)
            keep.append(arr)
            o.hidden_units, o.n_hidden_units = arr, len(hu)
        o.activation = _activation(activation_fn)
        o.dropout = float(dropout or 0.0)
        o.linear_optimizer = _optimizer_config(linear_optimizer, linear_lr, "linear optimizer")
        o.dnn_optimizer = _optimizer_config(dnn_optimizer, dnn_lr, "dnn optimizer")
        md = cstr(None if self._config.model_dir is None else str(self._config.model_dir))
        keep.append(md)
        self._config._fill(o.config, md)
        out = ctypes.c_void_p()
        lib.tfc_estimator_new(ctypes.byref(o), ctypes.byref(out))
        self._ptr = out.value
        # the C estimator holds its own references to the columns; their
        # Python normalizers (if any) must live as long
        self._keepalive = [c._keepalive() for c in lin + dnn]

    def __del__(self, _free=lib.tfc_estimator_free):
        p = getattr(self, "_ptr", None)
        if p:
            self._ptr = None
            _free(p)

    def _handle(self):
        if not self._ptr:
            raise ValueError("estimator was closed")
        return self._ptr

    def close(self):
        p, self._ptr = self._ptr, None
        if p:
            lib.tfc_estimator_free(p)

    @property
    def model_dir(self):
        return lib.tfc_estimator_model_dir(self._handle()).decode()

    @property
    def config(self):
        return self._config.replace(model_dir=self.model_dir)

    @property
    def global_step(self):
        """The global step of the newest checkpoint (0 before training)."""
        s = ctypes.c_int64()
        lib.tfc_estimator_global_step(self._handle(), ctypes.byref(s))
        return s.value

    def latest_checkpoint(self):
        return _train.latest_checkpoint(self.model_dir)

    def _input(self, input_fn, training):
        """The Input for an input_fn: an InputFn object, an Input, or a callable
        returning one of them or (features dict, labels) / a features dict."""
        if isinstance(input_fn, Input):
            return input_fn
        if isinstance(input_fn, InputFn):
            return input_fn._make_input(self._label_vocabulary)
        if not callable(input_fn):
            raise TypeError("input_fn must be callable (e.g. tfc.estimator.inputs.numpy_input_fn(...)), got %r" %
                            (input_fn,))
        result = input_fn()
        if isinstance(result, (Input, InputFn)):
            return self._input(result, training)
        if isinstance(result, tuple) and len(result) == 2:
            features, labels = result
        elif isinstance(result, dict):
            features, labels = result, None
        else:
            raise TypeError("input_fn returned %r: expected an input (make_csv_input_fn, numpy_input_fn), "
                            "(features, labels) or a features dict" % type(result).__name__)
        # TensorFlow re-evaluates such an input_fn every step: the whole data is one batch
        n = _rows(features)
        fn = TensorInputFn(features, labels, batch_size=n, num_epochs=None if training else 1, shuffle=False)
        return fn._make_input(self._label_vocabulary)

    def train(self, input_fn, hooks=None, steps=None, max_steps=None, saving_listeners=None):
        """Trains `steps` more steps (or up to global step max_steps, or until the input ends)."""
        if steps is not None and max_steps is not None:
            raise ValueError("Can not provide both steps and max_steps.")
        if steps is not None and steps <= 0:
            raise ValueError("Must specify steps > 0, given: %r" % (steps,))
        if max_steps is not None and max_steps <= 0:
            raise ValueError("Must specify max_steps > 0, given: %r" % (max_steps,))
        _no_hooks(hooks, saving_listeners)
        inp = self._input(input_fn, True)
        lib.tfc_estimator_train(self._handle(), inp._ptr, int(steps or 0), int(max_steps or 0))
        return self

    @property
    def train_stats(self):
        """What the last train call did: steps, examples, global_step, seconds, step_seconds, last_loss."""
        st = TrainStats()
        st.size = ctypes.sizeof(TrainStats)
        lib.tfc_estimator_train_stats(self._handle(), ctypes.byref(st))
        return {f: getattr(st, f) for f, _ in TrainStats._fields_ if f != "size"}

    def evaluate(self, input_fn, steps=None, hooks=None, checkpoint_path=None, name=None):
        """Evaluates the newest checkpoint: {metric: value} with TensorFlow's keys and "global_step"."""
        if steps is not None and steps <= 0:
            raise ValueError("Must specify steps > 0, given: %r" % (steps,))
        _no_hooks(hooks, None)
        _no_checkpoint_path(checkpoint_path)
        if steps is None and getattr(input_fn, "endless", False):
            raise ValueError("evaluate: the input never ends (num_epochs=None); give steps or num_epochs")
        inp = self._input(input_fn, False)
        out = ctypes.c_void_p()
        lib.tfc_estimator_evaluate(self._handle(), inp._ptr, int(steps or 0), cstr(name), ctypes.byref(out))
        return _results(out.value)

    def predict(self, input_fn, predict_keys=None, hooks=None, checkpoint_path=None, yield_single_examples=True):
        """Predictions of the newest checkpoint, one dict per example (TensorFlow's
        keys: logits, logistic, probabilities, class_ids, classes, all_class_ids,
        all_classes; regressors: predictions)."""
        _no_hooks(hooks, None)
        _no_checkpoint_path(checkpoint_path)
        if getattr(input_fn, "endless", False):
            raise ValueError("predict: the input never ends (num_epochs=None); give num_epochs")
        inp = self._input(input_fn, False)
        out = ctypes.c_void_p()
        lib.tfc_estimator_predict(self._handle(), inp._ptr, ctypes.byref(out))
        p = out.value
        try:
            rows = lib.tfc_predictions_rows(p)
            cols = {}
            for i in range(lib.tfc_predictions_count(p)):
                key = lib.tfc_predictions_name(p, i).decode()
                cols[key] = to_python(lib.tfc_predictions_tensor(p, i))
        finally:
            lib.tfc_predictions_free(p)
        if predict_keys is not None:
            wanted = [predict_keys] if isinstance(predict_keys, str) else list(predict_keys)
            missing = [k for k in wanted if k not in cols]
            if missing:
                raise ValueError("predict_keys %s are not predictions of this model (it has %s)" %
                                 (missing, sorted(cols)))
            cols = {k: cols[k] for k in wanted}
        if not yield_single_examples:
            return iter([cols])
        return (({k: v[i] for k, v in cols.items()}) for i in range(rows))

    def export_saved_model(self, export_dir_base, serving_input_receiver_fn=None, assets_extra=None, as_text=False,
                           checkpoint_path=None, experimental_mode=None):
        """Exports the newest checkpoint to export_dir_base/<timestamp>; returns that path.
        The export takes raw features by key (serving_input_receiver_fn must be None)."""
        if serving_input_receiver_fn is not None or assets_extra is not None or as_text:
            raise NotImplementedError("export_saved_model: exports take raw features; serving_input_receiver_fn, "
                                      "assets_extra and as_text are not supported")
        _no_checkpoint_path(checkpoint_path)
        out = ctypes.c_void_p()
        lib.tfc_estimator_export(self._handle(), cstr(str(export_dir_base)), ctypes.byref(out))
        return take_string(out.value)

    export_savedmodel = export_saved_model


def _rows(features):
    for k, v in features.items():
        if isinstance(v, Tensor):
            return v.shape[0]
        return len(v)
    raise ValueError("input_fn returned no features")


def _no_hooks(hooks, listeners):
    if hooks or listeners:
        raise NotImplementedError("hooks and saving_listeners are not supported by tfc's estimators")


def _no_checkpoint_path(path):
    if path is not None:
        raise NotImplementedError("checkpoint_path: tfc's estimators use the newest checkpoint of model_dir")


def _results(p):
    try:
        out = {}
        for i in range(lib.tfc_eval_results_count(p)):
            k = lib.tfc_eval_results_name(p, i).decode()
            v = lib.tfc_eval_results_value(p, i)
            out[k] = int(v) if k == "global_step" else v
        return out
    finally:
        lib.tfc_eval_results_free(p)


def _linear_lr(n_columns):
    return min(0.005, 1.0 / math.sqrt(max(n_columns, 1)))


class LinearClassifier(Estimator):
    def __init__(self, feature_columns, model_dir=None, n_classes=2, weight_column=None, label_vocabulary=None,
                 optimizer="Ftrl", config=None, partitioner=None, warm_start_from=None, loss_reduction=None,
                 sparse_combiner="sum"):
        _unsupported(partitioner=partitioner, warm_start_from=warm_start_from)
        _sum_combiner(sparse_combiner)
        super().__init__(_MODEL_LINEAR, False, model_dir, config, n_classes=n_classes, weight_column=weight_column,
                         label_vocabulary=label_vocabulary, linear_feature_columns=feature_columns,
                         linear_optimizer=optimizer, linear_lr=0.2)


class LinearRegressor(Estimator):
    def __init__(self, feature_columns, model_dir=None, label_dimension=1, weight_column=None, optimizer="Ftrl",
                 config=None, partitioner=None, warm_start_from=None, loss_reduction=None, sparse_combiner="sum"):
        _unsupported(partitioner=partitioner, warm_start_from=warm_start_from)
        _sum_combiner(sparse_combiner)
        super().__init__(_MODEL_LINEAR, True, model_dir, config, label_dimension=label_dimension,
                         weight_column=weight_column, linear_feature_columns=feature_columns,
                         linear_optimizer=optimizer, linear_lr=0.2)


class DNNClassifier(Estimator):
    def __init__(self, hidden_units, feature_columns, model_dir=None, n_classes=2, weight_column=None,
                 label_vocabulary=None, optimizer="Adagrad", activation_fn=_ops.relu, dropout=None,
                 input_layer_partitioner=None, config=None, warm_start_from=None, loss_reduction=None,
                 batch_norm=False):
        _unsupported(input_layer_partitioner=input_layer_partitioner, warm_start_from=warm_start_from,
                     batch_norm=batch_norm or None)
        super().__init__(_MODEL_DNN, False, model_dir, config, n_classes=n_classes, weight_column=weight_column,
                         label_vocabulary=label_vocabulary, dnn_feature_columns=feature_columns,
                         dnn_optimizer=optimizer, dnn_lr=0.05, hidden_units=hidden_units,
                         activation_fn=activation_fn, dropout=dropout)


class DNNRegressor(Estimator):
    def __init__(self, hidden_units, feature_columns, model_dir=None, label_dimension=1, weight_column=None,
                 optimizer="Adagrad", activation_fn=_ops.relu, dropout=None, input_layer_partitioner=None,
                 config=None, warm_start_from=None, loss_reduction=None, batch_norm=False):
        _unsupported(input_layer_partitioner=input_layer_partitioner, warm_start_from=warm_start_from,
                     batch_norm=batch_norm or None)
        super().__init__(_MODEL_DNN, True, model_dir, config, label_dimension=label_dimension,
                         weight_column=weight_column, dnn_feature_columns=feature_columns, dnn_optimizer=optimizer,
                         dnn_lr=0.05, hidden_units=hidden_units, activation_fn=activation_fn, dropout=dropout)


class DNNLinearCombinedClassifier(Estimator):
    def __init__(self, model_dir=None, linear_feature_columns=None, linear_optimizer="Ftrl",
                 dnn_feature_columns=None, dnn_optimizer="Adagrad", dnn_hidden_units=None,
                 dnn_activation_fn=_ops.relu, dnn_dropout=None, n_classes=2, weight_column=None,
                 label_vocabulary=None, input_layer_partitioner=None, config=None, warm_start_from=None,
                 loss_reduction=None, batch_norm=False, linear_sparse_combiner="sum"):
        _unsupported(input_layer_partitioner=input_layer_partitioner, warm_start_from=warm_start_from,
                     batch_norm=batch_norm or None)
        _sum_combiner(linear_sparse_combiner)
        if not linear_feature_columns and not dnn_feature_columns:
            raise ValueError("Either linear_feature_columns or dnn_feature_columns must be defined.")
        super().__init__(_MODEL_COMBINED, False, model_dir, config, n_classes=n_classes,
                         weight_column=weight_column, label_vocabulary=label_vocabulary,
                         linear_feature_columns=linear_feature_columns, linear_optimizer=linear_optimizer,
                         linear_lr=_linear_lr(len(linear_feature_columns or [])),
                         dnn_feature_columns=dnn_feature_columns, dnn_optimizer=dnn_optimizer, dnn_lr=0.001,
                         hidden_units=dnn_hidden_units, activation_fn=dnn_activation_fn, dropout=dnn_dropout)


class DNNLinearCombinedRegressor(Estimator):
    def __init__(self, model_dir=None, linear_feature_columns=None, linear_optimizer="Ftrl",
                 dnn_feature_columns=None, dnn_optimizer="Adagrad", dnn_hidden_units=None,
                 dnn_activation_fn=_ops.relu, dnn_dropout=None, label_dimension=1, weight_column=None,
                 input_layer_partitioner=None, config=None, warm_start_from=None, loss_reduction=None,
                 batch_norm=False, linear_sparse_combiner="sum"):
        _unsupported(input_layer_partitioner=input_layer_partitioner, warm_start_from=warm_start_from,
                     batch_norm=batch_norm or None)
        _sum_combiner(linear_sparse_combiner)
        if not linear_feature_columns and not dnn_feature_columns:
            raise ValueError("Either linear_feature_columns or dnn_feature_columns must be defined.")
        super().__init__(_MODEL_COMBINED, True, model_dir, config, label_dimension=label_dimension,
                         weight_column=weight_column, linear_feature_columns=linear_feature_columns,
                         linear_optimizer=linear_optimizer,
                         linear_lr=_linear_lr(len(linear_feature_columns or [])),
                         dnn_feature_columns=dnn_feature_columns, dnn_optimizer=dnn_optimizer, dnn_lr=0.001,
                         hidden_units=dnn_hidden_units, activation_fn=dnn_activation_fn, dropout=dnn_dropout)


class BaselineClassifier(Estimator):
    def __init__(self, model_dir=None, n_classes=2, weight_column=None, label_vocabulary=None, optimizer="Ftrl",
                 config=None, loss_reduction=None):
        super().__init__(_MODEL_BASELINE, False, model_dir, config, n_classes=n_classes,
                         weight_column=weight_column, label_vocabulary=label_vocabulary, linear_optimizer=optimizer,
                         linear_lr=0.3)


class BaselineRegressor(Estimator):
    def __init__(self, model_dir=None, label_dimension=1, weight_column=None, optimizer="Ftrl", config=None,
                 loss_reduction=None):
        super().__init__(_MODEL_BASELINE, True, model_dir, config, label_dimension=label_dimension,
                         weight_column=weight_column, linear_optimizer=optimizer, linear_lr=0.3)


def _unsupported(**kwargs):
    for k, v in kwargs.items():
        if v is not None:
            raise NotImplementedError("%s is not supported by tfc's estimators" % k)


def _sum_combiner(c):
    if c != "sum":
        raise NotImplementedError("sparse_combiner %r: tfc's linear models support 'sum' only" % (c,))


class TrainSpec:
    def __init__(self, input_fn, max_steps=None, hooks=None):
        if max_steps is not None and max_steps <= 0:
            raise ValueError("Must specify max_steps > 0, given: %r" % (max_steps,))
        _no_hooks(hooks, None)
        self.input_fn, self.max_steps = input_fn, max_steps


class EvalSpec:
    """tf.estimator.EvalSpec; min_step_interval (tfc) asks for at least that many
    training steps between evaluations."""

    def __init__(self, input_fn, steps=100, name=None, hooks=None, exporters=None, start_delay_secs=120,
                 throttle_secs=600, min_step_interval=0):
        if steps is not None and steps <= 0:
            raise ValueError("Must specify steps > 0, given: %r" % (steps,))
        _no_hooks(hooks, None)
        if exporters:
            raise NotImplementedError("EvalSpec exporters are not supported; call export_saved_model")
        self.input_fn, self.steps, self.name = input_fn, steps, name
        self.start_delay_secs, self.throttle_secs = start_delay_secs, throttle_secs
        self.min_step_interval = min_step_interval


def train_and_evaluate(estimator, train_spec, eval_spec):
    """Trains to train_spec.max_steps, evaluating per eval_spec after checkpoint
    saves and at the end. Returns (final metrics, []) as TensorFlow 2 does."""
    train_in = estimator._input(train_spec.input_fn, True)
    eval_in = estimator._input(eval_spec.input_fn, False)
    ts = _CTrainSpec(ctypes.sizeof(_CTrainSpec), train_in._ptr, int(train_spec.max_steps or 0))
    name = cstr(eval_spec.name)
    es = _CEvalSpec(ctypes.sizeof(_CEvalSpec), eval_in._ptr, int(eval_spec.steps or 0), name,
                    float(eval_spec.start_delay_secs or 0), float(eval_spec.throttle_secs or 0),
                    int(eval_spec.min_step_interval or 0))
    out = ctypes.c_void_p()
    lib.tfc_train_and_evaluate(estimator._handle(), ctypes.byref(ts), ctypes.byref(es), ctypes.byref(out))
    return (_results(out.value) if out.value else None), []


__all__ = ["RunConfig", "LinearClassifier", "LinearRegressor", "DNNClassifier", "DNNRegressor",
           "DNNLinearCombinedClassifier", "DNNLinearCombinedRegressor", "BaselineClassifier", "BaselineRegressor",
           "TrainSpec", "EvalSpec", "train_and_evaluate", "ModeKeys", "inputs"]
