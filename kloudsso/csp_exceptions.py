"""Where a page departs from the Content-Security-Policy in settings, and why."""

from csp.decorators import csp_replace

# A form that starts a sign-in posts to us and is redirected to the organization's IdP, or posts to the IdP
# itself (the SAML HTTP-POST binding). Chromium checks form-action on those redirects too, and the IdP is not
# known when the page is drawn (it follows from the email typed) and may send the browser on to another origin
# (a federated IdP). Such pages go without form-action.
forms_lead_to_an_idp = csp_replace({"form-action": None})
