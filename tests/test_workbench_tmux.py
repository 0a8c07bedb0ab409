"""The workbench in a real terminal: tmux runs `redress workbench` at 100x30 on a copy of a sample policy, keys are
sent as a person would type them, and what the terminal shows is read back with `capture-pane`.

This is the one test that sees the real driver, escape sequences and all. tmux is required (CI
installs it); without it the test fails rather than skips, so a missing tmux is never mistaken for
a pass. A real terminal has no message queue, but tmux can copy everything the pane writes into a
FIFO (`pipe-pane`): the test reads the screen again each time the pane writes, never on a clock.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from conftest import REPO

SAMPLE = "hardware_store"
TIMEOUT = 30  # seconds without the awaited text before the test gives up (a guard, not a measurement)


class Terminal:
    """A detached tmux session on a private server (`-L`), so no user's tmux is touched."""

    def __init__(self, tmux: str, command: str, size: tuple[int, int], folder: Path):
        self.tmux = tmux
        self.server = f"redress-test-{uuid.uuid4().hex[:8]}"
        width, height = size
        self._run("new-session", "-d", "-s", "workbench", "-x", str(width), "-y", str(height), command)
        self.socket = Path(self._run("display-message", "-p", "#{socket_path}").strip())
        fifo = folder / "pane-output"
        os.mkfifo(fifo)
        self.output = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # open before tmux's writer, which waits for it
        self._run("pipe-pane", "-t", "workbench", f"cat > {fifo}")

    def _run(self, *arguments: str) -> str:
        result = subprocess.run([self.tmux, "-L", self.server, "-f", "/dev/null", *arguments],
                                capture_output=True, text=True, timeout=10)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def keys(self, *keys: str) -> None:
        self._run("send-keys", "-t", "workbench", *keys)

    def type(self, text: str) -> None:
        self._run("send-keys", "-t", "workbench", "-l", text)

    def screen(self) -> str:
        return self._run("capture-pane", "-p", "-t", "workbench")

    def wait_for(self, text: str, timeout: int = TIMEOUT) -> str:
        """Read the screen, and again each time the pane writes something, until `text` shows."""
        shown = ""

        def give_up(signum, frame) -> None:
            pytest.fail(f"{text!r} did not appear within {timeout}s; the screen shows:\n{shown}")

        previous = signal.signal(signal.SIGALRM, give_up)
        signal.alarm(timeout)
        try:
            while text not in (shown := self.screen()):
                select.select([self.output], [], [])
                if not self._drain():  # the pane is gone: its screen will not change again
                    pytest.fail(f"{text!r} never appeared; the pane closed showing:\n{self.screen()}")
            return shown
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)

    def _drain(self) -> bool:
        """Empty the FIFO of what the pane wrote; False once its writer has closed it."""
        while True:
            try:
                chunk = os.read(self.output, 1 << 16)
            except BlockingIOError:
                return True
            if not chunk:
                return False

    def close(self) -> None:
        subprocess.run([self.tmux, "-L", self.server, "kill-server"], capture_output=True, timeout=10)
        os.close(self.output)
        self.socket.unlink(missing_ok=True)  # tmux may leave its socket file behind


def test_edit_simulate_save_and_quit_in_a_real_terminal(tmp_path: Path) -> None:
    tmux = shutil.which("tmux")
    if tmux is None:
        pytest.fail("tmux is not installed; the end-to-end workbench test needs it (apt-get install tmux)")
    for suffix in (".policy", ".tests.yaml", ".cases.csv"):
        shutil.copy(REPO / "policies" / f"{SAMPLE}{suffix}", tmp_path / f"{SAMPLE}{suffix}")
    policy, cases = tmp_path / f"{SAMPLE}.policy", tmp_path / f"{SAMPLE}.cases.csv"
    original = policy.read_text()
    redress = Path(sys.executable).with_name("redress")  # the command a user types
    assert redress.exists(), f"{redress} is missing; install the project (make)"
    # COLUMNS and LINES, when inherited, would override the pane's real size.
    command = (f"cd {REPO} && unset COLUMNS LINES && TERM=xterm-256color {redress} workbench {policy} --cases {cases}; "
               "echo \"workbench exited with $?\"; read -r _")  # the pane stays open to be read
    terminal = Terminal(tmux, command, (100, 30), tmp_path)
    try:
        terminal.wait_for("✓ checks")
        assert "2,000 cases from hardware_store.cases.csv" in terminal.wait_for("2,000 cases")
        assert "f6 Diff" in terminal.wait_for("f5 Simulate")  # the footer

        terminal.type("# tried in tmux")
        terminal.keys("Enter")
        terminal.wait_for("● unsaved")

        terminal.keys("F5")
        shown = terminal.wait_for("Simulated 2,000 cases")
        assert "within" in shown

        terminal.keys("C-s")
        terminal.wait_for("as version #2")
        assert policy.read_text() == "# tried in tmux\n" + original
        assert "● unsaved" not in terminal.screen()

        # The cursor keys move the cursor, and what is typed lands there. The cursor is at 2:1.
        terminal.keys("Down", "Down", "End")
        terminal.wait_for("line 4, column")
        terminal.type(" (moved)")
        terminal.keys("Home")
        terminal.wait_for("line 4, column 1 ")
        terminal.keys("Right", "Right")
        terminal.wait_for("line 4, column 3 ")
        terminal.type("@")
        terminal.wait_for("● unsaved")
        terminal.keys("C-s")
        terminal.wait_for("as version #3")
        lines = ("# tried in tmux\n" + original).split("\n")
        lines[3] = lines[3][:2] + "@" + lines[3][2:] + " (moved)"
        assert policy.read_text() == "\n".join(lines)
        original = "\n".join(lines[1:])

        terminal.type("x")
        terminal.wait_for("● unsaved")
        terminal.keys("C-q")
        terminal.wait_for("Quit with unsaved changes?")
        terminal.keys("Tab")
        terminal.keys("Enter")  # "Quit without saving"
        terminal.wait_for("workbench exited with 0")
        assert policy.read_text() == "# tried in tmux\n" + original
    finally:
        terminal.close()
