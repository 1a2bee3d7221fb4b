"""The REINFORCE sampler: a GRU policy over the genes, rebuilt from the study's history.

The REINFORCE controller is the policy-gradient search of the FNAS / hardware-software
co-exploration papers (Jiang et al., "Accuracy vs. Efficiency: Achieving Both through
FPGA-Implementation Aware Neural Architecture Search", DAC 2019, and the co-exploration paper,
TCAD 2020), whose controller is the RNN of Zoph & Le ("Neural Architecture Search with
Reinforcement Learning", ICLR 2017): a recurrent policy emits the genes of a candidate one after
another, each step fed the embedding of the previous gene's chosen value (a learned start token
for the first), with one softmax head per gene. The reward is the candidate's accuracy minus a
latency penalty (`fnas_reward`), and the policy moves toward candidates with above-baseline reward
(an exponential moving average of the reward is the baseline). Because each gene is conditioned
on the ones before it, the controller can learn dependencies between genes (say, a tile size that
only pays with a given block), which a per-gene softmax cannot.

The sampler is stateless with respect to the process: the network is rebuilt from a fixed seed by
replaying one REINFORCE update per finished trial, in trial order, so any number of workers, and a
resumed study, share the same policy. The trained network is cached on the finished trials and
extended incrementally while the history only grows at its end.
"""

from __future__ import annotations

import math
import threading
import zlib
from typing import Any

import numpy as np
import optuna
import torch
from optuna.distributions import BaseDistribution, CategoricalDistribution, IntDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.trial import FrozenTrial, TrialState

from coexplore.search.records import trial_attrs

# REINFORCE settings (FNAS-style reward; plain policy-gradient ascent on the RNN controller).
REINFORCE_LEARNING_RATE = 0.2
REINFORCE_HIDDEN = 32  # GRU hidden size of the controller
REINFORCE_EMBEDDING = 16  # size of the embedding of a chosen gene value (the next step's input)
REINFORCE_GRAD_CLIP = 2.0  # gradient-norm clip per update: one outlier reward cannot blow the policy up
REINFORCE_BASELINE_DECAY = 0.8  # exponential moving average of the reward (variance reduction)
REINFORCE_EXPLORATION = 0.1  # share of uniform sampling mixed into the policy: every gene value stays reachable


def fnas_reward(
    accuracy_pct: float | None,
    total_ms: float | None,
    fits: bool,
    latency_budget_ms: float | None,
    reference_ms: float,
    weight: float,
) -> float:
    """Accuracy (0..1) minus a latency penalty.

    With a latency budget T (FNAS): the penalty is `weight · max(0, L/T − 1)`, so any design within
    the budget is judged on accuracy alone. Without one: `weight · L / reference`, a scalarised
    accuracy-vs-latency trade-off. A candidate with no fitting design gets the full `weight`.
    """
    accuracy = (accuracy_pct or 0.0) / 100.0
    if not fits or total_ms is None:
        return accuracy - weight
    if latency_budget_ms:
        return accuracy - weight * max(0.0, total_ms / latency_budget_ms - 1.0)
    return accuracy - weight * total_ms / max(reference_ms, 1e-12)


def _choices(distribution: BaseDistribution) -> list[Any] | None:
    """The finite list of values of a distribution, or None if it is continuous."""
    if isinstance(distribution, CategoricalDistribution):
        return list(distribution.choices)
    if isinstance(distribution, IntDistribution) and not distribution.log:
        return list(range(distribution.low, distribution.high + 1, distribution.step))
    return None


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max())
    return shifted / shifted.sum()


def _gene_seed(seed: int, name: str, size: int) -> int:
    """A per-gene seed that is stable across processes (`hash` of a str is not)."""
    return (seed * 1_000_003 + zlib.crc32(f"{name}/{size}".encode())) % (2**63)


