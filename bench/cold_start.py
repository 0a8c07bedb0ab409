"""Cold start: how long one `redress eval --case` or `redress check` takes from a shell, and what
it imports on the way.

A person or an agent calling the CLI once per case pays the interpreter start, the imports and,
unless the policy is in the cache of checked policies, the policy check every time, so this is the
latency they feel. The commands run side by side, round-robin, so a machine busy with other work
slows them all alike, and every figure is also given as a ratio to `python -c pass` on the same
interpreter. The import profile comes from `python -X importtime`, run on the CLI's real entry point
with the same arguments; it also shows whether anything from the workbench (Textual) slipped onto
the path, which the CLI promises never happens.

Standalone: `python bench/cold_start.py [--runs N] [--policy FILE]` (default: the thirty-rule
benchmark policy) prints the side-by-side table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

UI_MODULES = ("textual", "workbench")
CLI_ENTRY = "from redress.cli import main; main()"


def side_by_side(commands: dict[str, tuple[list[str], dict | None]], runs: int) -> dict:
    """Wall times of several commands (each with its own environment, or None), run in turn
    `runs` times after one untimed round; the first command is the baseline every median is
    divided by."""
    samples: dict[str, list[float]] = {label: [] for label in commands}
    exit_codes: dict[str, set[int]] = {label: set() for label in commands}
    for round_number in range(runs + 1):
        for label, (command, environment) in commands.items():
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, check=False, env=environment)
            if round_number:
                samples[label].append(time.perf_counter() - started)
                exit_codes[label].add(done.returncode)
    baseline = statistics.median(next(iter(samples.values())))
    return {label: {"command": commands[label][0], "runs": runs,
                    "median_ms": round(1000 * statistics.median(times), 1),
                    "min_ms": round(1000 * min(times), 1), "max_ms": round(1000 * max(times), 1),
                    "ratio_to_baseline": round(statistics.median(times) / baseline, 2),
                    "exit_codes": sorted(exit_codes[label])}
            for label, times in samples.items()}


def eval_commands(redress: str, policy: str, case: str, cache_directory: str) -> dict[str, tuple[list[str], dict | None]]:
    """`python -c pass`, then `eval --case` (both engines) with the policy in the cache of checked
    policies and without it (uncached: what the first call after an edit pays), then `check`."""
    cached = os.environ | {"REDRESS_CACHE_DIR": cache_directory}
    uncached = os.environ | {"REDRESS_CACHE_DIR": ""}
    evaluate = [redress, "eval", policy, "--case", case]
    return {
        "python -c pass (interpreter floor)": ([sys.executable, "-c", "pass"], None),
        "redress eval --case (durable), cached": (evaluate, cached),
        "redress eval --case --engine compiled, cached": ([*evaluate, "--engine", "compiled"], cached),
        "redress eval --case (durable), uncached": (evaluate, uncached),
        "redress eval --case --engine compiled, uncached": ([*evaluate, "--engine", "compiled"], uncached),
        "redress check": ([redress, "check", policy], None),
    }


@dataclass(frozen=True)
class Import:
    name: str
    self_us: int
    cumulative_us: int


def import_profile(arguments: list[str], top: int = 10) -> dict:
    """`python -X importtime` over the CLI with `arguments`: the heaviest imports, the cost per
    top-level package, and whether any UI module was imported."""
    command = [sys.executable, "-X", "importtime", "-c", CLI_ENTRY, *arguments]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    imports = parse_importtime(done.stderr)
    by_package: dict[str, int] = defaultdict(int)
    for item in imports:
        by_package[item.name.split(".")[0]] += item.self_us
    heaviest = sorted(imports, key=lambda item: item.cumulative_us, reverse=True)[:top]
    packages = sorted(by_package.items(), key=lambda pair: pair[1], reverse=True)[:top]
    ui = sorted({item.name for item in imports if item.name.split(".")[0] in UI_MODULES})
    return {
        "arguments": arguments, "exit_code": done.returncode, "modules_imported": len(imports),
        "total_import_ms": round(sum(item.self_us for item in imports) / 1000, 1),
        "top_cumulative": [{"module": i.name, "cumulative_ms": round(i.cumulative_us / 1000, 1),
                            "self_ms": round(i.self_us / 1000, 1)} for i in heaviest],
        "top_packages_self": [{"package": name, "self_ms": round(us / 1000, 1)} for name, us in packages],
        "ui_modules_imported": ui,
    }


def parse_importtime(stderr: str) -> list[Import]:
    """Lines look like `import time:       512 |       1840 |   lark.lexer` (self and cumulative
    microseconds; the name is indented by nesting, which the totals here do not need)."""
    found = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:"):].split("|", 2)
        found.append(Import(name.strip(), int(self_us), int(cumulative_us)))
    return found


# The same steps `redress eval --case` takes, timed one by one inside a fresh interpreter.
_PHASES_SCRIPT = """
import json, sys, time
from decimal import Decimal
marks = [time.perf_counter()]
import redress.cli
marks.append(time.perf_counter())
import redress.evaluate
from dsl.checker import check_file
from engine.decide import load_engine
marks.append(time.perf_counter())
checked = check_file(sys.argv[1])
marks.append(time.perf_counter())
engine = load_engine(checked.policy, sys.argv[2])
marks.append(time.perf_counter())
json.dumps(engine.decide(json.loads(sys.argv[3], parse_float=Decimal)).to_json())
marks.append(time.perf_counter())
print(json.dumps([b - a for a, b in zip(marks, marks[1:])]))
"""
PHASES = ("import the CLI (click, redress.cli)", "import the core (redress.evaluate, dsl, engine)",
          "parse and check the policy", "build the engine", "decide one case")


def startup_phases(policy_path: str, engine: str, case_json: str, runs: int) -> dict:
    """Median milliseconds per step of a cold `eval`: which step to make lighter first."""
    samples = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", _PHASES_SCRIPT, policy_path, engine, case_json],
                              capture_output=True, text=True, check=True)
        samples.append(json.loads(done.stdout))
    return {"engine": engine, "runs": runs,
            "median_ms": {phase: round(1000 * statistics.median(run[i] for run in samples), 1)
                          for i, phase in enumerate(PHASES)}}


def main(argv: list[str] | None = None) -> int:
    root = Path(__file__).resolve().parent.parent
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from bench.thirty_rules import as_json_numbers, generate_cases, policy_text

    parser = argparse.ArgumentParser(description="Cold start of `redress eval --case`, side by side with `python -c pass`.")
    parser.add_argument("--runs", type=int, default=20, help="rounds of every command (default 20)")
    parser.add_argument("--policy", help="policy file (default: the thirty-rule benchmark policy)")
    parser.add_argument("--case", help="case JSON (default: one benchmark case)")
    parser.add_argument("--baseline", metavar="REDRESS", help="another `redress` executable (say, main's checkout) to run "
                                                            "`eval --case` with, side by side")
    options = parser.parse_args(argv)
    policy = options.policy
    if policy is None:
        policy = str(root / "bench" / "out" / "thirty_rules.policy")
        Path(policy).parent.mkdir(parents=True, exist_ok=True)
        Path(policy).write_text(policy_text(), encoding="utf-8")
    case = options.case or json.dumps(as_json_numbers(next(generate_cases(1))))
    redress = str(Path(sys.executable).parent / "redress")
    with tempfile.TemporaryDirectory() as cache:
        commands = eval_commands(redress, policy, case, cache)
        if options.baseline:
            for engine in ("durable", "compiled"):
                commands[f"baseline eval --case --engine {engine}"] = (
                    [options.baseline, "eval", policy, "--case", case, "--engine", engine], None)
        timings = side_by_side(commands, options.runs)
    print(f"{'command':<50}{'median ms':>10}{'min ms':>9}{'max ms':>9}{'x pass':>8}")
    for label, timing in timings.items():
        print(f"{label:<50}{timing['median_ms']:>10.1f}{timing['min_ms']:>9.1f}{timing['max_ms']:>9.1f}"
              f"{timing['ratio_to_baseline']:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
