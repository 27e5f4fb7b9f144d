"""Metrics and JSON logs under gunicorn as users run it: two workers, LOG_FORMAT=json, METRICS_TOKEN set.

A scrape reaches one worker; it must report what every worker counted (PROMETHEUS_MULTIPROC_DIR). Every line the
server writes must be JSON, one per request, and no line may hold a callback's code.
"""

import json
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from tests.support.gunicorn_server import GunicornServer, free_port, manage, production_env

TOKEN = "metrics-token-" + "0123456789abcdef" * 2
GONE_PID = 4194305  # above Linux's largest pid_max: no process has it
CODE = "SplxlOBeZQQYbYS6WxSbIA-the-authorization-code"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("observe")
    metrics_dir = folder / "metrics"
    metrics_dir.mkdir()
    MmapedDict(str(metrics_dir / f"counter_{GONE_PID}.db")).close()  # a previous run's worker
    kept = metrics_dir / "counter_1.db"  # a process still running (init): a db_worker, say
    MmapedDict(str(kept)).close()
    port = free_port()
    env = production_env(
        database_url=f"sqlite:///{folder / 'db.sqlite3'}",
        public_base_url=f"http://127.0.0.1:{port}",
        static_root=folder / "static",
        LOG_FORMAT="json",
        METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    manage(env, "migrate", "--no-input")
    manage(env, "collectstatic", "--no-input")  # the failure page names its hashed stylesheet
    started = GunicornServer(env, folder / "gunicorn.log", port=port, workers=2)
    try:
        started.start()
        yield started, metrics_dir
    finally:
        started.kill()


def scrape(url: str) -> dict:
    response = requests.get(url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert response.status_code == 200, response.text
    return samples(response.text)


def samples(text: str) -> dict:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


NOT_FOUND = ("kloudsso_http_request_duration_seconds_count", (("status_class", "4xx"),))


def per_worker_not_found(metrics_dir: Path) -> dict[str, float]:
    """Each worker's own count of 4xx answers, read from its file alone."""
    counts = {}
    for path in metrics_dir.glob("histogram_*.db"):
        alone = Path(tempfile.mkdtemp())
        try:
            shutil.copy(path, alone / path.name)
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=str(alone))
            counts[path.stem.rpartition("_")[2]] = samples(generate_latest(registry).decode()).get(NOT_FOUND, 0.0)
        finally:
            shutil.rmtree(alone)
    return counts


def test_a_scrape_adds_up_what_every_worker_counted(server):
    gunicorn, metrics_dir = server
    before = scrape(gunicorn.url).get(NOT_FOUND, 0.0)
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(
            pool.map(lambda _: requests.get(gunicorn.url + "/no-such-page", timeout=10).status_code, range(80))
        )
    assert statuses == [404] * 80
    workers = per_worker_not_found(metrics_dir)
    print(f"4xx answers per worker: {workers}")
    assert len([count for count in workers.values() if count > 0]) == 2, workers  # both workers answered some
    for _ in range(4):  # whichever worker answers the scrape
        assert scrape(gunicorn.url)[NOT_FOUND] == before + 80 == sum(workers.values())


def test_the_files_of_processes_gone_are_removed_at_start(server):
    _, metrics_dir = server
    assert not (metrics_dir / f"counter_{GONE_PID}.db").exists()
    assert (metrics_dir / "counter_1.db").exists()


def test_without_the_token_a_scrape_is_refused(server):
    gunicorn, _ = server
    assert requests.get(gunicorn.url + "/metrics", timeout=10).status_code == 401
    wrong = requests.get(gunicorn.url + "/metrics", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 401 and "kloudsso_" not in wrong.text


def lines_when(log: Path, predicate, timeout: float = 5) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        lines = [json.loads(line) for line in log.read_text().splitlines()]  # every line is JSON, or this fails
        if predicate(lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def test_every_line_is_json_one_per_request_and_a_sign_in_failure_has_its_own(server):
    gunicorn, _ = server
    signins = ("kloudsso_signins_total", (("code", "state_mismatch"), ("outcome", "failure"), ("protocol", "oidc")))
    refused_before = scrape(gunicorn.url).get(signins, 0.0)
    requests.get(gunicorn.url + "/healthz", headers={"X-Request-ID": "obs-healthz"}, timeout=10)
    callback = requests.get(
        gunicorn.url + "/sso/oidc", params={"code": CODE, "state": "forged"}, headers={"X-Request-ID": "obs-cb"}
    )
    assert callback.status_code == 400 and callback.headers["X-Request-ID"] == "obs-cb"

    lines = lines_when(gunicorn.log, lambda lines: sum(line.get("request_id") == "obs-cb" for line in lines) == 2)
    assert [line["logger"] for line in lines if line.get("request_id") == "obs-healthz"] == ["kloudsso.request"]
    by_logger = {line["logger"]: line for line in lines if line.get("request_id") == "obs-cb"}
    assert by_logger.keys() == {"kloudsso.request", "kloudsso.signin"}
    assert by_logger["kloudsso.request"]["path"] == "/sso/oidc" and by_logger["kloudsso.request"]["status"] == 400
    assert by_logger["kloudsso.signin"]["code"] == "state_mismatch"
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # gunicorn's own lines are JSON too
    assert CODE not in gunicorn.log.read_text()
    assert scrape(gunicorn.url)[signins] == refused_before + 1
