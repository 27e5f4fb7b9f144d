"""Hypothesis strategies for hostile input: every form and sign-in endpoint is fuzzed with these.

Each new form gets them. List its field names and one valid submission, then fuzz it the way tests/test_fuzz_*.py
do:

    @fuzz()
    @given(body=strategies.form_bodies(FIELDS, valid={"name": "acme.test"}))
    def test_the_form_never_answers_500(owner, body):
        with example_scope():
            before = rows()
            response = send(owner(), "POST", url, body)
            check(response, before, accepted=redirected, may_change={"domains.Domain"})

(`fuzz`, `example_scope`, `rows`, `send` and `check` are in tests/support/fuzzing.py.) What the strategies draw:

- `text()`: every size (empty to ~20,000 characters, plus fixed 50,000 and 1,000,000-character samples),
  unicode (astral planes, RTL overrides, combining marks, characters whose case folding changes the length), NUL and
  control characters, whitespace only, numbers, booleans, lists and JSON as strings, markup, SQL and LIKE
  metacharacters, percent-escapes. No lone surrogates: a browser cannot send them as UTF-8 either.
- `form_bodies()`: either a valid submission with a few fields mutated, duplicated or dropped, or a random subset of
  the fields (missing fields), each given once or several times (duplicated parameters: QueryDict keeps them all and
  `.get()` reads the last), plus unknown extra fields, in random order; sent urlencoded (in odd charsets too),
  multipart (with uploaded files where text is expected), as JSON, as text/plain, or as raw bytes under a content
  type that does not match them.
- `query_strings()`: the same for GET parameters, plus raw query strings with broken percent-escapes.
- `urls()`: private, loopback, link-local and IPv6 addresses, ports out of range, userinfo, IDN, javascript:, file:,
  data:, very long. `hosts=` bounds where a URL may point, so a test that fetches it never waits on the network.
- `xml_documents()`: truncated, deeply nested, DOCTYPE and entities (billion laughs, external), wrong namespaces,
  huge attributes, odd declared encodings, byte order marks, and real IdP metadata with mutated fields.
- `saml_responses()`: not base64, base64 of junk, of the XML above, of SAML-shaped responses with mutated fields.
"""

import base64
import json
import re
import uuid as uuid_module
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import quote

from hypothesis import strategies as st

METADATA_SAMPLES = Path(__file__).parent.parent / "fixtures" / "metadata"

# Fixed samples that random generation rarely finds on its own.
NASTY_STRINGS = (
    "",
    " ",
    "\t\n\r \u00a0\u2028\u3000",
    "\x00",
    "a\x00b",
    "\x00\x00\x00\x00",
    "\x1b[31m\x07\x08\x7f",
    "\r\n\r\nX-Injected: 1",
    "\ufeff",
    "\u202eevil\u202c",
    "e\u0301e\u0301",
    "\u0300\u0300\u0300",
    "İstanbul ß ﬀ ǅ",
    "\U0001d518\U0001d52b\U0001d526 \U0001f600 \U0010fffd",  # astral: fraktur, emoji, plane 16
    "null",
    "None",
    "undefined",
    "true",
    "False",
    "0",
    "-1",
    "1e309",
    "NaN",
    "99999999999999999999999999999",
    "[]",
    "{}",
    "[1, 2]",
    '{"a": 1}',
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%",
    "_",
    "%_%_\\",
    "%00",
    "%ZZ",
    "../../../../etc/passwd",
    "${jndi:ldap://127.0.0.1/a}",
    "{{7*7}}",
    "a@b",
    "@",
    "@@acme.test",
    "ada@acme.test",
    "ADA@ACME.TEST",
    "ada@acme.test\x00",
    "ada@xn--acm-0na.test",
    "ada@acmé.test",
)


def repeated(chunk, times: int) -> st.SearchStrategy:
    """`chunk * times`, built when drawn so that the strategy's repr stays short."""
    return st.just((chunk, times)).map(lambda spec: spec[0] * spec[1])


