"""A log filter that masks secrets which might reach a log line by accident (a token request body, a PEM key)."""

import logging
import re

_PATTERNS = [
    re.compile(r"(client_secret[\"']?\s*[:=]\s*[\"']?)[^\s&\"',}]+", re.IGNORECASE),
    re.compile(r"(-----BEGIN [A-Z ]*PRIVATE KEY-----).*?(-----END [A-Z ]*PRIVATE KEY-----)", re.DOTALL),
]
MASK = "********"


def mask_secrets(text: str) -> str:
    text = _PATTERNS[0].sub(lambda m: m.group(1) + MASK, text)
    return _PATTERNS[1].sub(lambda m: m.group(1) + MASK + m.group(2), text)


class MaskSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def logging_config(*, log_format: str, level: str) -> dict:
    """settings.LOGGING. text: each line is the message alone, as it always was; the request line is gunicorn's
    (or runserver's) access log. json: one JSON object a line, Django's own request line included."""
    json_mode = log_format == "json"
    handler = {"class": "logging.StreamHandler", "filters": ["mask_secrets"]}
    if json_mode:
        handler["formatter"] = "json"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"mask_secrets": {"()": "kloudsso.logging.MaskSecretsFilter"}},
        "formatters": {"json": JSON_FORMATTER},
        "handlers": {"console": handler},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # pysaml2's schema library logs every schema it loads at INFO. pysaml2 logs each sign-in's NameID (an
            # email, often) and attributes at INFO, and a refused response whole at ERROR: personal data, and
            # anyone can post a megabyte of it. Every refusal is worded and recorded, redacted, by signin/ instead.
            "xmlschema": {"level": "WARNING"},
            "saml2": {"level": "CRITICAL"},
            "kloudsso.request": {"level": "INFO" if json_mode else "WARNING"},
            # runserver's own request line prints the query string (an OIDC callback's code): JSON mode has ours.
            "django.server": {"level": "WARNING" if json_mode else "INFO"},
        },
    }


JSON_FORMATTER = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "fmt": "%(levelname)s %(name)s %(message)s",
    "rename_fields": {"levelname": "level", "name": "logger"},
    "timestamp": "time",
}
