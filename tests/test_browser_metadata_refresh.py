"""The connection page of a metadata URL connection in a real browser (Debian's Chromium): a change waiting for the
owner, confirmed with its button, a new entity ID, and a failing refresh. Screenshots land in test-artifacts/."""

from datetime import timedelta

import pytest

from connections.saml.metadata import parse_idp_metadata
from connections.saml.services import saml_connection_save
from connections.sp import service_provider_get_or_create, sp_metadata_xml
from tests.support.browser import allow_orm_beside_playwright, clean_artifacts, screenshot, unavailable
from tests.support.metadata_url import ENTITY_ID, T0, PublishedMetadata, refresh
from tests.support.saml_craft import CraftingIdP

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or ""),
]
allow_orm_beside_playwright()


def test_the_connection_page_shows_a_waiting_change_and_a_failing_refresh(
    owner_page, live_server, acme, http_server, tmp_path
):
    clean_artifacts("metadata-refresh")
    sp = service_provider_get_or_create(org=acme)
    idp = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), entity_id=ENTITY_ID)
    next_idp = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), entity_id=ENTITY_ID, stem="idp-next")
    metadata = PublishedMetadata(http_server)
    connection = saml_connection_save(
        org=acme,
        display_name="Entra ID",
        source="url",
        metadata_url=metadata.url,
        idp=parse_idp_metadata(metadata.publish(idp)),
    )
    edit = f"{live_server.url}/orgs/acme/connections/{connection.public_id}/edit/"

    metadata.publish(idp, next_idp, sso_url="https://idp.crafted.test/new-sso")
    refresh(T0)
    owner_page.goto(edit)
    assert owner_page.locator("#pending-change").is_visible()
    screenshot(owner_page, "metadata-refresh-1-sso-url-waiting")
    owner_page.click("text=Confirm the new SSO URL")
    owner_page.wait_for_selector("text=Change confirmed and applied.")
    screenshot(owner_page, "metadata-refresh-2-confirmed")

    metadata.publish(
        next_idp, entity_id="https://sts.windows.net/another-tenant/", sso_url="https://idp.crafted.test/new-sso"
    )
    refresh(T0 + timedelta(hours=12))
    owner_page.goto(edit)
    assert owner_page.locator("text=A new entity ID is a different identity provider.").is_visible()
    screenshot(owner_page, "metadata-refresh-3-entity-id-waiting")
    owner_page.click("text=Dismiss: keep what is on file")
    owner_page.wait_for_selector("text=Change dismissed")

    metadata.fail()
    for hours in (24, 36, 48):
        refresh(T0 + timedelta(hours=hours))
    owner_page.goto(edit)
    assert owner_page.locator("text=3 failed refreshes in a row").is_visible()
    screenshot(owner_page, "metadata-refresh-4-failing")
