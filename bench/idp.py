"""Fast IdP stand-ins on 127.0.0.1.

SAML: responses are built from a fixed shape and signed in the bench process with libxmlsec1 (python-xmlsec), each
once, before the measured requests post them: the bench's signing never counts as worker time.
OIDC: `python -m bench.idp PORT KEY_FILE` serves discovery, JWKS, a token endpoint and UserInfo in its own process
(so it does not compete with the bench's client threads for the GIL), counting the requests per endpoint (/_stats).
The authorization code carries the nonce and PKCE challenge of the sign-in it answers, so the server keeps no state.
"""

import base64
import hashlib
import json
import secrets
import sys
import threading
import time
import zlib
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
import xmlsec
from cryptography.hazmat.primitives import serialization
from lxml import etree

CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-secret-0123456789"
SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"

RESPONSE = """<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" \
xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{response_id}" Version="2.0" IssueInstant="{now}" \
Destination="{acs}" InResponseTo="{request_id}">\
<saml:Issuer>{issuer}</saml:Issuer>\
<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>\
<saml:Assertion ID="{assertion_id}" Version="2.0" IssueInstant="{now}">\
<saml:Issuer>{issuer}</saml:Issuer>\
<saml:Subject><saml:NameID Format="{email_format}">{email}</saml:NameID>\
<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">\
<saml:SubjectConfirmationData InResponseTo="{request_id}" NotOnOrAfter="{until}" Recipient="{acs}"/>\
</saml:SubjectConfirmation></saml:Subject>\
<saml:Conditions NotBefore="{before}" NotOnOrAfter="{until}">\
<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>\
<saml:AuthnStatement AuthnInstant="{now}" SessionIndex="{session_index}"><saml:AuthnContext>\
<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>\
</saml:AuthnContext></saml:AuthnStatement>\
<saml:AttributeStatement>\
<saml:Attribute Name="email" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">\
<saml:AttributeValue>{email}</saml:AttributeValue></saml:Attribute>\
<saml:Attribute Name="uid" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">\
<saml:AttributeValue>{uid}</saml:AttributeValue></saml:Attribute>\
</saml:AttributeStatement></saml:Assertion></samlp:Response>"""


