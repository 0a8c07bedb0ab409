"""Deciding a long stream of rows on every core, in order, with flat memory.

Rows (or, for line-based files, unparsed records) are cut into batches; each worker process builds
its own engine once (from the policy's text, so nothing unpicklable crosses a process boundary) and
handles whole batches. Results come back in input order, and only a few batches are in flight at a
time, so a 5,000,000-row file never sits in memory.
"""

from __future__ import annotations

import functools
import itertools
import multiprocessing
import os
from collections import deque
from typing import Callable, Iterable, Iterator, TypeVar

from dsl.model import Policy
from engine.decide import Engine, load_engine

T = TypeVar("T")
BATCH_ROWS = 2000
IN_FLIGHT_PER_WORKER = 3

# The per-process state of a worker: its engines and the function that decides one batch.
_worker: dict = {}


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def batched(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


@functools.lru_cache(maxsize=16)
def checked_policy(source: str, path: str) -> Policy:
    """The checked policy of a source text, checked once per process: a bulk replay needs it to
    choose its engine, to compile its query and to decide the rows SQL hands back, and checking
    costs more than a 1,000,000-row query's tenth. Only errors matter here, so the wording
    warnings are not computed."""
    from dsl.checker import check_source  # not needed when the CLI has the policy from its cache

    result = check_source(source, path, wording=False)
    if not result.ok:
        raise ValueError(f"{path} does not check")
    return result.policy


def engine_from_source(source: str, path: str, kind: str) -> Engine:
    return load_engine(checked_policy(source, path), kind)


def work_of(cases) -> tuple[Iterable, Callable | None]:
    """What to hand the workers for a case file or rows: unparsed records and the function that
    parses them (for line-based files, so the reading process only frames), or the rows."""
    framing = getattr(cases, "framing", None)
    if framing is not None:
        return framing()
    rows = getattr(cases, "rows", None)
    return (rows() if rows is not None else cases), None


def run_batches(build: Callable[[], Callable[[list], T]], items: Iterable, workers: int, size: int = BATCH_ROWS) -> Iterator[T]:
    """Apply the batch function made by `build` to every batch of `items`, in order.

    `build` runs once per worker process (or once here, for one worker); it must be a module-level
    function or a `functools.partial` of one, so it can be sent to the workers. At most a few
    batches per worker are in flight, so memory stays flat however long the input is, and a file
    that breaks mid-stream raises here, in the reading process, after the batches before it."""
    batches = batched(items, size)
    if workers <= 1:
        yield from map(build(), batches)
        return
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with context.Pool(workers, initializer=_start_worker, initargs=(build,)) as pool:
        in_flight: deque = deque()
        for batch in batches:
            in_flight.append(pool.apply_async(_run_in_worker, (batch,)))
            if len(in_flight) >= IN_FLIGHT_PER_WORKER * workers:
                yield in_flight.popleft().get()
        while in_flight:
            yield in_flight.popleft().get()


def _start_worker(build) -> None:
    _worker["decide"] = build()


def _run_in_worker(batch: list):
    return _worker["decide"](batch)
