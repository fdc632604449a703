"""Check a built wheel as a user would meet it: a fresh venv, a folder with its own model.py.

    python tests/check_wheel.py dist/coprosim-*.whl          # clean install of coprosim[all] (PyPI)

``tests/test_packaging.py`` uses the same steps with ``borrow=``: the fresh venv installs only the
wheel (no dependencies) and borrows the project venv's packages through a ``.pth`` file, so the
test runs offline and fast. Either way the user's folder holds ``model.py`` and ``experiments.py``
of its own, sits inside a git repository of its own, and the README's Python blocks and command
lines are run from there.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("coprosim", "model", "experiments", "dashboards", "examples", "pyproject.toml",
           "MANIFEST.in", "README.md", "LICENSE", "CITATION.cff")


def build_wheel(dest: Path) -> Path:
    """Build the wheel from a copy of the source tree (never in the shared checkout), offline."""
    src = dest / "src"
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            src.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, src / name)
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(dest / "dist"), str(src)], cwd=dest)
    return next((dest / "dist").glob("coprosim-*.whl"))


def build_sdist(dest: Path) -> Path:
    """Build the source distribution from a copy of the source tree, offline (setuptools)."""
    src = dest / "src"
    if not src.exists():
        build_wheel(dest)  # copies the sources
    code = ("import sys; from setuptools import build_meta; "
            "print(build_meta.build_sdist(sys.argv[1]))")
    run([sys.executable, "-c", code, str(dest / "sdist")], cwd=src)
    return next((dest / "sdist").glob("coprosim-*.tar.gz"))


def make_venv(folder: Path, wheel: Path, borrow: Path | None = None) -> Path:
    """A fresh venv with the wheel: ``coprosim[all]`` from PyPI, or borrowing ``borrow``'s packages."""
    run([sys.executable, "-m", "venv", str(folder)])
    python = folder / "bin" / "python"
    if borrow is None:
        run([str(python), "-m", "pip", "install", "--quiet", f"coprosim[all] @ {wheel.resolve().as_uri()}"])
    else:
        site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip())
        (site / "borrowed.pth").write_text(str(borrow) + "\n")
        run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)])
    return python