def huge_text(max_size: int = 20_000) -> st.SearchStrategy[str]:
    """A short random chunk repeated to a random length: big inputs without hypothesis drawing every character."""
    return st.builds(
        lambda chunk, size: (chunk * (size // max(len(chunk), 1) + 1))[:size],
        st.text(min_size=1, max_size=8),
        st.integers(min_value=0, max_value=max_size),
    )


# Built when drawn, not stored: hypothesis prints a strategy's arguments, and a megabyte literal makes that slow.
FIXED_HUGE = (("a", 50_000), ("é", 50_000), ("\U0001f600", 20_000), ("x", 1_000_000))


def text(*, max_size: int = 20_000) -> st.SearchStrategy[str]:
    """Hostile text. At the default size it includes the fixed 50,000 and 1,000,000-character samples; a smaller
    `max_size` keeps values near it (for XML attributes, header-like values, anything signed per example)."""
    strategies = [
        st.sampled_from(NASTY_STRINGS),
        st.text(max_size=min(40, max_size)),
        st.text(
            st.characters(codec="utf-8", categories=("Cc", "Zs", "Zl", "Zp", "Mn", "Cf")), max_size=min(40, max_size)
        ),
        st.integers().map(str),
        st.floats().map(str),
        st.lists(st.integers(), max_size=3).map(json.dumps),
        huge_text(max_size),
    ]
    if max_size >= 20_000:
        strategies.append(st.sampled_from(FIXED_HUGE).map(lambda spec: spec[0] * spec[1]))
    return st.one_of(*strategies)


@dataclass(frozen=True)
class Upload:
    """A file sent where the form may expect text (or a file), in multipart bodies."""

    name: str
    content: bytes
    content_type: str = "application/octet-stream"

    def __repr__(self):  # keep hypothesis' failure reports short
        return f"Upload({self.name!r}, {len(self.content)} bytes: {self.content[:60]!r})"


def uploads(contents: st.SearchStrategy[bytes] | None = None) -> st.SearchStrategy[Upload]:
    return st.builds(
        Upload,
        name=st.one_of(st.just("metadata.xml"), st.text(max_size=300)),
        content=contents if contents is not None else st.binary(max_size=2000),
        content_type=st.sampled_from(["application/xml", "text/xml", "application/octet-stream", "image/png", ""]),
    )


ENCODINGS = ("urlencoded", "multipart", "json", "text", "raw")
CHARSETS = ("utf-8", "latin-1", "utf-16", "utf-7", "punycode", "idna", "cp500", "bogus-charset")
RAW_CONTENT_TYPES = (
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=x",
    "application/json",
    "application/xml",
    "text/plain; charset=bogus",
    "",
)


@dataclass(frozen=True)
class Body:
    """A request body: `pairs` in order (a key may repeat), and how they go on the wire."""

    pairs: tuple[tuple[str, object], ...]
    encoding: str = "urlencoded"
    charset: str = "utf-8"
    raw: bytes = b""
    content_type: str = ""

    def __repr__(self):
        shown = [(key, _short(value)) for key, value in self.pairs]
        extra = f", raw={self.raw[:80]!r}, content_type={self.content_type!r}" if self.encoding == "raw" else ""
        return f"Body({self.encoding}/{self.charset}, {shown}{extra})"


def _short(value):
    if isinstance(value, str) and len(value) > 80:
        return f"{value[:40]!r}…({len(value)} chars)…{value[-20:]!r}"
    return value


def _mutations(fields, valid, value_of):
    """A valid submission with 0-3 fields replaced, repeated or dropped, and maybe an unknown field added."""
    keys = sorted(set(fields) | set(valid))
    edit = st.sampled_from(keys).flatmap(
        lambda key: st.tuples(st.just(key), st.sampled_from(["replace", "repeat", "drop", "prepend"]), value_of(key))
    )
    base = st.fixed_dictionaries({k: _as_strategy(v) for k, v in valid.items()}).map(lambda d: tuple(d.items()))
    return st.builds(
        _apply_mutations,
        base,
        st.lists(edit, max_size=3),
        st.lists(st.tuples(text(max_size=200), value_of("")), max_size=1),
    )


def _as_strategy(value) -> st.SearchStrategy:
    return value if isinstance(value, st.SearchStrategy) else st.just(value)


def _apply_mutations(base, edits, extra):
    pairs = list(base)
    for key, how, new in edits:
        if how == "drop":
            pairs = [(k, v) for k, v in pairs if k != key]
        elif how == "repeat":
            pairs.append((key, new))
        elif how == "prepend":
            pairs.insert(0, (key, new))
        else:
            pairs = [(k, v) for k, v in pairs if k != key] + [(key, new)]
    return tuple(pairs + list(extra))


def _random_pairs(fields, value_of):
    per_field = st.sampled_from(sorted(fields)).flatmap(
        lambda key: st.tuples(st.just(key), st.lists(value_of(key), min_size=1, max_size=3))
    )
    extra_key = st.one_of(text(max_size=100), st.sampled_from(["csrfmiddlewaretoken", "pk", "org", "id"]))
    return st.builds(
        lambda chosen, extras, rng: _shuffle([(k, v) for k, vs in chosen for v in vs] + extras, rng),
        st.lists(per_field, max_size=len(fields) + 1, unique_by=lambda item: item[0]),
        st.lists(st.tuples(extra_key, value_of("")), max_size=2),
        st.randoms(use_true_random=False),
    )


def _shuffle(pairs, rng):
    rng.shuffle(pairs)
    return tuple(pairs)


def _values_by_field(generic, valid, values, files):
    """For each field: hostile text, its valid value, the plausible ones given, and an upload where one fits."""

    def value_of(key):
        own = (values or {}).get(key)
        choices = [generic]
        if own is not None:
            choices.append(st.sampled_from(list(own)) if isinstance(own, list | tuple) else own)
        if key in (valid or {}):
            choices.append(_as_strategy(valid[key]))
        if key in files or (files and not key):
            choices.append(uploads())
        return st.one_of(*choices)

    return value_of


def form_bodies(
    fields,
    *,
    valid: dict | None = None,
    values: dict | None = None,
    files: tuple[str, ...] = (),
    encodings=ENCODINGS,
) -> st.SearchStrategy[Body]:
    """Bodies for a form with `fields`. `valid` is one accepted submission (mutated, so the fuzzer reaches the code
    behind the first validation); a value in it may be a strategy whose simplest value is valid (real metadata that
    its other values edit, say), to keep the rest of the submission valid around a hostile field. `values` maps a
    field to more values worth trying for it (a list or a strategy); `files` names the fields that take an upload
    (any field may still get one in a multipart body)."""
    value_of = _values_by_field(text(), valid, values, files)
    # The valid submission comes first: hypothesis tries the simplest example first, so that one is always sent.
    pairs = st.one_of(*([_mutations(fields, valid, value_of)] * 2 if valid else []), _random_pairs(fields, value_of))
    form_encodings = [e for e in ("urlencoded", "multipart") if e in encodings]
    other_encodings = [e for e in ("json", "text") if e in encodings]
    bodies = [st.builds(Body, pairs=pairs, encoding=st.sampled_from(form_encodings))] * 3  # as a browser sends
    if other_encodings:
        bodies.append(st.builds(Body, pairs=pairs, encoding=st.sampled_from(other_encodings)))
    if "urlencoded" in encodings:
        bodies.append(st.builds(Body, pairs=pairs, encoding=st.just("urlencoded"), charset=st.sampled_from(CHARSETS)))
    if "raw" in encodings:
        bodies.append(
            st.builds(Body, pairs=st.just(()), encoding=st.just("raw"), raw=raw_bodies(), content_type=content_types())
        )
        bodies.append(multipart_edge_cases(fields))
    return st.one_of(*bodies)


def multipart_edge_cases(fields) -> st.SearchStrategy[Body]:
    """Multipart parts the test client cannot write: an empty filename (a browser's "no file chosen"), a part
    without a name, quotes and CRLF in names, a part with no body, a missing closing boundary."""
    headers = st.sampled_from(
        [
            'form-data; name="{f}"; filename=""',
            'form-data; name="{f}"; filename="."',
            'form-data; name="{f}"; filename="../../etc/passwd"',
            "form-data; name=\"{f}\"; filename*=UTF-8''%E2%82%AC.xml",
            'form-data; name="{f}\r\nX: y"',
            'form-data; name="{f}"; name="{f}"',
            "form-data",
            'attachment; name="{f}"',
        ]
    )
    part = st.builds(
        lambda field, header, value, closed: (
            f"--B\r\nContent-Disposition: {header.format(f=field)}\r\n\r\n{value}\r\n--B{'--' if closed else ''}"
        ).encode(),
        st.sampled_from(sorted(fields)),
        headers,
        text(max_size=200),
        st.booleans(),
    )
    content_type = st.sampled_from(
        ["multipart/form-data; boundary=B", "multipart/form-data; boundary=B; charset=utf-7"]
    )
    return st.builds(Body, pairs=st.just(()), encoding=st.just("raw"), raw=part, content_type=content_type)


def raw_bodies() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=2000),
        text(max_size=2000).map(lambda s: s.encode("utf-8")),
        st.sampled_from(
            [
                b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n\x00\r\n--x--',
                b'--x\r\nContent-Disposition: form-data; name="a"; filename="\x00"\r\n\r\nzz',
                b"a=1&a=2&&=&%ZZ=%G0&" + b"b=" + b"%00" * 100,
                b'{"email": ["a@b.test"], "x": {"y": null}}',
                b"=" * 3000,
                b"&" * 3000,
            ]
        ),
    )


