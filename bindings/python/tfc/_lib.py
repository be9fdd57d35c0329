"""Loading libtfc and declaring the C functions the package calls.

The library is looked for in this order: the path in $TFC_LIBRARY, a build
directory of the source tree this package sits in (build*/src/libtfc.so in
any parent directory), then the system's library path. Every function is
declared once here with its argument and result types, so a call with a
wrong type fails in Python instead of in C.
"""

import ctypes
import ctypes.util
import glob
import os
import warnings

from ctypes import (CFUNCTYPE, POINTER, Structure, c_bool, c_char_p, c_double, c_float, c_int, c_int64,
                    c_size_t, c_uint, c_uint64, c_void_p)

from . import errors

P = POINTER
c_int64_p = P(c_int64)
c_void_pp = P(c_void_p)


class Output(Structure):
    """tfc_output: one output of an operation, passed by value."""
    _fields_ = [("op", c_void_p), ("index", c_int)]


class Gradient(Structure):
    """tfc_gradient: dense, or sparse rows (indices, values)."""
    _fields_ = [("dense", Output), ("indices", Output), ("values", Output)]


class SessionOptions(Structure):
    _fields_ = [("size", c_size_t), ("num_threads", c_int)]


class SaverOptions(Structure):
    _fields_ = [("size", c_size_t), ("max_to_keep", c_int)]


class ExportOptions(Structure):
    _fields_ = [("size", c_size_t), ("main_op", c_void_p)]


class FtrlOptions(Structure):
    _fields_ = [("size", c_size_t), ("learning_rate", c_double), ("learning_rate_power", c_double),
                ("initial_accumulator_value", c_double), ("l1_regularization_strength", c_double),
                ("l2_regularization_strength", c_double), ("l2_shrinkage_regularization_strength", c_double),
                ("beta", c_double)]


class CsvSchemaOptions(Structure):
    _fields_ = [("size", c_size_t), ("delimiter", ctypes.c_char), ("trim_whitespace", c_int),
                ("missing_value", c_char_p), ("header_lines", c_int), ("comment_prefix", c_char_p),
                ("quoted_fields", c_int), ("allow_nonfinite", c_int), ("skip_malformed", c_int),
                ("max_line_bytes", c_size_t)]


class CsvReaderOptions(Structure):
    _fields_ = [("size", c_size_t), ("batch_size", c_int64), ("num_epochs", c_int64),
                ("shuffle_buffer_size", c_int64), ("seed", c_uint64), ("partial_final_batch", c_int)]


class TensorInputOptions(Structure):
    _fields_ = [("size", c_size_t), ("batch_size", c_int64), ("num_epochs", c_int64), ("shuffle", c_int),
                ("seed", c_uint64), ("partial_final_batch", c_int)]


class OptimizerConfig(Structure):
    _fields_ = [("kind", c_int), ("learning_rate", c_double), ("initial_accumulator_value", c_double),
                ("l1_regularization_strength", c_double), ("l2_regularization_strength", c_double),
                ("momentum", c_double), ("beta1", c_double), ("beta2", c_double), ("epsilon", c_double)]


class RunConfig(Structure):
    _fields_ = [("model_dir", c_char_p), ("tf_random_seed", c_int64), ("save_checkpoints_steps", c_int64),
                ("save_checkpoints_secs", c_double), ("keep_checkpoint_max", c_int),
                ("save_summary_steps", c_int64), ("log_step_count_steps", c_int64), ("num_threads", c_int)]


class EstimatorOptions(Structure):
    _fields_ = [("size", c_size_t), ("model", c_int), ("regressor", c_int), ("n_classes", c_int),
                ("label_dimension", c_int), ("weight_column", c_char_p), ("label_vocabulary", P(c_char_p)),
                ("label_vocabulary_size", c_int), ("linear_feature_columns", c_void_pp),
                ("n_linear_feature_columns", c_int), ("dnn_feature_columns", c_void_pp),
                ("n_dnn_feature_columns", c_int), ("hidden_units", c_int64_p), ("n_hidden_units", c_int),
                ("activation", c_int), ("dropout", c_double), ("linear_optimizer", OptimizerConfig),
                ("dnn_optimizer", OptimizerConfig), ("config", RunConfig)]