def user_folder(folder: Path) -> Path:
    """A user's project: its own model.py and experiments.py, in a git repository of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.py").write_text("METRICS = 'the user’s own model.py'\n")
    (folder / "experiments.py").write_text("def load_experiment():\n    return 'the user’s own'\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "u", "GIT_AUTHOR_EMAIL": "u@example.org",
           "GIT_COMMITTER_NAME": "u", "GIT_COMMITTER_EMAIL": "u@example.org"}
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True, env=env)
    subprocess.run(["git", "add", "."], cwd=folder, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "user's project"], cwd=folder, check=True, env=env)
    return folder


def readme_python_blocks() -> list[str]:
    """The README's ```python blocks (the Python API and batch experiments sections)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def run(command: list[str], cwd: Path | None = None, env: dict | None = None,
        expect: int = 0) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=900,
                            env={**os.environ, **(env or {})})
    if result.returncode != expect:
        raise AssertionError(f"{' '.join(command)}: exit {result.returncode} (expected {expect})\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout + result.stderr


def check_wheel_contents(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"coprosim", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}, tops
    for needed in ("coprosim/model/__init__.py", "coprosim/experiments/smoke.toml",
                   "coprosim/experiments/policy_comparison.toml", "coprosim/dashboards/app.py",
                   "coprosim/__main__.py"):
        assert needed in names, f"{needed} missing from the wheel"
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE")
               for n in names), "LICENSE missing from the wheel"
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("dist-info/METADATA"))).decode()
    assert "Requires-Python: >=3.11" in meta
    for extra in ("dashboard", "dask", "analysis", "ema", "notebook", "calibration", "all"):
        assert f"Provides-Extra: {extra}" in meta, extra
    core = [line for line in meta.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    for heavy in ("solara", "dask", "SALib", "ema_workbench", "pyabc"):
        assert not any(heavy.lower() in line.lower() for line in core), f"{heavy} is a core dependency"
    for version in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in meta


def check_user_folder(python: Path, folder: Path, full: bool = False) -> list[str]:
    """The README's examples from the user's folder; returns what was checked."""
    bin_ = python.parent
    env = {"PYTHONPATH": "", "PYTHONSAFEPATH": ""}
    done = []
    out = run([str(python), "-m", "coprosim", "--version"], cwd=folder, env=env)
    assert re.match(r"coprosim \d+\.\d+\.\d+ \(Mesa 3\.\d+\.\d+, Python 3\.\d+", out), out
    done.append(out.strip())
    # The user's own modules stay theirs; coprosim's API comes from the coprosim namespace.
    script = folder / "use_api.py"
    script.write_text(textwrap.dedent("""
        import multiprocessing
        import model, experiments
        from coprosim import CoproductionModel, Params
        import coprosim.experiments, coprosim.dashboards
        assert model.METRICS == "the user’s own model.py", model.__file__
        assert experiments.load_experiment() == "the user’s own"
        assert multiprocessing.get_start_method(allow_none=True) is None
        print("api ok", coprosim.experiments.__file__)
    """))
    out = run([str(python), str(script)], cwd=folder, env=env)
    assert "api ok" in out and "site-packages/coprosim/experiments/__init__.py" in out, out
    done.append("from coprosim import ... works beside the user's model.py and experiments.py")
    for i, block in enumerate(readme_python_blocks()):
        path = folder / f"readme_block_{i}.py"
        path.write_text(block)
        run([str(python), str(path)], cwd=folder, env=env)
        done.append(f"README python block {i + 1} ran")
    coprosim = str(bin_ / "coprosim")
    run([coprosim, "scenarios"], cwd=folder)
    run([coprosim, "run", "--scenario", "npm", "--steps", "20", "--seed", "1", "--set",
         "n_citizens=200", "--set", "voice_bias=0.5", "--out", "results/one"], cwd=folder)
    bad = run([coprosim, "run", "--set", "voice_bias=1.5"], cwd=folder, expect=2)
    assert bad.strip() == "coprosim: error: voice_bias: must be a number in [0.0, 1.0], got 1.5", bad
    piped = subprocess.run(f"'{coprosim}' run --steps 5 --set n_citizens=50 | head -n 1",
                           shell=True, cwd=folder, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in piped.stderr and piped.stdout.startswith("scenario"), piped.stderr
    done.append("coprosim scenarios / run / bad input (exit 2) / run | head")
    if full:
        run([coprosim, "compare"], cwd=folder)  # the shipped policy comparison, as `make run`
        manifest = json.loads((folder / "results/policy_comparison/manifest.json").read_text())
    else:
        run([coprosim, "compare", "smoke", "--replications", "2", "--steps", "10",
             "--workers", "2", "--out", "results/smoke_cli"], cwd=folder)
        manifest = json.loads((folder / "results/smoke_cli/manifest.json").read_text())
    assert manifest["status"] == "complete", manifest["status"]
    assert manifest["git_commit"] is None, "recorded the enclosing repository's commit"
    assert manifest["model_hash"] and manifest["versions"]["coprosim"]
    done.append("coprosim compare from outside a checkout (shipped file); provenance not the user's repo")
    run([coprosim, "sweep", "smoke", "--replications", "1", "--steps", "5", "--dask", "local:1",
         "--out", "results/smoke_dask"], cwd=folder)
    done.append("coprosim sweep --dask local:1")
    return done


def main(argv: list[str]) -> int:
    wheels = [Path(a) for a in argv] or sorted((ROOT / "dist").glob("coprosim-*.whl"))
    if not wheels:
        print("usage: check_wheel.py dist/coprosim-X.whl", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="coprosim-wheel-") as tmp:
        tmp = Path(tmp)
        check_wheel_contents(wheels[0])
        user = user_folder(tmp / "someone_elses_project")
        python = make_venv(user / ".venv", wheels[0])  # a venv inside the user's repository
        for line in check_user_folder(python, user, full=True):
            print("ok:", line)
        size = sum(f.stat().st_size for f in (user / ".venv").rglob("*") if f.is_file())
        print(f"ok: venv with coprosim[all]: {size / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
