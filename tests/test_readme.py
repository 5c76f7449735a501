"""The README's commands run, and print what the README says they print."""

from __future__ import annotations

import re
import shlex

from click.testing import CliRunner

from crimekg.cli import cli
from tests.helpers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def console_blocks() -> list[list[tuple[str, str]]]:
    """Each ```console block as a list of (command, expected output) pairs."""
    blocks = []
    for body in re.findall(r"```console\n(.*?)```", README, re.S):
        steps: list[tuple[str, list[str]]] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps:
                steps[-1][1].append(line)
        blocks.append([(cmd, "\n".join(out)) for cmd, out in steps])
    return blocks


def test_readme_test_command_is_what_ci_runs():
    commands = re.findall(r"```bash\n# install with the test tools, then run the tests\n(.+)\n```", README)
    assert len(commands) == 1
    assert commands[0] in (ROOT / ".ci" / "run").read_text()


def test_readme_console_sessions_print_what_they_show(tmp_path, monkeypatch):
    """Each console block runs in a fresh directory of its own, beside the repository's examples and tests."""
    monkeypatch.delenv("CRIMEKG_STORE", raising=False)
    runner = CliRunner()
    ran = 0
    for i, block in enumerate(console_blocks()):
        cwd = tmp_path / f"block{i}"
        cwd.mkdir()
        for name in ("examples", "tests"):
            (cwd / name).symlink_to(ROOT / name)
        monkeypatch.chdir(cwd)
        for command, expected in block:
            argv = shlex.split(command)
            assert argv[0] == "crimekg", f"README console blocks run crimekg only: {command}"
            result = runner.invoke(cli, argv[1:])
            failing = "Error:" in expected or "Does not conform" in expected
            assert (result.exit_code != 0) == failing, f"{command}\n{result.output}"
            assert result.output.rstrip("\n") == expected, f"$ {command}"
            ran += 1
    assert ran >= 8


def test_readme_library_snippet_runs(tmp_path, monkeypatch, capsys):
    from crimekg.graph.store import init_store

    with init_store(tmp_path / "crimekg-data") as store:
        store.load([ROOT / "examples" / "example-session.ttl"], "contributions/example-2026")
    monkeypatch.chdir(tmp_path)
    snippets = re.findall(r"```python\n(.*?)```", README, re.S)
    assert snippets
    exec(compile(snippets[0], "README.md", "exec"), {})
    printed = capsys.readouterr().out
    labels = eval(printed)  # the snippet prints a list of three labels
    assert len(labels) == 3 and all(isinstance(x, str) and x for x in labels)
