"""`redress`: the command line for policy owners, QA engineers and agents.

Exit codes (stable, documented in the README): 0 ok; 1 findings (check errors, failing tests,
a file `fmt --check` would change); 2 usage or input errors (unreadable file, malformed case, a
policy that does not check where one is needed); 130 interrupted.

Heavy modules are imported inside the commands that need them, so `redress eval` starts fast and
never imports the workbench.
"""

from __future__ import annotations

import sys

import click

from redress.negotiate_command import negotiate
from redress.output import ExitCode, Failure, counted, emit, emit_json, fail, quiet_broken_pipe, report_failure, say

FORMATS = click.Choice(["text", "json"])
ENGINES = ["duckdb", "compiled", "durable", "spark"]
format_option = click.option("--format", "output_format", type=FORMATS, default="text", show_default=True,
                             help="text for people, json for programs.")


class _Group(click.Group):
    """Turns every failure into a message and an exit code; never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Failure as failure:
            as_json = (ctx.obj or {}).get("json", False)
            ctx.exit(report_failure(failure, as_json))
        except BrokenPipeError:
            ctx.exit(quiet_broken_pipe())
        except KeyboardInterrupt:
            say("redress: interrupted")
            ctx.exit(int(ExitCode.INTERRUPTED))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="redress")
def cli() -> None:
    """Redress: write, check and test service-recovery compensation policies, and decide cases.

    Exit codes: 0 ok, 1 findings (check errors, failing tests, files to reformat), 2 usage or input
    errors, 130 interrupted.
    """


def wants_json(output_format: str) -> None:
    """Remember that errors, too, should be printed as JSON, but only when the user asked for
    `--format json`: a command whose output is JSON by default (`eval`) still reports errors as one
    plain `redress: error:` line on stderr unless told otherwise."""
    ctx = click.get_current_context()
    asked = ctx.get_parameter_source("output_format") not in (None, click.core.ParameterSource.DEFAULT)
    ctx.find_root().ensure_object(dict)["json"] = asked and output_format == "json"


def check_spark_master(engine_kind: str, spark_master: str | None) -> None:
    """`--spark-master` only means something to the Spark engine; with any other it is refused."""
    if spark_master is not None and engine_kind != "spark":
        raise click.UsageError("--spark-master needs --engine spark")


# ---------------------------------------------------------------- check
@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=False))
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too (wording of `say` texts and gestures).")
@format_option
def check(files: tuple[str, ...], strict: bool, output_format: str) -> None:
    """Check policy files and report every problem with file:line:column.

    Exit 0 when all files are clean (warnings allowed unless --strict), 1 when any has errors, 2 when
    a file cannot be read."""
    wants_json(output_format)
    from dsl.checker import check_file
    from dsl.diagnostics import render
    from redress.inputs import why_unreadable

    diagnostics, unreadable = [], []
    for path in files:
        try:
            result = check_file(path)
        except (OSError, UnicodeDecodeError) as error:
            unreadable.append((path, why_unreadable(error)))
            continue
        diagnostics += result.diagnostics
        if output_format == "text":
            for diagnostic in result.diagnostics:
                emit(render(diagnostic, result.source) + "\n")
    errors = sum(d.severity == "error" for d in diagnostics)
    if output_format == "json" and unreadable:
        # The error object every command prints, with what the readable files said.
        fail("; ".join(f"{path}: {reason}" for path, reason in unreadable), ExitCode.INPUT_ERROR,
             {"unreadable": [{"file": path, "reason": reason} for path, reason in unreadable],
              "diagnostics": [d.to_json() for d in diagnostics]})
    warnings = len(diagnostics) - errors
    if output_format == "json":
        emit_json([d.to_json() for d in diagnostics])
    for path, reason in unreadable:
        say(f"redress: error: {path}: {reason}")
    if output_format == "text" and len(unreadable) < len(files):
        checked = len(files) - len(unreadable)
        say(f"{counted(checked, 'file')} checked: " + (counted(errors, "error") if errors else "no errors")
            + (f", {counted(warnings, 'warning')}" if warnings else ""))
    if unreadable:
        sys.exit(ExitCode.INPUT_ERROR)
    sys.exit(ExitCode.FINDINGS if errors or (strict and warnings) else ExitCode.OK)


# ---------------------------------------------------------------- analyze
@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--timeout", type=click.FloatRange(min=0.01), default=5.0, show_default=True,
              help="Seconds the solver may spend on each question; a question it cannot decide is reported as unknown.")
@format_option
def analyze(files: tuple[str, ...], timeout: float, output_format: str) -> None:
    """Find what each policy does over every possible case: rules that never apply, uncovered
    cases, ranges that contradict themselves or an entitlement, and more, each with a witness case.

    Exit 0 when there is no error or warning, 1 when there is, 2 when a policy does not check."""
    wants_json(output_format)
    from redress.analyze_command import run_analyze

    sys.exit(run_analyze(files, output_format, timeout))


# ---------------------------------------------------------------- fmt
@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--check", "check_only", is_flag=True, help="Change nothing; exit 1 if any file would be reformatted.")
@format_option
def fmt(files: tuple[str, ...], check_only: bool, output_format: str) -> None:
    """Rewrite policy files in the canonical layout, keeping comments and meaning.

    `-` reads stdin and writes the result to stdout. Files are replaced atomically."""
    wants_json(output_format)
    from dsl.diagnostics import render
    from dsl.formatter import FormatError, format_source
    from qa.atomic import write_atomically
    from redress.inputs import read_policy_text

    changed, broken = [], 0
    for path in files:
        source = read_policy_text(path)
        try:
            formatted = format_source(source, "<stdin>" if path == "-" else path)
        except FormatError as error:
            broken += 1
            for diagnostic in error.diagnostics:
                say(render(diagnostic, source))
            continue
        if path == "-" and not check_only:
            sys.stdout.write(formatted)
        if formatted != source:
            changed.append(path)
            if check_only:
                if output_format == "text":
                    emit(f"would reformat {path}")
            elif path != "-":
                write_atomically(path, formatted)
                say(f"reformatted {path}")
    if output_format == "json":
        emit_json({"changed": changed, "unchanged": [p for p in files if p not in changed], "check": check_only})
    elif any(path != "-" for path in files):  # stdout holds the text of `-`: nothing to sum up
        say(fmt_summary(len(changed), len(files) - len(changed) - broken, broken, check_only))
    if broken:
        sys.exit(ExitCode.INPUT_ERROR)
    sys.exit(ExitCode.FINDINGS if check_only and changed else ExitCode.OK)


def fmt_summary(changed: int, unchanged: int, broken: int, check_only: bool) -> str:
    """Ruff's summary line: `1 file reformatted, 2 files left unchanged`."""
    parts = []
    if changed:
        parts.append(f"{counted(changed, 'file')} {'would be reformatted' if check_only else 'reformatted'}")
    if unchanged:
        parts.append(f"{counted(unchanged, 'file')} {'already formatted' if check_only else 'left unchanged'}")
    if broken:
        parts.append(f"{counted(broken, 'file')} not formatted (see the errors above)")
    return ", ".join(parts)


