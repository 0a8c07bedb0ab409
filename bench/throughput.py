"""In-process throughput: cases per second through `Engine.decide(...).to_json()`, through the
matcher alone, and through the zen-engine peer.

Cases are built before the clock starts, so the figures are the engines' and not the case
generator's. Each loop gets a short untimed warm-up first (the durable matcher's first facts, the
generated program's first calls) and runs with the garbage collector as it normally is: a bulk
replay pays for its garbage too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import localcontext
from typing import Callable, Sequence

from engine.decide import ARITHMETIC, Engine

WARM_UP = 1_000


@dataclass(frozen=True)
class Rate:
    label: str
    cases: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else float("inf")

    def to_json(self) -> dict:
        return {"label": self.label, "cases": self.cases, "seconds": round(self.seconds, 4),
                "cases_per_second": round(self.per_second, 1),
                "microseconds_per_case": round(1e6 * self.seconds / self.cases, 2) if self.cases else None}


def timed(label: str, work: Callable[[object], object], items: Sequence, warm_up: int = WARM_UP) -> Rate:
    """Run `work` on every item once, after a warm-up on the first few, and time the whole loop."""
    for item in items[:warm_up]:
        work(item)
    started = time.perf_counter()
    for item in items:
        work(item)
    return Rate(label, len(items), time.perf_counter() - started)


def decide_rate(engine: Engine, cases: Sequence[dict]) -> Rate:
    """The whole per-case path a caller sees: read and check the case, lets, matching, amounts,
    wording, and the JSON-ready dict."""
    decide = engine.decide
    return timed(f"{engine.kind}: decide + to_json", lambda case: decide(case).to_json(), cases)


def matching_rate(engine: Engine, cases: Sequence[dict]) -> Rate:
    """Matching alone (first rule, entitlements, routes) on cases already read and derived: the
    one part where the two engines differ."""
    values = [_derived_values(engine, case) for case in cases]
    match = engine.matcher.match
    with localcontext(ARITHMETIC):
        return timed(f"{engine.kind}: matching only", match, values)


def _derived_values(engine: Engine, case: dict) -> dict:
    values = engine.reader.read(case).values
    with localcontext(ARITHMETIC):
        engine.program.derive(values)
    return values


def zen_batch_rate(evaluate_batch: Callable[[list], object], cases: Sequence[dict], batch_size: int) -> Rate:
    """zen's own bulk call, `ZenEngine.evaluate_batch`, fed in slices of `batch_size`."""
    batches = [cases[start:start + batch_size] for start in range(0, len(cases), batch_size)]
    rate = timed(f"zen-engine: evaluate_batch ({batch_size} a call)", evaluate_batch, batches, warm_up=1)
    return Rate(rate.label, len(cases), rate.seconds)
