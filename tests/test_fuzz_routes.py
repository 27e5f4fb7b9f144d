"""Every route is fuzzed: a new URL fails here until a property-based test covers it (tests/support/strategies.py
has the strategies; add the route to FUZZED with the module that fuzzes it). Also fuzzes the pages that take no
form: any method, any query string, any body."""

from pathlib import Path

from django.urls import URLResolver, get_resolver, reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.support import strategies
from tests.support.fuzzing import check, client_for, example_scope, fuzz, rows, send

TESTS = Path(__file__).parent
FUZZED = {
    "audit:log": "test_fuzz_audit_log.py",
    "connections:add": "test_fuzz_routes.py",
    "connections:add_oidc": "test_fuzz_oidc_form.py",
    "connections:add_saml": "test_fuzz_saml_form.py",
    "connections:certificate_add": "test_fuzz_connection_pages.py",
    "connections:certificate_retire": "test_fuzz_connection_pages.py",
    "connections:delete": "test_fuzz_connection_pages.py",
    "connections:edit": "test_fuzz_connection_pages.py",  # and the OIDC and SAML form modules, POSTing to it
    "connections:event": "test_fuzz_connection_pages.py",
    "connections:events": "test_fuzz_connection_pages.py",
    "connections:list": "test_fuzz_connection_pages.py",
    "connections:metadata_confirm": "test_fuzz_metadata_refresh.py",
    "connections:metadata_dismiss": "test_fuzz_metadata_refresh.py",
    "connections:metadata_refresh": "test_fuzz_metadata_refresh.py",
    "connections:relink": "test_fuzz_relink.py",
    "connections:relink_close": "test_fuzz_relink.py",
    "connections:relink_everyone": "test_fuzz_relink.py",
    "connections:sp_metadata": "test_fuzz_connection_pages.py",
    "connections:sp_certificate": "test_fuzz_sp_key.py",
    "connections:sp_key": "test_fuzz_sp_key.py",
    "connections:sp_key_cancel": "test_fuzz_sp_key.py",
    "connections:sp_key_finish": "test_fuzz_sp_key.py",
    "connections:sp_key_start": "test_fuzz_sp_key.py",
    "connections:groups": "test_fuzz_group_roles.py",
    "connections:groups_remove": "test_fuzz_group_roles.py",
    "connections:groups_settings": "test_fuzz_group_roles.py",
    "connections:guide": "test_fuzz_setup_links.py",
    "connections:guides": "test_fuzz_setup_links.py",
    "connections:idp_initiated": "test_fuzz_connection_pages.py",
    "connections:test": "test_fuzz_connection_pages.py",
    "connections:toggle": "test_fuzz_connection_pages.py",
    "connections:troubleshooting": "test_fuzz_connection_pages.py",
    "directory:delete": "test_fuzz_scim.py",
    "directory:detail": "test_fuzz_scim.py",
    "directory:list": "test_fuzz_scim.py",
    "directory:revoke": "test_fuzz_scim.py",
    "directory:roles": "test_fuzz_scim.py",
    "directory:rotate": "test_fuzz_scim.py",
    "domains:delete": "test_fuzz_org_pages.py",
    "domains:list": "test_fuzz_org_pages.py",
    "domains:verify": "test_fuzz_org_pages.py",
    "home": "test_fuzz_routes.py",
    "login": "test_fuzz_login.py",  # /admin/login/ there too; the rest of the admin is staff-only
    "logout": "test_fuzz_routes.py",
    "members:list": "test_fuzz_org_pages.py",
    "members:remove": "test_fuzz_org_pages.py",
    "members:revoke": "test_fuzz_org_pages.py",
    "members:role": "test_fuzz_org_pages.py",
    "notification_settings": "test_fuzz_org_pages.py",
    "oidc_authentication_callback": "test_fuzz_oidc_callback.py",
    "org_home": "test_fuzz_routes.py",
    "saml_acs": "test_fuzz_saml_acs.py",
    "scim_group": "test_fuzz_scim.py",
    "scim_groups": "test_fuzz_scim.py",
    "scim_groups_search": "test_fuzz_scim.py",
    "scim_resource_type": "test_fuzz_scim.py",
    "scim_resource_types": "test_fuzz_scim.py",
    "scim_schema": "test_fuzz_scim.py",
    "scim_schemas": "test_fuzz_scim.py",
    "scim_search": "test_fuzz_scim.py",
    "scim_service_provider_config": "test_fuzz_scim.py",
    "scim_unknown": "test_fuzz_scim.py",
    "scim_user": "test_fuzz_scim.py",
    "scim_users": "test_fuzz_scim.py",
    "scim_users_search": "test_fuzz_scim.py",
    "saml_finish": "test_fuzz_saml_acs.py",
    "saml_slo": "test_fuzz_logout.py",
    "setup_links:check": "test_fuzz_setup_links.py",
    "setup_links:connect": "test_fuzz_setup_links.py",
    "setup_links:done": "test_fuzz_setup_links.py",
    "setup_links:finish": "test_fuzz_setup_links.py",
    "setup_links:guide": "test_fuzz_setup_links.py",
    "setup_links:list": "test_fuzz_setup_links.py",
    "setup_links:open": "test_fuzz_setup_links.py",
    "setup_links:revoke": "test_fuzz_setup_links.py",
    "setup_links:start": "test_fuzz_setup_links.py",
    "setup_links:test": "test_fuzz_setup_links.py",
    "sp_metadata_public": "test_fuzz_routes.py",
    "sso_login": "test_fuzz_login.py",
    "sso_logout_done": "test_fuzz_logout.py",
    "sso_settings": "test_fuzz_org_pages.py",
    "sso_someone_else": "test_fuzz_login.py",
    "sso_start": "test_fuzz_login.py",
    "switch_org": "test_fuzz_org_pages.py",
}


def route_names(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace != "admin":
                prefix = f"{pattern.namespace}:" if pattern.namespace else namespace
                yield from route_names(pattern.url_patterns, prefix)
        else:
            yield namespace + (pattern.name or repr(pattern.pattern))


def test_every_route_has_a_property_based_test():
    routes = set(route_names(get_resolver().url_patterns))
    assert routes - FUZZED.keys() == set(), "new routes: fuzz them with tests/support/strategies.py, then list them"
    assert FUZZED.keys() - routes == set(), "routes that no longer exist"
    for module in set(FUZZED.values()):
        assert (TESTS / module).is_file(), module


@fuzz()
@given(
    page=st.sampled_from(["home", "org_home", "connections:add", "logout", "sp_metadata_public"]),
    who=st.sampled_from([None, "alice", "bob", "charlie"]),
    method=st.sampled_from(["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"]),
    query=strategies.query_strings(("org", "next", "page")),
    body=strategies.form_bodies(("org", "next", "csrfmiddlewaretoken")),
)
def test_pages_without_a_form_take_anything(alice, bob, charlie, page, who, method, query, body):
    people = {"alice": alice, "bob": bob, "charlie": charlie}
    kwargs = {"org_slug": "acme"} if page in ("org_home", "connections:add") else {}
    if page == "sp_metadata_public":
        kwargs = {"org_public_id": alice.memberships.get().organization.public_id}
    with example_scope():
        client = client_for(people[who] if who else None)
        before = rows()
        path = reverse(page, kwargs=kwargs)
        if method == "GET":
            response = send(client, "GET", path, query)
        elif method == "POST":
            response = send(client, "POST", path, body)
        else:
            response = client.generic(method, f"{path}?{query}", data=b"x")
        check(response, before, may_change={"connections.ServiceProvider"})  # made on first use
