"""Training for posture_cam's angle estimator: small tanh networks, fitted with numpy alone.

The run-time side (:mod:`posture_cam.measure.estimator`) only evaluates the networks; this
module fits them. Loss, per network:

* squared error of both outputs (pelvic tilt and lordosis, each scaled by its training SD);
* plus ``pair_weight`` times the squared error of the *difference* between two pictures of
  the same body at different pelvic tilts (the same-body series): a least-squares fit
  shrinks its estimates towards the mean, so a person who tips the pelvis 10° forward would
  be told about 6°; the pair term asks the change itself to come out at its true size;
* plus ``decay`` times the squared weights.

Adam, mini-batches, early stopping on a held-out group of bodies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FitSettings", "fit_network", "forward"]


@dataclass(frozen=True)
class FitSettings:
    hidden: tuple[int, ...] = (64, 32)
    learning_rate: float = 2e-3
    decay: float = 1e-4
    pair_weight: float = 1.0
    batch: int = 128
    epochs: int = 400
    patience: int = 40
    seed: int = 0


def _init(rng: np.random.Generator, sizes: list[int]) -> list[np.ndarray]:
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        params.append(rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_out)))
        params.append(np.zeros(n_out))
    return params


def forward(params: list[np.ndarray], x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Output and the activations of every layer (inputs included), for backprop."""
    acts = [x]
    h = x
    n_layers = len(params) // 2
    for k in range(n_layers):
        h = h @ params[2 * k] + params[2 * k + 1]
        if k < n_layers - 1:
            h = np.tanh(h)
        acts.append(h)
    return h, acts


def _backward(
    params: list[np.ndarray], acts: list[np.ndarray], grad_out: np.ndarray
) -> list[np.ndarray]:
    grads = [np.zeros_like(p) for p in params]
    g = grad_out
    n_layers = len(params) // 2
    for k in reversed(range(n_layers)):
        grads[2 * k] = acts[k].T @ g
        grads[2 * k + 1] = g.sum(axis=0)
        if k > 0:
            g = (g @ params[2 * k].T) * (1 - acts[k] ** 2)
    return grads


def _loss_and_grads(
    params: list[np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    pairs: np.ndarray,
    s: FitSettings,
) -> tuple[float, list[np.ndarray]]:
    out, acts = forward(params, x)
    n = float(w.sum())
    err = out - y
    loss = float((w[:, None] * err**2).sum() / n)
    grad_out = 2 * w[:, None] * err / n
    if len(pairs):
        i, j = pairs[:, 0], pairs[:, 1]
        d_err = (out[i] - out[j]) - (y[i] - y[j])
        m = len(pairs)
        loss += s.pair_weight * float((d_err**2).sum() / m)
        g = 2 * s.pair_weight * d_err / m
        np.add.at(grad_out, i, g)
        np.add.at(grad_out, j, -g)
    grads = _backward(params, acts, grad_out)
    for k in range(0, len(params), 2):
        loss += s.decay * float((params[k] ** 2).sum())
        grads[k] += 2 * s.decay * params[k]
    return loss, grads


def _pairs_within(rows: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """All index pairs (into ``rows``) of rows sharing a same-body group id (id >= 0)."""
    out = []
    local = {}
    for pos, g in enumerate(groups[rows]):
        if g >= 0:
            local.setdefault(int(g), []).append(pos)
    for members in local.values():
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                out.append((members[a], members[b]))
    return np.array(out, dtype=np.intp).reshape(-1, 2)


def fit_network(
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    train: np.ndarray,
    stop: np.ndarray,
    same_body: np.ndarray,
    settings: FitSettings,
) -> list[np.ndarray]:
    """Fit one network on rows ``train``, stopping early on rows ``stop``.

    Args:
        x: (n, d) standardised features.
        y: (n, 2) standardised targets.
        weight: (n,) weight of each row in the squared-error term.
        train / stop: row indices.
        same_body: (n,) id of the same-body series a row belongs to, -1 for none.
        settings: see :class:`FitSettings`.
    """
    rng = np.random.default_rng(settings.seed)
    params = _init(rng, [x.shape[1], *settings.hidden, y.shape[1]])
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    stop_pairs = _pairs_within(stop, same_body)
    best = (np.inf, [p.copy() for p in params])
    since = 0
    step = 0
    # Mini-batches keep same-body rows together, so every batch carries whole pairs.
    groups = same_body[train]
    keys = np.where(groups >= 0, groups, -1 - np.arange(len(train)))
    uniq = np.unique(keys)
    for _epoch in range(settings.epochs):
        order = rng.permutation(uniq)
        per_batch = max(1, int(round(len(uniq) * settings.batch / max(len(train), 1))))
        for b0 in range(0, len(order), per_batch):
            chosen = np.isin(keys, order[b0 : b0 + per_batch])
            rows = train[chosen]
            pairs = _pairs_within(rows, same_body)
            _, grads = _loss_and_grads(params, x[rows], y[rows], weight[rows], pairs, settings)
            step += 1
            for k, g in enumerate(grads):
                m[k] = beta1 * m[k] + (1 - beta1) * g
                v[k] = beta2 * v[k] + (1 - beta2) * g * g
                m_hat = m[k] / (1 - beta1**step)
                v_hat = v[k] / (1 - beta2**step)
                params[k] -= settings.learning_rate * m_hat / (np.sqrt(v_hat) + eps)
        loss, _ = _loss_and_grads(params, x[stop], y[stop], weight[stop], stop_pairs, settings)
        if loss < best[0] - 1e-5:
            best = (loss, [p.copy() for p in params])
            since = 0
        else:
            since += 1
            if since >= settings.patience:
                break
    return best[1]
