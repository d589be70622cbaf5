"""side_by_side: the products of a Python model in worker threads, one per core."""

from __future__ import annotations

import contextvars
import threading
import time

import pytest

from targeting.threads import cores, lightgbm_threads, side_by_side

SUBJECT: contextvars.ContextVar[str] = contextvars.ContextVar("subject", default="none")


def counting(name: str, n: int):
    return lambda: (f"{name}{i}" for i in range(n))


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_every_item_comes_once_with_its_job_and_in_its_job_order(workers):
    jobs = [counting("a", 5), counting("b", 0), counting("c", 7)]

    got = list(side_by_side(jobs, workers))

    assert sorted(got) == sorted(
        [(0, f"a{i}") for i in range(5)] + [(2, f"c{i}") for i in range(7)]
    )
    for index in (0, 2):
        items = [item for job, item in got if job == index]
        assert items == sorted(items, key=lambda item: int(item[1:]))


def test_one_worker_runs_the_jobs_in_the_callers_thread_in_order():
    caller = threading.get_ident()
    jobs = [lambda name=name: [(name, threading.get_ident())] for name in "abc"]

    got = list(side_by_side(jobs, 1))

    assert got == [(0, ("a", caller)), (1, ("b", caller)), (2, ("c", caller))]


def test_two_workers_run_jobs_at_the_same_time_in_other_threads():
    caller = threading.get_ident()
    both_started = threading.Barrier(2, timeout=10)

    def job(name):
        def run():
            both_started.wait()  # would time out if the jobs ran one after another
            yield name, threading.get_ident()

        return run

    got = dict(item for _, item in side_by_side([job("a"), job("b")], 2))

    assert set(got) == {"a", "b"}
    assert caller not in got.values()
    assert got["a"] != got["b"]


def test_the_workers_see_the_callers_context():
    # dbt's log context travels this way: progress lines of a worker reach dbt's log
    SUBJECT.set("the caller's")
    jobs = [lambda: [SUBJECT.get()], lambda: [SUBJECT.get()]]

    assert [item for _, item in side_by_side(jobs, 2)] == ["the caller's", "the caller's"]


def test_what_waits_to_be_taken_is_bounded():
    produced = []

    def job():
        for i in range(50):
            produced.append(i)
            yield i

    taken = 0
    for _ in side_by_side([job, counting("x", 1)], 2):
        taken += 1
        time.sleep(0.002)
        # at most 2 items in the queue and one in the worker's hand beyond those taken
        assert len(produced) - taken <= 3
    assert taken == 51


def test_an_error_in_a_job_is_raised_in_the_caller_and_stops_the_others():
    produced = []

    def endless():
        i = 0
        while True:
            produced.append(i)
            yield i
            i += 1

    def failing():
        yield "first"
        raise ValueError("product p2 failed")

    with pytest.raises(ValueError, match="product p2 failed"):
        for _ in side_by_side([endless, failing], 2):
            time.sleep(0.001)
    n_produced = len(produced)
    time.sleep(0.3)
    assert len(produced) == n_produced  # the endless job stopped


def test_lightgbm_takes_every_core_but_one_thread_in_a_worker():
    # LightGBM's thread count is process-wide: in a worker, another may be boosting
    def job():
        yield lightgbm_threads()

    assert lightgbm_threads() == cores()
    assert [item for _, item in side_by_side([job, job], 2)] == [1, 1]
    # one worker, or one job: the caller's thread, nothing beside it
    assert [item for _, item in side_by_side([job, job], 1)] == [cores(), cores()]
    assert [item for _, item in side_by_side([job], 2)] == [cores()]


def test_the_costliest_jobs_start_first_and_keep_their_indexes():
    started = []
    lock = threading.Lock()

    def job(name):
        def run():
            with lock:
                started.append(name)
            yield name

        return run

    # one worker of the pool's two is held busy by the costliest job, "a", until the
    # cheapest has started, so the other worker takes the rest one by one, in the order
    # they were submitted
    release = threading.Event()

    def holding():
        with lock:
            started.append("a")
        release.wait(timeout=10)
        yield "a"

    others = [job(name) for name in "bcd"]

    def releasing():
        with lock:
            started.append("e")
        release.set()
        yield "e"

    jobs = [holding, *others, releasing]
    got = list(side_by_side(jobs, 2, costs=[9, 1, 3, 2, 0]))

    assert [name for name in started if name != "a"] == ["c", "d", "b", "e"]
    assert "a" in started
    assert sorted(got) == [(0, "a"), (1, "b"), (2, "c"), (3, "d"), (4, "e")]


def test_costs_leave_one_worker_in_the_listed_order():
    jobs = [counting("a", 1), counting("b", 1), counting("c", 1)]

    got = list(side_by_side(jobs, 1, costs=[1, 3, 2]))

    assert got == [(0, "a0"), (1, "b0"), (2, "c0")]


def test_a_cost_per_job_or_an_error():
    with pytest.raises(ValueError, match="2 costs for 3 jobs"):
        list(side_by_side([counting("a", 1)] * 3, 2, costs=[1, 2]))
