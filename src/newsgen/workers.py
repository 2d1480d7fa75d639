"""The process pools that load, render and write share the work with."""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# Workers start from a small server process that has imported these and
# nothing else. Forked from the build itself, each would carry a copy of the
# whole archive in its page tables, and the machine would count it again
# for each worker; started afresh, each would import its libraries again.
_PRELOADED = ["newsgen.load", "newsgen.render", "newsgen.write"]


def worker_pool(jobs: int) -> ProcessPoolExecutor:
    """A pool of `jobs` processes that hold none of the parent's data, only newsgen's code."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOADED)
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_leave_interrupts_to_the_parent)


def useful_jobs(jobs: int, items: int, per_worker: int) -> int:
    """How many of `jobs` processes to share `items` among: each gets `per_worker` at least, else starting
    it costs more than it saves; 1 means no pool at all."""
    return max(1, min(jobs, items // per_worker))


def _leave_interrupts_to_the_parent() -> None:
    """Ctrl-C reaches every process of the terminal's group; only the parent should stop, and say so once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def in_order(pool: ProcessPoolExecutor, function: Callable[[Item], Result], items: Iterable[Item],
             ahead: int) -> Iterator[tuple[Item, Result]]:
    """Each of `items` with `function(item)` computed in `pool`, in the items' order.

    At most `ahead` items are in flight, so memory holds a bounded number of
    items and results however many there are (Executor.map takes them all at once).
    """
    in_flight: deque = deque()
    for item in items:
        in_flight.append((item, pool.submit(function, item)))
        if len(in_flight) >= ahead:
            done, future = in_flight.popleft()
            yield done, future.result()
    while in_flight:
        done, future = in_flight.popleft()
        yield done, future.result()