# ---------------------------------------------------------------- eval
@cli.command("eval")
@click.argument("policy", type=click.Path(dir_okay=False))
@click.option("--case", "case_argument", metavar="JSON|@FILE|-", help="One case: JSON text, @FILE, or - for stdin.")
@click.option("--jsonl", is_flag=True, help="Read one case per line on stdin; write one decision per line, in order.")
@click.option("--explain", is_flag=True, help="Add `trace`: every rule, entitlement and route, whether it matched, and why.")
@click.option("--engine", "engine_kind", type=click.Choice(ENGINES),
              help="Default: durable for --case; duckdb for --jsonl (durable with --explain).")
@click.option("--format", "output_format", type=FORMATS, default="json", show_default=True,
              help="json (the decision of docs/language.md) or text (a summary for people).")
@click.option("--published", is_flag=True, help="Use the version in force (published in the workbench), not the file's text.")
def eval_command(policy: str, case_argument: str | None, jsonl: bool, explain: bool, engine_kind: str, output_format: str,
                 published: bool) -> None:
    """Decide cases against a policy.

    Exit 0 when every case was decided, 2 when a case (or any --jsonl line) was invalid."""
    wants_json(output_format)
    from redress.evaluate import evaluate_jsonl, evaluate_one

    if jsonl == (case_argument is not None):
        raise click.UsageError("give exactly one of --case or --jsonl")
    if jsonl and output_format == "text":
        raise click.UsageError("--jsonl writes one JSON decision per line; --format text is for --case")
    if engine_kind == "spark":
        raise click.UsageError("--engine spark runs replays and diffs of case files on a cluster; eval decides here: "
                               "use --engine duckdb, compiled or durable")
    if engine_kind == "duckdb" and explain:
        raise click.UsageError("--explain needs --engine durable or compiled: the SQL engine does not trace its matching")
    if engine_kind == "duckdb" and not jsonl:
        raise click.UsageError("--engine duckdb decides cases in bulk: use it with --jsonl")
    if jsonl:
        sys.exit(evaluate_jsonl(policy, engine_kind or ("durable" if explain else "duckdb"), explain, published))
    sys.exit(evaluate_one(policy, case_argument, engine_kind or "durable", explain, output_format, published))


