"""What the wording checks cost `redress check`: `python bench/wording.py [--rounds N]`.

Checks the sample policies (and the generated 30-rule policy, when bench/out has it) with the
wording checks and without them, interleaved round by round so both see the same machine load,
and prints the median time of each and their ratio. Also times the one-off cost a process pays:
reading `dsl/wording.toml` and compiling its patterns.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import dsl.checker as checker  # noqa: E402
import dsl.wording as wording  # noqa: E402


def _once(sources: list[tuple[str, str]], with_wording: bool) -> float:
    started = time.perf_counter()
    for path, source in sources:
        checker.check_source(source, path, wording=with_wording)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds

    started = time.perf_counter()
    wording._rules()
    load_ms = 1000 * (time.perf_counter() - started)

    paths = sorted((ROOT / "policies").glob("*.policy")) + sorted((ROOT / "bench" / "out").glob("*.policy"))
    sources = [(str(path), path.read_text(encoding="utf-8")) for path in paths]
    _once(sources, True)  # warm the parser
    with_words, without = [], []
    for _ in range(rounds):
        with_words.append(_once(sources, True))
        without.append(_once(sources, False))
    a, b = statistics.median(with_words), statistics.median(without)
    print(f"{len(sources)} policies, {rounds} rounds")
    print(f"check with wording:    {1000 * a:8.2f} ms (median)")
    print(f"check without wording: {1000 * b:8.2f} ms (median)")
    print(f"ratio:                 {a / b:8.3f}")
    print(f"word lists read and compiled once per process: {load_ms:.2f} ms")


if __name__ == "__main__":
    main()
