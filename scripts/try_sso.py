"""Try Sign in with SSO locally, against the same real IdPs the tests use (`make try-sso`).

Starts oidc-provider (an Entra-shaped OIDC IdP) and SimpleSAMLphp (a SAML IdP) on 127.0.0.1, prepares a demo
database (var/try-sso.sqlite3) with the organization Acme, its verified domain acme.test and one connection to
each IdP, then runs the site at http://127.0.0.1:8000/. Ctrl-C stops everything.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SITE = "http://127.0.0.1:8000"
DB = ROOT / "var" / "try-sso.sqlite3"

os.environ.update(
    {
        "ENV_FILE": "",
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{DB}",
        "PUBLIC_BASE_URL": SITE,
        "SSO_ALLOW_INSECURE_IDP": "true",
        "DJANGO_SETTINGS_MODULE": "kloudsso.settings",
    }
)


def main() -> None:
    import django

    DB.parent.mkdir(exist_ok=True)
    DB.unlink(missing_ok=True)
    django.setup()
    from django.core.management import call_command

    from tests.support.oidc_idp import OIDCIdP
    from tests.support.oidc_idp import available as oidc_available
    from tests.support.saml_idp import SimpleSAMLphpIdP
    from tests.support.saml_idp import available as saml_available

    call_command("migrate", verbosity=0)
    call_command(
        "createorg", name="Acme", slug="acme", owner_email="owner@acme.test", password="kloudsso-demo-2026", plan="paid"
    )
    org, sp = _org_and_sp()
    idps = []
    if reason := oidc_available():
        print(f"OIDC IdP not started: {reason}")
    else:
        oidc = OIDCIdP(
            client_id="kloudsso-demo", client_secret="demo-secret-1", redirect_uris=[f"{SITE}/sso/oidc"]
        ).start()
        idps.append(oidc)
        _oidc_connection(org, oidc)
    if reason := saml_available():
        print(f"SAML IdP not started: {reason}")
    else:
        saml = SimpleSAMLphpIdP(
            sp_entity_id=sp.entity_id, acs_url=f"{SITE}/sso/saml", sp_certificate_pem=sp.certificate_pem
        )
        idps.append(saml.start())
        _saml_connection(org, saml)
    print(
        f"\n  Sign in with SSO at {SITE}/sso/login with ada@acme.test, then choose a connection."
        "\n  At the IdP: login ada, password pass (bea, eve and nomail exist too)."
        f"\n  The owner console: {SITE}/login/ as owner@acme.test / kloudsso-demo-2026\n"
    )
    try:
        subprocess.run(
            [sys.executable, "manage.py", "runserver", "127.0.0.1:8000", "--noreload"], cwd=ROOT, check=False
        )
    except KeyboardInterrupt:
        pass
    finally:
        for idp in idps:
            idp.stop()


def _org_and_sp():
    from connections.sp import service_provider_get_or_create
    from domains.models import Domain
    from kloudsso.tenancy.models import Organization

    org = Organization.objects.get(slug="acme")
    org.provisioning_mode = "jit"
    org.save()
    Domain.objects.create(organization=org, name="acme.test", status="verified")  # demo only: no DNS here
    return org, service_provider_get_or_create(org=org)


def _oidc_connection(org, idp):
    from tests.support.factories import oidc_connection_for_idp

    oidc_connection_for_idp(org, idp, display_name="Entra ID (OIDC, oidc-provider)")


def _saml_connection(org, idp):
    from connections.saml.metadata import parse_idp_metadata
    from connections.saml.services import saml_connection_save

    saml_connection_save(
        org=org, display_name="SAML 2.0 (SimpleSAMLphp)", source="xml", idp=parse_idp_metadata(idp.metadata_xml())
    )


if __name__ == "__main__":
    main()
