"""The whole-network samplers' accuracy model: a GP over size and one-hot genes."""

import numpy as np

from coexplore.search.surrogate import GeneGP, one_hot_genes


def networks():
    params = [{"block": b, "order": o, "upsample": u} for b in ("a", "b") for o in (2, 3, 4) for u in ("x", "y")]
    size = np.array([[10.0 + 0.1 * p["order"], 5.0] for p in params])  # size barely varies
    features = np.hstack([size, one_hot_genes(params)])
    accuracy = np.array([(12.0 if p["block"] == "a" else 6.0) + 0.5 * p["order"] for p in params])
    return params, features, accuracy


def test_one_hot_covers_every_varying_gene_once():
    params = [{"block": "a", "k": 3}, {"block": "b", "k": 3}, {"block": "c", "k": 3}]
    encoded = one_hot_genes(params)
    assert encoded.shape == (3, 3)  # `k` never varies: no column
    assert (encoded.sum(axis=1) == 1).all()


def test_a_gene_learned_from_neighbours_ranks_untried_networks():
    params, features, accuracy = networks()
    trained = [0, 3, 6, 9]  # two of each block
    model = GeneGP(features[trained], accuracy[trained], features)
    untried = [i for i in range(len(params)) if i not in trained]
    mean, std = model.predict(features[untried])
    block_a = [m for m, i in zip(mean, untried) if params[i]["block"] == "a"]
    block_b = [m for m, i in zip(mean, untried) if params[i]["block"] == "b"]
    assert min(block_a) > max(block_b)
    assert (std > 0).all()


def test_draws_follow_the_generator_and_agree_with_the_mean_on_average():
    params, features, accuracy = networks()
    model = GeneGP(features[:6], accuracy[:6], features)
    first = model.draw(features, np.random.default_rng(0))
    again = model.draw(features, np.random.default_rng(0))
    other = model.draw(features, np.random.default_rng(1))
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    draws = np.array([model.draw(features, np.random.default_rng(s)) for s in range(400)])
    mean, _ = model.predict(features)
    assert np.allclose(draws.mean(axis=0), mean, atol=0.6)
