"""`--world`, `--scenario` and `scenario validate` refuse a file past a document limit (size,
values, depth, YAML aliases) with its place and exit status 2, before anything starts."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from mockserver.cli import main
from tests.test_safe_load import BILLION_LAUGHS, QUICKLY


@pytest.fixture
def bomb(tmp_path: Path) -> Path:
    path = tmp_path / "bomb.yaml"
    path.write_text(BILLION_LAUGHS)
    return path


@pytest.mark.parametrize(
    "command",
    [["scenario", "validate"], ["serve", "--port", "0", "--world"], ["serve", "--scenario"]],
    ids=["scenario validate", "serve --world", "serve --scenario"],
)
def test_the_alias_bomb_is_refused_with_its_place_and_status_2(command, bomb, capsys):
    started = time.perf_counter()
    assert main([*command, str(bomb)]) == 2
    assert time.perf_counter() - started < QUICKLY
    error = capsys.readouterr().err
    assert f"{bomb}:6:11: the document expands to more than 200000 values" in error
    assert error.count("\n") == 1


def test_a_file_past_the_size_limit_is_refused_unread(tmp_path: Path, capsys):
    world = tmp_path / "world.yaml"
    world.write_text("description: " + "x" * 3000 + "\n")
    assert main(["serve", "--port", "0", "--max-document-size", "2KiB", "--world", str(world)]) == 2
    error = capsys.readouterr().err
    assert error == (
        f"mockserver: {world}: the file is larger than 2 KiB, the limit on a document handed "
        "to mockserver (--max-document-size, or "
        "MockServer(document_limits=DocumentLimits(max_bytes=...)))\n"
    )


def test_scenario_validate_takes_the_limits_and_tells_limits_from_mistakes(tmp_path, capsys):
    fine = tmp_path / "fine.yaml"
    fine.write_text("name: fine\ndescription: nests three levels\nrules: []\n")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("name: Wrong\ndescription: d\n")
    assert main(["scenario", "validate", str(fine)]) == 0
    assert main(["scenario", "validate", str(wrong)]) == 1  # not a scenario: as before
    assert main(["scenario", "validate", "--max-document-depth", "1", str(fine)]) == 2
    assert main(["scenario", "validate", "--max-document-nodes", "3", str(wrong), str(fine)]) == 2
    error = capsys.readouterr().err
    assert f"{fine}:1:1: the document nests deeper than 1 levels" in error
    assert f"{fine}:2:1: the document expands to more than 3 values" in error


@pytest.mark.parametrize("value", ["0", "1.5M", "-1", "16 TB", "lots"])
def test_a_size_that_is_not_one_is_a_usage_error(value, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["scenario", "validate", "--max-document-size", value, "x.yaml"])
    assert exited.value.code == 2
    assert "is not a size" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1048576", 1048576),
        ("512KiB", 524288),
        ("16MiB", 16 << 20),
        ("16m", 16 << 20),
        ("1 GiB", 1 << 30),
    ],
)
def test_sizes_are_written_as_people_write_them(text, size):
    from mockserver.cli_options import size as parse_size

    assert parse_size(text) == size


def test_the_process_exits_2_on_the_bomb(bomb: Path):
    """As a user runs it (the issue's trial: no answer in 20 s and 2.18 GB before)."""
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "scenario", "validate", str(bomb)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert ":6:11: the document expands" in result.stderr


def test_a_script_file_a_world_names_is_read_no_further_than_the_limit(tmp_path, capsys):
    """A world's `*_file` is part of the world: /dev/zero would otherwise be read forever."""
    world = tmp_path / "world.yaml"
    world.write_text(
        "ttnv2:\n  applications:\n    - id: my-app-id\n"
        "      payload_functions: {encoder_file: /dev/zero}\n"
    )
    assert main(["serve", "--port", "0", "--max-document-size", "1MiB", "--world", str(world)]) == 2
    assert capsys.readouterr().err == (
        f"mockserver: {world}: at ttnv2/applications/0/payload_functions/encoder_file: "
        "/dev/zero: the file is larger than 1 MiB, the limit on a document handed to "
        "mockserver (--max-document-size, or "
        "MockServer(document_limits=DocumentLimits(max_bytes=...)))\n"
    )
