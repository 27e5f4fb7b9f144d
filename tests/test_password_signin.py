"""Password sign-in on /login/ and /admin/login/: bounded inputs, and password guessing throttled per account and
per IP address."""

import pytest
from django.urls import reverse

PAGES = ["login", "admin:login"]
PASSWORD = "correct-horse-battery"


def sign_in(client, page: str, username: str, password: str = PASSWORD, **extra):
    return client.post(reverse(page), {"username": username, "password": password}, **extra)


# SQLite evaluates the LIKE of an iexact lookup against each row and refuses a pattern over 50,000 bytes, once
# escaped ("_" doubles): with alice in the table, either username was a 500.
@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("username", ["a" * 50_001, "_" * 50_000], ids=["50001-letters", "50000-underscores"])
def test_a_50000_character_username_is_a_form_error_without_a_query(
    client, alice, page, username, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = sign_in(client, page, username)
    assert response.status_code == 200
    assert "at most 254 characters" in response.context["form"].errors["username"][0]


@pytest.mark.parametrize("page", PAGES)
def test_a_50000_character_password_is_a_form_error_without_a_query(client, alice, page, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = sign_in(client, page, "alice@acme.test", "p" * 50_000)
    assert response.status_code == 200
    assert "at most 4096 characters" in response.context["form"].errors["password"][0]


@pytest.mark.parametrize("page", PAGES)
def test_an_email_of_254_characters_is_checked_as_usual(client, db, page):
    response = sign_in(client, page, "a" * 242 + "@example.com", "wrong")
    assert response.status_code == 200
    assert "username" not in response.context["form"].errors
    assert "correct" in response.context["form"].non_field_errors()[0]


@pytest.mark.parametrize("page", PAGES)
def test_the_sign_in_pages_tell_the_browser_the_limits(client, db, page):
    html = client.get(reverse(page)).content.decode()
    assert 'maxlength="254"' in html
    assert 'maxlength="4096"' in html
