"""A progress bar on stderr for long runs, only when stderr is a terminal (silent when piped).

Rows are counted as they are decided; how far through the file the reading is comes from the file's
byte position, so the bar fills without counting the rows first."""

from __future__ import annotations

import sys
import time


BAR_WIDTH = 30


class Progress:
    """`tick()` once per case; redraws at most four times a second."""

    def __init__(self, label: str, enabled: bool | None = None, stream=None, fraction=None):
        """`fraction`, when given, returns how far through the input the reading is (0 to 1), or None."""
        self.stream = stream or sys.stderr
        self.fraction = fraction
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.label = label
        self.count = 0
        self.started = time.perf_counter()
        self._next_draw = self.started + 0.25

    def __enter__(self) -> "Progress":
        return self

    def tick(self, count: int = 1) -> None:
        self.count += count
        if self.enabled and time.perf_counter() >= self._next_draw:
            self._draw()

    def _draw(self, final: bool = False) -> None:
        now = time.perf_counter()
        self._next_draw = now + 0.25
        rate = self.count / max(now - self.started, 1e-9)
        done = 1.0 if final else (self.fraction() if self.fraction else None)
        bar = ""
        if done is not None:
            filled = round(BAR_WIDTH * min(max(done, 0.0), 1.0))
            bar = f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {100 * done:3.0f}%  "
        self.stream.write(f"\r{self.label}: {bar}{self.count:,} cases, {rate:,.0f}/s" + ("\n" if final else ""))
        self.stream.flush()

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self._draw(final=True)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started
