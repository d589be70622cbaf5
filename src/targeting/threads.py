"""One thread for the numeric libraries (BLAS, OpenMP) inside the models.

How OpenBLAS splits a matrix product depends on how many threads it gets, and it gets
fewer when another model runs beside it in the same dbt process: the SVD and the
logistic regression came out different in the last bits between a build with one dbt
thread and one with two. Our matrices are small; one thread each costs little and makes
every fit and score the same bits whatever runs alongside.

The limit is set for the whole process and never lifted: threadpoolctl's limits are
process-wide, so a limit that one model lifts on its way out would lift it under a model
still running in the next dbt thread. The process is dbt's; nothing else in it uses
these libraries.

LightGBM's binning and prediction are the exception (``lightgbm_threads``): building a
Dataset, and predicting scores and SHAP contributions. Each is one large parallel loop whose
result does not depend on the number of threads (each feature's bins, each row's score and
contributions, are computed by one thread), so they use every core when nothing runs beside
them. The boosting rounds stay on one thread: they are thousands of small parallel loops,
and beside another busy thread a second thread made them slower, not faster.

``side_by_side`` runs independent pieces of work (the products of a Python model) in
worker threads, one per core. Each piece is computed by one thread from its own inputs,
so its bits do not depend on what runs beside it; ``threadpool_limits`` is set again in
each worker by ``single_threaded`` (OpenMP's thread count is a per-thread setting).

LightGBM's is not: LightGBM 4 keeps the thread count of its parallel loops in one
process-wide variable that every call sets from its ``num_threads``, and sizes per-thread
buffers from it. Binning or predicting on two threads in one worker while another worker's
boosting ran on one put that boosting on two threads mid-fit: on the test suite's small
world, one build in six trained a product's LightGBM with other leaf values in the last
bits, and one crashed in lib_lightgbm.so. In a worker every LightGBM call therefore uses
one thread, so the process-wide count never changes while workers run.
"""

from __future__ import annotations

import contextvars
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import wraps
from typing import ParamSpec, TypeVar

# Load every library whose thread pool we limit before limiting: threadpoolctl acts on
# the libraries loaded at the time.
import lightgbm  # noqa: F401
import numpy  # noqa: F401
import scipy.linalg  # noqa: F401
import sklearn.cluster
import sklearn.linear_model  # noqa: F401
from threadpoolctl import threadpool_limits

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
_FINISHED = object()


def single_threaded(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` (and everything after it in the process) with one BLAS/OpenMP thread."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        threadpool_limits(limits=1)
        return function(*args, **kwargs)

    return wrapper


def cores() -> int:
    """The cores this process may run on (not the machine's: a container may get fewer)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# True in side_by_side's worker threads (each runs in a context of its own)
_IN_WORKER = contextvars.ContextVar("targeting_side_by_side_worker", default=False)


def lightgbm_threads() -> int:
    """Threads for LightGBM's binning and prediction: every core, but one in a worker of
    ``side_by_side``, where another worker may be boosting (see the module's docstring)."""
    return 1 if _IN_WORKER.get() else cores()


def side_by_side(
    jobs: Sequence[Callable[[], Iterable[T]]],
    workers: int,
    costs: Sequence[float] | None = None,
) -> Iterator[tuple[int, T]]:
    """Each job's items, as (job index, item), in the caller's thread as they come, while
    the jobs run in ``workers`` threads (a job starts when a worker is free, in order).

    ``costs``: each job's expected cost, in any unit. With more than one worker the
    costliest jobs then start first (the first listed on a tie), so that the last job to
    finish is not a long one left alone on a core while the others idle; the jobs keep
    their indexes.

    At most ``workers`` items wait to be taken, so what is held in memory stays bounded
    whatever the jobs produce. The workers run in the caller's context (dbt's log context:
    their progress lines reach dbt's log). A job that raises stops the others; the error is
    raised here. With one worker the jobs run one after another in the caller's thread.
    """
    if costs is not None and len(costs) != len(jobs):
        raise ValueError(f"side_by_side: {len(costs)} costs for {len(jobs)} jobs")
    if workers <= 1 or len(jobs) <= 1:
        for index, job in enumerate(jobs):
            for item in job():
                yield index, item
        return
    waiting: queue.Queue = queue.Queue(maxsize=workers)
    stop = threading.Event()

    def put(entry: tuple) -> bool:
        while not stop.is_set():
            try:
                waiting.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run(index: int, job: Callable[[], Iterable[T]]) -> None:
        if stop.is_set():
            return
        _IN_WORKER.set(True)  # in this job's copy of the caller's context
        try:
            for item in job():
                if not put((index, item, None)):
                    return
        except BaseException as error:  # raised again in the caller's thread
            put((index, _FINISHED, error))
            return
        put((index, _FINISHED, None))

    starts = range(len(jobs))
    if costs is not None:
        starts = sorted(starts, key=lambda index: (-costs[index], index))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for index in starts:
            pool.submit(contextvars.copy_context().run, run, index, jobs[index])
        try:
            remaining = len(jobs)
            while remaining:
                index, item, error = waiting.get()
                if item is _FINISHED:
                    if error is not None:
                        raise error
                    remaining -= 1
                    continue
                yield index, item
        finally:
            stop.set()
