"""The catalogue's fixes name the IdP's own setting: for a connection in its preset's words (Entra ID, Okta, Google
Workspace, AD FS, any other provider), on the troubleshooting page in every preset's."""

import re
from types import SimpleNamespace

import pytest
from django.urls import reverse

from connections.guides import guide_get, guide_list
from connections.guides.fixes import FIX_STEPS
from connections.guides.idp_words import KEYS, idp_words, oidc_preset
from connections.sp import oidc_redirect_uri
from signin.catalogue import CATALOGUE, ENTRIES

ISSUERS = {
    "entra-oidc": "https://login.microsoftonline.com/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/v2.0",
    "okta-oidc": "https://acme.okta.com/oauth2/default",
    "google-oidc": "https://accounts.google.com",
    "adfs-oidc": "https://sts.acme.test/adfs",
    "generic-oidc": "https://sso.acme.test/realms/acme",
}


def oidc_connection_to(issuer: str):
    return SimpleNamespace(kind="oidc", oidc=SimpleNamespace(issuer=issuer, discovery_url=issuer + "/.well-known/x"))


def values(connection=None) -> dict:
    ours = {"redirect_uri": oidc_redirect_uri(), "acs_url": "-", "sp_entity_id": "-", "slo_url": "-"}
    return {**ours, "logout_done_url": "-", **idp_words(connection)}


@pytest.mark.parametrize(("slug", "issuer"), ISSUERS.items())
def test_each_preset_is_told_from_the_issuer(slug, issuer):
    assert oidc_preset(oidc_connection_to(issuer).oidc).slug == slug


def test_every_oidc_preset_names_every_setting_a_fix_refers_to():
    used = {m for e in ENTRIES for m in re.findall(r"\{idp_(\w+)\}", e.fix)}
    assert used <= set(KEYS)
    for guide in guide_list(protocol="oidc"):
        for key in used:
            assert guide.settings.get(key) or guide.fields.get(key), (guide.slug, key)


@pytest.mark.parametrize("connection", [None, *(oidc_connection_to(i) for i in ISSUERS.values())])
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.code)
def test_no_fix_is_left_with_a_placeholder(entry, connection):
    assert "{" not in entry.fix_with(values(connection)), entry.fix_with(values(connection))


@pytest.mark.parametrize(
    ("slug", "code", "said"),
    [
        ("entra-oidc", "userinfo_error", "Microsoft Entra ID: Token configuration → Add optional claim → ID → email"),
        ("okta-oidc", "invalid_client", "Okta: General → Client Credentials → Client secret"),
        ("okta-oidc", "redirect_uri_mismatch", "Okta: General → General Settings → Sign-in redirect URIs"),
        ("google-oidc", "aud_mismatch", "Google Workspace: Credentials → your OAuth 2.0 Client ID → Client ID"),
        ("adfs-oidc", "userinfo_error", "ADFS: Application group → Web API → Issuance Transform Rules"),
        ("adfs-oidc", "idp_error", "ADFS: Application group → Web API → Access control policy"),
        ("generic-oidc", "hs_alg_not_chosen", "LemonLDAP::NG: OpenID Connect Relying Parties → your RP → Options"),
        ("okta-oidc", "bad_alg", "Okta: it signs ID tokens with RS256 and its published keys, so a token signed"),
        ("entra-oidc", "hs_alg_not_chosen", "Discovery URL likely points at another IdP: check it"),
        ("adfs-oidc", "hs_alg_not_chosen", "ADFS: it signs ID tokens only with RS256 and its token-signing"),
    ],
)
def test_a_connections_fix_speaks_its_idps_language_only(slug, code, said):
    fix = CATALOGUE[code].fix_with(values(oidc_connection_to(ISSUERS[slug])))
    assert said in fix
    others = [g.idp for g in guide_list(protocol="oidc") if g.slug not in {slug, "generic-oidc"}]
    assert not any(f"{other}: " in fix for other in others), fix


def test_without_a_connection_a_fix_names_the_setting_in_every_preset():
    fix = CATALOGUE["hs_alg_not_chosen"].fix_with(values())
    for name in ("Microsoft Entra ID: ", "Okta: ", "Google Workspace: ", "ADFS: ", "other providers: "):
        assert name in fix
    assert "ID Token signature algorithm" in fix


def test_the_event_page_of_a_saml_connection_names_every_preset(as_alice, acme):
    from connections.events import Outcome, SignInEvent
    from tests.support.factories import saml_connection

    event = SignInEvent.objects.create(
        organization=acme,
        connection=saml_connection(acme),
        outcome=Outcome.FAILURE,
        code="userinfo_error",
        detail="d",
    )
    page = as_alice.get(reverse("connections:event", args=["acme", event.public_id])).content.decode()
    assert "Okta: " in page and "ADFS: " in page


def test_the_event_page_of_an_okta_connection_speaks_okta(as_alice, acme):
    from connections.events import Outcome, SignInEvent
    from tests.support.factories import oidc_connection

    okta = oidc_connection(acme, display_name="Okta", issuer="https://acme.okta.com/oauth2/default")
    event = SignInEvent.objects.create(
        organization=acme, connection=okta, outcome=Outcome.FAILURE, code="invalid_client", detail="d"
    )
    page = as_alice.get(reverse("connections:event", args=["acme", event.public_id])).content.decode()
    assert "Okta: General → Client Credentials → Client secret" in page
    assert "Microsoft Entra ID: " not in page


@pytest.mark.parametrize("code", sorted(FIX_STEPS))
def test_every_fix_links_to_guide_steps_that_exist(code):
    assert code in CATALOGUE
    for slug, anchor in FIX_STEPS[code]:
        assert anchor in {step.anchor for step in guide_get(slug).steps}, (slug, anchor)
