"""The buffer's autosave: `<policy dir>/.<name>.autosave`, written every few seconds while there
are unsaved changes, offered on the next start, removed once the work is saved or knowingly
discarded. A crash, a closed terminal or a lost SSH session then costs a few seconds of typing."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from qa.atomic import write_atomically

AUTOSAVE_SECONDS = 5.0


@dataclass(frozen=True)
class Recovered:
    text: str
    saved_at: datetime


class Autosave:
    def __init__(self, policy_path: str):
        directory, name = os.path.split(os.path.abspath(policy_path))
        self.path = os.path.join(directory, f".{name}.autosave")
        self._written: str | None = None

    def write(self, text: str) -> bool:
        """Write the buffer unless it is what was last written; True when it wrote."""
        if text == self._written:
            return False
        write_atomically(self.path, text)
        self._written = text
        return True

    def read(self) -> Recovered | None:
        try:
            with open(self.path, encoding="utf-8", newline="") as handle:
                text = handle.read()
            when = datetime.fromtimestamp(os.path.getmtime(self.path))
        except (OSError, UnicodeDecodeError):
            return None
        return Recovered(text, when)

    def remove(self) -> None:
        self._written = None
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
