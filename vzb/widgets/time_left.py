"""How long a running task still needs, said only once the estimate is steady.

Early progress is a poor guide (the first units include starting the worker processes),
so an estimate that would jump from "7m 59s" to "2m 27s" is not shown. A task's estimate
is taken each time its progress moves: the expected finish time, ``started + elapsed /
progress``. It is shown once the task is past ``min_progress`` and ``min_elapsed``
seconds, and its last ``samples`` finish times agree within ``tolerance`` of the time
left (or two seconds); from then on it counts down from the latest finish time.

>>> estimates = TimeLeft()
>>> [estimates.seconds_left("t", started=0.0, progress=p, now=10.0 * p / 0.1)
...  for p in (0.1, 0.2, 0.3, 0.4)]
[None, None, 70.0, 60.0]
"""

from __future__ import annotations

__all__ = ["TimeLeft"]


class TimeLeft:
    """Steady time-left estimates for running tasks, kept across panel refreshes.

    Parameters
    ----------
    min_progress : float
        No estimate below this fraction done.
    min_elapsed : float
        No estimate in a task's first seconds.
    samples : int
        How many successive estimates (one per progress change) must agree.
    tolerance : float
        How far they may spread, as a fraction of the time left.

    Examples
    --------
    >>> jumpy = TimeLeft()
    >>> [jumpy.seconds_left("t", 0.0, p, now) for p, now in
    ...  [(0.1, 60.0), (0.2, 70.0), (0.3, 80.0)]]  # a slow start, then fast: not steady yet
    [None, None, None]
    """

    def __init__(
        self,
        min_progress: float = 0.05,
        min_elapsed: float = 3.0,
        samples: int = 3,
        tolerance: float = 0.2,
    ) -> None:
        self.min_progress = min_progress
        self.min_elapsed = min_elapsed
        self.samples = samples
        self.tolerance = tolerance
        self._finishes: dict[str, list[tuple[float, float]]] = {}
        self._steady: set[str] = set()

    def seconds_left(
        self, task_id: str, started: float, progress: float, now: float
    ) -> float | None:
        """Seconds left for a running task, or None while the estimate is not steady.

        Parameters
        ----------
        task_id : str
        started : float
            Epoch seconds when the task started.
        progress : float
            Fraction done, 0..1.
        now : float
            Epoch seconds.
        """
        elapsed = now - started
        if progress <= 0.0 or progress >= 1.0 or elapsed <= 0.0:
            return None
        history = self._finishes.setdefault(task_id, [])
        if not history or history[-1][0] != progress:  # a new estimate at each step
            history.append((progress, started + elapsed / progress))
            del history[: -self.samples]
        finish = history[-1][1]
        left = max(finish - now, 0.0)
        if task_id not in self._steady:
            if progress < self.min_progress or elapsed < self.min_elapsed:
                return None
            if len(history) < self.samples:
                return None
            finishes = [f for _p, f in history]
            if max(finishes) - min(finishes) > max(self.tolerance * left, 2.0):
                return None
            self._steady.add(task_id)
        return left

    def forget(self, keep: set[str]) -> None:
        """Drop the history of every task not in ``keep`` (finished or gone)."""
        for task_id in set(self._finishes) - keep:
            self._finishes.pop(task_id, None)
            self._steady.discard(task_id)
