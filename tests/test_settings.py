"""Settings come from the environment, strictly; `check --deploy` with production-like values is clean."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kloudsso.logging import mask_secrets

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "ENV_FILE": "",
    "DEBUG": "false",
    "SECRET_KEY": "x" * 30 + "production-like-secret-key-with-enough-entropy-1234567890",
    "SECRETS_ENCRYPTION_KEYS": "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU=",
    "PUBLIC_BASE_URL": "https://sso.example.com",
    "DATABASE_URL": "sqlite:////tmp/kloudsso-deploy-check.sqlite3",
    "CACHE_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_URL": "smtp+tls://kloudsso:relay-password@mail.example.com:587",
}


def manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION and not k.startswith(("DJANGO", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", **{**PRODUCTION, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_production_refuses_to_start_without_encryption_keys():
    result = manage("check", **{**PRODUCTION, "SECRETS_ENCRYPTION_KEYS": ""})
    assert "SECRETS_ENCRYPTION_KEYS must be set" in result.stderr


def test_booleans_are_parsed_strictly():
    result = manage("check", **{**PRODUCTION, "DEBUG": "ture"})
    assert "DEBUG must be true or false (got 'ture')" in result.stderr


def test_log_lines_mask_client_secrets_and_private_keys():
    line = "POST token client_id=a&client_secret=hunter2&code=x {'client_secret': 'abc'}"
    masked = mask_secrets(line)
    assert "hunter2" not in masked and "abc'" not in masked
    assert "client_id=a" in masked
    pem = "-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----"
    assert "MIIEv" not in mask_secrets(pem)


def test_check_deploy_warns_about_a_cache_that_app_servers_do_not_share():
    result = manage("check", "--deploy", **{**PRODUCTION, "CACHE_URL": "locmemcache://"})
    assert "kloudsso.W001" in result.stderr + result.stdout


def test_password_throttle_settings_must_make_sense():
    result = manage("check", **{**PRODUCTION, "PASSWORD_THROTTLE_ACCOUNT_FAILURES": "0"})
    assert "PASSWORD_THROTTLE_ACCOUNT_FAILURES must be at least 1 (got 0)" in result.stderr
    result = manage(
        "check",
        **{**PRODUCTION, "PASSWORD_THROTTLE_FIRST_LOCK_SECONDS": "600", "PASSWORD_THROTTLE_MAX_LOCK_SECONDS": "60"},
    )
    assert "PASSWORD_THROTTLE_MAX_LOCK_SECONDS must be at least PASSWORD_THROTTLE_FIRST_LOCK_SECONDS" in result.stderr


def test_the_saml_client_cache_holds_at_least_one_client():
    result = manage("check", **{**PRODUCTION, "SAML_CLIENT_CACHE_SIZE": "0"})
    assert "SAML_CLIENT_CACHE_SIZE must be at least 1 (got 0)" in result.stderr


def test_a_scheduled_jobs_period_is_a_whole_number_of_hours_from_one():
    result = manage("check", **{**PRODUCTION, "SCHEDULE_DOMAIN_RECHECK_HOURS": "0"})
    assert "SCHEDULE_DOMAIN_RECHECK_HOURS must be at least 1 (got 0)" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("SAML_METADATA_REFRESH_HOURS", "0", "SAML_METADATA_REFRESH_HOURS must be at least 1 (got 0)"),
        ("SAML_METADATA_REFRESH_HOURS", "12h", "SAML_METADATA_REFRESH_HOURS must be a whole number (got '12h')"),
        ("SAML_METADATA_CERT_GRACE_DAYS", "-1", "SAML_METADATA_CERT_GRACE_DAYS must be at least 0 (got -1)"),
    ],
)
def test_the_metadata_refresh_settings_are_whole_numbers(name, value, error):
    assert error in manage("check", **{**PRODUCTION, name: value}).stderr


def test_a_grace_period_of_zero_days_is_allowed():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SAML_METADATA_CERT_GRACE_DAYS)",
        **{**PRODUCTION, "SAML_METADATA_CERT_GRACE_DAYS": "0"},
    )
    assert result.stdout.strip().splitlines()[-1] == "0", result.stderr


@pytest.mark.parametrize(
    "value, message",
    [("-1", "AUDIT_LOG_RETENTION_DAYS must be at least 0 (got -1)"), ("a year", "must be a whole number")],
)
def test_the_audit_log_retention_is_a_whole_number_of_days_or_zero_for_ever(value, message):
    assert message in manage("check", **{**PRODUCTION, "AUDIT_LOG_RETENTION_DAYS": value}).stderr


DATABASE_SETTINGS = (
    "from django.conf import settings; d = settings.DATABASES['default']; "
    "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'], d['OPTIONS'].get('transaction_mode'))"
)


def test_database_connections_are_kept_a_minute_and_checked_before_reuse():
    result = manage("shell", "-c", DATABASE_SETTINGS, **PRODUCTION)
    assert result.stdout.split()[-3:] == ["60", "True", "IMMEDIATE"], result.stderr  # SQLite keeps its lock mode
    result = manage("shell", "-c", DATABASE_SETTINGS, **{**PRODUCTION, "DATABASE_CONN_MAX_AGE": "0"})
    assert result.stdout.split()[-3:] == ["0", "True", "IMMEDIATE"], result.stderr  # 0: one connection per request


SQLITE_MODES = (
    "from django.db import connection\n"
    "with connection.cursor() as c:\n"
    "    print(c.execute('PRAGMA journal_mode').fetchone()[0], c.execute('PRAGMA synchronous').fetchone()[0])"
)


def test_a_sqlite_database_file_is_written_through_its_write_ahead_log(tmp_path):
    result = manage("shell", "-c", SQLITE_MODES, **{**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path}/site.db"})
    assert result.stdout.split()[-2:] == ["wal", "1"], result.stderr  # synchronous 1 is NORMAL


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"DATABASE_CONN_MAX_AGE": "-1"}, "DATABASE_CONN_MAX_AGE must be at least 0 (got -1)"),
        ({"DATABASE_CONN_MAX_AGE": "a minute"}, "DATABASE_CONN_MAX_AGE must be a whole number (got 'a minute')"),
        (
            {"DATABASE_URL": PRODUCTION["DATABASE_URL"] + "?conn_max_age=600"},
            "DATABASE_URL must not carry conn_max_age or conn_health_checks: set DATABASE_CONN_MAX_AGE instead",
        ),
    ],
)
def test_the_connection_lifetime_must_make_sense(variables, message):
    result = manage("check", **{**PRODUCTION, **variables})
    assert result.returncode != 0
    assert message in result.stderr


STORE_TIMEOUTS = (
    "from django.conf import settings; c = settings.CACHES['default']['OPTIONS']; "
    "d = settings.DATABASES['default']['OPTIONS']; "
    "print(c['SOCKET_CONNECT_TIMEOUT'], c['SOCKET_TIMEOUT'], d['connect_timeout'])"
)


def test_redis_and_postgresql_that_do_not_answer_are_waited_on_briefly():
    stores = {"DATABASE_URL": "postgres://kloudsso@127.0.0.1:5432/kloudsso", "CACHE_URL": "redis://127.0.0.1:6379/0"}
    result = manage("shell", "-c", STORE_TIMEOUTS, **{**PRODUCTION, **stores})
    assert result.stdout.split()[-3:] == ["1", "1", "3"], result.stderr
    own = {k: f"{v}?{q}" for (k, v), q in zip(stores.items(), ["connect_timeout=10", "socket_timeout=2"], strict=True)}
    result = manage("shell", "-c", STORE_TIMEOUTS, **{**PRODUCTION, **own})
    assert result.stdout.split()[-3:] == ["1", "2", "10"], result.stderr  # the URL's own values win


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"METRICS_TOKEN": "short"}, "METRICS_TOKEN must be at least 32 ASCII characters without spaces"),
        ({"METRICS_TOKEN": "a" * 20 + " " + "b" * 20}, "METRICS_TOKEN must be at least 32 ASCII characters"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be text or json (got 'xml')"),
        ({"PROMETHEUS_MULTIPROC_DIR": "/nonexistent/kloudsso-metrics"}, "PROMETHEUS_MULTIPROC_DIR must be an existing"),
    ],
)
def test_metrics_and_log_settings_must_make_sense(variables, message):
    result = manage("check", **{**PRODUCTION, **variables})
    assert result.returncode != 0 and message in result.stderr


def test_a_cache_url_cannot_make_redis_errors_pass_silently():
    # django-redis would answer None for every failed call: the password throttle would compare None with its
    # allowance (a 500) and the ACS would lose the IdP's answer unseen, instead of the 503 page.
    result = manage("check", **{**PRODUCTION, "CACHE_URL": "redis://127.0.0.1:6379/0?ignore_exceptions=false"})
    assert result.returncode != 0
    assert "CACHE_URL must not carry ignore_exceptions" in result.stderr


MAIL_SETTINGS = (
    "from django.conf import settings as s; "
    "print(s.EMAIL_BACKEND.rsplit('.', 2)[-2], s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.DEFAULT_FROM_EMAIL)"
)


def test_mail_goes_through_the_relay_in_email_url_from_the_sites_own_domain():
    result = manage("shell", "-c", MAIL_SETTINGS, **PRODUCTION)
    assert result.stdout.strip().endswith("smtp mail.example.com 587 True KloudSSO <no-reply@sso.example.com>")
    given = {"DEFAULT_FROM_EMAIL": "Acme SSO <sso@acme.example>"}
    assert manage("shell", "-c", MAIL_SETTINGS, **{**PRODUCTION, **given}).stdout.strip().endswith("<sso@acme.example>")


def test_development_prints_mail_when_email_url_is_unset():
    development = {k: v for k, v in PRODUCTION.items() if k != "EMAIL_URL"}
    result = manage("shell", "-c", MAIL_SETTINGS, **{**development, "DEBUG": "true"})
    expected = "console localhost 25 False KloudSSO <no-reply@sso.example.com>"
    assert result.stdout.strip().endswith(expected), result.stderr


@pytest.mark.parametrize(
    ("email_url", "problem"),
    [
        (None, "EMAIL_URL is not set: mail goes to an SMTP server on localhost:25"),
        ("consolemail://", "EMAIL_URL does not send mail: notifications and security alerts reach nobody"),
    ],
)
def test_check_deploy_warns_when_mail_would_reach_nobody(email_url, problem):
    variables = {k: v for k, v in PRODUCTION.items() if k != "EMAIL_URL"}
    if email_url:
        variables["EMAIL_URL"] = email_url
    result = manage("check", "--deploy", **variables)
    assert "kloudsso.W003" in result.stderr + result.stdout and problem in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"EMAIL_URL": "smtpx://user:hunter2@mail.example.com"}, "EMAIL_URL must be a mail URL such as smtp+tls://"),
        (
            {"EMAIL_URL": "smtp://user:hunter2@mail.example.com:port"},
            "EMAIL_URL must be a mail URL such as smtp+tls://",
        ),
        ({"DEFAULT_FROM_EMAIL": "KloudSSO"}, "DEFAULT_FROM_EMAIL must be an address such as KloudSSO <no-reply@"),
        ({"SERVER_EMAIL": "errors@"}, "SERVER_EMAIL must be an address such as KloudSSO <no-reply@example.com>"),
    ],
)
def test_mail_settings_must_make_sense(variables, message):
    result = manage("check", **{**PRODUCTION, **variables})
    assert result.returncode != 0 and message in result.stderr
    assert "hunter2" not in result.stderr  # the relay's password is not echoed
