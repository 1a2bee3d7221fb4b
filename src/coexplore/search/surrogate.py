"""The accuracy model of the whole-network samplers: a Gaussian process over size and genes.

A network is described by its size (log MACs, log conv weights: what accuracy follows across a
space) and its genes one-hot (what the size misses: on the development table a bottleneck block
beats a depthwise one of equal MACs, and two modules per level train worse than one in a short
schedule). The kernel is exponential in a distance that adds the squared size difference and the
fraction of genes that differ (a Hamming kernel, as COMBO and CASMOPOLITAN use for categorical
spaces): networks one gene apart predict each other, which a linear model over the same features
cannot do with 4-32 trained networks without overfitting.

Settings chosen on bench/tables/bench-dev.json only (issue 9; bench/tune_surrogate.py prints the
comparison), in units of the standardised accuracy: length scale 1 of 0.3/0.5/1/2, noise 0.1 of
0.05/0.1/0.3 (a tenth of the spread between networks is training noise, as measured there).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

LENGTHSCALE = 1.0
NOISE_VARIANCE = 0.1
SIZE_FEATURES = 2  # the first features of a candidate are its size; the rest one-hot genes


def one_hot_genes(params: Sequence[dict[str, Any]]) -> np.ndarray:
    """(networks, levels) one-hot of every gene that takes more than one value among `params`."""
    levels: dict[str, list[Any]] = {}
    for p in params:
        for gene, value in p.items():
            if value not in levels.setdefault(gene, []):
                levels[gene].append(value)
    columns = [(gene, value) for gene in sorted(levels) if len(levels[gene]) > 1 for value in levels[gene]]
    return np.array([[1.0 if p.get(gene) == value else 0.0 for gene, value in columns] for p in params]).reshape(
        len(params), len(columns))


class GeneGP:
    """GP regression on standardised accuracies; `all_features` (every candidate) sets the size
    standardisation and the number of genes."""

    def __init__(self, features: np.ndarray, targets: np.ndarray, all_features: np.ndarray):
        size = all_features[:, :SIZE_FEATURES]
        self.center, self.scale = size.mean(axis=0), size.std(axis=0)
        self.scale[self.scale == 0] = 1.0
        self.genes = max(int(round(all_features[0, SIZE_FEATURES:].sum())), 1)  # one 1 per gene
        self.x = features
        self.y_mean, self.y_std = float(targets.mean()), float(targets.std()) or 1.0
        y = (targets - self.y_mean) / self.y_std
        self.chol = np.linalg.cholesky(self.kernel(features, features) + NOISE_VARIANCE * np.eye(len(features)))
        self.alpha = np.linalg.solve(self.chol.T, np.linalg.solve(self.chol, y))

    def kernel(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        size_a = (a[:, :SIZE_FEATURES] - self.center) / self.scale
        size_b = (b[:, :SIZE_FEATURES] - self.center) / self.scale
        size_distance = ((size_a[:, None, :] - size_b[None, :, :]) ** 2).sum(axis=-1) / 2
        # a gene that differs flips two one-hot columns
        gene_distance = np.abs(a[:, None, SIZE_FEATURES:] - b[None, :, SIZE_FEATURES:]).sum(axis=-1) / 2 / self.genes
        return np.exp(-(size_distance + gene_distance) / LENGTHSCALE)

    def _posterior(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cross = self.kernel(features, self.x)
        solved = np.linalg.solve(self.chol, cross.T)
        return cross @ self.alpha, self.kernel(features, features) - solved.T @ solved

    def predict(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of a new training's accuracy (noise included)."""
        mean, covariance = self._posterior(features)
        std = np.sqrt(np.clip(np.diag(covariance), 0.0, None) + NOISE_VARIANCE)
        return mean * self.y_std + self.y_mean, std * self.y_std

    def draw(self, features: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One joint draw of the networks' mean accuracies from the posterior."""
        mean, covariance = self._posterior(features)
        covariance = (covariance + covariance.T) / 2
        return rng.multivariate_normal(mean, covariance, method="eigh") * self.y_std + self.y_mean
