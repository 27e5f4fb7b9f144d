"""The one client for tenant-supplied URLs, against a real server on 127.0.0.1."""

import pytest

from connections.guarded_http import FetchError, check_url, fetch


def test_it_follows_a_redirect_and_reports_the_final_url(http_server):
    final = http_server.serve("/final", "ok", content_type="text/plain")
    http_server.serve("/hop", "", status=302, headers={"Location": "/final"})
    result = fetch(http_server.url("/hop"))
    assert (result.status, result.body, result.url) == (200, b"ok", final)


def test_it_stops_after_three_redirects(http_server):
    http_server.serve("/loop", "", status=302, headers={"Location": "/loop"})
    with pytest.raises(FetchError) as caught:
        fetch(http_server.url("/loop"))
    assert caught.value.code == "redirects"
    assert len(http_server.requests) == 4


def test_it_checks_every_redirect_target(http_server):
    http_server.serve("/hop", "", status=302, headers={"Location": "ftp://files.example/metadata.xml"})
    with pytest.raises(FetchError) as caught:
        fetch(http_server.url("/hop"))
    assert caught.value.code == "invalid_url"


def test_it_refuses_a_body_that_grows_past_the_limit_without_content_length(http_server, settings):
    settings.SSO_HTTP_MAX_BYTES = 1000
    http_server.serve("/big", b"x" * 5000, content_type="text/plain")
    with pytest.raises(FetchError) as caught:
        fetch(http_server.url("/big"))
    assert caught.value.code == "too_large"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("not a url", "invalid_url"),
        ("ftp://idp.example/x", "invalid_url"),
        ("https://user:pw@idp.example/x", "invalid_url"),
    ],
)
def test_it_refuses_malformed_urls(url, code):
    with pytest.raises(FetchError) as caught:
        check_url(url)
    assert caught.value.code == code


def test_it_refuses_plain_http_in_secure_mode(secure_idp_mode):
    with pytest.raises(FetchError) as caught:
        check_url("http://idp.example/metadata")
    assert caught.value.code == "insecure_scheme"


def test_it_refuses_loopback_at_connect_time_in_secure_mode(https_server, secure_idp_mode):
    https_server.serve("/x", "secret internal data", content_type="text/plain")
    with pytest.raises(FetchError) as caught:
        fetch(https_server.url("/x"))
    assert caught.value.code == "private_address"
    assert https_server.requests == []


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.10", False),
        ("172.16.5.4", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("20.190.128.1", True),
        ("2603:1030::1", True),
    ],
)
def test_address_classification(address, public):
    from connections.guarded_http import _is_public

    assert _is_public(address) is public
