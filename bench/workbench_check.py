"""How fast the workbench's live check follows typing: `python bench/workbench_check.py [--runs N]`.

On policies of about 2,000 and 10,000 lines (the hardware store's rules, repeated with a distinct
condition each, so every rule is reachable), it measures:
  1. one keystroke's check in-process: `IncrementalChecker.check` after a one-character edit in the
     middle of the file, against the full `check_source` of the same text run side by side (the
     baseline the workbench used before); and after Enter at the top, which moves every block;
  2. in the real app (headless, `run_test`): from a key press to the `CheckFinished` message of
     the text that contains it, and how long the key itself takes to reach the editor while a
     check is running (the echo must not wait for the check).
Medians over N edits; prints a table. See bench/README.md for the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dsl.checker import check_source  # noqa: E402
from dsl.incremental import IncrementalChecker  # noqa: E402

SAMPLE = ROOT / "policies" / "hardware_store.policy"


def sized_policy(lines: int) -> str:
    """About `lines` lines: the sample's header, then its rules again and again, each copy's
    conditions made distinct (`miles_driven != N and ...`) so no copy shadows another."""
    source = SAMPLE.read_text()
    head, rules = source.split('rule "Legal claim"', 1)
    rules = 'rule "Legal claim"' + rules.replace("otherwise escalate to supervisor", "")
    copies = (lines - head.count("\n")) // rules.count("\n") + 1
    body = "".join(rules.replace('\nrule "', f'\nrule "{n} ').replace('rule "Legal claim"', f'rule "{n} Legal claim"')
                   .replace("  when ", f"  when miles_driven != {n} and ") for n in range(copies))
    return head + body + "otherwise escalate to supervisor\n"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def in_process(text: str, runs: int) -> dict[str, float]:
    checker = IncrementalChecker("bench.policy")
    assert checker.check(text).ok
    middle = text.index('  say "', len(text) // 2) + len('  say "')
    incremental, full, enter = [], [], []
    for n in range(runs):
        edited = text[:middle] + "x" * (n + 1) + text[middle:]  # typing one more character each time
        started = time.perf_counter()
        result = checker.check(edited)
        incremental.append(time.perf_counter() - started)
        started = time.perf_counter()
        check_source(edited, "bench.policy")
        full.append(time.perf_counter() - started)
        assert result.ok
    for n in range(max(3, runs // 4)):
        started = time.perf_counter()
        checker.check("\n" * (n + 1) + text)  # Enter at the top: every block moves down a line
        enter.append(time.perf_counter() - started)
    return {"incremental": statistics.median(incremental), "full": statistics.median(full),
            "enter at the top": statistics.median(enter)}


async def in_the_app(path: Path, runs: int) -> dict[str, float]:
    from textual.widgets import TextArea

    from workbench.app import WorkbenchApp
    from workbench.messages import CheckFinished

    finished: dict[int, float] = {}
    changed: list[float] = []

    def hook(message) -> None:
        if isinstance(message, CheckFinished):
            finished[message.generation] = time.perf_counter()
        elif isinstance(message, TextArea.Changed):
            changed.append(time.perf_counter())

    app = WorkbenchApp(str(path), cursor_blink=False)
    during: list[float] = []
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        screen = app.main_screen
        while screen.checking or screen.checked is None:
            await pilot.pause()

        def in_a_say_text() -> tuple[int, int]:
            row = next(i for i, line in enumerate(screen.editor.text.split("\n")) if '  say "' in line and i > 1000)
            return row, len('  say "')

        async def diagnosed(key: str) -> tuple[float, float]:
            """Press `key`: seconds until it changed the editor's text, and until the check of the
            text that contains it finished."""
            pressed = time.perf_counter()
            await pilot.press(key)
            echo = changed[-1] - pressed
            generation = screen.generation
            while generation not in finished or screen.checking:
                await pilot.pause()
            return echo, finished[generation] - pressed

        screen.editor.move_cursor(in_a_say_text())
        echo, latency = zip(*[await diagnosed("x") for _ in range(runs)])
        screen.editor.move_cursor((0, 0))
        enter = [(await diagnosed("enter"))[1] for _ in range(max(3, runs // 4))]  # every block moves down a line
        screen.editor.move_cursor(in_a_say_text())
        for _ in range(runs):
            # Two keys in a row: the second is sent once the first is handled, which starts a check;
            # the time between their edits bounds the second key's echo while that check runs.
            await pilot.press("y", "z")
            during.append(changed[-1] - changed[-2])
            while screen.checking:
                await pilot.pause()
    return {"key to diagnostics": statistics.median(latency), "Enter on line 1 to diagnostics": statistics.median(enter),
            "key echo": statistics.median(echo),
            "key echo during a check (at most)": statistics.median(during)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="edits per figure (default 20)")
    options = parser.parse_args()
    for lines in (2_000, 10_000):
        text = sized_policy(lines)
        folder = tempfile.mkdtemp(prefix="redress-bench-")  # no history or autosave from an earlier run
        path = Path(folder) / f"workbench_{lines}.policy"
        path.write_text(text)
        print(f"{text.count(chr(10)):,} lines")
        figures = in_process(text, options.runs)
        for name, value in figures.items():
            print(f"  {name:34} {_ms(value)}")
        print(f"  {'full / incremental':34} {figures['full'] / figures['incremental']:.1f}x")
        for name, value in asyncio.run(in_the_app(path, options.runs)).items():
            print(f"  {name:34} {_ms(value)}")
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
