"""The workspace protects itself: atomic init and demo, damaged files, bad graph names.

Each break is reproduced the way a user meets it (the command, a kill, a damaged file) and must
end in a workspace that is as it was or complete, or in a one-line error with a way back.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from crimekg.cli import cli
from crimekg.graph.store import init_store, open_store
from tests.helpers import ROOT

CLI = [sys.executable, "-c", "from crimekg.cli import cli; cli()"]


def _run(args: list[str]):
    return CliRunner().invoke(cli, args)


def _one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    path = tmp_path_factory.mktemp("guard") / "ws"
    init_store(path).close()
    return path


@pytest.mark.parametrize("name", ["urn:a b", "notes/a b", "urn:x<y>", "http://example.org/g\tx", 'a"b'])
def test_a_graph_name_an_iri_cannot_hold_is_refused_in_one_line(ws, name):
    before = open_store(ws)
    graphs = before.graphs()
    before.close()
    line = _one_line_error(_run(["load", "--graph", name, str(ROOT / "examples" / "example-session.ttl"), "--store", str(ws)]))
    assert repr(name) in line and "IRI" in line
    with open_store(ws) as store:
        assert store.graphs() == graphs


def _copy_workspace(tmp_path: Path, ws: Path) -> Path:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(ws, copy)
    return copy


def test_a_damaged_current_file_gives_a_way_back_not_a_traceback(tmp_path, ws):
    copy = _copy_workspace(tmp_path, ws)
    (copy / "CURRENT").write_text("garbage\n")
    line = _one_line_error(_run(["graphs", "--store", str(copy)]))
    assert f"the workspace {copy} is damaged" in line
    assert "crimekg load --force EXPORT.nq" in line


def test_a_damaged_table_file_gives_a_way_back_not_a_traceback(tmp_path, ws):
    copy = _copy_workspace(tmp_path, ws)
    tables = sorted(copy.glob("*.sst"))
    assert tables
    for table in tables:
        data = bytearray(table.read_bytes())
        for i in range(100, min(len(data), 300)):
            data[i] ^= 0xFF
        table.write_bytes(bytes(data))
    result = _run(["query", "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", "--store", str(copy)])
    line = _one_line_error(result)
    assert "is damaged" in line and "restore" in line


def _kill_after(args: list[str], seconds: float) -> None:
    proc = subprocess.Popen(CLI + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(seconds)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)


def _leftovers(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(f".{path.name}.crimekg-"))


@pytest.mark.parametrize("seconds", [0.6, 1.2, 2.0, 3.0])
def test_init_killed_at_any_moment_leaves_no_half_made_workspace(tmp_path, seconds):
    path = tmp_path / "ws"
    _kill_after(["init", str(path)], seconds)
    if (path / "CURRENT").exists():  # it finished: the workspace is complete
        with open_store(path) as store:
            assert store.metadata().get("ontologyVersion")
    else:  # it did not: nothing is left at the path, and init starts afresh
        assert not path.exists() or not any(path.iterdir())
    result = subprocess.run(CLI + ["init", str(path)], capture_output=True, text=True, timeout=120)
    if result.returncode == 0:
        assert "Created workspace" in result.stdout
    else:
        assert "already holds a crimekg workspace" in result.stderr
    with open_store(path) as store:
        assert store.metadata().get("ontologyVersion")
    assert _leftovers(path) == []


@pytest.mark.parametrize("seconds", [1.5, 4.0])
def test_demo_force_killed_keeps_a_whole_workspace(tmp_path, seconds):
    root = tmp_path / "demo"
    first = subprocess.run(CLI + ["demo", str(root)], capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    with open_store(root / "store") as store:
        graphs = set(store.graphs())
    _kill_after(["demo", "--force", str(root)], seconds)
    with open_store(root / "store") as store:  # the old workspace, or the new one: whole either way
        assert store.metadata().get("ontologyVersion")
        assert set(store.graphs()) == graphs
    again = subprocess.run(CLI + ["demo", "--force", str(root)], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert _leftovers(root / "store") == []


def test_init_into_a_non_empty_folder_is_refused_and_leaves_it_alone(tmp_path):
    path = tmp_path / "notes"
    path.mkdir()
    (path / "keep.txt").write_text("mine", encoding="utf-8")
    line = _one_line_error(_run(["init", str(path)]))
    assert "not an empty directory" in line
    assert sorted(p.name for p in path.iterdir()) == ["keep.txt"]
    assert _leftovers(path) == []


@pytest.mark.parametrize("inside", ["CURRENT", "new.ttl", "sub/dir/out.ttl"])
def test_an_output_inside_a_workspace_is_refused_and_the_workspace_kept(tmp_path, ws, inside):
    copy = _copy_workspace(tmp_path, ws)
    (copy / "sub" / "dir").mkdir(parents=True)
    line = _one_line_error(_run(["export", "-o", str(copy / inside), "--store", str(copy)]))
    assert "inside the crimekg workspace" in line and "-o OTHER/PATH" in line
    assert (copy / "CURRENT").read_text().startswith("MANIFEST-")
    assert not (copy / "new.ttl").exists()
    with open_store(copy) as store:
        assert store.metadata().get("ontologyVersion")


def test_an_output_through_a_linked_folder_into_a_workspace_is_refused(tmp_path, ws):
    copy = _copy_workspace(tmp_path, ws)
    (tmp_path / "innocent").symlink_to(copy, target_is_directory=True)
    line = _one_line_error(_run(["query", "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "-o", str(tmp_path / "innocent" / "CURRENT"), "--store", str(ws)]))
    assert "inside the crimekg workspace" in line


@pytest.mark.parametrize("command", [["export", "--format", "nt"], ["query", "SELECT ?s WHERE { ?s a ?t } LIMIT 3"]])
def test_an_output_path_that_is_a_link_is_replaced_not_its_target(tmp_path, ws, command):
    target = tmp_path / "precious.txt"
    target.write_text("私の大切なファイル", encoding="utf-8")
    link = tmp_path / "out.txt"
    link.symlink_to(target)
    result = _run([*command, "-o", str(link), "--store", str(ws)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == "私の大切なファイル"
    assert not link.is_symlink() and link.stat().st_size > 0


def test_an_output_stopped_half_way_leaves_the_old_file(tmp_path):
    from crimekg.graph.outputs import output_file

    path = tmp_path / "brief.md"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        with output_file(path) as f:
            f.write("new, half")
            raise KeyboardInterrupt
    assert path.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["brief.md"]


@pytest.mark.parametrize("command", [["view", "factors"], ["template", "--format", "csv"], ["brief", "--place", "NGA"],
                                     ["export", "--format", "graphml"], ["template", "--format", "xlsx"]])
def test_every_command_refuses_an_output_inside_a_workspace(tmp_path, ws, command):
    copy = _copy_workspace(tmp_path, ws)
    result = _run([*command, "-o", str(copy / "out.txt"), *([] if command[0] == "template" else ["--store", str(ws)])])
    line = _one_line_error(result)
    assert "inside the crimekg workspace" in line
    assert not (copy / "out.txt").exists()