def content_types() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(RAW_CONTENT_TYPES),
        st.sampled_from(CHARSETS).map(lambda c: f"application/x-www-form-urlencoded; charset={c}"),
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80),
    )


def query_strings(fields, *, valid: dict | None = None, values: dict | None = None) -> st.SearchStrategy[str]:
    """GET parameters: form_bodies' pairs urlencoded, or a raw query string with broken escapes."""
    value_of = _values_by_field(text(max_size=3000), valid, values, ())
    pairs = st.one_of(*([_mutations(fields, valid, value_of)] if valid else []), _random_pairs(fields, value_of))
    return st.one_of(
        pairs.map(lambda p: "&".join(f"{quote(str(k), safe='')}={quote(str(v), safe='')}" for k, v in p)),
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=500),
        st.sampled_from(
            ["%", "%ZZ", "a=%", "&&&", "=", "a=1;b=2", "a[]=1&a[]=2", "%00=%00", "a=%C0%AF", "a=%ED%A0%80"]
        ),
    )


def uuids() -> st.SearchStrategy[str]:
    """Path UUIDs: random ones (404) and boundary values; add the real ones of other organizations in the test."""
    return st.one_of(
        st.uuids().map(str),
        st.sampled_from([str(uuid_module.UUID(int=0)), str(uuid_module.UUID(int=2**128 - 1))]),
    )


