"""Text no database column holds, which JSON (\\u0000, \\ud800) and a filter's escapes can still spell: PostgreSQL
refuses NUL in text and jsonb, and a lone surrogate (half of a UTF-16 pair) has no UTF-8 encoding at all."""

NUL = "a NUL character (\\u0000), which no attribute can store; remove it"
SURROGATE = (
    "a lone surrogate (an escape in \\ud800-\\udfff that is not half of a pair), which is no character; send the "
    "character itself"
)


def unstorable(text: str) -> str | None:
    """Why the text cannot be stored, as the end of an error's detail, or None when it can."""
    if "\x00" in text:
        return NUL
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return SURROGATE
    return None


def storable(text: str) -> str:
    """Text as a log line can hold it: a NUL or a lone surrogate (in a path, an echoed id) spelled out."""
    return text.replace("\x00", "\\u0000").encode("utf-8", "backslashreplace").decode("utf-8")


def unstorable_in(value) -> str | None:
    """Why a JSON value (its keys included) cannot be stored, or None."""
    pending = [value]
    while pending:  # not recursive: json.loads takes nesting deeper than a recursive walk would
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str) and (why := unstorable(value)) is not None:
            return why
    return None
