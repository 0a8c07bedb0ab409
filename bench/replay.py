"""Replay and diff throughput: `python bench/replay.py [--rows N] [--policy FILE]`.

End to end, as QA runs it: `redress replay POLICY CASES.csv --format json` on a generated file of
N rows (default 1,000,000; generated once into bench/out/ and reused), with one worker and with one
per core, then `redress diff OLD NEW --cases` against a copy of the policy with one rule changed.
Peak memory is the maximum resident size reported by /usr/bin/time for the whole process tree's
largest process (the reading process or a worker). Figures go to bench/out/replay.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
REDRESS = [sys.executable, "-m", "redress.cli"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--policy", default=str(ROOT / "policies" / "hardware_store.policy"))
    options = parser.parse_args(argv)
    policy = Path(options.policy)
    cases = generated_cases(policy, options.rows)
    changed = OUT / f"{policy.stem}.changed.policy"
    changed.write_text(_raise_first_percentage(policy.read_text(encoding="utf-8")), encoding="utf-8")
    cores = os.cpu_count() or 1
    results = {"rows": options.rows, "policy": str(policy.relative_to(ROOT)), "cores": cores, "runs": []}
    for label, command in (
        ("replay, 1 worker", [*REDRESS, "replay", str(policy), str(cases), "--format", "json", "--workers", "1"]),
        (f"replay, {cores} workers", [*REDRESS, "replay", str(policy), str(cases), "--format", "json", "--workers", str(cores)]),
        (f"diff --cases, {cores} workers", [*REDRESS, "diff", str(policy), str(changed), "--cases", str(cases),
                                            "--format", "json", "--workers", str(cores)]),
    ):
        results["runs"].append(measure(label, command, options.rows)[0])
    (OUT / "replay.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"{options.rows:,} rows of {results['policy']} on {cores} cores")
    for run in results["runs"]:
        print(f"  {run['label']:<26} {run['seconds']:>7.2f} s  {run['rows_per_second']:>10,.0f} rows/s  "
              f"peak {run['peak_mib']:>6.1f} MiB")
    return 0


def generated_cases(policy: Path, rows: int) -> Path:
    """bench/out/POLICY.ROWS.csv: `rows` synthetic cases for `policy` (seed 7), generated on first use."""
    OUT.mkdir(parents=True, exist_ok=True)
    cases = OUT / f"{policy.stem}.{rows}.csv"
    if not cases.exists():
        print(f"generating {rows:,} cases into {cases} ...", file=sys.stderr)
        subprocess.run([*REDRESS, "cases", "generate", str(policy), "--n", str(rows), "--seed", "7",
                        "--out", str(cases)], check=True)
    return cases


def _raise_first_percentage(text: str) -> str:
    """The policy with the first `N% of` raised by five points: a change that moves many cases."""
    return re.sub(r"(\d+)% of", lambda m: f"{int(m.group(1)) + 5}% of", text, count=1)


def measure(label: str, command: list[str], rows: int) -> tuple[dict, dict]:
    """Run a `--format json` replay or diff command: its figures, and the report it printed."""
    timer = shutil.which("time") or "/usr/bin/time"
    wrapped = [timer, "-f", "%M", *command] if os.path.exists(timer) else command
    started = time.perf_counter()
    result = subprocess.run(wrapped, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"{label} failed ({result.returncode}): {result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    peak_kib = int(result.stderr.strip().splitlines()[-1]) if wrapped is not command else 0
    assert report["cases"] == rows, (report["cases"], rows)  # every row accounted for
    return {"label": label, "command": " ".join(command[2:]), "seconds": round(seconds, 3),
            "rows_per_second": round(rows / seconds), "peak_mib": round(peak_kib / 1024, 1)}, report


if __name__ == "__main__":
    sys.exit(main())