# -- URLs --------------------------------------------------------------------------------------------------------

NON_PUBLIC_HOSTS = (
    "127.0.0.1",
    "127.1",
    "0.0.0.0",
    "0",
    "2130706433",
    "0x7f000001",
    "017700000001",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "192.0.2.1",
    "224.0.0.1",
    "255.255.255.255",
    "[::1]",
    "[::]",
    "[::ffff:127.0.0.1]",
    "[::ffff:169.254.169.254]",
    "[fe80::1%25eth0]",
    "[fc00::1]",
    "[64:ff9b::a9fe:a9fe]",
    "[2002:7f00:1::]",
    "[2001:db8::1]",
    "localhost",
    "localhost.",
    "idp.invalid",
    "xn--bcher-kva.invalid",
    "bücher.invalid",
    "\u0131dp.invalid",  # dotless i
    "a123456789b123456789c123456789d123456789e123456789f123456789g1234.invalid",  # a 65-character label
)
URL_SCHEMES = ("https", "http", "HTTPS", "javascript", "file", "data", "ftp", "gopher", "ldap", "", "https:/", "//")
PORTS = ("", ":0", ":443", ":65535", ":65536", ":99999", ":-1", ":abc", ":", ":1e3")


def urls(*, hosts=NON_PUBLIC_HOSTS, paths: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    """Adversarial URLs whose hosts come only from `hosts`, so nothing is fetched from the internet."""
    path = paths if paths is not None else st.one_of(st.just("/"), text(max_size=3000).map(lambda s: "/" + s))
    userinfo = st.sampled_from(["", "user@", "user:pass@", "a@b@", "%40@", "idp.example.com@", "\x00@"])
    built = st.builds(
        lambda scheme, user, host, port, path, tail: f"{scheme}://{user}{host}{port}{path}{tail}",
        st.sampled_from(URL_SCHEMES),
        userinfo,
        st.sampled_from(hosts),
        st.sampled_from(PORTS),
        path,
        st.one_of(
            st.sampled_from(["", "?a=1&a=2", "#frag", "/.well-known/openid-configuration"]), repeated("?q", 1500)
        ),
    )
    return st.one_of(
        built,
        st.sampled_from(
            [
                "javascript:alert(1)",
                "data:text/xml,<EntityDescriptor/>",
                "file:///etc/passwd",
                "http://",
                "https://",
                "https:///path",
                "//127.0.0.1/",
                " https://127.0.0.1/ ",
                "https://127.0.0.1\\@idp.invalid/",
                "https://127.0.0.1/\r\nHost: x",
            ]
        ),
        text(max_size=3000),
    )


# -- XML ---------------------------------------------------------------------------------------------------------


def metadata_sample_names() -> list[str]:
    return sorted(p.name for p in METADATA_SAMPLES.glob("*.xml"))


def _sample(name: str) -> str:
    return (METADATA_SAMPLES / name).read_bytes().decode("utf-8-sig")


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><md:EntityDescriptor '
    'xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&lol3;"/>'
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&x;"/>'
)
PARAMETER_ENTITY = '<!DOCTYPE d [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]><d/>'


