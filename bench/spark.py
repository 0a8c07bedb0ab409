"""Spark local against the one-machine engines: `python bench/spark.py [--rows N] [--master URL]`.

`redress replay POLICY CASES.csv --format json` on the same generated file (default 1,000,000 rows,
generated once into bench/out/ and shared with bench/replay.py) with `--engine spark` (Spark in this
machine, `local[*]` unless `--master` says otherwise), `--engine duckdb` and `--engine compiled`,
one after the other. Spark is for scale-out across machines: on one 2-core machine it pays for its
JVM, its planner and the round trip of every batch to the driver, so read its figure as the cost of
that machinery, not as a race. The summaries must agree (every count and total to the cent); the
run stops if they do not. Figures go to bench/out/spark.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `python bench/spark.py` puts bench/ on the path, not the repository

from bench.replay import OUT, REDRESS, generated_cases, measure  # noqa: E402
NOT_COMPARED = ("engine", "seconds")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--policy", default=str(ROOT / "policies" / "hardware_store.policy"))
    parser.add_argument("--master", default=None, help="Spark master (default: local[*])")
    options = parser.parse_args(argv)
    policy = Path(options.policy)
    cases = generated_cases(policy, options.rows)
    spark = ["--engine", "spark"] + (["--spark-master", options.master] if options.master else [])
    runs, summaries = [], {}
    for label, engine in (("spark", spark), ("duckdb", ["--engine", "duckdb"]), ("compiled", ["--engine", "compiled"])):
        print(f"replay --engine {label} ...", file=sys.stderr, flush=True)
        command = [*REDRESS, "replay", str(policy), str(cases), "--format", "json", *engine]
        figures, report = measure(label, command, options.rows)
        summaries[label] = {key: value for key, value in report.items() if key not in NOT_COMPARED}
        runs.append(figures | {"replay_seconds": report.get("seconds")})
    if not summaries["spark"] == summaries["duckdb"] == summaries["compiled"]:
        (OUT / "spark.summaries.json").write_text(json.dumps(summaries, indent=2) + "\n", encoding="utf-8")
        raise SystemExit("the engines disagree: compare the summaries in bench/out/spark.summaries.json")
    compiled = runs[-1]["seconds"]
    for run in runs:
        run["speed_vs_compiled"] = round(compiled / run["seconds"], 2)
    results = {"rows": options.rows, "policy": str(policy.relative_to(ROOT)), "runs": runs, "summaries_agree": True}
    (OUT / "spark.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"{options.rows:,} rows of {results['policy']}; every engine's summary is the same")
    print(f"  {'engine':<10}{'wall s':>9}{'replay s':>10}{'rows/s':>12}{'x compiled':>12}{'peak MiB':>10}")
    for run in runs:
        print(f"  {run['label']:<10}{run['seconds']:>9.2f}{run['replay_seconds'] or 0:>10.2f}"
              f"{run['rows_per_second']:>12,}{run['speed_vs_compiled']:>12.2f}{run['peak_mib']:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
