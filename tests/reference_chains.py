"""Seed 000's training loops rewritten in plain numpy for any number of hidden units
(a loop over layers, as the notebook's explicit per-depth branches do). The JAX chain
code is tested against it, draw for draw on the notebook's random stream."""

import numpy as np


def notebook_runs(seed, n_hidden, n_bp, n_pc, stop, lr=0.4, dt=0.1, n_steps=20, batch=64):
    np.random.seed(seed)
    w0 = np.random.normal(0, 0.05, n_hidden + 1)

    def batch_xy():
        x = np.random.normal(1.0, 0.1, batch)
        return x, -x

    def prod(w):
        return np.prod(w)

    # BP
    w = w0.copy()
    bp = {"train": [], "test": [], "w": [w.copy()]}
    for _ in range(n_bp):
        x, y = batch_xy()
        err = y - prod(w) * x
        bp["train"].append(np.mean(0.5 * err**2))
        grads = np.array([np.mean(-err * prod(np.delete(w, i)) * x) for i in range(len(w))])
        w = w - lr * grads
        bp["w"].append(w.copy())
        bp["test"].append(0.5 * (-1 - prod(w)) ** 2)
    bp_landscape_x, _ = batch_xy()
    # PC: z_0 = x, z_1 … z_H, y; Euler on each sample's energy
    w = w0.copy()
    pc = {"train": [], "test": [], "w": [w.copy()]}
    for _ in range(n_pc):
        x, y = batch_xy()
        z = [x]
        for i in range(n_hidden):
            z.append(w[i] * z[-1])
        z.append(y)

        def errors():
            return [z[l + 1] - w[l] * z[l] for l in range(n_hidden + 1)]

        for _ in range(n_steps):
            e = errors()
            dz = [e[l - 1] - w[l] * e[l] for l in range(1, n_hidden + 1)]
            for l in range(1, n_hidden + 1):
                z[l] = z[l] - dt * dz[l - 1]
        e = errors()
        grads = np.array([np.mean(-e[l] * z[l]) for l in range(n_hidden + 1)])
        pc["train"].append(np.mean(0.5 * (y - prod(w) * x) ** 2))
        w = w - lr * grads
        pc["w"].append(w.copy())
        pc["test"].append(0.5 * (-1 - prod(w)) ** 2)
        if stop is not None and pc["test"][-1] < stop:
            break
    pc_landscape_x, _ = batch_xy()
    np.random.normal(0, 0, n_hidden + 1)
    hessian_x, _ = batch_xy()
    return bp, pc, bp_landscape_x, pc_landscape_x, hessian_x
