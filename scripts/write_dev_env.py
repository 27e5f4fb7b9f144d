"""Write a .env for local development (DEBUG on, fresh random keys) unless one exists already."""

import secrets
from pathlib import Path

from cryptography.fernet import Fernet

ENV = Path(__file__).resolve().parent.parent / ".env"

if ENV.exists():
    print(f"Using the existing {ENV.name}.")
else:
    ENV.write_text(
        "# Local development settings, written by `make run`. See README.md, Settings.\n"
        "DEBUG=true\n"
        f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
        f"SECRETS_ENCRYPTION_KEYS={Fernet.generate_key().decode()}\n"
        "PUBLIC_BASE_URL=http://127.0.0.1:8000\n"
        "SSO_ALLOW_INSECURE_IDP=true\n"
    )
    print(f"Wrote {ENV.name} for local development.")
