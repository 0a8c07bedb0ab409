"""`redress test`: runs policy test files and reports like pytest, or as JSON for programs."""

from __future__ import annotations

import time

from redress.output import ExitCode, emit, emit_json, fail, say, to_json_line
from qa.policy_tests import FileReport, discover, run_file


def run_tests(paths: list[str], coverage: bool, engine_kind: str, output_format: str) -> int:
    started = time.perf_counter()
    try:
        files = discover(paths)
    except FileNotFoundError as error:
        fail(f"{error.args[0]}: no such file or directory")
    if not files:
        fail(f"no test files (*.tests.yaml) under {', '.join(paths)}")
    reports = [run_file(path, engine_kind) for path in files]
    outcomes = [o for report in reports for o in report.outcomes]
    counts = {status: sum(o.status == status for o in outcomes) for status in ("passed", "failed", "error")}
    broken = [r for r in reports if r.error]
    elapsed = time.perf_counter() - started
    if output_format == "json":
        emit_json({
            "passed": counts["passed"], "failed": counts["failed"], "errors": counts["error"] + len(broken),
            "tests": [o.to_json() for o in outcomes],
            "files": [{"file": r.file, "policy": r.policy, "error": r.error} | ({"uncovered": r.uncovered} if coverage else {})
                      for r in reports],
        })
    else:
        _print_text(reports, coverage)
        summary = f"{counts['passed']} passed, {counts['failed']} failed"
        if counts["error"] or broken:
            errors = counts["error"] + len(broken)
            summary += f", {errors} error{'s' if errors != 1 else ''}"
        say(f"{summary} in {elapsed:.2f}s")
    if broken:
        return ExitCode.INPUT_ERROR
    return ExitCode.FINDINGS if counts["failed"] or counts["error"] else ExitCode.OK


def _print_text(reports: list[FileReport], coverage: bool) -> None:
    for report in reports:
        if report.error:
            emit(f"ERROR {report.error}")
            continue
        emit(f"{report.file} ({len(report.outcomes)} tests)")
        for outcome in report.outcomes:
            emit(f"  {outcome.status.upper():<6} {outcome.name}  [{outcome.file}:{outcome.line}]")
            if outcome.error:
                emit(f"         {outcome.error}")
            for mismatch in outcome.mismatches:
                emit(f"         {mismatch['key']}: expected {mismatch['expected']!r}, got {mismatch['actual']!r}")
                for label in ("case", "compared_with"):
                    if label in mismatch:
                        emit(f"         {label.replace('_', ' ')}: {to_json_line(mismatch[label])}")
        if coverage:
            missed = [f"{kind[:-1]} \"{name}\"" for kind, names in report.uncovered.items() for name in names]
            emit("  coverage: every rule, entitlement and route was reached" if not missed
                 else "  not reached by any test: " + "; ".join(missed))
