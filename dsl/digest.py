"""The digest that names a policy version: `sha256:` and the hex SHA-256 of the file's bytes.

A decision carries it (`Decision.digest`), the history stores it with each save, a case schema's
`$id` and the diff's identity show it; one function computes it, so they always agree.
"""

from __future__ import annotations

import hashlib


def policy_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def text_digest(text: str) -> str:
    """The digest of policy text as it is saved: UTF-8."""
    return policy_digest(text.encode("utf-8"))