class _Controller:
    """The RNN policy (Zoph & Le 2017): a GRU cell, a learned start token, and for each gene an
    embedding of its values (the next step's input) and a linear head (the gene's logits).

    A gene's embedding and head are created on first sight, seeded by the gene's name, so the
    network does not depend on when a gene was first met. Heads start at zero: a new gene's first
    policy is uniform. Everything lives on the CPU and is initialised from private generators, so
    building a controller never touches torch's global random state.
    """

    def __init__(self, seed: int, hidden: int, embedding: int):
        self.seed = seed
        self.hidden = hidden
        self.embedding = embedding
        generator = torch.Generator().manual_seed(seed)
        with torch.random.fork_rng(devices=[]):  # GRUCell's own init draws from the global generator
            self.cell = torch.nn.GRUCell(embedding, hidden)
        bound = 1.0 / math.sqrt(hidden)
        with torch.no_grad():
            for parameter in self.cell.parameters():
                parameter.copy_((torch.rand(parameter.shape, generator=generator) * 2 - 1) * bound)
        self.start = torch.nn.Parameter(torch.randn(1, embedding, generator=generator))
        self.embeddings: dict[tuple[str, int], torch.nn.Parameter] = {}
        self.heads: dict[tuple[str, int], tuple[torch.nn.Parameter, torch.nn.Parameter]] = {}

    def _gene(self, name: str, size: int) -> tuple[torch.nn.Parameter, tuple[torch.nn.Parameter, torch.nn.Parameter]]:
        key = (name, size)
        if key not in self.heads:
            generator = torch.Generator().manual_seed(_gene_seed(self.seed, name, size))
            self.embeddings[key] = torch.nn.Parameter(torch.randn(size, self.embedding, generator=generator))
            self.heads[key] = (torch.nn.Parameter(torch.zeros(size, self.hidden)), torch.nn.Parameter(torch.zeros(size)))
        return self.embeddings[key], self.heads[key]

    def parameters(self) -> list[torch.nn.Parameter]:
        params = [*self.cell.parameters(), self.start, *self.embeddings.values()]
        for weight, bias in self.heads.values():
            params += [weight, bias]
        return params

    def initial(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(hidden state, input) before the first gene: zeros and the start token."""
        return torch.zeros(1, self.hidden), self.start

    def step(self, hidden: torch.Tensor, inputs: torch.Tensor, name: str, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Advance one gene: the new hidden state and the gene's logits (shape [size])."""
        hidden = self.cell(inputs, hidden)
        _, (weight, bias) = self._gene(name, size)
        return hidden, (hidden @ weight.T + bias)[0]

    def feed(self, name: str, size: int, index: int) -> torch.Tensor:
        """The next step's input: the embedding of the value chosen for this gene."""
        embedding, _ = self._gene(name, size)
        return embedding[index].unsqueeze(0)


class ReinforceSampler(BaseSampler):
    """REINFORCE with an RNN controller over the genes, rebuilt from the study's history.

    Within a trial, `sample_independent` is called once per gene in suggest order; the controller's
    hidden state is kept per trial number, so the genes of a trial are sampled autoregressively.
    Genes with a continuous distribution go to a random sampler and do not advance the RNN.
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        latency_budget_ms: float | None = None,
        latency_weight: float = 0.5,
        learning_rate: float = REINFORCE_LEARNING_RATE,
        baseline_decay: float = REINFORCE_BASELINE_DECAY,
        exploration: float = REINFORCE_EXPLORATION,
        hidden_size: int = REINFORCE_HIDDEN,
        embedding_size: int = REINFORCE_EMBEDDING,
    ):
        self._rng = np.random.default_rng(seed)
        self._fallback = RandomSampler(seed=seed)
        # the controller's initialisation seed: fixed for a seeded sampler, so every worker agrees
        self._net_seed = int(seed) if seed is not None else int(np.random.SeedSequence().entropy % (2**32))
        self.latency_budget_ms = latency_budget_ms
        self.latency_weight = latency_weight
        self.learning_rate = learning_rate
        self.baseline_decay = baseline_decay
        self.exploration = exploration
        self.hidden_size = hidden_size
        self.embedding_size = embedding_size
        self._lock = threading.RLock()  # n_jobs > 1 shares one sampler between threads
        # trained controller, keyed on the finished trials it replayed (numbers, reference latency)
        self._cache: dict[str, Any] | None = None
        self._memo: tuple[tuple, dict[str, np.ndarray]] | None = None
        # per running trial: (hidden state, next input, number of its params already consumed)
        self._states: dict[int, tuple[torch.Tensor, torch.Tensor, int]] = {}

    # The controller samples gene by gene (autoregressively); no joint (relative) space.
    def infer_relative_search_space(self, study: optuna.Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(self, study: optuna.Study, trial: FrozenTrial, search_space: dict) -> dict[str, Any]:
        return {}

    def sample_independent(
        self, study: optuna.Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        choices = _choices(param_distribution)
        if choices is None:
            return self._fallback.sample_independent(study, trial, param_name, param_distribution)
        with self._lock:
            net = self._controller(study)
            state = self._states.get(trial.number)
            hidden, inputs, consumed = state if state is not None else (*net.initial(), 0)
            with torch.no_grad():
                # values this sampler did not pick (enqueued or fixed params) still condition the RNN
                for name, value in list(trial.params.items())[consumed:]:
                    hidden, inputs = self._advance(net, hidden, inputs, name, trial.distributions[name], value)
                hidden, logits = net.step(hidden, inputs, param_name, len(choices))
                uniform = np.full(len(choices), 1.0 / len(choices))
                probs = (1 - self.exploration) * _softmax(logits.double().numpy()) + self.exploration * uniform
                index = int(self._rng.choice(len(choices), p=probs / probs.sum()))
                inputs = net.feed(param_name, len(choices), index)
            self._states[trial.number] = (hidden, inputs, len(trial.params) + 1)
        return choices[index]

    def after_trial(self, study: optuna.Study, trial: FrozenTrial, state: TrialState, values: Any) -> None:
        with self._lock:
            self._states.pop(trial.number, None)

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
        self._fallback.reseed_rng()

    @staticmethod
    def _advance(net: _Controller, hidden: torch.Tensor, inputs: torch.Tensor, name: str,
                 distribution: BaseDistribution, value: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-force one known gene value through the RNN (continuous genes are skipped)."""
        choices = _choices(distribution)
        if choices is None or value not in choices:
            return hidden, inputs
        hidden, _ = net.step(hidden, inputs, name, len(choices))
        return hidden, net.feed(name, len(choices), choices.index(value))

    # --- the policy ------------------------------------------------------------------------------
    def reward(self, trial: FrozenTrial, reference_ms: float) -> float:
        attrs = trial_attrs(trial)
        accuracy = attrs.get("accuracy") if attrs.get("status") == "complete" else 0.0
        return fnas_reward(
            accuracy, attrs.get("total_ms"), bool(attrs.get("fits", True)), self.latency_budget_ms,
            reference_ms, self.latency_weight,
        )

    def _finished(self, study: optuna.Study) -> list[FrozenTrial]:
        return sorted(
            study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)),
            key=lambda t: t.number,
        )

    def _controller(self, study: optuna.Study) -> _Controller:
        """The controller after one REINFORCE update per finished trial, in trial order.

        Rebuilt from the fixed seed, except that while the replayed history only grows at its end
        (and the reference latency of the reward is unchanged) the cached network is trained on the
        new trials alone, which gives the same network as a full replay.
        """
        with self._lock:
            trials = self._finished(study)
            numbers = tuple(t.number for t in trials)
            reference_ms: float | None = None
            if not self.latency_budget_ms:  # the reference only matters without a latency budget
                latencies = [a["total_ms"] for a in map(trial_attrs, trials) if a.get("total_ms") is not None]
                reference_ms = max(latencies) if latencies else 1.0
            cache = self._cache
            if (cache is not None and cache["reference_ms"] == reference_ms
                    and numbers[: len(cache["numbers"])] == cache["numbers"]):
                if len(cache["numbers"]) == len(numbers):
                    return cache["net"]
                net, baseline, done = cache["net"], cache["baseline"], len(cache["numbers"])
            else:
                net, baseline, done = _Controller(self._net_seed, self.hidden_size, self.embedding_size), None, 0
            for trial in trials[done:]:
                reward = self.reward(trial, reference_ms if reference_ms is not None else 1.0)
                if baseline is not None:
                    self._update(net, trial, reward - baseline)
                baseline = reward if baseline is None else self.baseline_decay * baseline + (1 - self.baseline_decay) * reward
            self._cache = {"numbers": numbers, "reference_ms": reference_ms, "net": net, "baseline": baseline}
            return net

    def _update(self, net: _Controller, trial: FrozenTrial, advantage: float) -> None:
        """One REINFORCE step: ascend advantage · ∇ log π(trial's genes), the genes in suggest order."""
        if advantage == 0.0:
            return
        hidden, inputs = net.initial()
        log_prob: torch.Tensor | None = None
        for name, value in trial.params.items():
            choices = _choices(trial.distributions[name])
            if choices is None or value not in choices:
                continue
            index = choices.index(value)
            hidden, logits = net.step(hidden, inputs, name, len(choices))
            term = torch.log_softmax(logits, dim=0)[index]
            log_prob = term if log_prob is None else log_prob + term
            inputs = net.feed(name, len(choices), index)
        if log_prob is None:
            return
        params = net.parameters()
        grads = torch.autograd.grad(advantage * log_prob, params, allow_unused=True)
        grads = [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)]
        norm = float(torch.sqrt(sum((g * g).sum() for g in grads)))
        if not math.isfinite(norm):
            return  # a non-finite step would poison the policy; skip it
        scale = self.learning_rate * min(1.0, REINFORCE_GRAD_CLIP / max(norm, 1e-12))
        with torch.no_grad():
            for param, grad in zip(params, grads):
                param.add_(grad, alpha=scale)

    def policy(self, study: optuna.Study, given: dict[str, Any] | None = None) -> dict[str, np.ndarray]:
        """Per-gene logits for introspection: a greedy rollout of the controller over the genes of
        the finished trials (in order of first appearance), each gene's logits taken at its first
        occurrence. Genes named in `given` are fed that value instead of the greedy one, so
        `policy(study, {"g1": v})["g2"]` is the policy for g2 conditioned on g1 = v."""
        with self._lock:
            net = self._controller(study)
            key = (self._cache["numbers"], self._cache["reference_ms"]) if self._cache else ()
            if not given and self._memo is not None and self._memo[0] == key:
                return self._memo[1]
            genes: dict[str, list[Any]] = {}
            for trial in self._finished(study):
                for name, distribution in trial.distributions.items():
                    choices = _choices(distribution)
                    if choices is not None and name not in genes:
                        genes[name] = choices
            logits: dict[str, np.ndarray] = {}
            with torch.no_grad():
                hidden, inputs = net.initial()
                for name, choices in genes.items():
                    hidden, out = net.step(hidden, inputs, name, len(choices))
                    values = out.double().numpy().copy()
                    logits.setdefault(name, values)
                    index = int(np.argmax(values))
                    if given and name in given and given[name] in choices:
                        index = choices.index(given[name])
                    inputs = net.feed(name, len(choices), index)
            if not given:
                self._memo = (key, logits)
            return logits