# ---------------------------------------------------------------- schema
@cli.command()
@click.argument("policy", type=click.Path(dir_okay=False))
def schema(policy: str) -> None:
    """Print the JSON Schema (2020-12) of the policy's cases."""
    from engine.schema import case_schema
    from redress.inputs import load_checked_policy

    emit_json(case_schema(load_checked_policy(policy).policy))


# ---------------------------------------------------------------- test
@cli.command("test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--coverage", is_flag=True, help="List the rules, entitlements and routes no test reached.")
@click.option("--engine", "engine_kind", type=click.Choice(["durable", "compiled"]), default="durable", show_default=True)
@format_option
def test_command(paths: tuple[str, ...], coverage: bool, engine_kind: str, output_format: str) -> None:
    """Run policy test files (*.tests.yaml) under PATHS (default: the current directory).

    Exit 0 when all pass, 1 when any fails, 2 when a test file cannot be run."""
    wants_json(output_format)
    from redress.test_report import run_tests

    sys.exit(run_tests(list(paths) or ["."], coverage, engine_kind, output_format))


# ---------------------------------------------------------------- replay, diff, cases
input_format_option = click.option("--input-format", type=click.Choice(["csv", "jsonl", "json", "yaml", "parquet", "arrow"]),
                                   help="Format of the case file (default: from its extension).")
bulk_engine_option = click.option(
    "--engine", "engine_kind", type=click.Choice(ENGINES), default="duckdb", show_default=True,
    help="duckdb: the policy compiled to one SQL query (falls back to compiled, with a warning, for a policy "
         "SQL cannot compute exactly); compiled, durable: case by case on --workers processes; spark: Apache Spark.")
spark_master_option = click.option("--spark-master", metavar="URL",
                                   help="With --engine spark: the cluster to run on (spark://host:7077, yarn, "
                                        "k8s://...; default local[*], Spark inside this process).")
workers_option = click.option("--workers", type=click.IntRange(1, 64), default=None,
                              help="Processes deciding cases (threads for --engine duckdb; default: one per core).")


