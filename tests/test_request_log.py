"""Request ids, the request log line and the sign-in outcome line, from the real logging configuration.

The text format (the default, and these tests' settings) is the one configured at start-up; the JSON format is the
same configuration function's, applied for one test with LOG_FORMAT=json and written to a buffer.
tests/test_observe_gunicorn.py checks the JSON lines of gunicorn as users run it.
"""
# ruff: noqa: F811 -- a shared fixture is taken as an argument

import io
import json
import logging
import logging.config

import pytest
from django.conf import settings as django_settings

from kloudsso.logging import MaskSecretsFilter, logging_config
from tests.test_oidc_callback import connection, jit  # noqa: F401 -- fixtures
from tests.test_statement_counts import oidc, oidc_callback, oidc_started  # noqa: F401

CODE = "SplxlOBeZQQYbYS6WxSbIA-the-authorization-code"


@pytest.fixture
def json_lines():
    """The root handler as LOG_FORMAT=json configures it, writing to a buffer; the parsed lines so far."""
    buffer = io.StringIO()
    config = logging_config(log_format="json", level="INFO")
    config["handlers"]["console"]["stream"] = buffer
    logging.config.dictConfig(config)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        logging.config.dictConfig(django_settings.LOGGING)


# ---------------------------------------------------------------------------------------------------------------
# Request ids


def test_the_proxys_request_id_is_kept_and_echoed(client, db):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="7f3a9c2e-1b4d").headers["X-Request-ID"] == "7f3a9c2e-1b4d"


@pytest.mark.parametrize("sent", ["", "a b", "x" * 129, "id\nforged: line", "<script>", "é"])
def test_an_odd_request_id_is_replaced_by_a_new_one(client, db, sent):
    made = client.get("/healthz", HTTP_X_REQUEST_ID=sent).headers["X-Request-ID"]
    again = client.get("/healthz", HTTP_X_REQUEST_ID=sent).headers["X-Request-ID"]
    assert made != sent and len(made) == 32 and int(made, 16) >= 0 and made != again


# ---------------------------------------------------------------------------------------------------------------
# JSON


def test_with_json_a_request_is_one_json_line_without_its_query_string(client, connection, json_lines):
    response = client.get("/sso/oidc", {"code": CODE, "state": "forged"}, HTTP_X_REQUEST_ID="req-1")
    requests = [line for line in json_lines() if line["logger"] == "kloudsso.request"]
    assert len(requests) == 1
    line = requests[0]
    assert {k: line[k] for k in ("level", "method", "path", "status", "request_id")} == {
        "level": "INFO",
        "method": "GET",
        "path": "/sso/oidc",
        "status": response.status_code,
        "request_id": "req-1",
    }
    assert isinstance(line["duration_ms"], float) and line["time"]
    assert CODE not in json.dumps(json_lines()) and "forged" not in json.dumps(json_lines())


def test_with_json_a_sign_in_failure_is_its_own_line_with_its_code(client, connection, json_lines):
    client.get("/sso/oidc", {"code": CODE, "state": "forged"}, HTTP_X_REQUEST_ID="req-2")
    (line,) = [line for line in json_lines() if line["logger"] == "kloudsso.signin"]
    assert line["protocol"] == "oidc" and line["outcome"] == "failure" and line["code"] == "state_mismatch"
    assert line["request_id"] == "req-2" and isinstance(line["duration_ms"], float)


def test_with_json_a_sign_in_success_names_organization_connection_and_event(client, oidc, json_lines):
    from connections.events import SignInEvent

    idp, connection = oidc
    oidc_callback(client, oidc_started(client, connection, idp))
    (line,) = [line for line in json_lines() if line["logger"] == "kloudsso.signin"]
    assert line["outcome"] == "success" and line["code"] == "" and line["organization"] == "acme"
    assert line["connection"] == str(connection.public_id)
    assert line["reference"] == SignInEvent.objects.get().reference
    everything = json.dumps(json_lines())
    assert "ada@acme.test" not in everything and "the-code" not in everything and idp.access_token not in everything


def test_with_json_an_organization_page_names_its_organization(client, alice, json_lines):
    client.force_login(alice)
    client.get("/orgs/acme/")
    (line,) = [line for line in json_lines() if line["logger"] == "kloudsso.request"]
    assert line["organization"] == "acme" and line["path"] == "/orgs/acme/"


def test_with_json_the_saml_finish_key_is_not_logged(client, db, json_lines):
    key = "k" * 43
    client.get(f"/sso/saml/finish/{key}")
    (line,) = [line for line in json_lines() if line["logger"] == "kloudsso.request"]
    assert line["path"] == "/sso/saml/finish/********" and key not in json.dumps(json_lines())


# ---------------------------------------------------------------------------------------------------------------
# Text, the default


def test_by_default_a_line_is_its_message_alone_and_requests_are_gunicorns_to_log(client, connection, caplog):
    caplog.set_level(logging.DEBUG)
    client.get("/sso/oidc", {"code": CODE, "state": "forged"}, HTTP_X_REQUEST_ID="req-3")
    (handler,) = [h for h in logging.getLogger().handlers if any(isinstance(f, MaskSecretsFilter) for f in h.filters)]
    assert handler.formatter is None  # logging's default: "%(message)s", as it always was
    assert not [r for r in caplog.records if r.name == "kloudsso.request"]
    (record,) = [r for r in caplog.records if r.name == "kloudsso.signin"]
    assert record.getMessage() == (
        "sign-in failure (state_mismatch): protocol=oidc organization=- connection=- reference=- "
        f"duration_ms={record.duration_ms} request_id=req-3"
    )
    assert not [r for r in caplog.records if CODE in r.getMessage()]
