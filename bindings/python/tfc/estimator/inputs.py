"""tf.estimator.inputs: input functions over in-memory data.

numpy_input_fn takes NumPy arrays (the tensors borrow contiguous arrays,
no copy); dict_input_fn takes plain Python lists (no NumPy needed).
"""

from .._input import TensorInputFn


def numpy_input_fn(x, y=None, batch_size=128, num_epochs=1, shuffle=None, queue_capacity=1000, num_threads=1,
                   seed=0, partial_final_batch=True):
    """Batches of batch_size rows from x (a dict of feature name -> array, all
    with the same first dimension) and labels y, for num_epochs passes (None:
    forever). shuffle must be given (True: a new permutation every epoch,
    drawn from seed)."""
    return TensorInputFn(x, y, batch_size, num_epochs, shuffle, seed, partial_final_batch)


def dict_input_fn(x, y=None, batch_size=128, num_epochs=1, shuffle=False, seed=0, partial_final_batch=True):
    """numpy_input_fn over Python lists: x {feature name: list of values}, y a list."""
    return TensorInputFn(x, y, batch_size, num_epochs, shuffle, seed, partial_final_batch)


__all__ = ["numpy_input_fn", "dict_input_fn"]
