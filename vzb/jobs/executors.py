"""Where work units run: executor backends behind a small name registry.

A backend wraps one ``concurrent.futures``-style executor and says what vzb may do with
it, through capability flags (in the style of joblib's parallel backends):

``local``
    the workers can reach the store's disk: they write their units' outputs themselves
    (False: only the runner writes the store, and cancel acts between units);
``can_kill``
    the worker processes are vzb's own: a unit that ignores a stop may be SIGKILLed by
    the pid it reported, and the broken pool replaced by a fresh one;
``nice``
    the workers are separate processes on this machine: they lower their CPU priority.

Built in: ``"loky"`` (the default: a loky process pool that vzb creates and owns, never
the pool joblib shares with your own ``Parallel`` calls) and ``"threads"`` (a thread
pool in this process). A :class:`JobRunner` also takes any
``concurrent.futures.Executor`` (used as is, never killed) and a dask ``distributed``
``Client`` (its executor; remote). Only public APIs of loky, the standard library and
dask are used.

>>> backend = executor_backend("threads", max_workers=1)
>>> backend.local, backend.can_kill, backend.submit(pow, 2, 10).result()
(True, False, 1024)
>>> backend.shutdown()
>>> executor_backend("spark")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
vzb.errors.ParameterError: Unknown executor 'spark'; use one of ['loky', ...
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal
from collections.abc import Callable, Iterable
from typing import Any

from vzb.errors import ParameterError

__all__ = [
    "ExecutorBackend",
    "LokyPool",
    "executor_backend",
    "executor_names",
    "register_executor",
]

#: Thread-count variables capped in vzb's own worker processes, as joblib caps them.
THREAD_LIMIT_VARIABLES = (
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "NUMBA_NUM_THREADS", "NUMEXPR_NUM_THREADS",
)  # fmt: skip


class ExecutorBackend:
    """One executor and what vzb may do with it (see the module docstring).

    Parameters
    ----------
    executor : concurrent.futures.Executor
        Where units run; used as given (vzb neither kills nor replaces it).
    max_workers : int, optional
        How many units it runs at once (default: the number of CPUs).
    local : bool, optional
        Default: True for loky and the standard process and thread pools.
    """

    name = "executor"
    can_kill = False
    generation = 0  # bumped each time the executor is replaced

    def __init__(
        self, executor: cf.Executor, max_workers: int | None = None, local: bool | None = None
    ):
        self._executor = executor
        self.max_workers = int(max_workers or os.cpu_count() or 1)
        processes = isinstance(executor, cf.ProcessPoolExecutor) or _is_loky(executor)
        self.local = processes or isinstance(executor, cf.ThreadPoolExecutor)
        if local is not None:
            self.local = bool(local)
        self.nice = processes and self.local

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} max_workers={self.max_workers}>"

    def submit(self, fn: Callable, /, *args: Any) -> cf.Future:
        """Run ``fn(*args)`` on a worker; a broken executor raises ``BrokenExecutor``."""
        return self._executor.submit(fn, *args)

    def kill(self, pids: Iterable[int]) -> bool:
        """SIGKILL these worker processes; False when this backend may not."""
        return False

    def restart(self) -> bool:
        """Replace a broken executor by a fresh one; False when it is not vzb's to replace."""
        return False

    def shutdown(self) -> None:
        """Let go of the executor (a given one stays the caller's to shut down)."""