def key_pair(common_name: str) -> tuple[str, str]:
    """A fresh RSA-2048 key and its self-signed certificate, PEM: (certificate, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    builder = x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
    builder = builder.serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
    cert = builder.not_valid_after(now + timedelta(days=30)).sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def _instant(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64(pem: str) -> str:
    return "".join(line for line in pem.strip().splitlines() if "-----" not in line)


class SAMLIdP:
    """Signs the assertion (RSA-SHA256, SHA-256 digest, exclusive C14N, the certificate in KeyInfo), like Entra ID."""

    def __init__(self, *, entity_id: str, key_pem: str, cert_pem: str):
        self.entity_id = entity_id
        self.cert_pem = cert_pem
        self.cert_b64 = _b64(cert_pem)
        self._key = xmlsec.Key.from_memory(key_pem.encode(), xmlsec.KeyFormat.PEM)
        self._key.load_cert_from_memory(cert_pem.encode(), xmlsec.KeyFormat.PEM)

    def response(self, *, request_id: str, acs: str, audience: str, email: str) -> str:
        now = datetime.now(UTC)
        xml = RESPONSE.format(
            response_id="_" + secrets.token_hex(16),
            assertion_id="_" + secrets.token_hex(16),
            session_index="_" + secrets.token_hex(8),
            now=_instant(now),
            before=_instant(now - timedelta(minutes=1)),
            until=_instant(now + timedelta(minutes=5)),
            acs=acs,
            request_id=request_id,
            issuer=self.entity_id,
            audience=audience,
            email=email,
            uid=email.partition("@")[0],
            email_format=EMAIL_FORMAT,
        )
        root = etree.fromstring(xml.encode())
        assertion = root.find(f"{{{SAML_NS}}}Assertion")
        signature = xmlsec.template.create(assertion, xmlsec.Transform.EXCL_C14N, xmlsec.Transform.RSA_SHA256, ns="ds")
        assertion.find(f"{{{SAML_NS}}}Issuer").addnext(signature)  # the schema's place: right after the Issuer
        reference = xmlsec.template.add_reference(signature, xmlsec.Transform.SHA256, uri="#" + assertion.get("ID"))
        xmlsec.template.add_transform(reference, xmlsec.Transform.ENVELOPED)
        xmlsec.template.add_transform(reference, xmlsec.Transform.EXCL_C14N)
        xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
        xmlsec.tree.add_ids(assertion, ["ID"])
        context = xmlsec.SignatureContext()
        context.key = self._key
        context.sign(signature)
        return base64.b64encode(etree.tostring(root)).decode()

    def metadata_xml(self, sso_url: str) -> str:
        return (
            '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{self.entity_id}">'
            '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>'
            f"<ds:X509Certificate>{self.cert_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
            '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
            f'Location="{sso_url}"/>'
            '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
            f'Location="{sso_url}"/>'
            "</md:IDPSSODescriptor></md:EntityDescriptor>"
        )


def authn_request_id(saml_request: str, *, deflated: bool) -> str:
    """The ID of an AuthnRequest as the Redirect (deflated) or POST binding carries it."""
    raw = base64.b64decode(saml_request)
    xml = zlib.decompress(raw, -15) if deflated else raw
    return etree.fromstring(xml).get("ID")


def oidc_code(*, nonce: str, challenge: str, sub: str, email: str) -> str:
    payload = json.dumps({"nonce": nonce, "challenge": challenge, "sub": sub, "email": email}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


# ----------------------------------------------------------------------------------------------------------------
# The OIDC server (its own process).


class _Handler(BaseHTTPRequestHandler):
    server_version = "BenchIdP"

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status: int, body: dict | str, content_type="application/json"):
        data = (json.dumps(body) if isinstance(body, dict) else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _count(self, path: str):
        if not path.startswith("/_"):
            with self.server.lock:
                self.server.counts[path] = self.server.counts.get(path, 0) + 1

    def do_GET(self):
        path = urlsplit(self.path).path
        self._count(path)
        issuer = self.server.issuer
        if path == "/.well-known/openid-configuration":
            return self._send(
                200,
                {
                    "issuer": issuer,
                    "authorization_endpoint": issuer + "/authorize",
                    "token_endpoint": issuer + "/token",
                    "jwks_uri": issuer + "/jwks",
                    "userinfo_endpoint": issuer + "/userinfo",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                    "scopes_supported": ["openid", "email", "profile"],
                },
            )
        if path == "/jwks":
            return self._send(200, {"keys": [self.server.jwk]})
        if path == "/userinfo":
            return self._send(200, {"sub": "unknown"})
        if path == "/_stats":
            with self.server.lock:
                return self._send(200, dict(self.server.counts))
        if path == "/saml/sso":  # never followed by the bench; here so the SSO URL answers
            return self._send(200, "<html>bench IdP</html>", "text/html")
        return self._send(404, {"error": "not_found"})

    def do_POST(self):
        path = urlsplit(self.path).path
        self._count(path)
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if path != "/token":
            return self._send(404, {"error": "not_found"})
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            return self._send(401, {"error": "invalid_client"})
        try:
            code = json.loads(base64.urlsafe_b64decode(form["code"] + "=" * (-len(form["code"]) % 4)))
        except (KeyError, ValueError):
            return self._send(400, {"error": "invalid_grant"})
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        if digest != code["challenge"]:
            return self._send(400, {"error": "invalid_grant", "error_description": "PKCE"})
        now = int(time.time())
        claims = {
            "iss": self.server.issuer,
            "aud": CLIENT_ID,
            "sub": code["sub"],
            "email": code["email"],
            "email_verified": True,
            "iat": now,
            "exp": now + 600,
            "nonce": code["nonce"],
        }
        token = jwt.encode(claims, self.server.key, algorithm="RS256", headers={"kid": "bench-1"})
        self._send(200, {"id_token": token, "access_token": secrets.token_urlsafe(24), "token_type": "Bearer"})


def serve(port: int, key_file: str) -> None:
    with open(key_file, "rb") as handle:
        key = serialization.load_pem_private_key(handle.read(), password=None)
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    server.daemon_threads = True
    server.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    server.key = key
    server.jwk = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": "bench-1"}
    server.jwk.update(use="sig", alg="RS256")
    server.counts = {}
    server.lock = threading.Lock()
    print(f"READY {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2])
