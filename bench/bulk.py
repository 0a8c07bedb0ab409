"""The SQL engine in bulk: `python bench/bulk.py [--rows N] [--baseline-rows M] [--memory-rows K]`.

End to end through the CLI, on the thirty-rule policy (`thirty_rules.py`) so the zen-engine peer
decides the same cases: `replay` from typed Parquet and from CSV, `diff --cases` from CSV and
`eval --jsonl`, each with `--engine duckdb` on N rows (default 1,000,000) and with the compiled
engine on M rows (default 200,000; it is 10-100x slower, and a rate is a rate), in the same run.
Peak memory is /usr/bin/time's maximum resident size; `--memory-rows` (default 0: skipped; the
README figure used 10,000,000) replays a Parquet file that large once and reports its peak beside
the N-row peak: flat memory means the two are close. Figures go to bench/out/bulk.json.

The CLI keeps checked policies and compiled queries between runs (`redress.policy_cache`); the bench
gives it a cache folder of its own, empty at the start, and runs every SQL-engine command twice:
first with nothing kept (it checks and compiles), then as a second run against the same policy.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
REDRESS = [sys.executable, "-m", "redress.cli"]

from bench.replay import _raise_first_percentage  # noqa: E402
from bench.thirty_rules import as_json_numbers, generate_cases, guidelines, policy_text  # noqa: E402


def _offered(case: dict, rng: random.Random) -> Decimal:
    return (case["price"] * Decimal(str(round(rng.uniform(0, 0.6), 2)))).quantize(Decimal("0.01"))


def write_case_files(rows: int) -> dict[str, Path]:
    """Typed Parquet (DECIMAL amounts, BOOLEAN flags), CSV and JSON Lines of the same cases."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    paths = {kind: OUT / f"thirty_rules.{rows}.{kind}" for kind in ("parquet", "csv", "jsonl")}
    if all(path.exists() for path in paths.values()):
        return paths
    print(f"bench: writing {rows:,} cases ...", file=sys.stderr, flush=True)
    rng = random.Random(7)
    money = pa.decimal128(12, 2)
    schema = pa.schema([("id", pa.string()), ("situation", pa.string()), ("price", money), ("cost", money),
                        ("warranty", pa.string()), ("average_purchase", money), ("purchases_per_year", money),
                        ("days_late", money), ("member", pa.bool_()), ("legal_issue", pa.bool_()), ("offered", money)])
    with pq.ParquetWriter(paths["parquet"], schema) as parquet, open(paths["jsonl"], "w") as jsonl:
        csv_writer = pacsv.CSVWriter(paths["csv"], schema, write_options=pacsv.WriteOptions(quoting_style="needed"))
        batch: list[dict] = []
        for case in generate_cases(rows):
            case["offered"] = _offered(case, rng)
            batch.append(case)
            jsonl.write(json.dumps(as_json_numbers({k: v for k, v in case.items() if k != "offered"})) + "\n")
            if len(batch) == 100_000:
                _write(batch, schema, parquet, csv_writer)
                batch = []
        if batch:
            _write(batch, schema, parquet, csv_writer)
        csv_writer.close()
    return paths


def _write(batch: list[dict], schema, parquet, csv_writer) -> None:
    import pyarrow as pa

    table = pa.Table.from_pylist(batch, schema)
    parquet.write_table(table)
    csv_writer.write_table(table)


