"""Debian's Chromium driven by Playwright for Python (no browser download), with screenshots as test artifacts."""

import os
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def unavailable() -> str | None:
    if not Path(CHROMIUM).exists():
        return "Chromium is not installed (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (make test installs it)"
    return None


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def clean_artifacts(prefix: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob(f"{prefix}*.png"):
        old.unlink()


def allow_orm_beside_playwright() -> None:
    # Playwright's sync API keeps an event loop in the test thread; Django refuses ORM calls in such a thread
    # unless told the calls are deliberate (the live server answers from its own thread).
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


__all__ = ["ARTIFACTS", "CHROMIUM", "FLAGS", "allow_orm_beside_playwright", "clean_artifacts", "screenshot"]
