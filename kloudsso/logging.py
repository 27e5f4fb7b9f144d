"""Logging: a filter that masks secrets which might reach a log line by accident (a token request body, a PEM key),
and the two formats, text and JSON (LOG_FORMAT)."""

import datetime
import logging
import re

from pythonjsonlogger.json import JsonFormatter

_PATTERNS = [
    re.compile(r"(client_secret[\"']?\s*[:=]\s*[\"']?)[^\s&\"',}]+", re.IGNORECASE),
    re.compile(r"(-----BEGIN [A-Z ]*PRIVATE KEY-----).*?(-----END [A-Z ]*PRIVATE KEY-----)", re.DOTALL),
]
# The SAML finish step's stash key is used once, within minutes, and only by the browser that started the sign-in;
# a log line (Django's "Bad Request: <path>" too) still has no business holding it.
_SAML_STASH_KEY = re.compile(r"(/sso/saml/finish/)[A-Za-z0-9_-]+")
MASK = "********"


def mask_secrets(text: str) -> str:
    text = _PATTERNS[0].sub(lambda m: m.group(1) + MASK, text)
    text = _SAML_STASH_KEY.sub(lambda m: m.group(1) + MASK, text)
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


PLAIN_VALUES = (str, int, float, bool, datetime.datetime)  # the datetime: the line's own timestamp


class PlainValuesJsonFormatter(JsonFormatter):
    """python-json-logger writes every extra attribute of a record, an object as its repr: Django's request loggers
    attach the request, whose repr holds the query string (an OIDC callback's code and state). Only plain values
    (ours, status codes, the time, a formatted traceback) are written."""

    def process_log_record(self, log_data):
        return {k: v for k, v in log_data.items() if v is None or isinstance(v, PLAIN_VALUES)}


JSON_FORMATTER = {
    "()": "kloudsso.logging.PlainValuesJsonFormatter",
    "fmt": "%(levelname)s %(name)s %(message)s",
    "rename_fields": {"levelname": "level", "name": "logger"},
    "timestamp": "time",
}
