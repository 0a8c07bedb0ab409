"""The policy file being edited: what was last read from or written to disk, so the workbench can
tell unsaved changes apart from changes someone else made to the file meanwhile."""

from __future__ import annotations

import os
from dataclasses import dataclass

from dsl.digest import text_digest
from qa.atomic import write_atomically

STARTER_POLICY = '''policy "My store"
version "1"
currency USD

case
  situation: one of missed_appointment, defective_product
  price: money                 # what the customer paid
  cost: money                  # what the item cost us

authority
  clerk up to $50
  supervisor

rule "Missed appointment"
  when situation is missed_appointment
  offer no less than 25% of price but no more than 50% of price
  say "We would like to extend {offer} to show our sincere apologies."

rule "Defective product"
  when situation is defective_product
  offer up to price - cost
  remedies repair, replace, refund

otherwise escalate to supervisor
'''


@dataclass
class PolicyDocument:
    """`path` is None for a new policy not saved yet. `disk_digest` is the digest of the bytes on
    disk when the file was last read or written (None: there was no file)."""

    path: str | None
    saved_text: str
    disk_digest: str | None

    @classmethod
    def open(cls, path: str | None) -> PolicyDocument:
        """Read a policy; a path that does not exist yet starts a new policy there. Raises OSError
        or UnicodeDecodeError for a file that cannot be read as text."""
        if path is None or not os.path.exists(path):
            return cls(path, "", None)
        with open(path, "rb") as handle:
            data = handle.read()
        text = data.decode("utf-8")
        return cls(path, text, text_digest(text))

    @property
    def name(self) -> str:
        return os.path.basename(self.path) if self.path else "untitled.policy"

    @property
    def check_path(self) -> str:
        """The file name diagnostics carry."""
        return self.path or self.name

    def is_modified(self, text: str) -> bool:
        return text != self.saved_text

    def disk_text(self) -> str | None:
        """What the file holds now (None when it does not exist or cannot be read)."""
        if self.path is None:
            return None
        try:
            with open(self.path, "rb") as handle:
                return handle.read().decode("utf-8", "replace")
        except OSError:
            return None

    def changed_on_disk(self) -> bool:
        """True when the file is not what this workbench last read or wrote (edited elsewhere,
        replaced, or deleted)."""
        if self.path is None:
            return False
        text = self.disk_text()
        return (None if text is None else text_digest(text)) != self.disk_digest

    def save(self, text: str, path: str | None = None) -> None:
        """Write atomically (temp file, fsync, rename) and remember what is now on disk."""
        target = path or self.path
        if target is None:
            raise ValueError("a new policy needs a file name")
        write_atomically(target, text)
        self.path, self.saved_text, self.disk_digest = target, text, text_digest(text)
