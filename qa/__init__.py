"""Quality assurance over policies: case files, replays, diffs, synthetic cases, policy tests, history.

This layer sits above the engine (which decides one case) and below the front ends (the CLI and the
workbench), so both front ends reach the same replay, history and version in force.
"""
