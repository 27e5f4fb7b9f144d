"""SAML single logout, end to end against SimpleSAMLphp: our signed LogoutRequest and the IdP's LogoutResponse,
and the IdP's own LogoutRequest ending the matching session here (found without the browser's cookie)."""

from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests

from connections.saml.metadata import parse_idp_metadata
from connections.saml.models import SAMLSignedInSession
from connections.saml.services import saml_connection_save
from connections.sp import service_provider_get_or_create
from domains.models import Domain
from kloudsso.tenancy.models import Organization, Plan
from tests.support.sso_browser import CSRF, onward, saml_sign_in, start_sso

pytestmark = pytest.mark.django_db(transaction=True)


def make_site(live_server, settings, *, sign_logout=True, single_logout=True):
    from tests.support.saml_idp import SimpleSAMLphpIdP, available

    reason = available()
    if reason:
        pytest.skip(f"the SAML test IdP cannot run: {reason}")
    settings.PUBLIC_BASE_URL = live_server.url
    org = Organization.objects.create(name="Acme", slug="acme", plan=Plan.PAID, provisioning_mode="jit")
    Domain.objects.create(organization=org, name="acme.test", status="verified")
    sp = service_provider_get_or_create(org=org)
    idp = SimpleSAMLphpIdP(
        sp_entity_id=sp.entity_id,
        acs_url=f"{live_server.url}/sso/saml",
        sp_certificate_pem=sp.certificate_pem,
        slo_url=f"{live_server.url}/sso/saml/slo",
        sign_logout=sign_logout,
    )
    idp.start()
    connection = saml_connection_save(
        org=org,
        display_name="SimpleSAMLphp",
        source="xml",
        idp=parse_idp_metadata(idp.metadata_xml()),
        single_logout=single_logout,
    )
    return idp, connection


@pytest.fixture
def site(live_server, settings):
    idp, connection = make_site(live_server, settings)
    yield live_server.url, idp, connection
    idp.stop()


def signed_in(browser, base_url) -> bool:
    return "/login/" not in browser.get(f"{base_url}/orgs/acme/").url


def sign_out(browser, base_url) -> requests.Response:
    page = browser.get(f"{base_url}/orgs/acme/")
    token = CSRF.search(page.text).group(1)
    return browser.post(
        f"{base_url}/logout/",
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": f"{base_url}/orgs/acme/"},
    )


def idp_asks_to_sign_in(browser, base_url) -> bool:
    to_idp = start_sso(browser, base_url, "ada@acme.test")
    page = browser.get(to_idp.headers["Location"])
    return 'name="username"' in page.text and "SAMLResponse" not in page.text


def test_the_connection_knows_the_idps_single_logout_service(site):
    _, idp, connection = site
    assert connection.saml.slo_redirect_url == idp.slo_service_url
    assert connection.saml.single_logout


def test_signing_out_sends_a_signed_logout_request_and_checks_the_answer(site):
    base_url, idp, _ = site
    browser = requests.Session()
    assert saml_sign_in(browser, base_url, "ada@acme.test", "ada").url == f"{base_url}/orgs/acme/"
    assert SAMLSignedInSession.objects.count() == 1
    leaving = sign_out(browser, base_url)
    assert leaving.status_code == 200
    location = onward(leaving)
    assert location.startswith(idp.slo_service_url + "?")
    sent = parse_qs(urlsplit(location).query)
    assert {"SAMLRequest", "SigAlg", "Signature"} <= sent.keys()
    assert SAMLSignedInSession.objects.count() == 0
    done = browser.get(location)  # the IdP checks it, signs out, answers at /sso/saml/slo
    assert done.url.startswith(f"{base_url}/sso/saml/slo?SAMLResponse="), idp.log_text()[-3000:]
    assert done.status_code == 200, done.text
    assert "You are signed out of KloudSSO and of" in done.text and "SimpleSAMLphp" in done.text
    assert not signed_in(browser, base_url)
    assert idp_asks_to_sign_in(browser, base_url)


def test_the_idps_answer_is_used_once(site):
    base_url, _, _ = site
    browser = requests.Session()
    saml_sign_in(browser, base_url, "ada@acme.test", "ada")
    done = browser.get(onward(sign_out(browser, base_url)))
    again = browser.get(done.url)
    assert again.status_code == 400 and "slo_response_unknown" in again.text