def _sub(pattern: str, replacement: str, document: str) -> str:
    return re.sub(pattern, replacement, document, count=1)


def _with_valid_until(value: str, document: str) -> str:
    """The document's validUntil set to `value`, on the root element (replacing one it already has)."""
    if re.search(r'\bvalidUntil="[^"]*"', document):
        return re.sub(r'\bvalidUntil="[^"]*"', f'validUntil="{value}"', document)
    return _sub(r"(<(?:\w+:)?Entit(?:y|ies)Descriptor)\b", rf'\1 validUntil="{value}"', document)


def _declaring(encoding: str, document: str) -> str:
    """The document with its XML declaration (added if missing) naming `encoding`."""
    return f'<?xml version="1.0" encoding="{encoding}"?>' + re.sub(r"^\s*<\?xml[^>]*\?>", "", document.lstrip("\ufeff"))


# Edits of real metadata, each applied to the first match; partials, so that a failing example names its edit.
METADATA_EDITS = (
    partial(_sub, r'entityID="', 'entityID="\x00'),
    partial(_sub, r'entityID="[^"]*"', 'entityID=""'),
    partial(_sub, r"urn:oasis:names:tc:SAML:2\.0:metadata", "urn:oasis:names:tc:SAML:1.0:metadata"),
    partial(_sub, r"urn:oasis:names:tc:SAML:2\.0:protocol", "urn:oasis:names:tc:SAML:1.1:protocol"),
    partial(_sub, r"(<(?:\w+:)?X509Certificate>)", r"\1!!!not-base64!!!"),
    partial(_sub, r"(<(?:\w+:)?X509Certificate>)[^<]*", r"\1"),
    partial(_sub, r"MII", "MIJ"),
    partial(_sub, r'Location="', 'Location="javascript:alert(1)#'),
    partial(_sub, r'Location="', 'Location="http://169.254.169.254/'),
    partial(_sub, r'Location="[^"]*"', 'Location=""'),
    partial(_sub, r'Binding="', 'Binding="urn:bogus:'),
    partial(_sub, r'use="signing"', 'use="encryption"'),
    partial(_with_valid_until, "9999-12-31T23:59:59Z"),
    partial(_with_valid_until, "2001-01-01T00:00:00Z"),
    partial(_with_valid_until, "not-a-date"),
    partial(_with_valid_until, "0000-00-00T00:00:00Z"),
    partial(_with_valid_until, "2030-02-30T00:00:00Z"),
    partial(_with_valid_until, "+99999-01-01T00:00:00Z"),
    partial(_with_valid_until, "9999-12-31T23:59:59-12:00"),  # past year 9999 once in UTC
    partial(_with_valid_until, "0001-01-01T00:00:00+14:00"),  # before year 1 once in UTC
    partial(_sub, r"(<(?:\w+:)?EntityDescriptor)\b", r'\1 cacheDuration="PTjunk"'),
    partial(_sub, r"KeyDescriptor", "KeyDescriptorX"),
    partial(_sub, r"SingleSignOnService", "SingleSignOnServiceX"),
    partial(_sub, r"IDPSSODescriptor", "SPSSODescriptor"),
)
DECLARED_ENCODINGS = ("utf-8", "UTF-16", "utf-7", "punycode", "idna", "cp500", "latin-1", "bogus", "rot13", "zlib")


