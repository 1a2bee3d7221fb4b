"""Where work runs: CPU cores and GPUs for worker processes, and torch's thread count.

One rule for every parallel job (search workers, benchmark-table trainings, the trainer itself):
with GPUs, worker i gets GPU `i % gpus` through `CUDA_VISIBLE_DEVICES`; without, it is pinned to
its own contiguous share of this process's cores (one core each, round robin, when there are more
workers than cores). torch sizes its thread pool to the cores a process is pinned to, so a pinned
worker does not oversubscribe the machine.

Importable from every layer: no torch at module level (a worker must be placed before torch
starts), no coexplore imports.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CUDA_VISIBLE_DEVICES = "CUDA_VISIBLE_DEVICES"


def cores() -> list[int]:
    """The CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))  # not on Linux


def core_count() -> int:
    return len(cores())


def gpu_count() -> int:
    """CUDA devices visible here (without importing torch on a machine with no NVIDIA driver)."""
    if not Path("/dev/nvidiactl").exists() and not os.environ.get(CUDA_VISIBLE_DEVICES):
        return 0
    try:
        import torch

        return torch.cuda.device_count()
    except Exception:  # a broken driver counts as no GPU: training then runs on the CPU
        return 0


@dataclass(frozen=True)
class Placement:
    """One worker's place: a GPU, or a set of CPU cores (None: wherever the OS puts it)."""

    gpu: int | None = None
    cpus: tuple[int, ...] | None = None

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment for a child process started at this place."""
        env = dict(os.environ if base is None else base)
        if self.gpu is not None:
            env[CUDA_VISIBLE_DEVICES] = str(self.gpu)
        return env

    def apply(self) -> None:
        """Place this process (call it before torch is imported)."""
        if self.gpu is not None:
            os.environ[CUDA_VISIBLE_DEVICES] = str(self.gpu)
        if self.cpus and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, set(self.cpus))


def placements(workers: int, *, gpus: int | None = None, available: list[int] | None = None) -> list[Placement]:
    """A place for each of `workers` processes (see the module docstring for the rule)."""
    gpus = gpu_count() if gpus is None else gpus
    if gpus:
        return [Placement(gpu=index % gpus) for index in range(workers)]
    if not hasattr(os, "sched_setaffinity") and available is None:
        return [Placement() for _ in range(workers)]
    pool = available if available is not None else cores()
    per = len(pool) // workers
    if per == 0:
        return [Placement(cpus=(pool[index % len(pool)],)) for index in range(workers)]
    return [Placement(cpus=tuple(pool[index * per:(index + 1) * per])) for index in range(workers)]


def parse_cpus(text: str | None) -> tuple[int, ...] | None:
    """`"0,1,2"` (a worker's `--cpus`) → (0, 1, 2); empty → None."""
    return tuple(int(core) for core in text.split(",")) if text else None


def format_cpus(cpus: tuple[int, ...] | None) -> str | None:
    return ",".join(map(str, cpus)) if cpus else None


@contextmanager
def torch_threads(threads: int | None = None) -> Iterator[int]:
    """Run torch with `threads` CPU threads (None: one per core this process may use); restores
    the previous count on exit. Yields the count in use."""
    import torch

    previous = torch.get_num_threads()
    count = threads or core_count()
    torch.set_num_threads(count)
    try:
        yield count
    finally:
        torch.set_num_threads(previous)
