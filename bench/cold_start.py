"""Cold start: how long one `redress eval --case` or `redress check` takes from a shell, and what
it imports on the way.

A person or an agent calling the CLI once per case pays the interpreter start, the imports and the
policy check every time, so this is the latency they feel. The import profile comes from
`python -X importtime`, run on the CLI's real entry point with the same arguments; it also shows
whether anything from the workbench (Textual) slipped onto the path, which the CLI promises never
happens.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass

UI_MODULES = ("textual", "workbench")
CLI_ENTRY = "from redress.cli import main; main()"


def wall_times(command: list[str], runs: int) -> dict:
    """Median, min and max wall time of `runs` runs, after one untimed run to warm the OS caches."""
    subprocess.run(command, capture_output=True, check=False)
    samples, exit_codes = [], set()
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, check=False)
        samples.append(time.perf_counter() - started)
        exit_codes.add(done.returncode)
    return {"command": command, "runs": runs, "median_ms": round(1000 * statistics.median(samples), 1),
            "min_ms": round(1000 * min(samples), 1), "max_ms": round(1000 * max(samples), 1),
            "exit_codes": sorted(exit_codes)}


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