def metadata_documents() -> st.SearchStrategy[str]:
    """Real IdP metadata: whole, truncated, with one to three fields edited, with a random slice replaced, or
    declaring another encoding."""
    sample = st.sampled_from(metadata_sample_names()).map(_sample)
    return st.one_of(
        sample,
        sample.flatmap(lambda s: st.integers(0, len(s)).map(lambda n: s[:n])),
        st.builds(_apply_edits, sample, st.lists(st.sampled_from(METADATA_EDITS), min_size=1, max_size=3)),
        st.builds(splice, sample, st.integers(0, 10**6), st.integers(0, 200), text(max_size=200)),
        st.builds(_declaring, st.sampled_from(DECLARED_ENCODINGS), sample),
    )


def _apply_edits(document: str, edits) -> str:
    for edit in edits:
        document = edit(document)
    return document


def splice(document: str, at: int, length: int, insert: str) -> str:
    """`document` with `length` characters at `at` (wrapped round) replaced by `insert`."""
    at %= max(len(document), 1)
    return document[:at] + insert + document[at + length :]


def xml_documents() -> st.SearchStrategy[str]:
    md = "urn:oasis:names:tc:SAML:2.0:metadata"
    return st.one_of(
        metadata_documents(),
        st.sampled_from([BILLION_LAUGHS, EXTERNAL_ENTITY, PARAMETER_ENTITY]),
        st.integers(1, 20_000).map(lambda n: "<a>" * n + "</a>" * n),
        st.integers(1, 20_000).map(lambda n: f'<md:EntityDescriptor xmlns:md="{md}">' + "<x>" * n),
        st.builds(lambda n: f'<md:EntityDescriptor xmlns:md="{md}" entityID="{"e" * n}"/>', st.integers(0, 300_000)),
        st.builds(
            _declaring,
            st.sampled_from(DECLARED_ENCODINGS),
            st.just(f'<md:EntityDescriptor xmlns:md="{md}" entityID="e"/>'),
        ),
        st.sampled_from(
            [
                "<html><body>Sign in</body></html>",
                '<EntityDescriptor xmlns="urn:wrong" entityID="e"/>',
                f'<md:EntitiesDescriptor xmlns:md="{md}"/>',
                f'<md:EntitiesDescriptor xmlns:md="{md}"><md:EntityDescriptor/></md:EntitiesDescriptor>',
                "<?xml version='1.0'?>",
                "<a xmlns:x='u'><x:b x:c='1' x:c='2'/></a>",
                "\ufeff\ufeff<a/>",
            ]
        ),
        repeated("<", 5000),
        text(max_size=5000),
    )


