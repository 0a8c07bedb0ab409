"""Widgets of the workbench, one feature per module: the policy editor, the diagnostics list, the
case form and decision view, and the simulate, diff and history panes."""
