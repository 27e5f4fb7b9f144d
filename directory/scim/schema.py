"""What the SCIM service is: its resources, what it announces, and how much of the IdPs' dialects it accepts.

scim2-models (pydantic) parses and checks every resource, PATCH message and filter; django-scim2 was not used, as its
filters are raw SQL and it has no notion of a tenant.
"""

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    Patch,
    ResourceType,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    User,
)

MAX_COUNT = 200  # resources per page; a larger count is lowered to it (RFC 7644 §3.4.2.4)

UserModel = User[EnterpriseUser]
GroupModel = Group

# Entra ID removes group members with a value list on a remove (remove_value_as_filter) and expects a replace of a
# missing emails[type eq "work"].value to add that email (unmatched_path_filter). Attributes no schema declares
# (Entra's own extension, a custom mapping) are dropped rather than refused: an IdP's extra mapping must not stop
# provisioning.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)

CONFIG = ServiceProviderConfig(
    documentation_uri=None,
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_COUNT),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=False),
    etag=ETag(supported=False),
    authentication_schemes=[
        AuthenticationScheme(
            type="oauthbearertoken",
            name="OAuth Bearer Token",
            description="The directory's token, from its page in KloudSSO, as 'Authorization: Bearer <token>'.",
            primary=True,
        )
    ],
)

PROVIDER = ScimProvider(
    models=[User, EnterpriseUser, Group],
    resource_types=[ResourceType.from_resource(UserModel), ResourceType.from_resource(GroupModel)],
    config=CONFIG,
    policy=POLICY,
)

EMAILS_REQUIRED = (
    "Required here for an active user: KloudSSO knows each person by an email on the organization's verified "
    "domains. A userName that is an address stands in for it when no emails are sent."
)


def _published(schema):
    """The schema as /Schemas announces it: emails (and their value) required, as an active user needs one.

    RFC 7643 §7 has a service say in its schemas which attributes it requires; a client that reads them (scim2-tester
    does) then sends an email. Requests are still validated by the library's models, where emails stay optional, so
    an inactive user, or one whose userName is the address, is not refused for lacking emails.
    """
    if schema.id != str(User.__schema__):
        return schema
    schema = schema.model_copy(deep=True)
    for attribute in schema.attributes:
        if attribute.name == "emails":
            attribute.required, attribute.description = True, EMAILS_REQUIRED
            for sub in attribute.sub_attributes or []:
                if sub.name == "value":
                    sub.required = True
    return schema


SCHEMAS = tuple(_published(schema) for schema in PROVIDER.schemas)
