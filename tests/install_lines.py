"""The README's install lines, run as written: the wheel the tests install is built and
installed by exactly these commands, so the README cannot drift from what works."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLONE = "mockserver-src"  # the folder the README's `git clone` line makes
#: What the install tests put beside the wheel: the sample workflows' install lines add
#: pytest-xdist (which brings pytest) and httpx; tests/test_wheel.py adds pytest.
ADDED = ("pytest-xdist", "httpx")


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


def run_line(line: str, cwd: Path, python: Path, pip: Mapping[str, str] | None = None) -> None:
    """One README line under bash, with `python` being `python`'s interpreter and `pip` the
    environment pip is given (`offline(...)`: the line is the same, pip reads its index from
    the environment)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env.pop("VIRTUAL_ENV", None)
    env["PATH"] = f"{python.parent}{os.pathsep}{env['PATH']}"
    env.update(pip or {})
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


def wheelhouse(wheel: Path, work: Path) -> Path:
    """`work`, holding `wheel`, what ADDED names, and their dependencies, as pip resolves
    them from the index (`pip download`, the resolution `pip install` makes)."""
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(work)]
    result = subprocess.run(
        [*command, str(wheel), *ADDED], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return work


def offline(house: Path) -> dict[str, str]:
    """The environment under which pip installs from `house` only: the lines of the README
    and of the workflows stay verbatim; what they install is what the index gave `house`,
    and the install does not wait on the index again (five installs per run).

    pip also leaves out compiling every installed module to bytecode (`--no-compile`, as
    `PIP_COMPILE=false`: pip reads `PIP_NO_COMPILE=1` as "compile"). Compiling the 1 850
    modules of the wheel and its dependencies (faker's locales among them) was most of an
    install: a workflow's Install step took 4-5 s of CPU, 1.6 s without it. Python compiles
    the few hundred modules a job imports when it first imports them (the fixture job's
    tests: +0.5 s), as it would had pip never done it."""
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(house), "PIP_COMPILE": "false"}


def venv_with_pip(work: Path) -> Path:
    """A fresh venv with pip, as `python -m venv` makes it: ensurepip, about 3 s of CPU."""
    env = work / "venv"
    venv.EnvBuilder(with_pip=True).create(env)
    return env


def fresh_venv(template: Path, env: Path) -> Path:
    """A copy of `template` (`venv_with_pip`) at `env`, as `venv_with_pip(env)` would make
    it: its interpreter stays a link to this Python, and the paths written into its scripts
    (pip's, `activate`) and pyvenv.cfg name `env`."""
    shutil.copytree(template, env, symlinks=True)
    for path in [env / "pyvenv.cfg", *(env / "bin").iterdir()]:
        if path.is_symlink() or not path.is_file():
            continue
        text = path.read_bytes()
        if str(template).encode() in text:
            path.write_bytes(text.replace(str(template).encode(), str(env).encode()))
    return env