def xml_bytes() -> st.SearchStrategy[bytes]:
    """XML as an uploaded file holds it: UTF-8, or another encoding with or without a byte order mark."""
    return st.one_of(
        metadata_documents().map(lambda s: s.encode("utf-8")),
        xml_documents().map(lambda s: s.encode("utf-8")),
        metadata_documents().map(lambda s: s.encode("utf-16")),
        metadata_documents().map(lambda s: "\ufeff".encode() + s.encode("utf-8")),
        st.binary(max_size=3000),
    )


# -- SAML responses ----------------------------------------------------------------------------------------------

SAMLP_NS = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
STATUS_CODES = (
    "urn:oasis:names:tc:SAML:2.0:status:Success",
    "urn:oasis:names:tc:SAML:2.0:status:Requester",
    "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed",
    "",
    "bogus",
)


def _xml_attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;")


def saml_shaped_xml() -> st.SearchStrategy[str]:
    """A samlp:Response with each routing field drawn at random, unsigned or with a junk signature."""
    field = st.one_of(text(max_size=300), st.sampled_from(["", "http://testserver/sso/saml", "id-1"]))
    # XML cannot carry most control characters even escaped; keep to what an XML writer could produce.
    xml_safe = field.map(lambda s: "".join(c for c in s if c in "\t\n\r" or c >= " "))
    return st.builds(
        lambda irt, dest, issuer, status, audience, recipient, when, name_id, signature: (
            f'<samlp:Response xmlns:samlp="{SAMLP_NS}" xmlns:saml="{SAML_NS}" ID="_r1" Version="2.0" '
            f'IssueInstant="{_xml_attr(when)}" InResponseTo="{_xml_attr(irt)}" Destination="{_xml_attr(dest)}">'
            f"<saml:Issuer>{_xml_text(issuer)}</saml:Issuer>"
            f'<samlp:Status><samlp:StatusCode Value="{_xml_attr(status)}"/></samlp:Status>'
            f'<saml:Assertion ID="_a1" Version="2.0" IssueInstant="{_xml_attr(when)}">'
            f"<saml:Issuer>{_xml_text(issuer)}</saml:Issuer>{signature}"
            f"<saml:Subject><saml:NameID>{_xml_text(name_id)}</saml:NameID><saml:SubjectConfirmation "
            f'Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
            f'<saml:SubjectConfirmationData InResponseTo="{_xml_attr(irt)}" '
            f'Recipient="{_xml_attr(recipient)}" NotOnOrAfter="{_xml_attr(when)}"/></saml:SubjectConfirmation>'
            f'</saml:Subject><saml:Conditions NotBefore="{_xml_attr(when)}" NotOnOrAfter="{_xml_attr(when)}">'
            f"<saml:AudienceRestriction><saml:Audience>{_xml_text(audience)}</saml:Audience>"
            f"</saml:AudienceRestriction></saml:Conditions></saml:Assertion></samlp:Response>"
        ),
        irt=xml_safe,
        dest=xml_safe,
        issuer=xml_safe,
        status=st.one_of(st.sampled_from(STATUS_CODES), xml_safe),
        audience=xml_safe,
        recipient=xml_safe,
        when=st.one_of(
            st.sampled_from(["2024-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "junk"]),
            xml_safe,
        ),
        name_id=xml_safe,
        signature=st.sampled_from(
            [
                "",
                '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/>'
                "<ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>",
                '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>',
            ]
        ),
    )


def b64(data: str | bytes) -> str:
    return base64.b64encode(data.encode("utf-8") if isinstance(data, str) else data).decode("ascii")


def base64_variants(encoded: str) -> st.SearchStrategy[str]:
    """The same base64 as IdPs and proxies mangle it: wrapped lines, URL-safe alphabet, padding lost, spaces."""
    return st.sampled_from(
        [
            encoded,
            "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76)),
            encoded.replace("+", "-").replace("/", "_"),
            encoded.rstrip("="),
            encoded.replace("+", " "),
            " " + encoded + "\x00",
        ]
    )


def saml_responses(extra: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    """SAMLResponse values. `extra` adds the test's own (e.g. crafted signed responses); all go through
    base64 mangling."""
    xml = st.one_of(saml_shaped_xml(), xml_documents(), *([extra] if extra is not None else []))
    return st.one_of(
        text(),
        st.binary(max_size=3000).map(b64),
        xml.map(b64).flatmap(base64_variants),
        xml.map(lambda s: b64(s.encode("utf-16"))),
        st.sampled_from(["=", "====", "A", "AAA=", "!!!!", "PD94bWwg", "PHNhbWxwOlJlc3BvbnNlLz4="]),
        st.integers(1_000_000, 1_500_000).map(lambda n: "A" * n),
    )


# -- Token endpoint answers (the OIDC callback) ------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text(max_size=200),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text(max_size=20), children, max_size=4),
    max_leaves=12,
)


JWT_HEADERS = (
    {"alg": "RS256", "kid": "k1", "typ": "JWT"},
    {"alg": "RS256"},
    {"alg": "none"},
    {"alg": "HS256", "kid": "k1"},
    {"alg": "RS256", "kid": ["k1"]},
    {"alg": "ES256", "kid": "k1", "crit": ["exp"]},
)
CLAIMS = ("iss", "aud", "sub", "exp", "iat", "nbf", "nonce", "email", "tid", "oid", "email_verified", "azp")


def _jwt(header: str, payload: str) -> str:
    return f"{b64(header).rstrip('=')}.{b64(payload).rstrip('=')}.c2ln"


def json_documents() -> st.SearchStrategy[bytes]:
    """What an IdP's JSON endpoint (JWKS, discovery) might send: any JSON, junk, and nesting deep enough to
    exhaust a recursive parser."""
    return st.one_of(
        json_values.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=2000),
        repeated(b"[", 100_000),
        repeated(b'{"a":', 100_000),
        st.sampled_from([b"NaN", b'{"keys": NaN}', b'{"keys": [1e999]}', b"\xef\xbb\xbf{}", b'{"keys": {}}']),
    )


def token_responses() -> st.SearchStrategy[tuple[int, bytes, str]]:
    """(status, body, content type) as a token endpoint might answer, from plausible to absurd."""
    id_tokens = st.one_of(
        text(max_size=500),
        st.sampled_from(["a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", "eyJ.eyJ.", "....", "e30.e30.e30"]),
        st.builds(_jwt, text(max_size=200), text(max_size=200)),
        # A header that names a key, so the callback goes on to fetch the IdP's JWKS; claims of any shape.
        st.builds(
            _jwt,
            st.sampled_from(JWT_HEADERS).map(json.dumps),
            st.dictionaries(st.sampled_from(CLAIMS), json_values, max_size=6).map(json.dumps),
        ),
    )
    payloads = st.one_of(
        st.fixed_dictionaries(
            {"access_token": text(max_size=100), "token_type": st.sampled_from(["Bearer", "mac", ""])},
            optional={"id_token": id_tokens, "expires_in": json_values, "error": json_values},
        ),
        st.dictionaries(st.sampled_from(["id_token", "access_token", "error", "error_description"]), json_values),
        json_values,
    )
    body = st.one_of(payloads.map(lambda p: json.dumps(p).encode()), json_documents())
    content_type = st.sampled_from(["application/json", "text/html", "application/jwt", ""])
    return st.tuples(st.sampled_from([200, 200, 200, 400, 401, 302, 404, 500, 503]), body, content_type)
