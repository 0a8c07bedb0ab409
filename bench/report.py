"""The results of a benchmark run as a plain-text table, for a terminal or a pull request."""

from __future__ import annotations


def render(results: dict) -> str:
    environment, settings = results["environment"], results["settings"]
    lines = [f"Redress benchmark: {settings['rules']} rules, {settings['cases']:,} cases in-process "
             f"(Python {environment['python']}, {environment['cpu']}, {environment['cpus']} CPUs, git {environment['git']})"]
    lines += _in_process(results["in_process"], results["agreement"])
    lines += _agreement(results["agreement"])
    cli = results["cli"]
    if not cli["available"]:
        lines += ["", f"CLI: not measured ({cli['reason']})"]
        return "\n".join(lines)
    lines += _stream(cli["stream"])
    lines += _cold_start(cli["cold_start"])
    return "\n".join(lines)


def _row(label: str, *cells: str, width: int = 50) -> str:
    return f"  {label:<{width}}" + "".join(f"{cell:>14}" for cell in cells)


def _in_process(section: dict, agreement: dict) -> list[str]:
    lines = ["", _row("In-process", "cases/s", "us/case")]
    for rate in section["rates"]:
        lines.append(_row(rate["label"], f"{rate['cases_per_second']:,.0f}", f"{rate['microseconds_per_case']:.1f}"))
    median = agreement["zen_self_reported_median_us"]
    lines.append(_row("zen-engine: its own timing (median)", f"{agreement['zen_self_reported_cases_per_second']:,.0f}",
                      f"{median:.1f}"))
    return lines


def _agreement(section: dict) -> list[str]:
    zen = section["zen_vs_redress"]
    engines = section["durable_vs_compiled"]
    return [
        "", f"  Agreement on {zen['cases']:,} cases",
        _row("zen table picks the same rule as Redress", _percent(zen["same_rule_rate"])),
        _row(f"same floor and ceiling ({zen['amounts_compared']:,} comparable)", _percent(zen["same_amounts_rate"])),
        _row("... within a cent", _percent(zen["amounts_within_a_cent_rate"])),
        _row("durable and compiled decisions identical", f"{engines['identical_decisions']:,}/{engines['cases']:,}"),
    ]


def _stream(runs: list[dict]) -> list[str]:
    count = runs[0]["lines_in"] if runs else 0
    lines = ["", _row(f"redress eval --jsonl, {count:,} cases", "cases/s", "cases/CPU-s", "max RSS MiB", "out = in",
                      "exit")]
    for run in runs:
        rss = "n/a" if run["max_rss_mib"] is None else f"{run['max_rss_mib']:.1f}"
        lines.append(_row(f"--engine {run['engine']}", f"{run['cases_per_second']:,.0f}",
                          f"{run['cases_per_cpu_second']:,.0f}", rss,
                          "yes" if run["all_lines_answered"] else f"NO ({run['lines_out']:,})", str(run["exit_code"])))
    return lines


def _cold_start(section: dict) -> list[str]:
    timings = section["timings"]
    runs = next(iter(timings.values()))["runs"]
    lines = ["", _row(f"Cold start, side by side over {runs} rounds", "median ms", "min ms", "max ms", "x pass")]
    for label, timing in timings.items():
        lines.append(_row(label, f"{timing['median_ms']:.1f}", f"{timing['min_ms']:.1f}", f"{timing['max_ms']:.1f}",
                          f"{timing['ratio_to_baseline']:.2f}"))
    for phases in section["phases"]:
        lines += ["", _row(f"Steps of a cold eval, --engine {phases['engine']}", "median ms")]
        lines += [_row(phase, f"{ms:.1f}") for phase, ms in phases["median_ms"].items()]
    for name, profile in section["imports"].items():
        ui = ", ".join(profile["ui_modules_imported"]) or "none"
        lines += ["", f"  Imports of `redress {name}`: {profile['modules_imported']} modules, "
                      f"{profile['total_import_ms']:.1f} ms in import (-X importtime); UI modules imported: {ui}",
                  _row("top by cumulative time", "cumulative ms", "self ms")]
        lines += [_row("  " + item["module"], f"{item['cumulative_ms']:.1f}", f"{item['self_ms']:.1f}")
                  for item in profile["top_cumulative"]]
        lines.append(_row("top packages by own (self) time", "self ms"))
        lines += [_row("  " + item["package"], f"{item['self_ms']:.1f}") for item in profile["top_packages_self"]]
    return lines


def _percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{100 * rate:.2f} %"
