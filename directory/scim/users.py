"""/Users: SCIM user resources kept as the JSON scim2-models validated, with the columns filters and links need."""

import json

from django.db import IntegrityError, transaction
from django.utils import timezone
from scim2_models import (
    Context,
    GroupMembership,
    InvalidValueException,
    Meta,
    NotFoundException,
    PatchOp,
    UniquenessException,
)

from directory import people, selectors
from directory.audit import USER_FIELDS, scim_user_audit, scim_user_target
from directory.models import SCIMUser, SCIMUserEmail
from directory.roles import Affected, roles_apply
from directory.scim import plan, quirks
from directory.scim.errors import directory_deleted
from directory.scim.schema import POLICY, UserModel
from directory.scim.text import unstorable_in
from kloudsso.audit.record import audit_diff, snapshot

MAX_ID_LENGTH = 512  # the columns' size
MAX_EMAILS = 100  # a person has a few; a bound on the rows one request writes
MAX_EMAIL_TYPE_LENGTH = 64
# A person's resource as stored: a few kilobytes from a real IdP. Every list page validates each of its users again,
# so a megabyte each (18,000 phone numbers) made a page of 200 cost a worker minutes and gigabytes.
MAX_RESOURCE_BYTES = 64 * 1024
MAX_EMAIL_LENGTH = 254
KEPT_OUT = {"password"}  # writeOnly (RFC 7643 §4.1.1): never stored, never returned


def user_model(scim_user: SCIMUser) -> UserModel:
    return UserModel.model_validate(scim_user.attributes, scim_policy=POLICY)


def user_create(*, directory, body, base_url: str) -> SCIMUser:
    model = UserModel.model_validate(
        quirks.resource_payload(body, kind="User", base_url=base_url),
        scim_ctx=Context.RESOURCE_CREATION_REQUEST,
        scim_policy=POLICY,
    )
    scim_user = SCIMUser(directory=directory, organization=directory.organization)
    return _save(scim_user, model, created=True)


def user_replace(*, scim_user: SCIMUser, body, base_url: str) -> SCIMUser:
    model = UserModel.model_validate(
        quirks.resource_payload(body, kind="User", base_url=base_url),
        scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST,
        scim_policy=POLICY,
    )
    return _fresh_save(scim_user, lambda _read: model.model_copy(deep=True))


def user_patch(*, scim_user: SCIMUser, body, base_url: str) -> SCIMUser:
    patch = PatchOp[UserModel].model_validate(
        quirks.patch_payload(body, resource_id=str(scim_user.public_id), base_url=base_url),
        scim_ctx=Context.RESOURCE_PATCH_REQUEST,
        scim_policy=POLICY,
    )

    def patched(read: SCIMUser):
        model = user_model(read)
        patch.patch(model, scim_policy=POLICY)
        return model

    return _fresh_save(scim_user, patched)


MAX_STALE_READS = 3


def _fresh_save(scim_user: SCIMUser, model_of) -> SCIMUser:
    """_save of the model `model_of` makes from the user as read; read again when another request wrote the user
    in between, so that a PATCH applies to what is stored, never to an older copy that would undo the other write."""
    for _attempt in range(MAX_STALE_READS):
        try:
            return _save(scim_user, model_of(scim_user))
        except _Stale:
            scim_user = _read_again(scim_user)
    raise UniquenessException(detail=f"Other requests kept changing {scim_user.user_name}; retry the request.")


class _Stale(Exception):
    """The user changed between this request's read and its write (which locks the row)."""


def _read_again(scim_user: SCIMUser) -> SCIMUser:
    found = selectors.scim_user_get(directory=scim_user.directory, public_id=scim_user.public_id)
    if found is None:
        raise _deleted_meanwhile(scim_user)
    return found


def _deleted_meanwhile(scim_user: SCIMUser) -> NotFoundException:
    return NotFoundException(detail=f"{scim_user.user_name} was deleted from this directory by another request.")


def _lock_as_read(scim_user: SCIMUser) -> None:
    """Inside the write's transaction: the row is locked until commit, and is still the one this request read."""
    row = SCIMUser.objects.select_for_update().filter(pk=scim_user.pk).values_list("updated_at", "deleted_at")
    found = row.first()
    if found is None or found[1] is not None:
        raise _deleted_meanwhile(scim_user)
    if found[0] != scim_user.updated_at:
        raise _Stale


def user_delete(*, scim_user: SCIMUser) -> None:
    """Gone from the SCIM API (a GET is a 404), kept inactive so the person stays deprovisioned."""
    people.refuse_owner(scim_user=scim_user, action="delete")
    now = timezone.now()
    with transaction.atomic():
        live = SCIMUser.objects.filter(pk=scim_user.pk, deleted_at__isnull=True)
        if not live.update(active=False, deleted_at=now, deactivated_at=now):
            raise _deleted_meanwhile(scim_user)  # two DELETEs at once: the other one deleted the user
        scim_user.group_memberships.all().delete()
        if scim_user.user_id is not None:
            people.sessions_end(user_id=scim_user.user_id)
        scim_user_audit(scim_user, "scim_user.deleted")


