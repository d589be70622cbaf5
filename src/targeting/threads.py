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

LightGBM's binning and prediction are the exception (``cores``): building a Dataset, and
predicting scores and SHAP contributions. Each is one large parallel loop whose result does
not depend on the number of threads (each feature's bins, each row's score and
contributions, are computed by one thread), so they use every core. The boosting rounds
stay on one thread: they are thousands of small parallel loops, and beside another busy
thread a second thread made them slower, not faster.
"""

from __future__ import annotations

import os
from collections.abc import Callable
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
