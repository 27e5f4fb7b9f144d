"""A production site's database migrated and given the benchmark's organizations and connections (bench/data.py).

`python -m tests.support.bench_site IDP_ENTITY_ID IDP_CERT_FILE SAML_SSO_URL OIDC_ISSUER`, run with the site's
environment (its DATABASE_URL), migrates, then prints {"saml_slug", "oidc_slug", "sp_entity_id"} as JSON on its last
line (createorg speaks first): a SAML organization whose connection trusts the bench's SAML IdP stand-in, an OIDC
one whose connection uses its OIDC stand-in, both just-in-time with a verified domain (bench.data.SAML_DOMAIN,
OIDC_DOMAIN). One process for both steps: each Django start costs seconds on a busy machine.
"""

import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace


def main(entity_id: str, cert_file: str, sso_url: str, oidc_issuer: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kloudsso.settings")
    import django

    django.setup()
    from bench import data

    data.migrate(os.environ.get("CACHE_URL", ""))
    saml_idp = SimpleNamespace(entity_id=entity_id, cert_pem=Path(cert_file).read_text())  # all create() reads
    made = data.create(saml_idp=saml_idp, saml_sso_url=sso_url, oidc_issuer=oidc_issuer)
    print(json.dumps({"saml_slug": made.saml_slug, "oidc_slug": made.oidc_slug, "sp_entity_id": made.sp_entity_id}))


if __name__ == "__main__":
    main(*sys.argv[1:])
