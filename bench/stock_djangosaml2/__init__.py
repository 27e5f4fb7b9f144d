"""A minimal Django project using djangosaml2 as its documentation sets it up: the stock service provider that
KloudSSO's SAML sign-in is compared with, on the same kind of response from the same IdP key."""