class TrainStats(Structure):
    _fields_ = [("size", c_size_t), ("steps", c_int64), ("examples", c_int64), ("global_step", c_int64),
                ("seconds", c_double), ("step_seconds", c_double), ("last_loss", c_double)]


class TrainSpec(Structure):
    _fields_ = [("size", c_size_t), ("input", c_void_p), ("max_steps", c_int64)]


class EvalSpec(Structure):
    _fields_ = [("size", c_size_t), ("input", c_void_p), ("steps", c_int64), ("name", c_char_p),
                ("start_delay_secs", c_double), ("throttle_secs", c_double), ("min_step_interval", c_int64)]


DEALLOCATOR = CFUNCTYPE(None, c_void_p, c_size_t, c_void_p)
LOG_FN = CFUNCTYPE(None, c_int, c_char_p, c_void_p)

# Result type marker: the function returns a tfc_code that is checked.
CODE = "code"

# name: (result type, argument types). Functions returning tfc_code raise
# the matching tfc.errors exception with tfc_last_error()'s message.
_PROTOTYPES = {
    # common.h
    "tfc_version": (c_char_p, []),
    "tfc_version_number": (c_int, []),
    "tfc_last_error": (c_char_p, []),
    "tfc_code_name": (c_char_p, [c_int]),
    "tfc_dtype_name": (c_char_p, [c_int]),
    "tfc_dtype_size": (c_size_t, [c_int]),
    "tfc_string_free": (None, [c_void_p]),
    "tfc_set_log_callback": (None, [LOG_FN, c_void_p]),
    # tensor.h
    "tfc_tensor_new": (CODE, [c_int, c_int64_p, c_int, c_void_p, c_size_t, c_void_pp]),
    "tfc_tensor_new_borrowed": (CODE, [c_int, c_int64_p, c_int, c_void_p, c_size_t, DEALLOCATOR, c_void_p,
                                       c_void_pp]),
    "tfc_tensor_new_strings": (CODE, [c_int64_p, c_int, P(c_char_p), P(c_size_t), c_void_pp]),
    "tfc_tensor_retain": (c_void_p, [c_void_p]),
    "tfc_tensor_free": (None, [c_void_p]),
    "tfc_tensor_dtype": (c_int, [c_void_p]),
    "tfc_tensor_rank": (c_int, [c_void_p]),
    "tfc_tensor_dim": (c_int64, [c_void_p, c_int]),
    "tfc_tensor_num_elements": (c_int64, [c_void_p]),
    "tfc_tensor_byte_size": (c_size_t, [c_void_p]),
    "tfc_tensor_data": (c_void_p, [c_void_p]),
    "tfc_tensor_string": (CODE, [c_void_p, c_int64, c_void_pp, P(c_size_t)]),
    "tfc_tensor_copy": (CODE, [c_void_p, c_void_pp]),
    # graph.h
    "tfc_graph_new": (CODE, [c_void_pp]),
    "tfc_graph_free": (None, [c_void_p]),
    "tfc_graph_status": (c_int, [c_void_p]),
    "tfc_graph_error_message": (c_char_p, [c_void_p]),
    "tfc_graph_clear_error": (None, [c_void_p]),
    "tfc_graph_set_seed": (None, [c_void_p, c_int64]),
    "tfc_graph_push_name_scope": (CODE, [c_void_p, c_char_p]),
    "tfc_graph_pop_name_scope": (CODE, [c_void_p]),
    "tfc_graph_op_by_name": (c_void_p, [c_void_p, c_char_p]),
    "tfc_graph_next_op": (c_void_p, [c_void_p, P(c_size_t)]),
    "tfc_graph_num_ops": (c_size_t, [c_void_p]),
    "tfc_graph_output_shape": (CODE, [c_void_p, Output, c_int64_p, P(c_int)]),
    "tfc_output_dtype": (c_int, [Output]),
    "tfc_op_name": (c_char_p, [c_void_p]),
    "tfc_op_type": (c_char_p, [c_void_p]),
    "tfc_op_num_inputs": (c_int, [c_void_p]),
    "tfc_op_input": (Output, [c_void_p, c_int]),
    "tfc_op_num_outputs": (c_int, [c_void_p]),
    "tfc_op_num_control_inputs": (c_int, [c_void_p]),
    "tfc_op_control_input": (c_void_p, [c_void_p, c_int]),
    "tfc_op_output": (Output, [c_void_p, c_int]),
    "tfc_op_attr_int": (CODE, [c_void_p, c_char_p, c_int64_p]),
    "tfc_op_attr_float": (CODE, [c_void_p, c_char_p, P(c_float)]),
    "tfc_op_attr_bool": (CODE, [c_void_p, c_char_p, P(c_bool)]),
    "tfc_op_attr_type": (CODE, [c_void_p, c_char_p, P(c_int)]),
    "tfc_op_attr_string": (CODE, [c_void_p, c_char_p, P(c_char_p)]),
    "tfc_op_attr_shape": (CODE, [c_void_p, c_char_p, c_int64_p, P(c_int)]),
    "tfc_op_attr_tensor": (CODE, [c_void_p, c_char_p, c_void_pp]),
    "tfc_op_attr_int_list": (CODE, [c_void_p, c_char_p, P(c_int64_p), P(c_int)]),
    "tfc_op_builder_new": (c_void_p, [c_void_p, c_char_p, c_char_p]),
    "tfc_op_builder_add_input": (None, [c_void_p, Output]),
    "tfc_op_builder_add_inputs": (None, [c_void_p, P(Output), c_int]),
    "tfc_op_builder_add_control_input": (None, [c_void_p, c_void_p]),
    "tfc_op_builder_set_attr_int": (None, [c_void_p, c_char_p, c_int64]),
    "tfc_op_builder_set_attr_float": (None, [c_void_p, c_char_p, c_float]),
    "tfc_op_builder_set_attr_bool": (None, [c_void_p, c_char_p, c_bool]),
    "tfc_op_builder_set_attr_type": (None, [c_void_p, c_char_p, c_int]),
    "tfc_op_builder_set_attr_string": (None, [c_void_p, c_char_p, c_char_p]),
    "tfc_op_builder_set_attr_shape": (None, [c_void_p, c_char_p, c_int64_p, c_int]),
    "tfc_op_builder_set_attr_tensor": (None, [c_void_p, c_char_p, c_void_p]),
    "tfc_op_builder_set_attr_int_list": (None, [c_void_p, c_char_p, c_int64_p, c_int]),
    "tfc_op_builder_set_attr_float_list": (None, [c_void_p, c_char_p, P(c_float), c_int]),
    "tfc_op_builder_set_attr_type_list": (None, [c_void_p, c_char_p, P(c_int), c_int]),
    "tfc_op_builder_set_attr_string_list": (None, [c_void_p, c_char_p, P(c_char_p), c_int]),
    "tfc_op_builder_finish": (CODE, [c_void_p, c_void_pp]),
    "tfc_op_builder_abandon": (None, [c_void_p]),
    "tfc_graph_add_gradients": (CODE, [c_void_p, P(Output), c_int, P(Output), c_int, P(Output), P(Output)]),
    "tfc_graph_add_gradients_sparse": (CODE, [c_void_p, P(Output), c_int, P(Output), c_int, P(Output),
                                              P(Gradient)]),
    # graph_def.h
    "tfc_buffer_data": (c_void_p, [c_void_p]),
    "tfc_buffer_size": (c_size_t, [c_void_p]),
    "tfc_buffer_free": (None, [c_void_p]),
    "tfc_graph_to_graph_def": (CODE, [c_void_p, c_void_pp]),
    "tfc_graph_import_graph_def": (CODE, [c_void_p, c_char_p, c_size_t, c_char_p]),
    "tfc_graph_import_graph_def_file": (CODE, [c_void_p, c_char_p, c_char_p]),
    "tfc_graph_write_graph_def_file": (CODE, [c_void_p, c_char_p]),
    # session.h
    "tfc_session_new": (CODE, [c_void_p, P(SessionOptions), c_void_pp]),
    "tfc_session_free": (None, [c_void_p]),
    "tfc_session_run": (CODE, [c_void_p, P(Output), c_void_pp, c_int, P(Output), c_void_pp, c_int, c_void_pp,
                               c_int]),
    "tfc_session_variable_value": (CODE, [c_void_p, c_void_p, c_void_pp]),
    "tfc_session_set_variable": (CODE, [c_void_p, c_void_p, c_void_p]),
    "tfc_session_num_threads": (c_int, [c_void_p]),
    # ops_state.h (the typed op constructors are declared from the table in _ops.py)
    "tfc_variable_initializer": (c_void_p, [c_void_p]),
    "tfc_graph_num_variables": (c_size_t, [c_void_p]),
    "tfc_graph_variable": (c_void_p, [c_void_p, c_size_t]),
    "tfc_variable_trainable": (c_bool, [c_void_p]),
    "tfc_variable_set_trainable": (CODE, [c_void_p, c_bool]),
    "tfc_global_variables_initializer": (c_void_p, [c_void_p]),
    # train.h
    "tfc_optimizer_gradient_descent_new": (CODE, [c_double, c_void_pp]),
    "tfc_optimizer_momentum_new": (CODE, [c_double, c_double, c_bool, c_void_pp]),
    "tfc_optimizer_adagrad_new": (CODE, [c_double, c_double, c_double, c_void_pp]),
    "tfc_optimizer_ftrl_new": (CODE, [P(FtrlOptions), c_void_pp]),
    "tfc_optimizer_adam_new": (CODE, [c_double, c_double, c_double, c_double, c_void_pp]),
    "tfc_optimizer_free": (None, [c_void_p]),
    "tfc_optimizer_name": (c_char_p, [c_void_p]),
    "tfc_train_global_step": (CODE, [c_void_p, P(Output)]),
    "tfc_optimizer_minimize": (CODE, [c_void_p, c_void_p, Output, P(Output), c_int, c_bool, c_void_pp]),
    "tfc_optimizer_apply_gradients": (CODE, [c_void_p, c_void_p, P(Gradient), P(Output), c_int, c_bool,
                                             c_void_pp]),
    "tfc_optimizer_slot": (c_void_p, [c_void_p, c_void_p, c_char_p]),
    # saver.h
    "tfc_saver_new": (CODE, [c_void_p, c_void_pp, c_int, P(SaverOptions), c_void_pp]),
    "tfc_saver_free": (None, [c_void_p]),
    "tfc_saver_map_name": (CODE, [c_void_p, c_char_p, c_char_p]),
    "tfc_saver_save": (CODE, [c_void_p, c_void_p, c_char_p, c_int64, c_void_pp]),
    "tfc_saver_restore": (CODE, [c_void_p, c_void_p, c_char_p]),
    "tfc_saver_latest": (CODE, [c_char_p, c_void_pp]),
    # saved_model.h
    "tfc_signature_new": (CODE, [c_char_p, c_char_p, c_void_pp]),
    "tfc_signature_free": (None, [c_void_p]),
    "tfc_signature_add_input": (CODE, [c_void_p, c_char_p, Output]),
    "tfc_signature_add_output": (CODE, [c_void_p, c_char_p, Output]),
    "tfc_signature_key": (c_char_p, [c_void_p]),
    "tfc_signature_method_name": (c_char_p, [c_void_p]),
    "tfc_signature_num_inputs": (c_int, [c_void_p]),
    "tfc_signature_num_outputs": (c_int, [c_void_p]),
    "tfc_signature_input_key": (c_char_p, [c_void_p, c_int]),
    "tfc_signature_output_key": (c_char_p, [c_void_p, c_int]),
    "tfc_signature_input": (Output, [c_void_p, c_int]),
    "tfc_signature_output": (Output, [c_void_p, c_int]),
    "tfc_signature_input_info": (CODE, [c_void_p, c_int, P(c_int), c_int64_p, P(c_int)]),
    "tfc_signature_output_info": (CODE, [c_void_p, c_int, P(c_int), c_int64_p, P(c_int)]),
    "tfc_saved_model_export": (CODE, [c_void_p, c_void_p, c_char_p, c_void_pp, c_int, P(ExportOptions)]),
    "tfc_saved_model_load": (CODE, [c_char_p, P(SessionOptions), c_void_pp]),
    "tfc_saved_model_free": (None, [c_void_p]),
    "tfc_saved_model_session": (c_void_p, [c_void_p]),
    "tfc_saved_model_graph": (c_void_p, [c_void_p]),
    "tfc_saved_model_writer_version": (c_char_p, [c_void_p]),
    "tfc_saved_model_num_signatures": (c_int, [c_void_p]),
    "tfc_saved_model_signature": (c_void_p, [c_void_p, c_int]),
    "tfc_saved_model_find_signature": (c_void_p, [c_void_p, c_char_p]),
    "tfc_saved_model_run": (CODE, [c_void_p, c_char_p, P(c_char_p), c_void_pp, c_int, P(c_char_p), c_void_pp,
                                   c_int]),
    # idx.h
    "tfc_idx_read": (CODE, [c_char_p, c_void_pp]),
    "tfc_idx_parse": (CODE, [c_char_p, c_size_t, c_char_p, c_void_pp]),
    # input.h
    "tfc_csv_schema_new": (CODE, [P(CsvSchemaOptions), c_void_pp]),
    "tfc_csv_schema_free": (None, [c_void_p]),
    "tfc_csv_schema_add_column": (CODE, [c_void_p, c_char_p, c_int, c_char_p]),
    "tfc_csv_schema_set_label_vocabulary": (CODE, [c_void_p, c_char_p, P(c_char_p), c_int, c_uint]),
    "tfc_csv_schema_num_columns": (c_int, [c_void_p]),
    "tfc_csv_schema_column_name": (c_char_p, [c_void_p, c_int]),
    "tfc_csv_schema_column_dtype": (c_int, [c_void_p, c_int]),
    "tfc_csv_reader_new": (CODE, [c_void_p, P(c_char_p), c_int, P(CsvReaderOptions), c_void_pp]),
    "tfc_csv_reader_new_from_buffer": (CODE, [c_void_p, c_char_p, c_size_t, c_char_p, P(CsvReaderOptions),
                                              c_void_pp]),
    "tfc_csv_reader_free": (None, [c_void_p]),
    "tfc_csv_reader_next_batch": (c_int, [c_void_p, c_int64, c_void_pp, c_int64_p]),
    "tfc_csv_reader_malformed_count": (c_int64, [c_void_p]),
    "tfc_csv_reader_malformed_reason": (c_char_p, [c_void_p, c_int64]),
    "tfc_json_lines_read": (CODE, [c_void_p, c_char_p, c_void_pp, c_int64_p]),
    "tfc_json_lines_parse": (CODE, [c_void_p, c_char_p, c_size_t, c_char_p, c_void_pp, c_int64_p]),
    # feature_column.h
    "tfc_feature_column_free": (None, [c_void_p]),
    "tfc_feature_column_name": (c_char_p, [c_void_p]),
    "tfc_feature_column_num_buckets": (c_int64, [c_void_p]),
    "tfc_feature_column_dense_size": (c_int64, [c_void_p]),
    "tfc_feature_column_is_dense": (c_bool, [c_void_p]),
    "tfc_numeric_column": (CODE, [c_char_p, c_int64_p, c_int, P(c_float), c_int, c_void_pp]),
    "tfc_numeric_column_with_normalizer": (CODE, [c_char_p, c_int64_p, c_int, P(c_float), c_int, c_void_p,
                                                  c_void_p, c_void_pp]),
    "tfc_numeric_column_with_normalizer_out": (CODE, [c_char_p, c_int64_p, c_int, P(c_float), c_int, c_void_p,
                                                      c_void_p, c_void_pp]),
    "tfc_feature_column_default_value": (None, [c_void_p, P(P(c_float)), P(c_int)]),
    "tfc_bucketized_column": (CODE, [c_void_p, P(c_float), c_int, c_void_pp]),
    "tfc_categorical_column_with_vocabulary_list": (CODE, [c_char_p, P(c_char_p), c_int, c_int64, c_int64,
                                                           c_void_pp]),
    "tfc_categorical_column_with_vocabulary_file": (CODE, [c_char_p, c_char_p, c_int64, c_int64, c_void_pp]),
    "tfc_categorical_column_with_hash_bucket": (CODE, [c_char_p, c_int64, c_void_pp]),
    "tfc_categorical_column_with_identity": (CODE, [c_char_p, c_int64, c_int64, c_void_pp]),
    "tfc_crossed_column": (CODE, [P(c_char_p), c_void_pp, c_int, c_int64, c_uint64, c_void_pp]),
    "tfc_embedding_column": (CODE, [c_void_p, c_int64, c_int, c_double, c_int64, c_void_pp]),
    "tfc_indicator_column": (CODE, [c_void_p, c_void_pp]),
    "tfc_weighted_categorical_column": (CODE, [c_void_p, c_char_p, c_void_pp]),
    "tfc_feature_placeholders_new": (CODE, [c_void_p, c_void_pp, c_int, c_void_pp]),
    "tfc_features_new": (CODE, [c_void_pp]),
    "tfc_features_set": (CODE, [c_void_p, c_char_p, Output]),
    "tfc_features_free": (None, [c_void_p]),
    "tfc_features_get": (Output, [c_void_p, c_char_p]),
    "tfc_features_count": (c_int, [c_void_p]),
    "tfc_features_key": (c_char_p, [c_void_p, c_int]),
    "tfc_input_layer": (CODE, [c_void_p, c_void_p, c_void_pp, c_int, P(Output)]),
    "tfc_linear_model": (CODE, [c_void_p, c_void_p, c_void_pp, c_int, c_int64, P(Output)]),
    # estimator.h
    "tfc_input_from_csv": (CODE, [c_void_p, P(c_char_p), c_int, P(CsvReaderOptions), c_char_p, c_void_pp]),
    "tfc_input_from_tensors": (CODE, [P(c_char_p), c_void_pp, c_int, c_void_p, P(TensorInputOptions),
                                      c_void_pp]),
    "tfc_input_free": (None, [c_void_p]),
    "tfc_estimator_new": (CODE, [P(EstimatorOptions), c_void_pp]),
    "tfc_estimator_free": (None, [c_void_p]),
    "tfc_estimator_model_dir": (c_char_p, [c_void_p]),
    "tfc_estimator_global_step": (CODE, [c_void_p, c_int64_p]),
    "tfc_estimator_train": (CODE, [c_void_p, c_void_p, c_int64, c_int64]),
    "tfc_estimator_train_stats": (CODE, [c_void_p, P(TrainStats)]),
    "tfc_estimator_evaluate": (CODE, [c_void_p, c_void_p, c_int64, c_char_p, c_void_pp]),
    "tfc_eval_results_free": (None, [c_void_p]),
    "tfc_eval_results_count": (c_int, [c_void_p]),
    "tfc_eval_results_name": (c_char_p, [c_void_p, c_int]),
    "tfc_eval_results_value": (c_double, [c_void_p, c_int]),
    "tfc_estimator_predict": (CODE, [c_void_p, c_void_p, c_void_pp]),
    "tfc_predictions_free": (None, [c_void_p]),
    "tfc_predictions_rows": (c_int64, [c_void_p]),
    "tfc_predictions_count": (c_int, [c_void_p]),
    "tfc_predictions_name": (c_char_p, [c_void_p, c_int]),
    "tfc_predictions_tensor": (c_void_p, [c_void_p, c_int]),
    "tfc_estimator_export": (CODE, [c_void_p, c_char_p, c_void_pp]),
    "tfc_train_and_evaluate": (CODE, [c_void_p, P(TrainSpec), P(EvalSpec), c_void_pp]),
}