@cli.command()
@click.argument("policy", type=click.Path(dir_okay=False))
@click.argument("cases", type=click.Path(dir_okay=False, allow_dash=True))
@input_format_option
@bulk_engine_option
@spark_master_option
@workers_option
@click.option("--format", "output_format", type=click.Choice(["text", "json", "csv", "markdown"]), default="text",
              show_default=True, help="How the summary is printed.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), help="Write every case's result here (.csv, .jsonl, .parquet).")
@click.option("--rejects", "rejects_path", type=click.Path(dir_okay=False), help="Write the invalid rows here, verbatim, with their reasons.")
@click.option("--fail-on", metavar="STATUSES", help="Exit 1 when any case has one of these statuses: over,under,invalid,no_rule.")
def replay(policy, cases, input_format, engine_kind, spark_master, workers, output_format, out_path, rejects_path,
           fail_on) -> None:
    """Decide every historic case in CASES and compare with what was offered.

    Statuses: within, under, over, no_rule, invalid, decided (no `offered`). Every row is counted."""
    wants_json(output_format)
    from qa.batch import default_workers
    from redress.replay_command import parse_fail_on, run_replay

    statuses = parse_fail_on(fail_on)
    check_spark_master(engine_kind, spark_master)
    sys.exit(run_replay(policy, cases, input_format, engine_kind, workers or default_workers(), output_format,
                        out_path, rejects_path, statuses, spark_master))


@cli.command()
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@click.option("--cases", "cases_path", type=click.Path(dir_okay=False, allow_dash=True),
              help="Historic cases to decide with both versions (the behavioural diff).")
@input_format_option
@bulk_engine_option
@spark_master_option
@workers_option
@click.option("--out", "out_path", type=click.Path(dir_okay=False), help="Write every case's old and new decision here.")
@click.option("--color/--no-color", default=None, help="Color the source diff (default: when stdout is a terminal).")
@click.option("--prove", is_flag=True, help="Also prove, over every possible case, whether the versions decide alike (z3).")
@click.option("--timeout", type=click.FloatRange(min=0.01), default=5.0, show_default=True,
              help="With --prove: seconds the solver may spend on each question.")
@format_option
def diff(old, new, cases_path, input_format, engine_kind, spark_master, workers, out_path, color, prove, timeout,
         output_format) -> None:
    """Compare two versions of a policy: text, structure, and with --cases, their decisions.

    With --cases, a case changed when any decision field differs (rule, amounts, approver, wording,
    routes, ...). Exit 0 when nothing changed, 1 when something did (like diff(1)): without --cases
    the text, with --cases any case's decision."""
    wants_json(output_format)
    from qa.batch import default_workers
    from redress.diff_command import run_diff

    check_spark_master(engine_kind, spark_master)
    if not prove and click.get_current_context().get_parameter_source("timeout") != click.core.ParameterSource.DEFAULT:
        raise click.UsageError("--timeout applies to --prove")
    sys.exit(run_diff(old, new, cases_path, input_format, engine_kind, workers or default_workers(), output_format,
                      out_path, color, spark_master, timeout if prove else None))


@cli.command()
@click.argument("policy", type=click.Path(dir_okay=False))
@click.argument("action", required=False, type=click.Choice(["show"]))
@click.argument("version", required=False, type=click.IntRange(1))
@format_option
def history(policy: str, action: str | None, version: int | None, output_format: str) -> None:
    """The saved versions of POLICY, newest first, with the one in force; `show VERSION` prints one."""
    wants_json(output_format)
    from redress.history_command import list_versions, show_version

    if action is None and version is not None:
        raise click.UsageError("to print a version, write `show VERSION`")
    if action == "show" and version is None:
        raise click.UsageError("`show` needs a version number (see `redress history POLICY`)")
    sys.exit(show_version(policy, version, output_format) if action else list_versions(policy, output_format))


@cli.group()
def cases() -> None:
    """Historic case files: generate synthetic ones for any policy."""


@cases.command("generate")
@click.argument("policy", type=click.Path(dir_okay=False))
@click.option("--n", "count", type=click.IntRange(0), default=1000, show_default=True, help="How many cases.")
@click.option("--seed", type=int, default=0, show_default=True, help="The same seed always gives the same cases.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, allow_dash=True), default="-", show_default=True,
              help="Where to write (.csv, .jsonl, .json, .yaml, .parquet, .arrow); - is stdout.")
@click.option("--output-format", type=click.Choice(["csv", "jsonl", "json", "yaml", "parquet", "arrow"]),
              help="Format (default: from --out's extension; csv for stdout).")
def cases_generate(policy: str, count: int, seed: int, out_path: str, output_format: str | None) -> None:
    """Write N realistic synthetic historic cases (with `id` and `offered`) for POLICY."""
    from qa.casewriters import CaseWriteError, destination_format, write_cases
    from qa.generate import generate_cases
    from redress.inputs import load_checked_policy

    output_format = output_format or ("csv" if out_path == "-" else None)
    try:
        destination_format(out_path, output_format)  # before the policy is even compiled
        checked = load_checked_policy(policy)
        written = write_cases(generate_cases(checked.policy, count, seed), out_path, output_format)
    except CaseWriteError as error:
        fail(str(error))
    if out_path != "-":
        say(f"wrote {written:,} cases to {out_path}")


@cli.command()
@click.argument("policy", required=False, type=click.Path(dir_okay=False))
@click.option("--cases", "cases_path", type=click.Path(dir_okay=False), help="Historic cases to simulate and diff against.")
def workbench(policy: str | None, cases_path: str | None) -> None:
    """Open the workbench: write, check, try, simulate and diff a policy in the terminal."""
    from workbench.app import run

    sys.exit(run(policy, cases_path))


# ---------------------------------------------------------------- negotiate
cli.add_command(negotiate)


def main() -> None:
    cli(prog_name="redress")


if __name__ == "__main__":
    main()