class _OwnerRefused(Exception):
    """Raised inside the transaction, so that what linking wrote is undone before the owners are alerted."""


def _save(scim_user: SCIMUser, model, *, created: bool = False) -> SCIMUser:
    was_active = created or scim_user.active
    before = {} if created else snapshot(scim_user, USER_FIELDS)
    linked_before, updated_before = scim_user.user_id, scim_user.updated_at
    emails_before = None if created else scim_user.attributes.get("emails")
    _columns(scim_user, model)
    if created or scim_user.active:
        plan.provisioning_check(directory=scim_user.directory, refused=_refused(scim_user, created, was_active))
    if scim_user.active and not _address(scim_user):
        raise people.email_missing(scim_user=scim_user)
    stored = _stored(model)
    why = unstorable_in(stored)  # a PATCH path's filter spells it: emails[type eq "\u0000"]
    if why is not None:
        raise InvalidValueException(detail=f"The user would hold {why}.")
    _check_size(stored, before=0 if created else _size(scim_user.attributes), active=scim_user.active)
    scim_user.attributes = stored
    # Only a write that changes the emails rewrites their rows: a PATCH of a name costs no statement more.
    emails = _email_rows(model) if created or scim_user.attributes.get("emails") != emails_before else None
    for _attempt in range(2):
        try:
            _write(scim_user, before, emails, created=created, was_active=was_active, linked_before=linked_before)
            return scim_user
        except _OwnerRefused:
            people.refuse_owner(scim_user=scim_user, action="deactivate")  # raises, unless demoted meanwhile
        except IntegrityError:
            scim_user.user_id, scim_user.updated_at = linked_before, updated_before  # the attempt was rolled back
            if created:
                scim_user.pk, scim_user._state.adding = None, True
            gone = directory_deleted(scim_user.directory)
            if gone is not None:
                raise gone from None
            if _user_name_taken(scim_user):
                raise UniquenessException(
                    detail=f"The directory already has a user with the userName {scim_user.user_name}."
                ) from None
    # Twice a request changing the same person at the same moment (e.g. making their account) won: no userName.
    raise UniquenessException(
        detail=f"Another request changed {scim_user.user_name}'s account at the same time; retry the request."
    )


def _refused(scim_user: SCIMUser, created: bool, was_active: bool) -> str:
    """What the Free plan refuses, for its 403: a write whose result is an inactive user is never refused."""
    if created:
        return f"creating the user {scim_user.user_name}"
    if not was_active:
        return f"reactivating {scim_user.user_name}"
    return f"this change to {scim_user.user_name}, which leaves them active,"


def _write(scim_user: SCIMUser, before: dict, emails, *, created: bool, was_active: bool, linked_before) -> None:
    active = scim_user.active
    with transaction.atomic():
        if not created:
            _lock_as_read(scim_user)
        people.person_link(scim_user=scim_user, email=_address(scim_user))
        # After linking, creation included: a new or unlinked record with an owner's email is that owner too.
        if not active and people.owner_linked(scim_user):
            raise _OwnerRefused
        if created and scim_user.user_id is not None:
            # A person deleted earlier from this directory and provisioned again starts afresh; another
            # directory's delete is that directory's to undo.
            SCIMUser.objects.filter(
                directory=scim_user.directory, user=scim_user.user, deleted_at__isnull=False
            ).delete()
        scim_user.deactivated_at = None if active else (scim_user.deactivated_at or timezone.now())
        scim_user.save()
        if emails is not None:
            # After the user's UPDATE, whose row lock holds until commit: two writes to one user rewrite its emails
            # one after the other, never into a mix of both.
            _emails_rewrite(scim_user, emails, created=created)
        relinked = scim_user.user_id != linked_before
        if not active and scim_user.user_id is not None and (was_active or relinked):
            people.sessions_end(user_id=scim_user.user_id)
        changes = audit_diff(before, snapshot(scim_user, USER_FIELDS))
        if changes:
            scim_user_audit(scim_user, _action(created, was_active, active), changes)
        # Back, or now known as a person: the groups they kept meanwhile give their role. A new record is in no
        # group yet, so it waits for the IdP's group push rather than demote an admin until then.
        if active and not created and scim_user.user_id is not None and (not was_active or relinked):
            affected = Affected(pks={scim_user.pk})
            roles_apply(directory=scim_user.directory, affected=affected, cause=scim_user_target(scim_user))


def _user_name_taken(scim_user: SCIMUser) -> bool:
    return (
        SCIMUser.objects.filter(directory_id=scim_user.directory_id, user_name_key=scim_user.user_name_key)
        .filter(deleted_at__isnull=True)
        .exclude(pk=scim_user.pk)
        .exists()
    )


def _action(created: bool, was_active: bool, active: bool) -> str:
    if created:
        return "scim_user.provisioned"
    if was_active != active:
        return "scim_user.reactivated" if active else "scim_user.deactivated"
    return "scim_user.updated"


