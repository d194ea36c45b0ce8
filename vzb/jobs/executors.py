"""The executors a runner feeds: loky's shared pool by default, any Executor otherwise.

>>> import concurrent.futures as cf
>>> with cf.ThreadPoolExecutor(1) as pool:
...     is_loky(pool), is_local(pool), kill_workers(pool), pool.submit(pow, 2, 10).result()
(False, True, False, 1024)
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal

__all__ = ["is_local", "is_loky", "kill_workers", "shared_loky_executor"]


def shared_loky_executor(max_workers: int) -> cf.Executor:
    """loky's reusable executor, configured exactly as ``joblib.Parallel(backend="loky")``.

    loky keeps one reusable executor per process and joblib assumes it built it: an
    executor made by ``get_reusable_executor`` directly breaks a later
    ``joblib.Parallel`` (``vzb.sweep(n_jobs=2)``) in the same kernel, and different
    settings would make each restart the other's workers. Asking joblib for it keeps
    one shared pool of workers for jobs and direct sweeps alike.
    """
    import joblib

    parallel = joblib.Parallel(n_jobs=max_workers, backend="loky")
    try:
        with parallel:
            executor = parallel._backend._workers
    except Exception:  # a joblib without these internals: plain loky
        executor = None
    if executor is None:
        from joblib.externals.loky import get_reusable_executor

        executor = get_reusable_executor(max_workers=max_workers)
    return executor


def is_loky(executor: cf.Executor) -> bool:
    """Whether ``executor`` is one of loky's (joblib's) process pools."""
    return type(executor).__module__.startswith("joblib.externals.loky")


def is_local(executor: cf.Executor | None) -> bool:
    """Whether the workers of ``executor`` run on this machine and can reach its disk.

    True for loky (``None`` stands for the default, loky) and the standard process and
    thread pools; False for anything else, e.g. a dask ``distributed`` executor.
    """
    local_types = (cf.ProcessPoolExecutor, cf.ThreadPoolExecutor)
    return executor is None or isinstance(executor, local_types) or is_loky(executor)


def kill_workers(executor: cf.Executor | None) -> bool:
    """SIGKILL the worker processes of ``executor``; False if it has none that we can kill.

    loky then fails every in-flight future with ``TerminatedWorkerError`` (a
    ``BrokenExecutor``) and hands out a fresh executor next time.
    """
    processes = getattr(executor, "_processes", None)
    if not processes or isinstance(executor, cf.ThreadPoolExecutor):
        return False
    for process in list(processes.values()):
        try:
            os.kill(process.pid, signal.SIGKILL)
        except (ProcessLookupError, AttributeError):
            pass
    return True
