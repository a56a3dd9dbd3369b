"""The wheel works anywhere: built as a packager builds it, installed into a throw-away venv, run
from a folder that has nothing to do with the checkout.

`python -m build` makes the sdist and, from it, the wheel (so the sdist is complete too); the
wheel goes into a fresh venv with its dependencies from the package index (pip's cache makes
this quick). Each command then runs once on the data shipped inside the package, and its answer
is compared with the same command run from this checkout: the installed program must say the
same things about the same data. Regression for issue 9: `pip install .` gave a `plangraph`
that could not find its ontology, and a top-level package named `api`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import venv
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from conftest import PLANGRAPH, REPO, SOURCES, free_port

# Top-level folders people edit, and where the wheel puts them (pyproject's package-dir).
MAPPED = {
    "ontology": "plangraph/ontology",
    "graph": "plangraph/graph",
    "shapes": "plangraph/shapes",
    "queries": "plangraph/queries",
    "api": "plangraph/api",
}


@dataclass
class Installed:
    bin: Path
    elsewhere: Path  # an empty working folder, far from the checkout
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / "plangraph"), *args],
            cwd=self.elsewhere,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(REPO)],
        check=True,
        capture_output=True,
        timeout=240,
    )
    (wheel,) = dist.glob("plangraph-*.whl")
    venv.create(root / "venv", with_pip=True)
    bin_dir = root / "venv" / "bin"
    done = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    # Nothing of the checkout on the import path: not the working folder, not PYTHONPATH.
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PATH"] = str(bin_dir) + os.pathsep + env.get("PATH", "")
    return Installed(bin_dir, elsewhere, env)


def from_checkout(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PLANGRAPH, *args], cwd=REPO, capture_output=True, text=True, timeout=120
    )


def test_the_data_files_are_in_the_wheel_and_there_is_no_top_level_api(
    installed: Installed,
) -> None:
    done = subprocess.run(
        [str(installed.bin / "python"), "-m", "pip", "show", "-f", "plangraph"],
        capture_output=True,
        text=True,
        env=installed.env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    listed = {line.strip() for line in done.stdout.split("Files:", 1)[1].splitlines()}
    tracked = subprocess.run(
        ["git", "ls-files", *MAPPED], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    expected = set()
    for name in tracked:
        folder, _, rest = name.partition("/")
        expected.add(f"{MAPPED[folder]}/{rest}")
    assert expected, "git lists the data folders"
    assert expected - listed == set()
    assert not any(f.startswith("api/") for f in listed)
    site = next((installed.bin.parent / "lib").glob("python3*/site-packages"))
    assert not (site / "api").exists()
    assert (site / "plangraph" / "shapes" / "literals.ttl").is_file()


def test_stats_from_elsewhere_match_the_checkout(installed: Installed) -> None:
    done = installed.run("stats", "-f", "json")
    assert done.returncode == 0, done.stderr
    ours = json.loads(from_checkout("stats", "-f", "json").stdout)
    assert json.loads(done.stdout) == ours
    assert ours["triples"] > 1000


def test_named_query_from_elsewhere_matches_the_checkout(installed: Installed) -> None:
    done = installed.run("query", "plan-summary", "-f", "csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout == from_checkout("query", "plan-summary", "-f", "csv").stdout
    assert "https://w3id.org/plangraph/edition/" in done.stdout


def test_export_from_elsewhere_holds_every_quad(installed: Installed) -> None:
    out = installed.elsewhere / "plangraph.nq"
    done = installed.run("export", "-f", "nquads", "-o", str(out))
    assert done.returncode == 0, done.stderr
    quads = list(ox.parse(path=str(out), format=ox.RdfFormat.N_QUADS))
    stats = json.loads(installed.run("stats", "-f", "json").stdout)
    assert len(quads) == stats["triples"]


def test_validate_from_elsewhere_matches_the_checkout(installed: Installed) -> None:
    done = installed.run("validate", "-f", "json", "--lang", "en")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    ours = json.loads(from_checkout("validate", "-f", "json", "--lang", "en").stdout)
    assert report["counts"] == ours["counts"] and report["passes"] is True
    assert report["triples"] == ours["triples"]


def test_ingest_from_elsewhere_drafts_an_edition(installed: Installed) -> None:
    text = SOURCES / "sh-fintech-2020.txt"
    done = installed.run("ingest", str(text), "--edition-id", "sh-draft", timeout=180)
    assert done.returncode == 0, done.stderr
    ours = from_checkout("ingest", str(text), "--edition-id", "sh-draft")
    assert done.stdout == ours.stdout
    draft = ox.Store()
    draft.load(done.stdout.encode(), ox.RdfFormat.TURTLE)
    edition = ox.NamedNode("https://w3id.org/plangraph/edition/sh-draft")
    assert any(True for _ in draft.quads_for_pattern(edition, None, None))


def test_serve_from_elsewhere_answers_queries_and_pages(installed: Installed) -> None:
    port = free_port()
    log = installed.elsewhere / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(installed.bin / "plangraph"), "serve", "--port", str(port), "--workers", "1"],
            cwd=installed.elsewhere,
            env=installed.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()
            try:
                answer = requests.get(
                    url + "/sparql",
                    params={"query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"},
                    headers={"Accept": "application/sparql-results+json"},
                    timeout=5,
                )
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        assert answer.status_code == 200
        count = int(answer.json()["results"]["bindings"][0]["n"]["value"])
        stats = json.loads(installed.run("stats", "-f", "json").stdout)
        assert count == stats["triples"]
        home = requests.get(url + "/", headers={"Accept": "text/html"}, timeout=30)
        assert home.status_code == 200 and "edition/bj-jinke-2020" in home.text
        css = requests.get(url + "/static/plangraph.css", timeout=30)
        assert css.status_code == 200 and css.text.strip()
    finally:
        server.terminate()
        server.wait(timeout=20)
