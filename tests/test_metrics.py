"""/metrics: who may read it, and that each metric moves when its event happens, in this single test process.

Several gunicorn workers adding up their values is tests/test_observe_gunicorn.py's.
"""
# ruff: noqa: F811 -- a shared fixture is taken as an argument

import pytest
from django.urls import reverse
from django_tasks import task
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from kloudsso.guarded_http import FetchError, fetch
from kloudsso.tenancy.models import Organization, Plan
from tests.test_oidc_callback import connection, jit, start  # noqa: F401 -- fixtures, and a sign-in's start
from tests.test_statement_counts import (  # noqa: F401 -- fixtures, and the steps of a sign-in
    oidc,
    oidc_callback,
    oidc_started,
    saml,
    saml_finish,
    saml_stashed,
)

TOKEN = "a" * 40


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape(client, token: str = TOKEN, **headers):
    return client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}", **headers)


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def signins(protocol: str, code: str = "") -> float:
    return value("kloudsso_signins_total", protocol=protocol, outcome="failure" if code else "success", code=code)


# ---------------------------------------------------------------------------------------------------------------
# Who may read it


def test_without_a_token_setting_metrics_is_not_served(client, db, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert scrape(client, "").status_code == 404


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", f"Basic {TOKEN}", "Bearer " + "é" * 40, TOKEN],
)
def test_a_wrong_or_missing_token_is_401_and_says_nothing(client, db, metrics_token, authorization):
    response = client.get("/metrics", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"kloudsso_" not in response.content


def test_the_right_token_gets_the_text_format_from_any_host_name(client, db, metrics_token):
    # Prometheus names the server by its address, which ALLOWED_HOSTS need not hold: like /healthz, it is answered
    # before the host check.
    response = scrape(client, HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    families = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert {"kloudsso_signins", "kloudsso_http_request_duration_seconds", "kloudsso_task_queue_ready"} <= families


# ---------------------------------------------------------------------------------------------------------------
# Sign-ins


def test_a_refused_oidc_callback_counts_its_code_and_its_duration(client, connection):
    before, timed = signins("oidc", "state_mismatch"), value("kloudsso_signin_duration_seconds_count", protocol="oidc")
    client.get("/sso/oidc", {"code": "abc", "state": "forged"})
    assert signins("oidc", "state_mismatch") == before + 1
    assert value("kloudsso_signin_duration_seconds_count", protocol="oidc") == timed + 1


def test_an_oidc_sign_in_counts_a_success_a_jwks_miss_then_hits(client, oidc, django_user_model):
    idp, oidc_connection = oidc
    before, hits = signins("oidc"), value("kloudsso_cache_lookups_total", cache="jwks", result="hit")
    oidc_callback(client, oidc_started(client, oidc_connection, idp))
    client.logout()
    oidc_callback(client, oidc_started(client, oidc_connection, idp))
    assert signins("oidc") == before + 2
    assert value("kloudsso_cache_lookups_total", cache="jwks", result="hit") >= hits + 1


def test_a_token_endpoint_refusal_counts_the_code_and_the_idp_fetch_failure(client, connection, http_server):
    http_server.serve("/tenant/v2.0/oauth2/v2.0/token", '{"error": "invalid_client"}', status=401)
    before = value("kloudsso_idp_fetch_failures_total", endpoint="token", reason="http_4xx")
    refused = signins("oidc", "invalid_client")
    params = start(client, connection)
    client.get("/sso/oidc", {"code": "abc", "state": params["state"]})
    assert value("kloudsso_idp_fetch_failures_total", endpoint="token", reason="http_4xx") == before + 1
    assert signins("oidc", "invalid_client") == refused + 1


def test_a_saml_sign_in_counts_a_success_and_the_warm_clients_hits(client, saml):
    before = signins("saml")
    hits, misses = (value("kloudsso_cache_lookups_total", cache="saml_client", result=r) for r in ("hit", "miss"))
    saml_finish(client, saml_stashed(client, saml))
    assert signins("saml") == before + 1
    used = [value("kloudsso_cache_lookups_total", cache="saml_client", result=r) for r in ("hit", "miss")]
    assert used[0] + used[1] >= hits + misses + 2  # the AuthnRequest, then the response's check
    assert used[0] >= hits + 1  # the finish step found the client the start built


def test_an_sso_email_of_a_free_organization_counts_before_any_protocol(client, db):
    from domains.models import Domain

    free = Organization.objects.create(name="Free", slug="free", plan=Plan.FREE)
    Domain.objects.create(organization=free, name="free.test", status="verified")
    before = signins("sso", "plan_not_paid")
    client.post(reverse("sso_login"), {"email": "ada@free.test"})
    assert signins("sso", "plan_not_paid") == before + 1


def test_password_sign_ins_count_a_wrong_password_and_a_success(client, alice):
    wrong, right = signins("password", "invalid_login"), signins("password")
    client.post(reverse("login"), {"username": "alice@acme.test", "password": "wrong"})
    client.post(reverse("login"), {"username": "alice@acme.test", "password": "correct-horse-battery"})
    assert signins("password", "invalid_login") == wrong + 1
    assert signins("password") == right + 1


def test_no_label_names_a_person_or_an_organization(client, oidc, alice, metrics_token):
    idp, oidc_connection = oidc
    oidc_callback(client, oidc_started(client, oidc_connection, idp))  # ada@acme.test, of Acme
    client.get("/sso/oidc", {"code": "abc", "state": "forged"})
    client.post(reverse("login"), {"username": "alice@acme.test", "password": "wrong"})
    text = scrape(client).content.decode()
    labels = {v for f in text_string_to_metric_families(text) for s in f.samples for v in s.labels.values()}
    assert labels and not [v for v in labels if "@" in v or "acme" in v.lower() or "/" in v]


# ---------------------------------------------------------------------------------------------------------------
# Identity providers


def test_each_idp_fetch_is_timed_by_what_it_fetched_and_failures_by_reason(db, http_server):
    http_server.serve("/metadata.xml", "<EntityDescriptor/>", content_type="application/xml")
    timed = value("kloudsso_idp_fetch_duration_seconds_count", endpoint="metadata")
    fetch(http_server.url("/metadata.xml"), endpoint="metadata")
    assert value("kloudsso_idp_fetch_duration_seconds_count", endpoint="metadata") == timed + 1

    failed = value("kloudsso_idp_fetch_failures_total", endpoint="discovery", reason="unreachable")
    with pytest.raises(FetchError):
        fetch("http://127.0.0.1:9/.well-known/openid-configuration", endpoint="discovery")
    assert value("kloudsso_idp_fetch_failures_total", endpoint="discovery", reason="unreachable") == failed + 1


# ---------------------------------------------------------------------------------------------------------------
# Background tasks


@task()
def failing_task():
    raise RuntimeError("this task fails")


@task()
def quiet_task():
    return None


def test_a_failed_task_is_counted_by_name_and_status(db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    name = f"{__name__}.failing_task"
    before = value("kloudsso_tasks_finished_total", task=name, status="failed")
    failing_task.enqueue()
    assert value("kloudsso_tasks_finished_total", task=name, status="failed") == before + 1


def test_the_queue_depth_is_counted_at_scrape_time(client, db, metrics_token, django_assert_num_queries):
    quiet_task.enqueue()
    quiet_task.enqueue()
    with django_assert_num_queries(1):  # one COUNT
        text = scrape(client).content.decode()
    assert "kloudsso_task_queue_ready 2.0" in text.splitlines()
