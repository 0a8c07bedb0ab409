"""The architecture's promises, checked: the core never imports the UI (import-linter contracts in
pyproject.toml), and the CLI commands people script against never load Textual, so they start fast."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from conftest import EXAMPLE_POLICY, REPO


def test_import_linter_contracts_are_kept() -> None:
    """The layers run one way (redress | workbench > qa | negotiation > analysis > engine > dsl) and the core never loads the UI."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    assert lint_imports.exists(), "import-linter is a test dependency: pip install -e '.[test]'"
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    assert "Layers: redress | workbench > qa | negotiation > analysis > engine > dsl KEPT" in result.stdout
    assert "The core (dsl, engine, analysis, qa, negotiation) never imports the UI KEPT" in result.stdout


def test_every_root_package_is_under_a_layer_contract() -> None:
    with (REPO / "pyproject.toml").open("rb") as handle:
        config = tomllib.load(handle)["tool"]["importlinter"]
    layered = {name.strip() for contract in config["contracts"] if contract["type"] == "layers"
               for layer in contract["layers"] for name in layer.split("|")}
    assert set(config["root_packages"]) == layered
    assert all((REPO / root / "__init__.py").exists() for root in config["root_packages"])


# A stand-in `textual` (and `workbench`) on the path: if anything imported them, even inside a
# `try: import textual`, they would show up in sys.modules, whether or not Textual is installed.
PROBE = textwrap.dedent("""
    import json, sys
    from click.testing import CliRunner
    import redress.cli

    result = CliRunner().invoke(redress.cli.cli, sys.argv[1:], input=sys.stdin.read() or None)
    print(json.dumps({
        "exit_code": result.exit_code,
        "exception": None if result.exception is None or isinstance(result.exception, SystemExit) else repr(result.exception),
        "loaded": sorted(name for name in sys.modules if name.split(".")[0] in ("textual", "workbench")),
    }))
""")


@pytest.fixture(scope="module")
def decoys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("decoys")
    for package in ("textual", "workbench"):
        (directory / package).mkdir()
        (directory / package / "__init__.py").write_text("", encoding="utf-8")
    return directory


@pytest.mark.parametrize("args", [
    ("eval", str(EXAMPLE_POLICY), "--case", '{"situation": "missed_appointment", "price": 120, "cost": 50}'),
    ("eval", str(EXAMPLE_POLICY), "--jsonl", "--engine", "compiled"),
    ("check", str(EXAMPLE_POLICY)),
    ("schema", str(EXAMPLE_POLICY)),
    ("test", str(REPO / "policies")),
], ids=["eval", "eval-jsonl", "check", "schema", "test"])
def test_cli_commands_never_import_the_ui(decoys: Path, args: tuple) -> None:
    stdin = '{"situation": "wrong_item", "price": 1, "cost": 1}\n'
    result = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=REPO, input=stdin, capture_output=True, text=True,
                            timeout=60, env={"PYTHONPATH": f"{decoys}:{REPO}", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["exception"] is None and report["exit_code"] == 0, report
    assert report["loaded"] == [], f"`redress {args[0]}` imported {report['loaded']}"


def test_the_decoy_would_be_noticed(decoys: Path) -> None:
    """The probe above is only worth something if an import of textual would show."""
    result = subprocess.run([sys.executable, "-c", "import sys, textual; print('textual' in sys.modules)"],
                            capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(decoys)})
    assert result.stdout.strip() == "True"


def test_the_readme_names_the_two_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme
    assert "make test" in readme


def test_the_copies_of_the_language_contract_match_the_language_reference() -> None:
    """tests/data holds the contract's example policy and decision for the fixtures; docs/language.md,
    the reference shipped to users, shows the same policy and decision, to the byte."""
    import re

    text = (REPO / "docs" / "language.md").read_text(encoding="utf-8")
    data = Path(__file__).parent / "data"
    policy = re.search(r"## A whole policy\n\n```\n(.*?)```", text, re.S).group(1)
    decision = re.search(r"```json\n(.*?)```", text, re.S).group(1)
    assert (data / "language_example.policy").read_text(encoding="utf-8") == policy
    assert json.loads((data / "language_example_decision.json").read_text(encoding="utf-8")) == json.loads(decision)


def test_the_user_documents_link_only_to_files_in_the_checkout() -> None:
    """README, the language reference and the sample policies' README are read from a clone:
    every relative link they make must point at a file that is there."""
    import re

    for document in ("README.md", "docs/language.md", "policies/README.md"):
        path = REPO / document
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8")):
            assert (path.parent / target).exists(), f"{document} links to {target}, which is not in the checkout"
