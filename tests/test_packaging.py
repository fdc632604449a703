"""coprosim as a well-behaved package: one namespace, the wheel, extras, start method, CLI basics."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import textwrap
from importlib.metadata import version
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_wheel  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def python(code: str, cwd: Path, env: dict | None = None, timeout: int = 120):
    path = cwd / "script.py"
    path.write_text(textwrap.dedent(code))
    return subprocess.run([sys.executable, str(path)], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


# --- the start method ------------------------------------------------------------------------------
def test_import_leaves_the_start_method_unset(tmp_path):
    result = python("""
        import multiprocessing as mp
        assert mp.get_start_method(allow_none=True) is None
        import coprosim, coprosim.experiments, mesa
        assert mp.get_start_method(allow_none=True) is None, mp.get_start_method(allow_none=True)
        print("default", mp.get_start_method())
    """, tmp_path)
    assert result.returncode == 0 and "default fork" in result.stdout, result.stderr


def test_import_keeps_a_start_method_the_user_chose(tmp_path):
    result = python("""
        import multiprocessing as mp
        mp.set_start_method("forkserver")
        import coprosim
        print(mp.get_start_method())
    """, tmp_path)
    assert result.stdout.strip() == "forkserver", result.stderr


def test_a_pool_with_a_function_defined_in_main_works_after_import(tmp_path):
    """The notebook case: under a forced spawn, a function of __main__ cannot reach the workers
    (a notebook's Pool then never finishes); with the user's fork it simply works."""
    result = python("""
        import multiprocessing as mp
        import coprosim
        def square(x):
            return x * x
        with mp.Pool(2) as pool:
            print(sum(pool.map(square, range(10))))
    """, tmp_path, timeout=60)
    assert result.stdout.strip() == "285", result.stderr


# --- the command line -------------------------------------------------------------------------------
def test_version(tmp_path):
    result = subprocess.run([sys.executable, "-m", "coprosim", "--version"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith(f"coprosim {version('coprosim')} (Mesa {version('mesa')}, Python ")


def test_output_into_a_closed_pipe_is_not_an_error(tmp_path):
    command = f"'{sys.executable}' -m coprosim run --steps 5 --set n_citizens=500 | head -n 1"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.stdout.startswith("scenario coproduction, seed 1, 5 steps")
    assert result.stderr == "" and result.returncode == 0, result.stderr


BLOCK_EXTRAS = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, Block())
"""


@pytest.mark.parametrize("blocked, command, extra", [
    ("distributed", ["sweep", "smoke", "--dask", "local:1"], "dask"),
    ("SALib", ["sensitivity", "sensitivity_example"], "analysis"),
    ("solara", ["dashboard", "--port", "8799"], "dashboard"),
    ("pyabc", ["calibrate", "calibration_targets"], "calibration"),
])
def test_missing_extra_is_one_line_naming_it(tmp_path, blocked, command, extra):
    """Without an extra installed, the command says which extra to install (exit 2, one line)."""
    (tmp_path / "sitecustomize.py").write_text(BLOCK_EXTRAS.format(blocked={blocked}))
    out = [] if command[0] == "dashboard" else ["--out", str(tmp_path / "o")]
    result = subprocess.run([sys.executable, "-m", "coprosim", *command, *out],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"pip install 'coprosim[{extra}]'" in lines[0], result.stderr


def test_missing_ema_workbench_names_the_extra(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(BLOCK_EXTRAS.format(blocked={"ema_workbench"}))
    result = python("""
        from coprosim.errors import MissingExtraError
        from coprosim.experiments.ema import ema_model
        try:
            ema_model(uncertainties=["voice_bias"])
        except MissingExtraError as exc:
            print(exc)
    """, tmp_path, env={"PYTHONPATH": str(tmp_path)})
    assert "pip install 'coprosim[ema]'" in result.stdout, result.stderr


# --- the wheel ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    return check_wheel.build_wheel(tmp_path_factory.mktemp("wheel"))


def test_wheel_holds_one_namespace_data_license_and_metadata(wheel):
    check_wheel.check_wheel_contents(wheel)
    assert wheel.name.startswith(f"coprosim-{version('coprosim')}-py3-none-any")


def test_sdist_ships_the_notebook_and_the_notebook_extra_runs_it(wheel):
    """The example notebook is in the source distribution, and the notebook extra (so [all])
    brings what runs it headless (nbclient, nbformat, a kernel)."""
    import tarfile
    import zipfile

    sdist = check_wheel.build_sdist(wheel.parent.parent)
    names = tarfile.open(sdist).getnames()
    assert any(n.endswith("/examples/quickstart.ipynb") for n in names), names[:20]
    meta = zipfile.ZipFile(wheel).read(next(n for n in zipfile.ZipFile(wheel).namelist()
                                            if n.endswith("dist-info/METADATA"))).decode()
    notebook = [line for line in meta.splitlines() if line.startswith("Requires-Dist:")
                and 'extra == "notebook"' in line]
    for needed in ("nbclient", "nbformat", "ipykernel"):
        assert any(needed in line for line in notebook), (needed, notebook)


def test_wheel_works_from_a_folder_with_its_own_model_py(wheel, tmp_path):
    """Installed from the wheel into a fresh venv (inside the user's own git repository), run
    from a folder holding its own model.py and experiments.py: the README's Python blocks and
    command lines work, the shipped experiments are found, provenance is not the user's repo."""
    user = check_wheel.user_folder(tmp_path / "project")
    borrowed = Path(sysconfig.get_paths()["purelib"])
    venv_python = check_wheel.make_venv(user / ".venv", wheel, borrow=borrowed)
    where = subprocess.run([str(venv_python), "-c", "import coprosim; print(coprosim.__file__)"],
                           cwd=user, capture_output=True, text=True, timeout=60).stdout
    assert str(user / ".venv") in where and str(REPO) not in where, where
    done = check_wheel.check_user_folder(venv_python, user)
    assert any(re.match(r"README python block \d+ ran", line) for line in done)
