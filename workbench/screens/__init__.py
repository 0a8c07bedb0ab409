"""Screens of the workbench: the main editing screen, the F1 help screen and small dialogs."""
