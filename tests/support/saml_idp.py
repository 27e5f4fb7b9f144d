"""A real SAML 2.0 identity provider on 127.0.0.1: SimpleSAMLphp 1.19 (Debian's package).

SimpleSAMLphp's www/ directory is served by PHP's built-in web server through
`tests/idp/saml/router.php`, under http://127.0.0.1:<port>/simplesaml/. Every start writes a private
configuration directory (config.php, authsources.php, metadata/, the IdP's freshly made key and
certificate, PHP sessions, the log) into a temporary directory and points SimpleSAMLphp at it with
SIMPLESAMLPHP_CONFIG_DIR; the system configuration in /etc/simplesamlphp is never read.

The IdP knows one service provider, the one given to the constructor: its entity ID, its
AssertionConsumerService (HTTP-POST) and its signing certificate. AuthnRequests must be signed by it
(validate.authnrequest). Responses and assertions are signed with RSA-SHA256; attributes use the
basic NameFormat (plain names: uid, mail, ...). Unless the AuthnRequest's NameIDPolicy asks for another
format, the NameID is emailAddress, taken from `mail`; for an account without `mail` SimpleSAMLphp falls
back to a random transient NameID (it logs "Unable to add NameID: Missing 'mail'") instead of failing.
A NameIDPolicy asking for persistent gets a persistent NameID made from `uid` (saml:PersistentNameID: a
hash of the IdP, the SP and the uid), as a real IdP's pairwise identifier.

Accounts of the `example-userpass` source (password "pass"):

    ada     uid ada, mail and email ada@acme.test, displayName "Ada Lovelace"
    nomail  uid nomail only: no mail, no email (its NameID is transient)
    eve     mail eve@evil.test

`users` adds accounts (username → attributes, each a list of values, e.g. givenName, sn, groups) or
replaces one of these.

    reason = available()
    if reason:
        pytest.skip(reason)
    with SimpleSAMLphpIdP(sp_entity_id, acs_url, sp_certificate_pem) as idp:
        configure the SP with idp.metadata_xml() (or idp.metadata_url)
        posted = complete_login(requests.Session(), authn_request_redirect_url, "ada")
        then POST {"SAMLResponse": ..., "RelayState": ...} to posted["action"]
        unasked = complete_login(requests.Session(), idp.idp_initiated_url(relay_state="/orgs/acme/"), "ada")
        SimpleSAMLphpIdP(..., slo_url=f"{base}/sso/saml/slo")  # the SP's single logout (signed both ways)
        new_pem = idp.rekey()  # a certificate rollover at the IdP: it signs with, and publishes, a new key

The signing certificate lives 30 days (CN=kloudsso-test-idp, OU=the key's name: idp, then idp-2, ...).

Encryption is off unless asked for: `encrypt=True` with `sp_encryption_certificate_pem` makes SimpleSAMLphp encrypt
each assertion to that certificate ('assertion.encryption'; SimpleSAMLphp 1.19 always wraps an AES-128-CBC key with
RSA-OAEP-MGF1P then), `encrypt_name_id=True` encrypts the NameID as well ('nameid.encryption'), and `shared_key`
with `shared_key_algorithm` makes it encrypt with a symmetric key instead ('sharedkey', 'sharedkey_algorithm'; no
EncryptedKey), as a misconfigured IdP does. `configure_encryption()` changes them on a running IdP.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urljoin

import requests

from tests.support.html_forms import origin as _origin
from tests.support.html_forms import parse as _parse

SIMPLESAMLPHP_DIR = Path("/usr/share/simplesamlphp")
ROUTER = Path(__file__).resolve().parent.parent / "idp" / "saml" / "router.php"
PASSWORD = "pass"
START_TIMEOUT = 20.0

HTTP_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
HTTP_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
NAMEID_TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
NAME_FORMAT_BASIC = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

USERS = {
    "ada": {
        "uid": ["ada"],
        "mail": ["ada@acme.test"],
        "email": ["ada@acme.test"],
        "displayName": ["Ada Lovelace"],
    },
    "nomail": {"uid": ["nomail"]},
    "eve": {"mail": ["eve@evil.test"]},
}

# PHP extensions SimpleSAMLphp cannot do without (mbstring has a polyfill in its vendor/).
_PHP_EXTENSIONS = ("dom", "openssl", "session", "simplexml", "xml", "json", "pcre", "hash")


def available() -> str | None:
    """None when the IdP can run here, else why not (a reason fit for pytest.skip)."""
    php = shutil.which("php")
    missing = [
        what
        for what, there in (
            ("php", php),
            (str(SIMPLESAMLPHP_DIR), (SIMPLESAMLPHP_DIR / "www" / "saml2" / "idp" / "SSOService.php").is_file()),
            ("openssl", shutil.which("openssl")),
        )
        if not there
    ]
    if missing:
        return f"{', '.join(missing)} missing: apt-get install simplesamlphp php-cli php-xml openssl"
    try:
        modules = subprocess.run([php, "-m"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return "php -m failed"
    loaded = {line.strip().lower() for line in modules.splitlines()}
    absent = [ext for ext in _PHP_EXTENSIONS if ext not in loaded]
    if absent:
        return f"PHP extensions {', '.join(absent)} missing: apt-get install php-xml"
    return None


class SimpleSAMLphpIdP:
    """SimpleSAMLphp under `php -S` as a child process: start() waits for its metadata, stop() ends it."""

    def __init__(
        self,
        sp_entity_id: str,
        acs_url: str,
        sp_certificate_pem: str,
        *,
        users: dict[str, dict] | None = None,
        slo_url: str = "",
        sign_logout: bool = True,
        encrypt: bool = False,
        sp_encryption_certificate_pem: str = "",
        encrypt_name_id: bool = False,
        shared_key: str = "",
        shared_key_algorithm: str = "",
    ):
        self.users = {**USERS, **(users or {})}
        self.sp_entity_id = sp_entity_id
        self.slo_url = slo_url  # the SP's SingleLogoutService (both bindings); "" leaves single logout out
        self.sign_logout = sign_logout
        self.acs_url = acs_url
        self.sp_certificate_pem = sp_certificate_pem
        self._encryption = {}
        self._set_encryption(encrypt, sp_encryption_certificate_pem, encrypt_name_id, shared_key, shared_key_algorithm)
        self.port: int | None = None
        self.directory: Path | None = None
        self._tempdir: tempfile.TemporaryDirectory | None = None
        self._process: subprocess.Popen | None = None
        self._server_log = None
        self._key_stem = "idp"  # the key and certificate it signs with: cert/<stem>.key and cert/<stem>.crt
        self._secret_salt = secrets.token_hex(32)  # kept by rekey(): persistent NameIDs are made with it

    # -- URLs ----------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port>/simplesaml/ (SimpleSAMLphp's baseurlpath)."""
        self._require_started()
        return f"http://127.0.0.1:{self.port}/simplesaml/"

    @property
    def metadata_url(self) -> str:
        return self.base_url + "saml2/idp/metadata.php"

    @property
    def entity_id(self) -> str:
        return self.metadata_url

    @property
    def sso_url(self) -> str:
        return self.base_url + "saml2/idp/SSOService.php"

    def idp_initiated_url(self, relay_state: str | None = None) -> str:
        """An IdP-initiated sign-in for the SP, as a portal's tile opens it (SimpleSAMLphp's spentityid parameter):
        give it to complete_login() instead of an AuthnRequest URL. The response answers no request; `relay_state`,
        when given, comes back with it as the form's RelayState."""
        query = {"spentityid": self.sp_entity_id}
        if relay_state is not None:
            query["RelayState"] = relay_state
        return f"{self.sso_url}?{urlencode(query)}"

    @property
    def slo_service_url(self) -> str:
        """The IdP's SingleLogoutService; GET it with ?ReturnTo=... and the IdP's session to sign out at the IdP
        (IdP-initiated single logout: a LogoutRequest to each SP the session signed in to)."""
        return self.base_url + "saml2/idp/SingleLogoutService.php"

    @property
    def certificate_pem(self) -> str:
        """The IdP's signing certificate (made at start, or by the last rekey())."""
        self._require_started()
        return (self.directory / "cert" / f"{self._key_stem}.crt").read_text()

    def metadata_xml(self) -> str:
        response = _direct().get(self.metadata_url, timeout=10)
        response.raise_for_status()
        return response.text

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> SimpleSAMLphpIdP:
        if self._process is not None:
            raise RuntimeError("the SAML IdP is already started")
        reason = available()
        if reason:
            raise RuntimeError(f"cannot start the SAML IdP: {reason}")
        self._tempdir = tempfile.TemporaryDirectory(prefix="kloudsso-saml-idp-")
        self.directory = Path(self._tempdir.name)
        try:
            self._make_certificate()
            # The port is in the configuration (baseurlpath, entity ID), so it is chosen first; if
            # another process takes it before php binds it, try another one.
            problem = ""
            for _attempt in range(3):
                self.port = _free_port()
                self._write_config()
                problem = self._launch()
                if not problem:
                    return self
                if "Address already in use" not in problem:
                    break
            raise RuntimeError(f"the SAML IdP did not start: {problem}")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self._server_log is not None:
            self._server_log.close()
            self._server_log = None
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None
        self.directory = None

    def __enter__(self) -> SimpleSAMLphpIdP:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def rekey(self) -> str:
        """The IdP rolls its signing key over, as an admin activating a new certificate does: a new key and
        certificate, signing every response from the next request on, and the only certificate its metadata
        publishes. Nothing restarts (php -S reads the configuration at each request). Returns the new certificate."""
        self._require_started()
        number = 2 if self._key_stem == "idp" else int(self._key_stem.rsplit("-", 1)[1]) + 1
        self._key_stem = f"idp-{number}"
        self._make_certificate()
        self._write_idp_hosted()
        return self.certificate_pem

    def log_text(self) -> str:
        """SimpleSAMLphp's own log, then what `php -S` wrote (requests, PHP warnings): for failure messages."""
        if self.directory is None:
            return ""
        parts = []
        for name in ("log/simplesamlphp.log", "php-server.log"):
            path = self.directory / name
            if path.exists():
                parts.append(f"--- {name}\n" + path.read_text(errors="replace"))
        return "\n".join(parts)

    # -- internals -----------------------------------------------------------------------------

    def _require_started(self) -> None:
        if self.port is None or self.directory is None:
            raise RuntimeError("the SAML IdP is not started")

    def _make_certificate(self) -> None:
        certdir = self.directory / "cert"
        certdir.mkdir(exist_ok=True)
        subprocess.run(
            [
                shutil.which("openssl"),
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "30",
                "-subj",
                f"/CN=kloudsso-test-idp/OU={self._key_stem}",
                "-keyout",
                str(certdir / f"{self._key_stem}.key"),
                "-out",
                str(certdir / f"{self._key_stem}.crt"),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def _write_config(self) -> None:
        root = self.directory
        for sub in ("config", "metadata", "log", "data", "tmp", "sessions"):
            (root / sub).mkdir(exist_ok=True)
        base_url = f"http://127.0.0.1:{self.port}/simplesaml/"

        config = {
            "baseurlpath": base_url,
            "certdir": f"{root / 'cert'}/",
            "loggingdir": f"{root / 'log'}/",
            "datadir": f"{root / 'data'}/",
            "tempdir": str(root / "tmp"),
            "metadatadir": f"{root / 'metadata'}/",
            "technicalcontact_name": "KloudSSO tests",
            "technicalcontact_email": "tests@kloudsso.test",
            "timezone": "UTC",
            "secretsalt": self._secret_salt,
            "auth.adminpassword": secrets.token_hex(16),
            "admin.protectindexpage": False,
            "admin.protectmetadata": False,
            "admin.checkforupdates": False,
            "trusted.url.domains": [],
            "enable.http_post": False,
            "debug": {"saml": False, "backtraces": True, "validatexml": False},
            "showerrors": True,
            "errorreporting": False,
            "logging.level": _Raw("SimpleSAML\\Logger::DEBUG"),
            "logging.handler": "file",
            "logging.logfile": "simplesamlphp.log",
            "statistics.out": [],
            "enable.saml20-idp": True,
            "enable.shib13-idp": False,
            "enable.adfs-idp": False,
            "module.enable": {"core": True, "saml": True, "exampleauth": True, "admin": True},
            "session.duration": 8 * 3600,
            "session.cookie.name": "SimpleSAMLSessionID",
            "session.cookie.path": "/",
            "session.cookie.domain": None,
            # plain http: a secure cookie would make SimpleSAMLphp throw CannotSetCookie
            "session.cookie.secure": False,
            "session.cookie.samesite": None,
            "session.phpsession.cookiename": "SimpleSAML",
            "session.phpsession.savepath": str(root / "sessions"),
            "session.phpsession.httponly": True,
            "session.authtoken.cookiename": "SimpleSAMLAuthToken",
            "language.default": "en",
            "language.available": ["en"],
            "language.cookie.secure": False,
            "language.cookie.samesite": None,
            "theme.use": "default",
            "production": True,
            "metadata.sources": [{"type": "flatfile", "directory": str(root / "metadata")}],
            "metadata.sign.enable": False,
            "store.type": "phpsession",
        }
        _write_php(root / "config" / "config.php", "config", config)

        authsources = {
            "admin": {0: "core:AdminPassword"},
            "example-userpass": {0: "exampleauth:UserPass", **{f"{u}:{PASSWORD}": a for u, a in self.users.items()}},
        }
        _write_php(root / "config" / "authsources.php", "config", authsources)

        self._write_idp_hosted()
        self._write_sp_remote(root)

    def trust_sp_certificates(self, sp_certificate_pem: str) -> None:
        """Replace the SP's certificates the IdP checks AuthnRequests with (one PEM block, or several: as an IdP
        that read SP metadata listing two during a key rotation). SimpleSAMLphp reads it at each request."""
        self.sp_certificate_pem = sp_certificate_pem
        self._write_sp_remote(self.directory)

    def configure_encryption(
        self,
        *,
        encrypt: bool = False,
        sp_encryption_certificate_pem: str = "",
        encrypt_name_id: bool = False,
        shared_key: str = "",
        shared_key_algorithm: str = "",
    ) -> None:
        """What the IdP encrypts from the next request on (the constructor's keywords; all off by default)."""
        self._set_encryption(encrypt, sp_encryption_certificate_pem, encrypt_name_id, shared_key, shared_key_algorithm)
        self._write_sp_remote(self.directory)

    def _set_encryption(self, encrypt, certificate_pem, encrypt_name_id, shared_key, shared_key_algorithm) -> None:
        self._encryption_pem = certificate_pem
        self._encryption = {}
        if encrypt:
            self._encryption["assertion.encryption"] = True
        if encrypt_name_id:
            self._encryption["nameid.encryption"] = True
        if shared_key:
            self._encryption["sharedkey"] = shared_key
        if shared_key_algorithm:
            self._encryption["sharedkey_algorithm"] = shared_key_algorithm

    def _write_sp_remote(self, root: Path) -> None:
        encryption_keys = [
            {"encryption": True, "signing": False, "type": "X509Certificate", "X509Certificate": body}
            for body in (_pem_bodies(self._encryption_pem) if self._encryption_pem else [])
        ]
        sp_remote = {
            self.sp_entity_id: {
                "AssertionConsumerService": [{"Binding": HTTP_POST, "Location": self.acs_url, "index": 0}],
                "keys": [
                    {"encryption": False, "signing": True, "type": "X509Certificate", "X509Certificate": body}
                    for body in _pem_bodies(self.sp_certificate_pem)
                ]
                + encryption_keys,
                **self._encryption,
                "validate.authnrequest": True,
                "NameIDFormat": NAMEID_EMAIL,
                # NameID value from `mail`; without it SimpleSAMLphp issues a transient NameID
                "simplesaml.nameidattribute": "mail",
                "attributes.NameFormat": NAME_FORMAT_BASIC,
                "signature.algorithm": RSA_SHA256,
            }
        }
        if self.slo_url:
            sp_remote[self.sp_entity_id].update(
                {
                    "SingleLogoutService": [
                        {"Binding": HTTP_REDIRECT, "Location": self.slo_url},
                        {"Binding": HTTP_POST, "Location": self.slo_url},
                    ],
                    "sign.logout": self.sign_logout,  # its LogoutRequests and LogoutResponses to the SP
                    "validate.logout": True,  # the SP's must be signed
                }
            )
        _write_php(root / "metadata" / "saml20-sp-remote.php", "metadata", sp_remote, merge=True)

    def _write_idp_hosted(self) -> None:
        idp_entity_id = f"http://127.0.0.1:{self.port}/simplesaml/saml2/idp/metadata.php"
        idp_hosted = {
            idp_entity_id: {
                "host": "__DEFAULT__",
                "privatekey": f"{self._key_stem}.key",
                "certificate": f"{self._key_stem}.crt",
                "auth": "example-userpass",
                "signature.algorithm": RSA_SHA256,
                "saml20.sign.assertion": True,
                "attributes.NameFormat": NAME_FORMAT_BASIC,
                # published in the IdP's metadata; what an SP gets is decided by its own entry below, or by
                # the AuthnRequest's NameIDPolicy for the formats the filters below make
                "NameIDFormat": [NAMEID_EMAIL, NAMEID_PERSISTENT, NAMEID_TRANSIENT],
                "authproc": {10: {"class": "saml:PersistentNameID", "attribute": "uid"}},
            }
        }
        _write_php(self.directory / "metadata" / "saml20-idp-hosted.php", "metadata", idp_hosted, merge=True)

    def _launch(self) -> str:
        """Run php -S and wait for the metadata. '' when it is up, else what went wrong."""
        if self._server_log is not None:
            self._server_log.close()
        log_path = self.directory / "php-server.log"
        self._server_log = open(log_path, "wb")  # noqa: SIM115 (closed by stop())
        env = {
            **os.environ,
            "SIMPLESAMLPHP_CONFIG_DIR": str(self.directory / "config"),
            "SIMPLESAMLPHP_WWW_DIR": str(SIMPLESAMLPHP_DIR / "www"),
        }
        env.pop("PHP_CLI_SERVER_WORKERS", None)
        self._process = subprocess.Popen(
            [
                shutil.which("php"),
                "-d",
                "display_errors=stderr",
                "-d",
                "error_reporting=E_ALL & ~E_DEPRECATED",
                "-d",
                "opcache.revalidate_freq=0",
                "-S",
                f"127.0.0.1:{self.port}",
                "-t",
                str(SIMPLESAMLPHP_DIR / "www"),
                str(ROUTER),
            ],
            cwd=self.directory,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._server_log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_TIMEOUT
        last = "no answer"
        probe = _direct()
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                return f"php exited\n{self.log_text()}"
            try:
                response = probe.get(self.metadata_url, timeout=2)
            except requests.RequestException as exc:
                last = repr(exc)
            else:
                if response.status_code == 200 and "EntityDescriptor" in response.text:
                    return ""
                last = f"HTTP {response.status_code}: {_strip_html(response.text)[:2000]}"
            time.sleep(0.1)
        process, self._process = self._process, None
        process.terminate()
        process.wait(timeout=5)
        return f"no metadata within {START_TIMEOUT:.0f} s ({last})\n{self.log_text()}"


# ---------------------------------------------------------------------------------------------------
# Writing PHP configuration files.


class _Raw(str):
    """A PHP expression written as is (a constant)."""


def _php(value, indent: int = 0) -> str:
    pad = "    " * (indent + 1)
    if isinstance(value, _Raw):
        return str(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, (list, tuple)):
        items = [f"{pad}{_php(v, indent + 1)}," for v in value]
    elif isinstance(value, dict):
        items = [f"{pad}{_php(k, indent + 1)} => {_php(v, indent + 1)}," for k, v in value.items()]
    else:
        raise TypeError(f"cannot write {type(value).__name__} as PHP")
    if not items:
        return "[]"
    return "[\n" + "\n".join(items) + "\n" + "    " * indent + "]"


def _write_php(path: Path, variable: str, value: dict, merge: bool = False) -> None:
    """Write `$variable = value;` (or, for metadata files, one `$metadata[key] = ...;` per entry)."""
    # PHP's built-in server runs with OPcache, which keeps a compiled file until its mtime (in whole seconds)
    # changes: a file rewritten within the second of its last write would stay stale. So each write moves the mtime
    # on by at least a second (the server also checks mtimes at every request: opcache.revalidate_freq=0).
    previous = int(path.stat().st_mtime) if path.exists() else 0
    lines = ["<?php", "// written by tests/support/saml_idp.py for one test run", ""]
    if merge:
        for key, entry in value.items():
            lines.append(f"${variable}[{_php(key)}] = {_php(entry)};")
    else:
        lines.append(f"${variable} = {_php(value)};")
    path.write_text("\n".join(lines) + "\n")
    stamp = max(int(time.time()), previous + 1)
    os.utime(path, (stamp, stamp))


def _pem_bodies(pem: str) -> list[str]:
    bodies = re.findall(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", pem, re.S)
    if not bodies:
        raise ValueError("sp_certificate_pem holds no PEM certificate")
    return ["".join(body.split()) for body in bodies]


def _direct() -> requests.Session:
    """A session that ignores HTTP(S)_PROXY from the environment: the IdP is on 127.0.0.1."""
    session = requests.Session()
    session.trust_env = False
    return session


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------------------------------
# Driving the IdP's login form like a browser would.


def _strip_html(html: str) -> str:
    return " ".join(_parse(html).text)


def _page_text(response: requests.Response) -> str:
    # SimpleSAMLphp 1.19 sends its error pages with status 200; the text says what went wrong
    # ("Caused by: ..." with showerrors on). The query (a long AuthState or SAMLRequest) is left out.
    where = response.url.split("?", 1)[0]
    return f"HTTP {response.status_code} at {where}: {_strip_html(response.text)}"


def _saml_post(response: requests.Response) -> dict | None:
    """The form posting a SAMLResponse (SimpleSAMLphp's auto-submitting page), as a dict, or None."""
    if response.status_code != 200:
        return None
    for form in _parse(response.text).forms:
        fields = {i["name"]: i["value"] for i in form["inputs"] if i["type"] == "hidden"}
        if form["method"] == "post" and "SAMLResponse" in fields:
            posted = {"action": urljoin(response.url, form["action"]), "SAMLResponse": fields["SAMLResponse"]}
            if "RelayState" in fields:
                posted["RelayState"] = fields["RelayState"]
            return posted
    return None


def complete_login(session: requests.Session, authn_request_url: str, username: str, password: str = PASSWORD) -> dict:
    """Sign `username` in at the IdP and return the SAML response the IdP's page would POST to the SP.

    GETs `authn_request_url` (the SSO URL with an HTTP-Redirect AuthnRequest, as the SP redirects the
    browser to it) with `session`, follows the IdP's redirects to its login form, submits `username`
    and `password` with the form's hidden fields (AuthState), follows the redirects after it, and
    parses the auto-submitting form aimed at the SP's ACS, without posting it:

        {"action": <ACS URL>, "SAMLResponse": <base64>, "RelayState": <only when the SP sent one>}

    If the IdP answers with anything else (its error page, or the login form again because the login
    was refused), AssertionError carries that page's text. If `session` is already signed in at the
    IdP, no form is shown and the response is for that earlier account (single sign-on): use a fresh
    session per account.
    """
    idp_origin = _origin(authn_request_url)

    def follow(response: requests.Response) -> requests.Response:
        for _ in range(20):
            if not response.is_redirect:
                return response
            location = urljoin(response.url, response.headers["Location"])
            if _origin(location) != idp_origin:
                raise AssertionError(f"the IdP redirected out of itself, to {location}")
            response = session.get(location, allow_redirects=False, timeout=30)
        raise AssertionError(f"too many redirects at the IdP, last {response.url}")

    page = follow(session.get(authn_request_url, allow_redirects=False, timeout=30))
    posted = _saml_post(page)
    if posted is not None:
        return posted
    forms = [f for f in _parse(page.text).forms if any(i["name"] == "username" for i in f["inputs"])]
    if page.status_code != 200 or not forms:
        raise AssertionError(f"the IdP showed no login form: {_page_text(page)}")
    form = forms[0]
    data = {i["name"]: i["value"] for i in form["inputs"] if i["type"] == "hidden"}
    data["username"] = username
    data["password"] = password
    action = urljoin(page.url, form["action"] or page.url)
    page = follow(session.post(action, data=data, allow_redirects=False, timeout=30))
    posted = _saml_post(page)
    if posted is not None:
        return posted
    raise AssertionError(f"the IdP did not sign {username!r} in: {_page_text(page)}")
