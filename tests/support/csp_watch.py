"""Content-Security-Policy violations on our own pages, as one Playwright browser context sees them.

Two witnesses: the page's securitypolicyviolation events (an init script hands each to Python) and Chromium's
console errors naming the policy, which also cover what fires no event in the page (a blocked form submission).
The IdPs' own pages are not ours to judge, so only documents on `origin` count.
"""

LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.kloudssoCspViolation({
    document: event.documentURI,
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    sample: event.sample,
  });
});
"""


class CSPViolations:
    def __init__(self, context, origin: str):
        self.origin = origin
        self.seen: list[str] = []
        context.expose_function("kloudssoCspViolation", self._event)
        context.add_init_script(LISTENER)
        context.on("console", self._console)

    def _event(self, violation: dict) -> None:
        if violation["document"].startswith(self.origin):
            self.seen.append(
                f"{violation['document']}: {violation['directive']} blocked {violation['blocked']!r} "
                f"{violation['sample']!r}"
            )

    def _console(self, message) -> None:
        url = message.page.url if message.page else ""
        if "Content Security Policy" in message.text and url.startswith(self.origin):
            self.seen.append(f"{url}: {message.text}")
