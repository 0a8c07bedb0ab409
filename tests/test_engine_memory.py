"""One durable engine decides a long stream of cases in flat memory.

durable_rules keeps at most 1024 live sessions and keeps every fact that is not retracted, so an
engine that forgot to retract (or opened a session per case) would grow with every case. A million
cases take too long for the suite; 200,000 show the trend: after a warm-up of 50,000 cases, the next
150,000 must not add 20 MB to the process.
"""

from __future__ import annotations

import random
import resource
from decimal import Decimal

from dsl.checker import check_source
from engine.decide import load_engine

WARM_UP = 50_000
TOTAL = 200_000
ALLOWED_GROWTH = 20 * 1024 * 1024  # bytes

POLICY = '''\
policy "Memory"
version "1"
currency USD

case
  situation: one of defective_product, broken_after_warranty, missed_appointment, wrong_item
  price: money
  cost: money
  warranty: one of active, expired, none = none
  average_purchase: money = $0
  purchases_per_year: number = 0
  legal_issue: bool = false
  note: text = ""

let profit = price - cost
let yearly_value = average_purchase * purchases_per_year

authority
  clerk up to $50
  supervisor up to $200
  president

route "Attorney's Office" when legal_issue or note == "lawyer"
route "Big spender" when yearly_value > $1,000 and (warranty is active or price >= $500)

entitlement "Warranty replacement"
  when warranty is active and situation is defective_product
  at least price

rule "Missed appointment"
  when situation is missed_appointment
  offer no less than 25% of price but no more than 50% of price
  say "We would like to extend {offer}."

rule "Broke after warranty, valued customer"
  when situation is broken_after_warranty and yearly_value >= $1,000
  offer no less than 10% of price but no more than price
  open at 20% of price

rule "Broke after warranty"
  when situation is broken_after_warranty
  offer up to min(profit, 15% of price)

rule "Defective product"
  when situation is defective_product and price != cost
  offer no less than $0 but no more than price + $25

otherwise escalate to supervisor
'''


def _resident_bytes() -> int:
    """The process's resident memory now (Linux), or its peak where /proc is missing."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _cases(seed: int):
    r = random.Random(seed)
    situations = ["defective_product", "broken_after_warranty", "missed_appointment", "wrong_item"]
    warranties = ["active", "expired", "none"]
    notes = ["", "lawyer", "please call", "x" * 300]
    number = 0
    while True:
        number += 1
        yield {
            "id": number,
            "situation": r.choice(situations),
            "price": str(Decimal(r.randrange(0, 200_000)).scaleb(-2)),
            "cost": r.randrange(0, 1_000),
            "warranty": r.choice(warranties),
            "average_purchase": f"{r.randrange(0, 500)}.{r.randrange(0, 100):02d}",
            "purchases_per_year": r.randrange(0, 20),
            "legal_issue": r.random() < 0.1,
            "note": r.choice(notes) + str(r.randrange(3)) if r.random() < 0.5 else "lawyer",
        }


def test_durable_engine_memory_stays_flat():
    result = check_source(POLICY, "memory.policy")
    assert result.ok, [d.message for d in result.diagnostics]
    engine = load_engine(result.policy, "durable")
    assert engine.kind == "durable", engine.fallback_reason
    rules: set = set()
    routes = 0
    cases = _cases(seed=7)
    for _ in range(WARM_UP):
        decision = engine.decide(next(cases))
        rules.add(decision.rule)
    before = _resident_bytes()
    for number in range(WARM_UP, TOTAL):
        decision = engine.decide(next(cases), explain=number % 10 == 0)
        rules.add(decision.rule)
        routes += len(decision.routes)
    growth = _resident_bytes() - before
    assert growth < ALLOWED_GROWTH, f"memory grew by {growth / 2**20:.1f} MB over {TOTAL - WARM_UP:,} cases"
    # the stream exercised the whole policy, not one path through it
    assert rules == {"Missed appointment", "Broke after warranty, valued customer", "Broke after warranty",
                     "Defective product", None}
    assert routes > 0