def _sanitized(build_dir):
    """True when a meson build directory was configured with sanitizers: its
    library cannot be loaded into an uninstrumented Python (ASan aborts)."""
    import json
    try:
        with open(os.path.join(build_dir, "meson-info", "intro-buildoptions.json")) as f:
            for opt in json.load(f):
                if opt.get("name") == "b_sanitize":
                    return opt.get("value") not in ("none", "", None)
    except (OSError, ValueError):
        pass
    return False


def _build_libraries(start):
    """build*/src/libtfc.so in start and its parents, newest first per directory."""
    out = []
    d = start
    while True:
        found = []
        for p in glob.glob(os.path.join(d, "build*", "src", "libtfc.so")):
            try:
                found.append((-os.path.getmtime(p), p))
            except OSError:  # a dangling link of a build in progress
                pass
        out.extend(p for _, p in sorted(found))
        parent = os.path.dirname(d)
        if parent == d:
            return out
        d = parent


def _candidates(here, tried):
    """(what, path) in the order to try, lazily: later places are only
    searched when the earlier ones fail."""
    env = os.environ.get("TFC_LIBRARY")
    if env:
        yield "$TFC_LIBRARY", env
    builds = _build_libraries(here)
    for p in builds:
        if _sanitized(os.path.dirname(os.path.dirname(p))):
            tried.append("build directory: %s (skipped: built with sanitizers)" % p)
        else:
            yield "build directory", p
    if not builds:
        tried.append("build directory: no build*/src/libtfc.so in %s or its parents" % here)
    name = ctypes.util.find_library("tfc")
    if name:
        yield "system library path", name
    yield "system library path", "libtfc.so.0"
    yield "system library path", "libtfc.so"


