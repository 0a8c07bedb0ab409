"""`redress analyze POLICY...`: what each policy does over every possible case, as findings printed
like the checker's diagnostics, each with a witness case to try with `redress eval`.

Exit 1 when any finding is an error or a warning, 0 otherwise (info findings and unknowns do not
fail), 2 when a policy cannot be read or does not check."""

from __future__ import annotations

from dsl.diagnostics import render
from redress.inputs import load_checked_policy
from redress.output import ExitCode, emit, emit_json, say, to_json_line


def run_analyze(paths: tuple[str, ...], output_format: str, timeout: float) -> int:
    from analysis import analyze

    checked = [load_checked_policy(path) for path in paths]  # every file checks before any is analysed
    reports = [(result, analyze(result.policy, timeout)) for result in checked]
    findings = [finding for _, report in reports for finding in report.findings]
    unknown = [dict(item, file=report.file) for _, report in reports for item in report.unknown]
    if output_format == "json":
        emit_json({"findings": [finding.to_json() for finding in findings], "unknown": unknown})
    else:
        for result, report in reports:
            for finding in report.findings:
                text = render(finding, result.source)
                if finding.witness is not None:
                    text += f"\n     = witness: {to_json_line(finding.witness)}"
                emit(text + "\n")
            for item in report.unknown:
                emit(f"{report.file}: unknown: {item['question']}: {item['reason']}")
        counts = {severity: sum(f.severity == severity for f in findings) for severity in ("error", "warning", "info")}
        summary = ", ".join(f"{count} {severity}{'s' if count != 1 and severity != 'info' else ''}" for severity, count in counts.items())
        say(f"{len(paths)} polic{'ies' if len(paths) != 1 else 'y'} analysed: {summary}" + (f", {len(unknown)} unknown" if unknown else ""))
    return ExitCode.FINDINGS if any(report.failing for _, report in reports) else ExitCode.OK
