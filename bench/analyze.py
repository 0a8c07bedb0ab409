"""How long `redress analyze` takes: each sample policy and the LANGUAGE.md example, and a generated
300-rule policy and a choice of 8,000 values, each against `check` (parse and type-check) of the
same file as the baseline.

    .venv/bin/python bench/analyze.py            # the samples (median of 5 runs) and 300 rules (1 run)
    .venv/bin/python bench/analyze.py --rules 100

Figures go to stdout and to bench/out/analyze.json; the generated policy to bench/out/.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import analyze  # noqa: E402
from bench.hostile_policies import one_of  # noqa: E402
from dsl.checker import check_file  # noqa: E402

OUT = ROOT / "bench" / "out"
TIERS = (1000, 750, 500, 300, 200, 120, 80, 50, 20)


def many_rules(count: int) -> str:
    """Tiers of price thresholds per situation (ten rules each), with lets, entitlements, ranges,
    opening offers and steps: the shape of a large real policy, mostly sound, a few defects."""
    situations = [f"situation_{i}" for i in range(max(1, count // 10))]
    lines = ['policy "Benchmark: many rules"', 'version "bench-1"', "currency USD", "", "case",
             f"  situation: one of {', '.join(situations)}", "  price: money from $0 to $20,000", "  cost: money",
             "  days_late: integer from 0 to 60 = 0", "  member: bool = false", "",
             "let profit = price - cost", "let late_week = days_late >= 7", "",
             "authority", "  clerk up to $50", "  supervisor up to $500", "  manager up to $5,000", "  director", ""]
    for index, name in enumerate(situations[:10]):
        lines += [f'entitlement "Refund {index}"', f"  when situation is {name} and days_late >= 30", "  at least min(10% of price, $40)", ""]
    rules = 0
    for number, name in enumerate(situations):
        for tier, threshold in enumerate(TIERS):
            condition = f"situation is {name} and price >= ${threshold:,}" + (" and (member or late_week)" if tier % 3 == 0 else "")
            # One situation in ten caps the ceiling at the profit, so a sale at a loss shows findings.
            ceiling = f"min({20 + tier}% of price, profit + $60, $4,000)" if number % 10 == 9 else f"min({20 + tier}% of price, $4,000)"
            lines += [f'rule "{name} tier {tier}"', f"  when {condition}",
                      f"  offer no less than min({5 + tier}% of price, $40) but no more than {ceiling}",
                      f"  open at min({5 + tier}% of price, $40)", "  step min(2% of price, $5)", ""]
            rules += 1
        lines += [f'rule "{name} small"', f"  when situation is {name}", "  offer up to min(10% of price, $50)", ""]
        rules += 1
    lines.append("otherwise escalate to supervisor")
    assert rules == len(situations) * 10
    return "\n".join(lines) + "\n"


def timed(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(path: Path, runs: int) -> dict:
    policy = check_file(str(path)).policy
    report = analyze(policy, 5.0)
    return {"policy": path.name, "rules": len(policy.guidelines), "questions": report.questions,
            "findings": len(report.findings), "unknown": len(report.unknown),
            "check_s": round(timed(lambda: check_file(str(path)), runs), 4),
            "analyze_s": round(timed(lambda: analyze(check_file(str(path)).policy, 5.0), runs), 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    generated = OUT / f"rules_{options.rules}.policy"
    generated.write_text(many_rules(options.rules), encoding="utf-8")
    paths = [*sorted((ROOT / "policies").glob("*.policy")), ROOT / "tests" / "data" / "language_example.policy"]
    wide = OUT / "one_of_8000.policy"  # a choice of 8,000 values (issue 8's hostile policy)
    wide.write_text(one_of(8000), encoding="utf-8")
    rows = [measure(path, options.runs) for path in paths] + [measure(generated, 1), measure(wide, 1)]
    print(f"{'policy':<32}{'rules':>6}{'questions':>10}{'findings':>9}{'unknown':>8}{'check s':>9}{'analyze s':>10}{'ratio':>7}")
    for row in rows:
        ratio = row["analyze_s"] / row["check_s"] if row["check_s"] else 0
        print(f"{row['policy']:<32}{row['rules']:>6}{row['questions']:>10}{row['findings']:>9}{row['unknown']:>8}"
              f"{row['check_s']:>9.3f}{row['analyze_s']:>10.3f}{ratio:>7.0f}")
    (OUT / "analyze.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
