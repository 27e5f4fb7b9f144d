"""kloudsso.W002: a proxy declared without the header carrying the client's address, which would make every user
share the proxy's count of wrong passwords."""

from django.core.checks import run_checks

from tests.test_settings import PRODUCTION, manage


def warnings(**kwargs) -> list[str]:
    return [message.id for message in run_checks(include_deployment_checks=True, **kwargs)]


def test_a_proxy_without_a_client_address_header_is_warned_about(settings):
    settings.SECURE_PROXY_SSL_HEADER, settings.CLIENT_IP_HEADER = ("HTTP_X_FORWARDED_PROTO", "https"), ""
    assert "kloudsso.W002" in warnings()


def test_no_warning_with_the_header_or_without_a_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER, settings.CLIENT_IP_HEADER = ("HTTP_X_FORWARDED_PROTO", "https"), "HTTP_X_REAL_IP"
    assert "kloudsso.W002" not in warnings()
    settings.SECURE_PROXY_SSL_HEADER, settings.CLIENT_IP_HEADER = None, ""
    assert "kloudsso.W002" not in warnings()


def test_check_deploy_reports_it_from_the_environment():
    result = manage("check", "--deploy", **{**PRODUCTION, "TRUST_X_FORWARDED_PROTO": "true"})
    assert "kloudsso.W002" in result.stderr + result.stdout
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **{**PRODUCTION, "TRUST_X_FORWARDED_PROTO": "true", "CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR"},
    )
    assert result.returncode == 0, result.stderr + result.stdout