def _load():
    here = os.path.dirname(os.path.abspath(__file__))
    tried = []
    failed_env = None
    for what, path in _candidates(here, tried):
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s: %s (%s)" % (what, path, e))
            if what == "$TFC_LIBRARY":
                failed_env = "%s (%s)" % (path, e)
            continue
        if failed_env:
            warnings.warn("tfc: $TFC_LIBRARY=%s could not be loaded; using %s" % (failed_env, path))
        return lib, path
    raise ImportError("tfc: could not load the tfc C library (libtfc.so). Places tried:\n  " + "\n  ".join(tried) +
                      "\nSet TFC_LIBRARY to the path of libtfc.so, build the library "
                      "(meson setup build && ninja -C build), or install it.")


def _declare(lib, path):
    missing = []
    for name, (res, args) in _PROTOTYPES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            missing.append(name)
            continue
        fn.argtypes = args
        if res is CODE:
            fn.restype = c_int
            fn.errcheck = _check_code
        else:
            fn.restype = res
    if missing:
        raise ImportError("tfc: %s lacks functions this package needs (an older libtfc?): %s" %
                          (path, ", ".join(missing)))


def _check_code(result, func, args):
    if result != 0:
        raise errors.from_code(result, lib.tfc_last_error().decode("utf-8", "replace"))
    return result


def declare(name, restype, argtypes):
    """Declares a function not in _PROTOTYPES (the op constructors)."""
    fn = getattr(lib, name)
    fn.argtypes = argtypes
    if restype is CODE:
        fn.restype = c_int
        fn.errcheck = _check_code
    else:
        fn.restype = restype
    return fn


def last_error():
    return lib.tfc_last_error().decode("utf-8", "replace")


def cstr(s):
    """A Python str (or bytes) as bytes for a const char * argument."""
    if s is None:
        return None
    if isinstance(s, bytes):
        return s
    if isinstance(s, os.PathLike):
        s = os.fspath(s)
        if isinstance(s, bytes):
            return s
    if not isinstance(s, str):
        raise TypeError("expected a string, got %s" % type(s).__name__)
    return s.encode("utf-8")


def take_string(ptr):
    """Copies and frees a char * the library returned as the caller's."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        lib.tfc_string_free(ptr)


def int64_array(values):
    values = list(values)
    return (c_int64 * max(len(values), 1))(*values), len(values)


def str_array(values):
    values = [cstr(v) for v in values]
    return (c_char_p * max(len(values), 1))(*values), len(values)


lib, path = _load()
_declare(lib, path)
