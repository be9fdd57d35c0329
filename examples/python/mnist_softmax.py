"""TensorFlow's classic beginner MNIST script, ported line by line to tfc's
Python bindings, on Fashion-MNIST: softmax regression trained by gradient
descent (1000 steps of 100 images at rate 0.5), then test accuracy.

    TFC_LIBRARY=build/src/libtfc.so PYTHONPATH=bindings/python \
        /usr/bin/python3 examples/python/mnist_softmax.py [--data DIR] [--steps N] [--seed S]

Differences from the original script: the data come from IDX files
(tfc.datasets.mnist instead of tensorflow.examples.tutorials.mnist), and
the loss takes the logits (the original applied softmax twice), as
examples/mnist_softmax.c does.
"""
import argparse

import tfc
from tfc.datasets import mnist as input_data


def main(data_dir=input_data.DEFAULT_DIR, steps=1000, seed=0):
    mnist = input_data.read_data_sets(data_dir, one_hot=True, validation_size=0, seed=seed)
    with tfc.Graph():
        # Learning model
        x = tfc.placeholder(tfc.float32, [None, 28 * 28])
        weights = tfc.Variable(tfc.zeros([28 * 28, 10]))
        bias = tfc.Variable(tfc.zeros([10]))
        y = tfc.matmul(x, weights) + bias
        # Cross entropy ("how far off from right we are")
        y_ = tfc.placeholder(tfc.float32, [None, 10])
        cross_entropy = tfc.reduce_mean(tfc.nn.softmax_cross_entropy_with_logits(labels=y_, logits=y))
        # Training
        train_step = tfc.train.GradientDescentOptimizer(0.5).minimize(cross_entropy)
        sess = tfc.InteractiveSession()
        tfc.global_variables_initializer().run()
        for _ in range(steps):
            batch_xs, batch_ys = mnist.train.next_batch(100)
            sess.run(train_step, feed_dict={x: batch_xs, y_: batch_ys})
        # Evaluation
        correct_prediction = tfc.equal(tfc.argmax(y, 1), tfc.argmax(y_, 1))
        accuracy = tfc.reduce_mean(tfc.cast(correct_prediction, tfc.float32))
        result = sess.run(accuracy, feed_dict={x: mnist.test.images, y_: mnist.test.labels})
        sess.close()
    return float(result)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=input_data.DEFAULT_DIR, help="directory of the IDX files")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0, help="seed of the batches' shuffle")
    a = ap.parse_args()
    print("Simple model accuracy on test data:", main(a.data, a.steps, a.seed))