def _repeated(parquet: Path, rows: int, wanted: int) -> Path:
    """The N-row Parquet file repeated (by DuckDB) to `wanted` rows, for the memory figure."""
    import duckdb

    target = OUT / f"thirty_rules.{wanted}.parquet"
    if not target.exists():
        copies = -(-wanted // rows)
        duckdb.connect().execute(f"COPY (SELECT p.* FROM read_parquet('{parquet}') p, range({copies}) LIMIT {wanted}) "
                                 f"TO '{target}' (FORMAT parquet)")
    return target


def _measure(label: str, command: list[str], rows: int, stdin: Path | None = None, lines_out: bool = False) -> dict:
    timer = shutil.which("time") or "/usr/bin/time"
    wrapped = [timer, "-f", "%M", *command] if os.path.exists(timer) else command
    started = time.perf_counter()
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as feed:
        result = subprocess.run(wrapped, stdin=feed, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"{label} failed ({result.returncode}): {result.stderr[-2000:].decode()}")
    if stdin is None and not lines_out:
        assert json.loads(result.stdout)["cases"] == rows  # every row accounted for
    else:
        assert result.stdout.count(b"\n") == rows  # one decision per line
    peak = int(result.stderr.decode().strip().splitlines()[-1]) if wrapped is not command else 0
    print(f"  {label:<42} {seconds:>7.2f} s  {rows / seconds:>10,.0f} cases/s  peak {peak / 1024:>7.1f} MiB",
          file=sys.stderr, flush=True)
    return {"label": label, "rows": rows, "seconds": round(seconds, 3), "rate": round(rows / seconds),
            "peak_mib": round(peak / 1024, 1), "command": " ".join(command[2:])}


def _zen_rate(rows: int) -> dict:
    """zen-engine's own bulk call on the same cases, in process (no file reading, no CLI)."""
    from bench.run import ZEN_BATCH_SIZE
    from bench.thirty_rules import ZEN_LETS
    from bench.zen_peer import ZenPeer, decision_model

    peer = ZenPeer(decision_model(guidelines(), ZEN_LETS))
    cases = [as_json_numbers(case) for case in generate_cases(rows)]
    batches = [cases[start:start + ZEN_BATCH_SIZE] for start in range(0, len(cases), ZEN_BATCH_SIZE)]
    peer.evaluate_batch(batches[0])
    started = time.perf_counter()
    for batch in batches:
        peer.evaluate_batch(batch)
    seconds = time.perf_counter() - started
    print(f"  {'zen-engine evaluate_batch, in process':<42} {seconds:>7.2f} s  {rows / seconds:>10,.0f} cases/s",
          file=sys.stderr, flush=True)
    return {"label": "zen-engine evaluate_batch (in process)", "rows": rows, "seconds": round(seconds, 3),
            "rate": round(rows / seconds)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline-rows", type=int, default=200_000)
    parser.add_argument("--memory-rows", type=int, default=0)
    options = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    policy = OUT / "thirty_rules.policy"
    policy.write_text(policy_text(), encoding="utf-8")
    changed = OUT / "thirty_rules.changed.policy"
    changed.write_text(_raise_first_percentage(policy_text()), encoding="utf-8")
    big, small = write_case_files(options.rows), write_case_files(options.baseline_rows)
    load = os.getloadavg()
    print(f"bench: load average {load[0]:.1f} on {os.cpu_count()} cores", file=sys.stderr)
    os.environ["REDRESS_CACHE_DIR"] = tempfile.mkdtemp(prefix="redress-bench-cache-")
    runs = []
    for engine, files, rows in (("duckdb", big, options.rows), ("compiled", small, options.baseline_rows)):
        extra = [] if engine == "duckdb" else ["--workers", str(os.cpu_count() or 1)]
        commands = [(f"replay {kind}, {engine}", [*REDRESS, "replay", str(policy), str(files[kind]), "--format", "json",
                                                  "--engine", engine, *extra], None) for kind in ("parquet", "csv")]
        commands.append((f"diff --cases csv, {engine}", [*REDRESS, "diff", str(policy), str(changed), "--cases",
                                                         str(files["csv"]), "--format", "json", "--engine", engine, *extra], None))
        commands.append((f"eval --jsonl, {engine}", [*REDRESS, "eval", str(policy), "--jsonl", "--engine", engine],
                         files["jsonl"]))
        for label, command, stdin in commands:
            if engine == "duckdb":
                runs.append(_measure(f"{label}, first run", command, rows, stdin=stdin))
            runs.append(_measure(label, command, rows, stdin=stdin))
        # Through a pipe, as `zcat cases.jsonl.gz | redress eval ...` feeds it: the pipe holds 64 KiB at a time.
        piped = f"cat {shlex.quote(str(files['jsonl']))} | {shlex.join([*REDRESS, 'eval', str(policy), '--jsonl', '--engine', engine])}"
        runs.append(_measure(f"eval --jsonl through a pipe, {engine}", ["bash", "-c", piped], rows, lines_out=True))
    runs.append(_zen_rate(options.baseline_rows))
    if options.memory_rows:
        memory = _repeated(big["parquet"], options.rows, options.memory_rows)
        runs.append(_measure(f"replay parquet, duckdb, {options.memory_rows:,} rows",
                             [*REDRESS, "replay", str(policy), str(memory), "--format", "json"], options.memory_rows))
    (OUT / "bulk.json").write_text(json.dumps({"load_average": load, "cores": os.cpu_count(), "runs": runs}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
