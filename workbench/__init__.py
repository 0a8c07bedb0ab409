"""The workbench: a Textual terminal app where policy owners write, try, simulate, diff and save
policies without losing work.

Only this package imports Textual. It builds on `dsl` (check, format, compare), `engine` (decide,
replay, diff) and `redress` (atomic writes, policy tests); none of those ever imports it back.
Start it with `redress workbench [POLICY] [--cases FILE]`, or `workbench.app.run(...)`.
"""
