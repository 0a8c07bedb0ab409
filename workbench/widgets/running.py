"""What the Simulate and Diff panes share about running long work in a worker thread.

Each run gets a number; messages from a run that was cancelled or replaced carry an old number and
are ignored, so a late result never overwrites a newer one. The pane shows progress, the reason a
run stopped, and lets Escape cancel it.
"""

from __future__ import annotations

from textual.widgets import Label, ProgressBar
from textual.worker import Worker, WorkerState

from workbench.messages import RunFailed, RunProgress
from qa.simulation import RunCancelled


class RunningWork:
    """A mixin for a pane with a `ProgressBar` and a status `Label` (`STATUS`, a CSS selector);
    `NOUN` names the work in messages ("Simulation", "Diff")."""

    NOUN = "Work"
    STATUS = "#status"
    running: bool
    run_number: int
    worker: Worker | None

    def post_outcome(self, run: int, work) -> None:
        """In the worker thread: run `work()` and post the message it returns, or a `RunFailed` when
        it was cancelled. Any other error ends the worker (its workers never exit the app), and
        `on_worker_state_changed` reports it: a bug must not take the editor, and unsaved work, down."""
        try:
            outcome = work()
        except RunCancelled:
            outcome = RunFailed(run, f"{self.NOUN} cancelled.", cancelled=True)
        self.post_message(outcome)

    def cancel(self) -> None:
        """Stop the running work now. Whatever its thread still posts is ignored (the run number
        moves on), and a worker cancelled before its thread started posts nothing at all."""
        if self.worker is not None:
            self.worker.cancel()
        self.run_number += 1
        self.on_run_failed(RunFailed(self.run_number, f"{self.NOUN} cancelled.", cancelled=True))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that failed outside the work's own error handling posts nothing itself."""
        if event.worker is self.worker and event.state == WorkerState.ERROR:
            self.on_run_failed(RunFailed(self.run_number, f"{self.NOUN} failed: {event.worker.error}"))

    def on_run_progress(self, message: RunProgress) -> None:
        message.stop()
        if message.run == self.run_number:
            self.query_one(ProgressBar).update(total=message.total, progress=message.done)

    def on_run_failed(self, message: RunFailed) -> None:
        if self.run_over(message):
            self.query_one(self.STATUS, Label).update(message.reason)

    def run_over(self, message) -> bool:
        """Whether `message` ends the current run (and, if so, mark it over)."""
        message.stop()
        if message.run != self.run_number:
            return False
        self.running = False
        self.query_one(ProgressBar).display = False
        return True