class LokyPool(ExecutorBackend):
    """A loky process pool that vzb creates, owns, kills and replaces (``"loky"``).

    The pool starts at the first unit. ``generation`` counts the pools: a unit's future
    failing with ``BrokenExecutor`` tells, with the generation it was handed to, whether
    vzb's own kill broke that pool.
    """

    name = "loky"
    can_kill = True

    def __init__(self, max_workers: int | None = None):
        self.max_workers = int(max_workers or os.cpu_count() or 1)
        self.local = self.nice = True
        self.generation = 0
        self._pool: cf.Executor | None = None

    def submit(self, fn: Callable, /, *args: Any) -> cf.Future:
        if self._pool is None:
            from joblib.externals.loky import ProcessPoolExecutor

            threads = max((os.cpu_count() or 1) // self.max_workers, 1)
            env = {name: os.environ.get(name, str(threads)) for name in THREAD_LIMIT_VARIABLES}
            self._pool = ProcessPoolExecutor(max_workers=self.max_workers, env=env)
        return self._pool.submit(fn, *args)

    def kill(self, pids: Iterable[int]) -> bool:
        """SIGKILL ``pids`` (workers of this pool, as units reported them); start afresh.

        loky then fails every future of the old pool with ``TerminatedWorkerError``: the
        runner re-queues the innocent units on the new pool.
        """
        for pid in set(pids):
            if pid > 1 and pid != os.getpid():
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        self.restart()
        return True

    def restart(self) -> bool:
        old, self._pool = self._pool, None
        self.generation += 1
        if old is not None:
            old.shutdown(wait=False)  # never kill_workers=True here: it can hang (NOTES)
        return True

    def shutdown(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)


class ThreadPool(ExecutorBackend):
    """A thread pool in this process that vzb owns (``"threads"``): for debugging."""

    name = "threads"

    def __init__(self, max_workers: int | None = None):
        workers = int(max_workers or os.cpu_count() or 1)
        super().__init__(cf.ThreadPoolExecutor(workers, "vzb-unit"), workers)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False)


class DaskClient(ExecutorBackend):
    """A dask ``distributed`` client's executor: remote workers, never killed."""

    name = "dask"

    def __init__(self, client: Any, max_workers: int | None = None):
        workers = max_workers or sum(client.nthreads().values())
        super().__init__(client.get_executor(), workers, local=False)


_REGISTRY: dict[str, Callable[[int | None], ExecutorBackend]] = {
    "loky": LokyPool,
    "threads": ThreadPool,
}


def register_executor(name: str, factory: Callable[[int | None], ExecutorBackend]) -> None:
    """Make ``JobRunner(executor=name)`` build its backend with ``factory(max_workers)``.

    >>> register_executor("one_thread", lambda max_workers: ThreadPool(1))
    >>> executor_backend("one_thread").max_workers
    1
    """
    if not callable(factory):
        raise TypeError(f"factory={factory!r} must be callable: factory(max_workers)")
    _REGISTRY[str(name)] = factory


def executor_names() -> list[str]:
    """Names that ``JobRunner(executor=...)`` accepts."""
    return sorted(_REGISTRY)


def executor_backend(executor: Any = None, max_workers: int | None = None) -> ExecutorBackend:
    """The backend for ``JobRunner(executor=...)``: a registered name (default
    ``"loky"``), an :class:`ExecutorBackend`, a dask ``distributed`` ``Client`` or any
    ``concurrent.futures.Executor``.

    Raises
    ------
    ParameterError
        An unknown name (the message lists the valid ones).
    TypeError
        Anything else.
    """
    if executor is None or isinstance(executor, str):
        name = executor or "loky"
        if name not in _REGISTRY:
            raise ParameterError(
                f"Unknown executor {name!r}; use one of {executor_names()}, a "
                "concurrent.futures.Executor or a dask distributed Client"
            )
        return _REGISTRY[name](max_workers)
    if isinstance(executor, ExecutorBackend):
        return executor
    if callable(getattr(executor, "get_executor", None)) and callable(
        getattr(executor, "nthreads", None)
    ):
        return DaskClient(executor, max_workers)
    if isinstance(executor, cf.Executor):
        return ExecutorBackend(executor, max_workers)
    raise TypeError(
        f"executor={executor!r} is not an executor: pass a name ({executor_names()}), a "
        "concurrent.futures.Executor or a dask distributed Client"
    )


def _is_loky(executor: cf.Executor) -> bool:
    return type(executor).__module__.startswith(("loky", "joblib.externals.loky"))
