"""The one client for tenant-supplied URLs, against a real server on 127.0.0.1."""

import socket
import threading
import time

import pytest

from kloudsso.guarded_http import FetchError, check_url, fetch, is_public_address


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
        ("https://[::1", "invalid_url"),
        ("https://a b.example/", "invalid_url"),
        ("https://idp.example:99999/", "invalid_url"),
        ("https://" + "a" * 64 + ".example/", "invalid_url"),
        ("https://idp.example/" + "x" * 2000, "invalid_url"),
        ("https://idp.example/\x00", "invalid_url"),
        ("javascript:alert(1)", "invalid_url"),
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
        ("64:ff9b::a9fe:a9fe", False),
        ("64:ff9b::a00:1", False),
        ("2002:7f00:1::1", False),
        ("::7f00:1", False),
        ("fec0::1", False),
        ("64:ff9b:1::1", False),
        ("2001:0::1", False),
        ("64:ff9b::1414:8001", True),
        ("20.190.128.1", True),
        ("2603:1030::1", True),
    ],
)
def test_address_classification(address, public):
    assert is_public_address(address) is public


def _listener():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.3)
    return listener


def test_a_refused_private_address_is_never_connected_to(secure_idp_mode):
    # Refusing before connecting means open and closed internal ports look the same: no port scanning through us.
    listener = _listener()
    port = listener.getsockname()[1]
    messages = set()
    for target in (port, 1):
        with pytest.raises(FetchError) as caught:
            fetch(f"https://127.0.0.1:{target}/")
        assert caught.value.code == "private_address"
        messages.add(caught.value.message)
    assert len(messages) == 1
    with pytest.raises(TimeoutError):
        listener.accept()
    listener.close()


def test_one_deadline_covers_a_server_that_drips_its_answer(settings):
    settings.SSO_HTTP_TIMEOUT_SECONDS = 0.5
    listener = _listener()
    listener.settimeout(None)

    def drip():
        conn, _ = listener.accept()
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n")
        try:
            for _ in range(40):
                time.sleep(0.1)
                conn.sendall(b" ")
        except OSError:
            pass
        conn.close()

    threading.Thread(target=drip, daemon=True).start()
    # Each byte arrives well within the per-read timeout; only the fetch's one deadline can stop it.
    with pytest.raises(FetchError) as caught:
        fetch(f"http://127.0.0.1:{listener.getsockname()[1]}/slow")
    assert caught.value.code == "timeout"
    listener.close()


def test_an_authorized_get_sends_the_header_and_follows_no_redirect(http_server):
    from kloudsso.guarded_http import get_authorized

    http_server.serve("/userinfo", "", status=302, headers={"Location": "http://elsewhere.example/steal"})
    result = get_authorized(http_server.url("/userinfo"), authorization="Bearer at-1")
    assert result.status == 302  # the credential goes to this host only: the caller decides what a redirect means
    assert http_server.requests == ["/userinfo"]
    assert http_server.httpd.headers_received[0]["Authorization"] == "Bearer at-1"


def test_an_authorized_get_keeps_the_address_rules(https_server, secure_idp_mode):
    from kloudsso.guarded_http import get_authorized

    https_server.serve("/userinfo", "{}")
    with pytest.raises(FetchError) as caught:
        get_authorized(https_server.url("/userinfo"), authorization="Bearer at-1")
    assert caught.value.code == "private_address"
    assert https_server.requests == []


def test_a_form_post_can_carry_an_authorization_header(http_server):
    from kloudsso.guarded_http import post_form

    http_server.serve("/token", "{}")
    post_form(http_server.url("/token"), {"grant_type": "authorization_code"}, authorization="Basic YTpi")
    assert http_server.httpd.headers_received[0]["Authorization"] == "Basic YTpi"
    assert http_server.httpd.bodies == [b"grant_type=authorization_code"]


def test_a_header_value_http_forbids_is_refused_without_quoting_it(http_server):
    from kloudsso.guarded_http import get_authorized

    http_server.serve("/userinfo", "{}")
    with pytest.raises(FetchError) as caught:
        get_authorized(http_server.url("/userinfo"), authorization="Bearer secret-value\r\nX-Injected: 1")
    assert caught.value.code == "invalid_header"
    assert "secret-value" not in caught.value.message
    assert http_server.requests == []
