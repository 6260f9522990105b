"""The README's install lines, run as written: the wheel the tests install is built and
installed by exactly these commands, so the README cannot drift from what works."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLONE = "mockserver-src"  # the folder the README's `git clone` line makes


def install_block() -> list[str]:
    """The commands of the README's "Install" code block, comments stripped."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Install\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the README's Install section has no bash block"
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def line_starting(prefix: str) -> str:
    (line,) = [line for line in install_block() if line.startswith(prefix)]
    return line


def run_line(line: str, cwd: Path, python: Path) -> None:
    """One README line under bash, with `python` being `python`'s interpreter."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env.pop("VIRTUAL_ENV", None)
    env["PATH"] = f"{python.parent}{os.pathsep}{env['PATH']}"
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", line],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"{line}\n{result.stdout}{result.stderr}"


def installed_wheel() -> str:
    """The wheel the README's install line takes, relative to where its lines run."""
    return line_starting("python -m pip install").split()[-1]


def build_wheel(work: Path) -> Path:
    """The README's `pip wheel` line, in `work`, on this checkout standing for the clone."""
    clone = work / CLONE
    if not clone.exists():
        clone.symlink_to(ROOT, target_is_directory=True)
    run_line(line_starting("python -m pip wheel"), work, Path(sys.executable))
    wheel = work / installed_wheel()
    assert wheel.is_file(), f"the README names {wheel.name}; the build made {os.listdir(work)}"
    return wheel
