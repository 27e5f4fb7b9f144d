"""The sign-in runtime: what happens when someone signs in with SSO, in the order of the guide's steps.

home_realm (the work email picks the organization and connection), oidc/ and saml/ (each protocol's start,
callback and verification), complete (the domain and provisioning rules, the identity record), pages and
event_log (how a sign-in ends, for the person and for the owners), test_mode (Test connection) and the
catalogue of every failure. What a connection *is* lives in connections/; the HTTP client and crypto in kloudsso/.
"""
