"""Seed 004's linear-teacher data.

The seed's ``linear_model`` with ``transform_data=True`` and κ: a linear teacher
y = x·β + noise. Gaussian training inputs X₀ = U S Wᵀ (n × d) are mapped to X = X₀ W S⁺ F,
so that X = U_r diag(f) with orthonormal U_r and **right singular vectors V = I**: the
training inputs have exactly the singular values f = diag(F), (d − p) of them equal to κ
("large" features, first) and p = ⌈r/2⌉ equal to 1 ("small"), r = min(n, d) (the d − r
others are 0 when n < d). Test inputs (100 n, noiseless targets) go through the same map.
The seed then z-scores X, which undoes that spectrum; that is not done here.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


class TeacherData(NamedTuple):
    """Seed 004's linear-teacher data set (:func:`linear_teacher_data`)."""

    x_train: np.ndarray   # [n, d], singular values ``singular_values``, V = I
    y_train: np.ndarray   # [n]
    x_test: np.ndarray    # [test_factor · n, d]
    y_test: np.ndarray    # [test_factor · n], noiseless
    beta: np.ndarray      # [d]
    singular_values: np.ndarray  # f [d] (zeros past rank r)
    noise_projection: np.ndarray  # ε̃ = U_rᵀ(y − Xβ) [d] (zeros past rank r)
    large: np.ndarray     # [d] bool: features with singular value κ


def teacher_modulation(dim: int, n_samples: int, kappa: float) -> np.ndarray:
    """diag(F): of the r = min(n, d) non-zero singular values, p = ⌈r/2⌉ are 1 and r − p are κ,
    sorted in decreasing order (the seed's ``modulation_matrix``), then d − r zeros."""
    r = min(n_samples, dim)
    p = math.ceil(r / 2)
    values = np.sort(np.concatenate([np.ones(p), np.full(r - p, kappa)]))[::-1]
    return np.concatenate([values, np.zeros(dim - r)])


def linear_teacher_data(dim: int, n_samples: int, kappa: float, sigma_noise: float, beta: float,
                        test_factor: int, seed: int) -> TeacherData:
    """Seed 004's linear-teacher data (its ``linear_model`` with ``transform_data=True`` and κ),
    without the z-scoring the seed applies afterwards, which would undo the κ spectrum.

    Gaussian inputs X₀ = U S Wᵀ (n × d) are mapped to X = X₀ W S⁺ F = U_r diag(f): the training
    inputs have exactly the singular values f = :func:`teacher_modulation` and right singular
    vectors V = I; the ``test_factor`` · n test inputs go through the same map and get noiseless
    targets; y = Xβ + N(0, σ²) with β = beta · 1.

    The random numbers are the seed's, draw for draw: numpy's legacy generator seeded with
    ``seed`` (the notebook's ``np.random.seed(12)``), consumed in its ``linear_model.sample``
    order: the training inputs, the noise in two halves then shuffled, the test inputs."""
    rng = np.random.RandomState(seed)
    d, n = dim, n_samples
    raw = rng.randn(n * d).reshape(n, d)
    _, s, wt = np.linalg.svd(raw, full_matrices=True)
    f = teacher_modulation(d, n, kappa)
    r = min(n, d)
    s_pinv = np.zeros(d)
    s_pinv[:r] = 1.0 / s[:r]
    transform = wt.T @ np.diag(s_pinv) @ np.diag(f)     # X₀ W S⁺ F
    x_train = raw @ transform
    beta = np.full(d, float(beta))
    split = math.ceil(n / 2)  # the seed draws its noise in two halves (one σ each; here equal)
    noise = np.concatenate([sigma_noise * rng.randn(split), sigma_noise * rng.randn(n - split)])
    rng.shuffle(noise)
    y_train = x_train @ beta + noise
    x_test = rng.randn(test_factor * n * d).reshape(test_factor * n, d) @ transform
    y_test = x_test @ beta
    # U_r from X itself (X = U_r diag(f)), so that the signs match V = I exactly.
    u_r = x_train[:, :r] / f[:r]
    noise_projection = np.zeros(d)
    noise_projection[:r] = u_r.T @ (y_train - x_train @ beta)
    n_larger = r - math.ceil(r / 2) if kappa >= 1 else math.ceil(r / 2)  # the larger group comes first
    return TeacherData(x_train, y_train, x_test, y_test, beta, f, noise_projection,
                       large=np.arange(d) < n_larger)