def _columns(scim_user: SCIMUser, model) -> None:
    for name, value in (("userName", model.user_name), ("externalId", model.external_id)):
        if value and len(value) > MAX_ID_LENGTH:
            raise InvalidValueException(detail=f"{name} has at most {MAX_ID_LENGTH} characters here.")
    scim_user.user_name = model.user_name or ""
    scim_user.user_name_key = scim_user.user_name.lower()
    if len(scim_user.user_name_key) > MAX_ID_LENGTH:  # lower-casing lengthens some letters: İ is i and a dot
        raise InvalidValueException(detail=f"userName has at most {MAX_ID_LENGTH} characters here, lower-cased.")
    scim_user.external_id = model.external_id or ""
    scim_user.display_name = (model.display_name or "")[:512]
    scim_user.active = model.active is not False
    _check_emails(model)
    scim_user.email = _primary_email(model)
    if _user_name_taken(scim_user):
        raise UniquenessException(detail=f"The directory already has a user with the userName {scim_user.user_name}.")


def _primary_email(model) -> str:
    emails = [e for e in (model.emails or []) if e.value and e.value.strip()]
    work = next((e for e in emails if str(e.type or "").lower() == "work"), None)
    chosen = next((e for e in emails if e.primary), None) or work
    chosen = chosen or (emails[0] if emails else None)
    return str(chosen.value).strip().lower()[:254] if chosen else ""


def _email_like(user_name: str) -> str:
    return user_name if "@" in user_name else ""


def _address(scim_user: SCIMUser) -> str:
    """The email the person is known by: the chosen one of emails, else a userName that is an address."""
    return scim_user.email or _email_like(scim_user.user_name)


def _check_emails(model) -> None:
    emails = model.emails or []
    if len(emails) > MAX_EMAILS:
        raise InvalidValueException(detail=f"A user has at most {MAX_EMAILS} emails here; this one has {len(emails)}.")
    # An email's value is an address of at most 254 characters already: scim2-models validates it.
    # Measured lower-cased, as the rows keep them (lower-casing lengthens some letters: İ is i and a dot).
    for email in emails:
        if email.type and len(str(email.type).lower()) > MAX_EMAIL_TYPE_LENGTH:
            raise InvalidValueException(detail=f"An email's type has at most {MAX_EMAIL_TYPE_LENGTH} characters here.")
        if email.value and len(email.value.strip().lower()) > MAX_EMAIL_LENGTH:
            raise InvalidValueException(detail=f"An email has at most {MAX_EMAIL_LENGTH} characters here, lower-cased.")


def _size(attributes: dict) -> int:
    return len(json.dumps(attributes))


def _check_size(stored: dict, *, before: int, active: bool) -> None:
    """A user is stored within the bound; one stored beyond it before the bound was set can still be deactivated."""
    size = _size(stored)
    if size > MAX_RESOURCE_BYTES and (active or before <= MAX_RESOURCE_BYTES):
        raise InvalidValueException(
            detail=f"A user is stored in at most {MAX_RESOURCE_BYTES // 1024} KB here; this one would take "
            f"{size // 1024} KB. Map fewer values to KloudSSO (phone numbers, addresses, certificates...)."
        )


def _email_rows(model) -> list[tuple[str, str, bool | None]]:
    """(value, type, primary) of each email that says anything, lower-cased as filters compare them."""
    rows = []
    for email in model.emails or []:
        value, kind = (email.value or "").strip().lower(), str(email.type or "").lower()
        if value or kind or email.primary is not None:
            rows.append((value, kind, email.primary))
    return rows


def _emails_rewrite(scim_user: SCIMUser, emails: list, *, created: bool) -> None:
    if not created:
        SCIMUserEmail.objects.filter(scim_user=scim_user).delete()
    if emails:
        SCIMUserEmail.objects.bulk_create(
            [SCIMUserEmail(scim_user=scim_user, value_key=v, type=t, primary=p) for v, t, p in emails]
        )


def _stored(model) -> dict:
    for name in KEPT_OUT:
        setattr(model, name, None)
    return model.model_dump(mode="json", scim_ctx=Context.DEFAULT, exclude_none=True, by_alias=True)


def user_resource(scim_user: SCIMUser, *, base_url: str, groups=None, parameters=None) -> dict:
    """The resource as the API returns it: what was stored, with id, meta and the groups it is a member of."""
    model = user_model(scim_user)
    model.id = str(scim_user.public_id)
    model.meta = Meta(
        resource_type="User",
        created=scim_user.created_at,
        last_modified=scim_user.updated_at,
        location=f"{base_url}/Users/{scim_user.public_id}",
    )
    if model.active is not None or not scim_user.active:
        model.active = scim_user.active  # absent means active, as it was sent
    if groups:
        model.groups = [
            GroupMembership(value=str(g.public_id), display=g.display_name, ref=f"{base_url}/Groups/{g.public_id}")
            for g in groups
        ]
    return model.model_dump(mode="json", scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=parameters)
