#!/usr/bin/env python3
"""Runs the softmax and MLP recipes in PyTorch and in tfc, back to back on
the same thread count, and prints the ratios.

    python3 bench/compare_pytorch.py [--build build] [--threads 2] [--data DIR]

PyTorch comes from Debian's python3-torch (run with /usr/bin/python3); when it
is missing the script says so and only runs tfc's side. PyTorch runs in its
best configuration on this machine: in a child process with OpenBLAS limited
to one thread (else its pool and PyTorch's oversubscribe the cores, 2-3x
slower) and without the OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE overrides that
some machines here set (they select slower kernels for current builds).
"""
import argparse
import json
import gzip
import os
import statistics
import subprocess
import sys
import time

import numpy as np

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"


def load_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(data, which):
    x = load_idx(os.path.join(data, f"{which}-images-idx3-ubyte.gz")).reshape(-1, 784).astype(np.float32) / 255.0
    y = load_idx(os.path.join(data, f"{which}-labels-idx1-ubyte.gz")).astype(np.int64)
    return x, y


def torch_softmax(torch, train, test, steps, seed):
    x, y = torch.from_numpy(train[0]), torch.from_numpy(train[1])
    onehot = torch.nn.functional.one_hot(y, 10).float()
    W = torch.zeros(784, 10, requires_grad=True)
    b = torch.zeros(10, requires_grad=True)
    opt = torch.optim.SGD([W, b], lr=0.5)
    g = torch.Generator().manual_seed(seed)
    n = x.shape[0]
    order, pos = None, n
    t0 = time.perf_counter()
    for _ in range(steps):
        if pos + 100 > n:
            order, pos = torch.randperm(n, generator=g), 0
        idx = order[pos:pos + 100]
        pos += 100
        logits = x[idx] @ W + b
        loss = torch.mean(-torch.sum(onehot[idx] * torch.log_softmax(logits, 1), 1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    secs = time.perf_counter() - t0
    with torch.no_grad():
        tx, ty = torch.from_numpy(test[0]), torch.from_numpy(test[1])
        acc = (torch.argmax(tx @ W + b, 1) == ty).float().mean().item()
    return secs, acc


def torch_mlp(torch, train, test, epochs):
    torch.manual_seed(1)
    nn = torch.nn
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    opt = torch.optim.Adagrad(model.parameters(), lr=0.05, initial_accumulator_value=0.1)
    x, y = torch.from_numpy(train[0]), torch.from_numpy(train[1])
    n = x.shape[0]
    g = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(n, generator=g)
        for s in range(n // 100):
            idx = order[s * 100:(s + 1) * 100]
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    secs = time.perf_counter() - t0
    with torch.no_grad():
        tx, ty = torch.from_numpy(test[0]), torch.from_numpy(test[1])
        acc = (torch.argmax(model(tx), 1) == ty).float().mean().item()
        one = tx[:1]
        lat = []
        for _ in range(5000):
            a = time.perf_counter()
            torch.softmax(model(one), 1)
            lat.append(time.perf_counter() - a)
    return epochs * (n // 100) * 100 / secs, acc, statistics.median(lat) * 1e6


def run_tfc(build, name, threads, data):
    exe = os.path.join(build, "bench", name)
    out = subprocess.run([exe, "--threads", str(threads), "--data", data], check=True, capture_output=True,
                         text=True).stdout
    print(out, end="")
    return {l.split()[1]: float(l.split()[2]) for l in out.splitlines() if l.startswith("RESULT ")}


def torch_figures(args):
    """Runs both recipes in PyTorch; returns a dict of figures."""
    import torch
    torch.set_num_threads(args.threads)
    train, test = load(args.data, "train"), load(args.data, "t10k")
    fig = {"version": torch.__version__}
    for steps in (1000, 10000):
        runs = [torch_softmax(torch, train, test, steps, seed) for seed in range(3 if steps == 1000 else 1)]
        fig[f"softmax_{steps}_seconds"] = statistics.median(r[0] for r in runs)
        fig[f"softmax_{steps}_accuracy"] = statistics.mean(r[1] for r in runs)
    eps, acc, lat = torch_mlp(torch, train, test, args.epochs)
    fig.update(mlp_train_examples_per_second=eps, mlp_test_accuracy=acc, mlp_predict_one_us=lat)
    return fig


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--torch-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.torch_only:
        print(json.dumps(torch_figures(args)))
        return 0
    print(f"== tfc ({args.threads} threads)")
    ours = run_tfc(args.build, "bench_softmax", args.threads, args.data)
    ours.update(run_tfc(args.build, "bench_mlp", args.threads, args.data))
    try:
        import torch  # noqa: F401
    except ImportError:
        print("PyTorch is not installed (apt-get install python3-torch, run with /usr/bin/python3): "
              "tfc figures only")
        return 0
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env["OPENBLAS_NUM_THREADS"] = "1"
    child = subprocess.run([sys.executable, os.path.abspath(__file__), "--torch-only", "--threads",
                            str(args.threads), "--data", args.data, "--epochs", str(args.epochs)],
                           env=env, check=True, capture_output=True, text=True)
    theirs = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"== PyTorch {theirs['version']} ({args.threads} threads, OpenBLAS 1 thread)")
    for steps in (1000, 10000):
        print(f"softmax {steps} steps: {theirs[f'softmax_{steps}_seconds']:.4f} s, "
              f"test accuracy {theirs[f'softmax_{steps}_accuracy']:.4f}")
    print(f"MLP: {theirs['mlp_train_examples_per_second']:.0f} examples/s, test accuracy "
          f"{theirs['mlp_test_accuracy']:.4f}, single-example inference {theirs['mlp_predict_one_us']:.1f} us")
    rows = [
        ("softmax 1000 steps (s)", "softmax_1000_seconds", False),
        ("softmax 10000 steps (s)", "softmax_10000_seconds", False),
        ("MLP training (examples/s)", "mlp_train_examples_per_second", True),
        ("MLP test accuracy", "mlp_test_accuracy", None),
        ("MLP predict one (us)", "mlp_predict_one_us", False),
    ]
    print(f"\n{'figure':32} {'PyTorch':>12} {'tfc':>12} {'tfc speed-up':>13}")
    for label, key, higher_is_better in rows:
        t, o = theirs[key], ours[key]
        ratio = "" if higher_is_better is None else f"{(o / t if higher_is_better else t / o):12.2f}x"
        print(f"{label:32} {t:12.4g} {o:12.4g} {ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
