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
