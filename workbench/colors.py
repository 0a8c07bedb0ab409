"""Colours for content drawn with Rich (tables, the trace, the diff), which CSS variables cannot
reach. Mid-tones, chosen to read on both the light and the dark theme's background."""

GOOD = "#3c9a3c"   # within the guideline, matched, added, more money
WARN = "#c87800"   # under the floor, a warning, changed, unsaved
BAD = "#d23c3c"    # over the ceiling, an error, removed, less money
ODD = "#a050c0"    # no rule matched
INFO = "#2a8fbd"   # hunk headers
