"""Refusals of a response to a request this browser does not hold, worded from the shared cache's notes
(signin/saml/issued): whose request it was is only known from there, and only said, never acted on."""

from connections.connection import Connection, Kind
from signin.errors import SignInError
from signin.saml.issued import ISSUED_SECONDS, NOTES_PER_IP, browser_of, note_of
from signin.saml.quoting import NOT_VERIFIED, quote_all

MAX_PENDING = 10  # the requests a session holds at once: the latest ones


class Unmatched(SignInError):
    """A refusal made while routing a response, before its connection is chosen: `connection` is the one the
    request named was sent for, if we know it, so that its owners are told; `request_id` the request of this
    browser it names, if any (a Test connection's ends on its report)."""

    def __init__(
        self,
        code: str,
        message: str = "",
        detail: str = "",
        *,
        connection: Connection | None = None,
        request_id: str = "",
    ):
        super().__init__(code, message, detail)
        self.connection = connection
        self.request_id = request_id


def not_held(request, requests: list[str]) -> Unmatched:
    named = f"InResponseTo {quote_all(requests)} {NOT_VERIFIED}"
    for request_id in requests:
        issued = note_of(request_id)
        if issued is None:
            continue
        connection = connection_of(issued["connection"])
        if issued["answered"]:  # the IdP's page posted again: the back button, a double submit
            return Unmatched(
                "saml_stash_expired",
                detail=f"{named} names a sign-in that was already finished or refused.",
                connection=connection,
            )
        if issued.get("browser") and issued["browser"] == browser_of(request):
            return Unmatched(
                "saml_request_unknown",
                f"This browser started newer sign-ins since this one and keeps only the latest {MAX_PENDING}. Start "
                "again from Sign in with SSO.",
                f"{named} names a request this browser started, but it started at least {MAX_PENDING} more since "
                f"and a browser holds only its latest {MAX_PENDING}.",
                connection=connection,
            )
        return Unmatched(
            "saml_request_unknown",
            "This sign-in could not be matched to your browser: it started in another browser or a private "
            "window, or your browser signed out or lost our cookie since. Start again from Sign in with SSO, in "
            "one browser window.",
            f"{named} names a request KloudSSO sent that this browser does not hold: another browser or private "
            "window started it, or this browser signed out or dropped our cookie since.",
            connection=connection,
        )
    return Unmatched(
        "saml_request_never_sent",
        "This sign-in answer is not for a sign-in we started. Start again from Sign in with SSO.",
        f"{named} names no request KloudSSO noted in the last {ISSUED_SECONDS // 60} minutes (it notes up to "
        f"{NOTES_PER_IP} per IP address in ten minutes).",
    )


def connection_of(public_id) -> Connection | None:
    # The service provider too: the finish step verifies the response with it (connections.sp).
    connections = Connection.objects.select_related("saml", "organization__service_provider", "role_mapping")
    return connections.filter(public_id=public_id, kind=Kind.SAML).first()
