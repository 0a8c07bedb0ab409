"""Who saved a version: the login name, or "unknown" where the system has none (some containers);
any other failure is a bug and is not hidden behind "unknown"."""

from __future__ import annotations

import getpass

import pytest

from qa.history import current_user


@pytest.mark.parametrize("error", [OSError("no login name"), KeyError("getpwuid(): uid not found: 1000")])
def test_a_system_without_a_login_name_saves_as_unknown(monkeypatch, error):
    def getuser():
        raise error

    monkeypatch.setattr(getpass, "getuser", getuser)
    assert current_user() == "unknown"


def test_a_bug_is_not_reported_as_an_unknown_user(monkeypatch):
    def getuser():
        raise TypeError("a bug")

    monkeypatch.setattr(getpass, "getuser", getuser)
    with pytest.raises(TypeError):
        current_user()
