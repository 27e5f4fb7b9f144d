"""`pip install .` as an operator does it: the wheel, installed away from the source tree, gives a `kloudsso` command
that migrates, creates an organization, collects the static files and serves the site with gunicorn."""

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import requests
from setuptools import find_packages

from tests.support.gunicorn_server import GunicornServer, free_port, production_env

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = [
    "pyproject.toml",
    "kloudsso",
    "connections",
    "domains",
    "signin",
    "setup_links",
    "directory",
    "templates",
    "static",
]


def _declared_packages() -> set[str]:
    return set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])


def test_pyproject_names_every_package_of_the_source_tree():
    found = set(
        find_packages(
            where=str(ROOT), include=["kloudsso*", "connections*", "domains*", "signin*", "setup_links*", "directory*"]
        )
    )
    assets = {"kloudsso.web_assets.templates", "kloudsso.web_assets.static"}
    assert _declared_packages() - assets == found, "pyproject.toml's [tool.setuptools] packages must list each one"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wheel")
    source = folder / "source"
    source.mkdir()
    for name in SHIPPED:  # a copy: building writes build/ and *.egg-info beside the sources
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    built = subprocess.run([*pip, "wheel", "--no-deps", "-w", str(folder / "dist"), str(source)], capture_output=True)
    if built.returncode != 0:
        pytest.fail(f"the wheel did not build: {built.stderr.decode()[-2000:]}")
    wheel = next((folder / "dist").glob("kloudsso-*.whl"))
    target = folder / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True, capture_output=True)
    return target


def _run(installed, env, *args):
    command = [str(installed / "bin" / "kloudsso"), *args]
    result = subprocess.run(command, cwd=env["PWD"], env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"kloudsso {' '.join(args)}: {result.stderr[-2000:]}"
    return result.stdout


def _env(installed, work, port):
    # Only the installed copy is importable (besides the virtualenv's libraries): not the source tree.
    env = production_env(
        database_url=f"sqlite:///{work / 'kloudsso.sqlite3'}",
        public_base_url=f"http://127.0.0.1:{port}",
        static_root=work / "static",
        PYTHONPATH=str(installed),
        PWD=str(work),
    )
    env.pop("PYTHONSAFEPATH", None)
    return env


def test_the_installed_command_runs_the_site(installed, tmp_path):
    port = free_port()
    env = _env(installed, tmp_path, port)
    location = _run(installed, env, "shell", "--no-imports", "-c", "import kloudsso; print(kloudsso.__file__)")
    assert Path(location.strip().splitlines()[-1]).is_relative_to(installed), location
    assert "No changes detected" in _run(installed, env, "makemigrations", "--check", "--dry-run")
    _run(installed, env, "migrate", "--no-input")
    _run(
        installed,
        env,
        "createorg",
        "--name",
        "Acme",
        "--slug",
        "acme",
        "--owner-email",
        "owner@acme.test",
        "--password",
        "wheel-test-password-2026",
    )
    _run(installed, env, "collectstatic", "--no-input")
    assert {"serve", "db_worker", "run_scheduler", "createorg"} <= set(
        _run(installed, env, "help", "--commands").split()
    )

    server = GunicornServer(
        env, tmp_path / "serve.log", port=port, command=[str(installed / "bin" / "kloudsso"), "serve"], cwd=tmp_path
    )
    try:
        server.start()
        page = requests.get(server.url + "/login/", timeout=10)
        assert page.status_code == 200 and "Sign in" in page.text
        stylesheet = re.search(r'href="(/static/kloudsso/[^"]+\.[0-9a-f]{12}\.css)"', page.text)
        assert stylesheet and requests.get(server.url + stylesheet.group(1), timeout=10).status_code == 200
        assert requests.get(server.url + "/readyz", timeout=10).status_code == 200
    finally:
        assert server.stop() == 0, (tmp_path / "serve.log").read_text()
    assert not (tmp_path / "staticfiles").exists() and os.listdir(tmp_path / "static")
