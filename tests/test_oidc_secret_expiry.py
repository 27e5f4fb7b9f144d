"""The OIDC form's optional "Client secret expires on": kept, shown again, cleared, and a date already past refused
when typed (an edit that keeps a stored past date is not)."""

from datetime import date, timedelta

from django.utils import timezone

from connections.models import OIDCSettings
from tests.test_oidc_edit import connection, edit_url, form_data, idp  # noqa: F401 -- fixtures and helpers


def test_the_expiry_date_is_saved_and_shown_again(as_alice, connection, idp):  # noqa: F811
    landed = as_alice.post(edit_url(connection), form_data(idp, client_secret_expires_on="2031-06-30"))
    assert landed.status_code == 302
    assert OIDCSettings.objects.get().client_secret_expires_on == date(2031, 6, 30)
    page = as_alice.get(edit_url(connection)).content.decode()
    assert 'type="date"' in page and 'value="2031-06-30"' in page


def test_a_blank_date_clears_it(as_alice, connection, idp):  # noqa: F811
    OIDCSettings.objects.update(client_secret_expires_on=date(2031, 6, 30))
    as_alice.post(edit_url(connection), form_data(idp, client_secret_expires_on=""))
    assert OIDCSettings.objects.get().client_secret_expires_on is None


def test_a_past_date_is_refused_with_the_fix(as_alice, connection, idp):  # noqa: F811
    yesterday = timezone.now().date() - timedelta(days=1)
    page = as_alice.post(edit_url(connection), form_data(idp, client_secret_expires_on=yesterday.isoformat()))
    assert page.status_code == 200
    assert f"{yesterday:%Y-%m-%d} is not in the future" in page.content.decode()
    assert OIDCSettings.objects.get().client_secret_expires_on is None


def test_a_stored_date_that_has_passed_does_not_block_other_edits(as_alice, connection, idp):  # noqa: F811
    past = timezone.now().date() - timedelta(days=3)
    OIDCSettings.objects.update(client_secret_expires_on=past)
    landed = as_alice.post(edit_url(connection), form_data(idp, client_secret_expires_on=past.isoformat()))
    assert landed.status_code == 302


def test_a_malformed_date_is_a_clear_error(as_alice, connection, idp):  # noqa: F811
    page = as_alice.post(edit_url(connection), form_data(idp, client_secret_expires_on="30/06/2031"))
    assert "Enter the date as YYYY-MM-DD" in page.content.decode()
