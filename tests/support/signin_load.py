"""A bounded load of sign-ins through one base URL (a load balancer), SAML and OIDC in turn, from client threads.

Each sign-in is a new person (load-<n>@<domain>), so every success must leave exactly one account, identity,
membership and sign-in event. The test marks the moments around what it does to the servers (kill_began,
kill_ended, marked_down by the balancer, restarting, rejoined); the report counts what each server answered before
the kill, while it was dead (from kill_ended to restarting) and once the balancer saw it back (from rejoined).
"""

import itertools
import threading
import time
from dataclasses import dataclass, field

from bench.data import OIDC_DOMAIN, SAML_DOMAIN
from tests.support.http_signins import Cut, Hop, OIDCSignIn, SAMLSignIn, SignIn, Site


@dataclass
class Report:
    flows: int
    succeeded_emails: list[str]
    cut: list[SignIn]
    refused: list[str]
    errors: list[Hop]  # every 5xx answer
    resent: list[Hop]  # every request whose kept-alive connection closed without an answer (sent again)
    served: dict[str, dict[str, int]]  # server -> {"before", "down", "after"} -> requests answered (not 5xx)
    crossed: int  # successful sign-ins whose first and last requests were answered by different servers
    stash_crossed: int  # successful SAML sign-ins whose ACS and finish step were answered by different servers
    by_protocol: dict[str, int] = field(default_factory=dict)

    @property
    def succeeded(self) -> int:
        return len(self.succeeded_emails)

    @property
    def cut_emails(self) -> list[str]:
        return [s.email for s in self.cut]

    def summary(self) -> str:
        served = "; ".join(f"{name} {windows}" for name, windows in self.served.items())
        return (
            f"{self.flows} sign-ins ({self.by_protocol}), {self.succeeded} succeeded, {len(self.cut)} cut by the kill "
            f"({len(self.errors)} 5xx answers: {sorted(h.status for h in self.errors)}), {len(self.resent)} requests "
            f"sent again after their connection closed without an answer, {len(self.refused)} refused; "
            f"{self.crossed} finished on another server than they started, {self.stash_crossed} SAML finish steps "
            f"on another server than their ACS; requests answered before the kill / while down / after the "
            f"restart: {served}"
        )


class Load:
    def __init__(self, site: Site, base: str, *, threads: int):
        self.site, self.base, self.threads = site, base, threads
        self.kill_began = self.kill_ended = self.marked_down = self.restarting = self.rejoined = float("inf")
        self._numbers = itertools.count()
        self._lock = threading.Lock()
        self._done: list[tuple[SignIn, str, str]] = []  # (sign-in, outcome, message)
        self._stop = threading.Event()
        self._workers = [threading.Thread(target=self._work, daemon=True) for _ in range(threads)]

    def __enter__(self) -> "Load":
        for worker in self._workers:
            worker.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=60)

    @property
    def finished(self) -> int:
        return len(self._done)

    def wait_for(self, *, finished: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.finished < finished:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {self.finished} of {finished} sign-ins finished in {timeout} s")
            time.sleep(0.02)

    def _work(self) -> None:
        while not self._stop.is_set():
            n = next(self._numbers)
            if n % 2:
                sign_in = OIDCSignIn(self.site, f"load-{n}@{OIDC_DOMAIN}")
            else:
                sign_in = SAMLSignIn(self.site, f"load-{n}@{SAML_DOMAIN}")
            try:
                sign_in.run(*[self.base] * len(sign_in.steps))
                outcome, message = "succeeded", ""
            except Cut as exc:
                outcome, message = "cut", str(exc)
            except Exception as exc:  # Refused, a network error, even a bug here: reported, not lost in a thread
                outcome, message = "refused", f"{sign_in.email}: {exc!r}"[:600]
            with self._lock:
                self._done.append((sign_in, outcome, message))

    def report(self) -> Report:
        with self._lock:
            done = list(self._done)
        hops = [hop for sign_in, _, _ in done for hop in sign_in.hops]
        succeeded = [s for s, outcome, _ in done if outcome == "succeeded"]
        return Report(
            flows=len(done),
            succeeded_emails=[s.email for s in succeeded],
            cut=[s for s, outcome, _ in done if outcome == "cut"],
            refused=[message for _, outcome, message in done if outcome == "refused"],
            errors=[hop for hop in hops if hop.status >= 500],
            resent=[hop for hop in hops if hop.status == 0],
            served=self._served(hops),
            crossed=sum(s.hops[0].served_by != s.hops[-1].served_by for s in succeeded),
            stash_crossed=sum(_server_of(s, "acs") != _server_of(s, "finish") for s in succeeded if _is_saml(s)),
            by_protocol={
                "SAML": sum(_is_saml(s) for s, _, _ in done),
                "OIDC": sum(not _is_saml(s) for s, _, _ in done),
            },
        )

    def _served(self, hops: list[Hop]) -> dict[str, dict[str, int]]:
        windows = {
            "before": lambda h: h.ended < self.kill_began,
            "down": lambda h: h.began > self.kill_ended and h.ended < self.restarting,
            "after": lambda h: h.began > self.rejoined,
        }
        answered = [h for h in hops if 0 < h.status < 500]  # a dead server's 502s are the errors, not answers
        names = sorted({h.served_by for h in answered})
        return {n: {w: sum(h.served_by == n and f(h) for h in answered) for w, f in windows.items()} for n in names}


def _is_saml(sign_in: SignIn) -> bool:
    return isinstance(sign_in, SAMLSignIn)


def _server_of(sign_in: SignIn, step: str) -> str:
    return next(h.served_by for h in sign_in.hops if h.step == step)
