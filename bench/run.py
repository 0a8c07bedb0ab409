"""Redress benchmark: `python bench/run.py [--cases N] [--quick]`.

Measures, on a generated 30-rule policy (bench/thirty_rules.py):
  1. cases per second in-process through both engines (decide + to_json, and matching alone);
  2. the same policy as a GoRules zen-engine decision table, as the reference peer, with the rate
     at which it picks the same rule and range as Redress;
  3. throughput and peak memory of a long stream through `redress eval POLICY --jsonl`;
  4. cold start of `redress eval --case` and `redress check`, and what they import.

Prints a table and writes every figure to bench/out/results.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `python bench/run.py` puts bench/ on the path, not the repository

from bench import cli_stream, cold_start, throughput  # noqa: E402
from bench.report import render  # noqa: E402
from bench.thirty_rules import ZEN_LETS, as_json_numbers, generate_cases, guidelines, policy_text  # noqa: E402
from bench.zen_peer import ZenPeer, agreement, decision_model  # noqa: E402
from dsl.checker import check_file  # noqa: E402
from engine.decide import ENGINE_KINDS, load_engine  # noqa: E402

OUT = ROOT / "bench" / "out"
POLICY_FILE = OUT / "thirty_rules.policy"
STREAM_CASES = 1_000_000
STREAM_CASES_QUICK = 100_000
AGREEMENT_SAMPLE = 10_000
ZEN_BATCH_SIZE = 1_000
COLD_START_RUNS = 10


def main(argv: list[str] | None = None) -> int:
    options = _arguments(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    POLICY_FILE.write_text(policy_text(), encoding="utf-8")
    checked = check_file(str(POLICY_FILE))
    if not checked.ok:
        print("bench: the generated policy does not check:", *checked.diagnostics, sep="\n", file=sys.stderr)
        return 1
    stream_cases = options.stream or (STREAM_CASES_QUICK if options.quick else STREAM_CASES)
    results = {
        "environment": _environment(),
        "settings": {"cases": options.cases, "stream_cases": stream_cases, "quick": options.quick,
                     "policy": str(POLICY_FILE.relative_to(ROOT)), "rules": len(checked.policy.guidelines)},
    }
    results.update(_engines(checked.policy, options.cases))
    gc.collect()  # the cases are gone; a smaller heap makes the stream's feeder thread cheaper
    redress = _redress_command()
    if redress is None:
        results["cli"] = {"available": False, "reason": "`redress eval --help` does not run"}
    else:
        results["cli"] = {"available": True, "command": redress,
                          "stream": _stream(redress, stream_cases),
                          "cold_start": _cold_start(redress, options.runs)}
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(render(results))
    print(f"\nwrote {(OUT / 'results.json').relative_to(ROOT)}")
    return 0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases for the in-process figures (default 100,000)")
    parser.add_argument("--quick", action="store_true", help=f"stream {STREAM_CASES_QUICK:,} cases through the CLI, not {STREAM_CASES:,}")
    parser.add_argument("--stream", type=int, default=None, help="cases to stream through the CLI (overrides --quick)")
    parser.add_argument("--runs", type=int, default=COLD_START_RUNS, help="runs per cold-start figure (median)")
    return parser.parse_args(argv)


def _progress(what: str, work):
    print(f"bench: {what} ...", file=sys.stderr, flush=True)
    return work()


# ---------------------------------------------------------------- sections


def _engines(policy, count: int) -> dict:
    """The in-process figures; the cases live only as long as this call."""
    cases = _progress(f"generating {count:,} cases", lambda: list(generate_cases(count)))
    return {"in_process": _in_process(policy, cases), "agreement": _agreement(policy, cases[:AGREEMENT_SAMPLE])}


def _in_process(policy, cases: list[dict]) -> dict:
    rates = []
    for kind in ENGINE_KINDS:
        engine = load_engine(policy, kind)
        if engine.fallback_reason:
            print(f"bench: {engine.fallback_reason}", file=sys.stderr)
        rates.append(_progress(f"{kind}: decide", lambda: throughput.decide_rate(engine, cases)))
        rates.append(_progress(f"{kind}: matching only", lambda: throughput.matching_rate(engine, cases)))
    peer = ZenPeer(decision_model(guidelines(), ZEN_LETS))
    zen_cases = [as_json_numbers(case) for case in cases]
    for label, evaluate in (("zen-engine: ZenEngine.evaluate", peer.evaluate),
                            ("zen-engine: ZenDecision.evaluate", peer.evaluate_decision)):
        rates.append(_progress(label, lambda: throughput.timed(label, evaluate, zen_cases)))
    rates.append(_progress("zen-engine: evaluate_batch",
                           lambda: throughput.zen_batch_rate(peer.evaluate_batch, zen_cases, ZEN_BATCH_SIZE)))
    return {"rates": [rate.to_json() for rate in rates]}


def _agreement(policy, sample: list[dict]) -> dict:
    """Redress (compiled) against the zen table on a sample, plus the two Redress engines against
    each other on the same sample: a free differential check."""
    def work() -> dict:
        compiled, durable = load_engine(policy, "compiled"), load_engine(policy, "durable")
        peer = ZenPeer(decision_model(guidelines(), ZEN_LETS))
        decisions = [compiled.decide(case).to_json() for case in sample]
        engines_agree = sum(durable.decide(case).to_json() == decision for case, decision in zip(sample, decisions))
        timed = [peer.evaluate_timed(as_json_numbers(case)) for case in sample]
        tally = agreement(zip(sample, decisions, (result for result, _ in timed)))
        zen_seconds = sorted(seconds for _, seconds in timed)
        median = zen_seconds[len(zen_seconds) // 2]
        return {"zen_vs_redress": tally.to_json(),
                "durable_vs_compiled": {"cases": len(sample), "identical_decisions": engines_agree},
                "zen_self_reported_median_us": round(median * 1e6, 2),
                "zen_self_reported_cases_per_second": round(1 / median, 1) if median else None}
    return _progress(f"agreement on {len(sample):,} cases", work)


def _stream(redress: str, count: int) -> list[dict]:
    runs = []
    for kind in ENGINE_KINDS:
        lines = cli_stream.json_lines(as_json_numbers(case) for case in generate_cases(count))
        result = _progress(f"streaming {count:,} cases through `redress eval --jsonl --engine {kind}`",
                           lambda: cli_stream.stream_through_cli(redress, str(POLICY_FILE), kind, lines))
        runs.append(result.to_json())
    return runs


def _cold_start(redress: str, runs: int) -> dict:
    policy = str(POLICY_FILE)
    case = json.dumps(as_json_numbers(next(generate_cases(1))))
    with tempfile.TemporaryDirectory() as cache:
        commands = cold_start.eval_commands(redress, policy, case, cache)
        timings = _progress("cold start, side by side", lambda: cold_start.side_by_side(commands, runs))
    profiles = {
        "eval": _progress("import profile: eval", lambda: cold_start.import_profile(["eval", policy, "--case", case])),
        "check": _progress("import profile: check", lambda: cold_start.import_profile(["check", policy])),
    }
    phases = [_progress(f"startup phases ({kind})", lambda: cold_start.startup_phases(policy, kind, case, runs))
              for kind in ENGINE_KINDS]
    return {"timings": timings, "phases": phases, "imports": profiles}


# ---------------------------------------------------------------- the machine and the CLI


def _redress_command() -> str | None:
    """The venv's `redress` script, if `redress eval --help` runs."""
    candidate = Path(sys.executable).parent / "redress"
    command = str(candidate) if candidate.exists() else shutil.which("redress")
    if command is None:
        return None
    done = subprocess.run([command, "eval", "--help"], capture_output=True, check=False)
    return command if done.returncode == 0 else None


def _environment() -> dict:
    return {
        "python": platform.python_version(), "implementation": platform.python_implementation(),
        "platform": platform.platform(), "cpu": _cpu_model(), "cpus": os.cpu_count(),
        "packages": {name: _version(name) for name in ("zen-engine", "durable_rules", "lark", "click")},
        "git": _git_revision(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _git_revision() -> str | None:
    done = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                          text=True, check=False)
    return done.stdout.strip() or None


if __name__ == "__main__":
    sys.exit(main())
