"""`redress history POLICY`: the saved versions of a policy (newest first, the one in force marked,
with who published it and when), and `redress history POLICY show VERSION` prints one version's
text, so a script or a reviewer can see what is in force without opening the workbench."""

from __future__ import annotations

import os

from qa.history import HistoryError, history_of
from redress.output import ExitCode, emit, emit_json, fail


def list_versions(policy: str, output_format: str) -> int:
    history = _history(policy)
    try:
        versions = history.versions(policy)
        publications = history.publications(policy)
    except HistoryError as error:
        fail(str(error))
    if output_format == "json":
        emit_json({"policy": policy, "history": history.path, "versions": [v.to_json() for v in versions],
                   "publications": [{"version": v, "published_at": when, "published_by": who} for v, when, who in publications]})
        return ExitCode.OK
    if not versions:
        emit(f"{policy}: no saved versions (the workbench records one at every save)")
        return ExitCode.OK
    for version in versions:
        force = f"  in force (published {version.published_at} by {version.published_by})" if version.in_force else ""
        note = f"  {version.message}" if version.message else ""
        emit(f"#{version.id}  {version.saved_at}  {version.user}{force}{note}")
    return ExitCode.OK


def show_version(policy: str, version_id: int, output_format: str) -> int:
    history = _history(policy)
    try:
        known = {v.id: v for v in history.versions(policy)}
        if version_id not in known:
            fail(f"{policy}: no version #{version_id} (see `redress history {policy}`)")
        text = history.content(version_id)
    except HistoryError as error:
        fail(str(error))
    if output_format == "json":
        emit_json({**known[version_id].to_json(), "content": text})
    else:
        emit(text.removesuffix("\n"))
    return ExitCode.OK


def _history(policy: str):
    if not os.path.isdir(os.path.dirname(os.path.abspath(policy))):
        fail(f"{policy}: its folder does not exist")
    return history_of(policy)
