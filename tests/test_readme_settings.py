"""README's "Settings" lists every environment variable the site reads (kloudsso/settings.py, and gunicorn's
kloudsso/gunicorn_conf.py), so an operator never has to read the code to find one."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READS = re.compile(r'(?:env\.\w+|_strict_bool|_positive_int|_int_at_least|environ\.get)\(\s*"([A-Z][A-Z0-9_]+)"')


def _variables_read() -> set[str]:
    sources = [ROOT / "kloudsso" / "settings.py", ROOT / "kloudsso" / "gunicorn_conf.py"]
    return {name for source in sources for name in READS.findall(source.read_text())}


def test_the_settings_are_found_in_the_code():
    assert {"SECRET_KEY", "DATABASE_URL", "KLOUDSSO_WORKERS", "SCHEDULE_PRUNE_HOURS"} <= _variables_read()


def test_every_environment_variable_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", readme, re.MULTILINE)) | {"ENV_FILE"}
    missing = sorted(_variables_read() - documented)
    assert not missing, f"README.md's Settings table has no row for {', '.join(missing)}"