def idp_initiated(browser, idp, base_url, *, via=None):
    """Sign out at the IdP; return the LogoutRequest URL it sent the browser to and our answer to it, fetched by
    `via` (another browser: no cookie of ours), with the IdP's own session still in `browser`."""
    request_url = _captured_request(browser, idp, base_url)
    answered = (via or browser).get(request_url, allow_redirects=False)
    return request_url, answered


def _captured_request(browser, idp, base_url) -> str:
    """The IdP's LogoutRequest to us, as its sign-out page redirects the browser to it (not fetched)."""
    to_sp = browser.get(
        idp.slo_service_url + "?" + urlencode({"ReturnTo": idp.base_url + "module.php/core/frontpage_welcome.php"}),
        allow_redirects=False,
    )
    while to_sp.is_redirect and not to_sp.headers["Location"].startswith(base_url):
        to_sp = browser.get(urljoin(to_sp.url, to_sp.headers["Location"]), allow_redirects=False)
    request_url = to_sp.headers.get("Location", "")
    assert request_url.startswith(f"{base_url}/sso/saml/slo?SAMLRequest="), idp.log_text()[-3000:]
    return request_url


def test_the_idps_logout_request_ends_the_matching_session_only(site):
    base_url, idp, _ = site
    ada, other = requests.Session(), requests.Session()
    saml_sign_in(ada, base_url, "ada@acme.test", "ada")
    saml_sign_in(other, base_url, "ada@acme.test", "ada")  # the same person in another browser: another session
    assert SAMLSignedInSession.objects.count() == 2
    _, answered = idp_initiated(ada, idp, base_url, via=requests.Session())
    assert answered.status_code == 302 and answered.headers["Location"].startswith(idp.slo_service_url + "?")
    assert {"SAMLResponse", "SigAlg", "Signature"} <= parse_qs(urlsplit(answered.headers["Location"]).query).keys()
    finished = ada.get(answered.headers["Location"])  # the IdP checks our signed LogoutResponse
    assert finished.status_code == 200 and "frontpage_welcome" in finished.url, idp.log_text()[-3000:]
    assert not signed_in(ada, base_url)
    assert signed_in(other, base_url)
    assert SAMLSignedInSession.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda q: {k: v for k, v in q.items() if k != "Signature"}, "slo_unsigned"),
        (lambda q: {**q, "Signature": q["Signature"][:-8] + "AAAAAAA="}, "slo_bad_signature"),
        (lambda q: {**q, "SigAlg": "http://www.w3.org/2000/09/xmldsig#rsa-sha1"}, "slo_bad_signature"),
        (lambda q: {**q, "SAMLRequest": "bm90IHNhbWw="}, "slo_unreadable"),
    ],
    ids=["no signature", "wrong signature", "another algorithm", "not saml"],
)
def test_a_logout_request_that_does_not_verify_ends_nothing(site, change, code):
    base_url, idp, _ = site
    ada = requests.Session()
    saml_sign_in(ada, base_url, "ada@acme.test", "ada")
    # The IdP's signed request, captured, then changed before it reaches us.
    request_url = _captured_request(ada, idp, base_url)
    query = {k: v[0] for k, v in parse_qs(urlsplit(request_url).query).items()}
    refused = requests.get(f"{base_url}/sso/saml/slo?" + urlencode(change(query)), allow_redirects=False)
    assert refused.status_code == 400 and code in refused.text
    assert signed_in(ada, base_url)


def test_with_the_switch_off_the_idps_logout_request_is_refused(site):
    base_url, idp, connection = site
    ada = requests.Session()
    saml_sign_in(ada, base_url, "ada@acme.test", "ada")
    request_url = _captured_request(ada, idp, base_url)
    connection.saml.single_logout = False
    connection.saml.save()
    refused = requests.get(request_url, allow_redirects=False)
    assert refused.status_code == 400 and "slo_unknown_issuer" in refused.text
    assert signed_in(ada, base_url)


def test_an_unsigned_answer_from_the_idp_is_not_trusted(live_server, settings):
    idp, _ = make_site(live_server, settings, sign_logout=False)
    try:
        browser = requests.Session()
        saml_sign_in(browser, live_server.url, "ada@acme.test", "ada")
        done = browser.get(onward(sign_out(browser, live_server.url)))
        assert done.status_code == 400 and "slo_unsigned" in done.text
        assert "You are signed out of KloudSSO" in done.text  # ours ended all the same
        assert not signed_in(browser, live_server.url)
    finally:
        idp.stop()
