"""tf.nn in tfc: activations, softmax, dropout, losses and embedding lookups."""

from ._ops import (bias_add, dropout, elu, embedding_lookup_sparse, l2_loss, leaky_relu, log_softmax, relu, relu6,
                   sigmoid, sigmoid_cross_entropy_with_logits, softmax, softmax_cross_entropy_with_logits, softplus,
                   sparse_softmax_cross_entropy_with_logits, tanh)

softmax_cross_entropy_with_logits_v2 = softmax_cross_entropy_with_logits

__all__ = ["bias_add", "dropout", "elu", "embedding_lookup_sparse", "l2_loss", "leaky_relu", "log_softmax", "relu",
           "relu6", "sigmoid", "sigmoid_cross_entropy_with_logits", "softmax", "softmax_cross_entropy_with_logits",
           "softmax_cross_entropy_with_logits_v2", "softplus", "sparse_softmax_cross_entropy_with_logits", "tanh"]
