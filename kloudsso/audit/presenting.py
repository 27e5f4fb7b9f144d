"""An event's changes as rows of (field, before, after) for the owners' page and the admin."""

from kloudsso.audit.record import SECRET_CHANGED

EMPTY = "—"


def change_rows(changes: dict) -> list[tuple[str, str, str]]:
    rows = []
    for field, value in (changes or {}).items():
        label = field.replace("_", " ")
        if value == SECRET_CHANGED or not isinstance(value, list) or len(value) != 2:
            rows.append((label, "not shown", "changed"))
        else:
            rows.append((label, _shown(value[0]), _shown(value[1])))
    return rows


def _shown(value) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
