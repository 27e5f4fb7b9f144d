// A real OpenID Connect identity provider for KloudSSO's end-to-end tests.
//
// Built on `oidc-provider` (OpenID Certified, by panva) and shaped like a
// Microsoft Entra ID tenant:
//   issuer     http://127.0.0.1:<port>/<TENANT_ID>/v2.0
//   discovery  <issuer>/.well-known/openid-configuration
//   authorize  <issuer>/oauth2/v2.0/authorize
//   token      <issuer>/oauth2/v2.0/token
//   keys       <issuer>/discovery/v2.0/keys
//   userinfo   <issuer>/oidc/userinfo
//   logout     <issuer>/oauth2/v2.0/logout
//   login form <issuer>/login/<uid>        (this file's own HTML form)
//
// Environment:
//   PORT           port on 127.0.0.1 (0 or unset: a free one)
//   TENANT_ID      default 11111111-2222-3333-4444-555555555555
//   CLIENT_ID      the one confidential client            (required)
//   CLIENT_SECRET  its secret                              (required)
//   REDIRECT_URIS  its redirect URIs, comma-separated      (required)
//   CLIENT_AUTH_METHODS  the token endpoint's client authentication methods,
//                  comma-separated (token_endpoint_auth_methods_supported); the
//                  client is registered with the first. Unset: oidc-provider's
//                  defaults, the client registered with client_secret_post.
//   ID_TOKEN_ALG   the client's id_token_signed_response_alg, default RS256.
//                  HS256, HS384 or HS512: an HMAC with CLIENT_SECRET, as
//                  LemonLDAP::NG does by default (the algorithm is then added to
//                  id_token_signing_alg_values_supported).
//   ORGANIZATIONS  several more tenants behind Entra's multi-tenant endpoint, as
//                  `<tenant id>=<email domain>` pairs, comma-separated. Unset: none.
//                  Then /organizations/v2.0/.well-known/openid-configuration has
//                  the issuer http://127.0.0.1:<port>/{tenantid}/v2.0 and its own
//                  authorize, token and keys endpoints (no userinfo, as Entra's
//                  document names Graph's); authorize sends the browser on to the
//                  tenant whose domain is login_hint's (else the first), whose
//                  tokens carry its own tid and iss. /<any GUID>/v2.0/.well-known/
//                  openid-configuration of no tenant here answers HTTP 400
//                  AADSTS90002, as Entra does for a tenant that does not exist.
//                  The tenants share oidc-provider's in-memory store, so a browser
//                  signed in at one tenant is signed in at all of them, with the same
//                  account: use a fresh session for each sign-in.
//   EXTRA_ACCOUNTS more accounts, as JSON: [{"login", "sub", "claims", "userinfo"}],
//                  claims put in the ID token (given_name, family_name, groups,
//                  hasgroups, _claim_names/_claim_sources...), userinfo only
//                  in the UserInfo response. Each gets oid, tid and ver too.
//   POST_LOGOUT_REDIRECT_URIS  the client's post_logout_redirect_uris for
//                  RP-initiated logout, comma-separated (unset: none).
//
// Once listening it prints exactly one line to stdout, `READY <issuer>`.
// Everything else (oidc-provider's notices included) goes to stderr.

import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

// oidc-provider prints some notices with console.info (stdout); keep stdout
// for the READY line only.
console.log = console.error;
console.info = console.error;

const env = process.env;
const TENANT_ID = env.TENANT_ID || '11111111-2222-3333-4444-555555555555';
const CLIENT_ID = env.CLIENT_ID;
const CLIENT_SECRET = env.CLIENT_SECRET;
const REDIRECT_URIS = (env.REDIRECT_URIS || '').split(',').map((uri) => uri.trim()).filter(Boolean);
const POST_LOGOUT_REDIRECT_URIS = (env.POST_LOGOUT_REDIRECT_URIS || '').split(',').map((uri) => uri.trim()).filter(Boolean);
const CLIENT_AUTH_METHODS = (env.CLIENT_AUTH_METHODS || '').split(',').map((m) => m.trim()).filter(Boolean);
const ID_TOKEN_ALG = env.ID_TOKEN_ALG || 'RS256';
const ORGANIZATIONS = (env.ORGANIZATIONS || '').split(',').map((pair) => pair.trim()).filter(Boolean)
  .map((pair) => {
    const [tenant, domain = ''] = pair.split('=');
    return { tenant: tenant.trim().toLowerCase(), domain: domain.trim().toLowerCase() };
  });
const PORT = Number.parseInt(env.PORT || '0', 10);
const HOST = '127.0.0.1';
const PREFIX = `/${TENANT_ID}/v2.0`; // the default tenant's issuer path
const PASSWORD = 'pass';

for (const [name, value] of [['CLIENT_ID', CLIENT_ID], ['CLIENT_SECRET', CLIENT_SECRET], ['REDIRECT_URIS', REDIRECT_URIS.length]]) {
  if (!value) {
    console.error(`oidc idp: ${name} is required`);
    process.exit(2);
  }
}
if (!/^[A-Za-z0-9._~-]+$/.test(TENANT_ID)) {
  console.error('oidc idp: TENANT_ID must be a single URL path segment');
  process.exit(2);
}
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
for (const { tenant } of ORGANIZATIONS) {
  if (!GUID.test(tenant) || tenant === TENANT_ID) {
    console.error(`oidc idp: ORGANIZATIONS tenant ${tenant} must be a GUID other than TENANT_ID`);
    process.exit(2);
  }
}

// ---------------------------------------------------------------- accounts --

function account(login, sub, oidSuffix, claims, userinfoOnly = {}) {
  return {
    login,
    sub,
    userinfoOnly,
    claims: {
      sub,
      oid: `00000000-0000-0000-0000-00000000${oidSuffix}`,
      tid: TENANT_ID, // findAccountIn() puts the tenant of the provider asked
      ver: '2.0',
      ...claims,
    },
  };
}

// Keyed by login name. No account has a claim it is not listed with here:
// ada and nomail have no email claim at all; uma's email is only in the
// UserInfo response, never in the ID token.
const ACCOUNTS = new Map([
  account('ada', 'ada-sub', 'ada1', {
    name: 'Ada Lovelace',
    preferred_username: 'ada@acme.test',
  }),
  account('bea', 'bea-sub', 'bea1', {
    name: 'Bea',
    preferred_username: 'bea@acme.test',
    email: 'bea@acme.test',
    email_verified: true,
  }),
  account('eve', 'eve-sub', '0eve', {
    name: 'Eve',
    preferred_username: 'eve@evil.test',
    email: 'eve@evil.test',
  }),
  account('nomail', 'nomail-sub', '0001', {
    name: 'No Mail',
    preferred_username: 'nomail',
  }),
  account('cleo', 'cleo-sub', 'c1e0', {
    name: 'Cleo',
    preferred_username: 'cleo@acme.test',
    email: 'cleo@acme.test',
    email_verified: false,
  }),
  account('vera', 'vera-sub', '0e1a', {
    name: 'Vera',
    preferred_username: 'vera@acme.test',
    email: 'vera@mailbox.test',
    email_verified: false,
  }),
  account('uma', 'uma-sub', '0a1a', {
    name: 'Uma',
    preferred_username: 'uma',
  }, {
    email: 'uma@acme.test',
    email_verified: true,
  }),
  ...JSON.parse(env.EXTRA_ACCOUNTS || '[]').map((extra, n) => account(
    extra.login,
    extra.sub || `${extra.login}-sub`,
    (0xe000 + n).toString(16),
    extra.claims || {},
    extra.userinfo || {},
  )),
].map((a) => [a.login, a]));
const ACCOUNTS_BY_SUB = new Map([...ACCOUNTS.values()].map((a) => [a.sub, a]));

// Every tenant has the same accounts; each tenant's tokens carry its own tid.
function findAccountIn(tenant) {
  return async (ctx, sub) => {
    const found = ACCOUNTS_BY_SUB.get(sub);
    if (!found) return undefined;
    const claims = { ...found.claims, tid: tenant };
    return {
      accountId: found.sub,
      async claims(use) {
        return use === 'userinfo' ? { ...claims, ...found.userinfoOnly } : { ...claims };
      },
    };
  };
}

// ------------------------------------------------------------------ config --

const SCOPES = ['openid', 'email', 'profile'];

// Give this test IdP's client every scope it asks for without a consent
// screen, as a tenant admin's consent does in Entra.
async function loadExistingGrant(ctx) {
  const { oidc } = ctx;
  const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (!grant) {
    grant = new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
  }
  grant.addOIDCScope(SCOPES.join(' '));
  const requestedClaims = Object.keys({
    ...(oidc.claims?.id_token || {}),
    ...(oidc.claims?.userinfo || {}),
  });
  if (requestedClaims.length) grant.addOIDCClaims(requestedClaims);
  await grant.save();
  return grant;
}

function htmlEscape(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${htmlEscape(title)}</title></head>
<body>
<h1>${htmlEscape(title)}</h1>
${body}
</body>
</html>
`;
}

async function renderError(ctx, out) {
  ctx.type = 'html';
  ctx.body = page('Sign-in error', Object.entries(out)
    .map(([key, value]) => `<p class="error"><strong>${htmlEscape(key)}</strong>: ${htmlEscape(value)}</p>`)
    .join('\n'));
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }),
  kid: `test-${randomUUID()}`,
  use: 'sig',
  alg: 'RS256',
};

const configurationFor = (tenant) => ({
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: REDIRECT_URIS,
    ...(POST_LOGOUT_REDIRECT_URIS.length ? { post_logout_redirect_uris: POST_LOGOUT_REDIRECT_URIS } : {}),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    // Unless CLIENT_AUTH_METHODS narrows them, client_secret_basic is accepted
    // as well: oidc-provider treats the two as interchangeable for a client
    // registered with either.
    token_endpoint_auth_method: CLIENT_AUTH_METHODS[0] || 'client_secret_post',
    id_token_signed_response_alg: ID_TOKEN_ALG,
  }],
  enabledJWA: {
    idTokenSigningAlgValues: [...new Set([ID_TOKEN_ALG, 'RS256', 'PS256', 'ES256', 'Ed25519', 'EdDSA'])],
  },
  ...(CLIENT_AUTH_METHODS.length ? { clientAuthMethods: CLIENT_AUTH_METHODS } : {}),
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  findAccount: findAccountIn(tenant),
  loadExistingGrant,
  renderError,
  scopes: SCOPES,
  claims: {
    // groups, and Entra's group overage (hasgroups, or _claim_names/_claim_sources
    // naming groups), are in the ID token of the accounts that have them.
    openid: ['sub', 'oid', 'tid', 'ver', 'groups', 'hasgroups'],
    // xms_edov: Entra's optional claim saying the email's domain is verified in the tenant.
    email: ['email', 'email_verified', 'xms_edov'],
    profile: ['name', 'preferred_username', 'given_name', 'family_name', 'upn'],
  },
  // The ID token carries every claim of the granted scopes, not only `sub`,
  // even though the code flow also issues an access token (as Entra does).
  conformIdTokenClaims: false,
  // Confidential client: PKCE is optional but, when a code_challenge is sent,
  // S256 is enforced at the token endpoint.
  pkce: { required: () => false },
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  interactions: {
    url: (ctx, interaction) => `/${tenant}/v2.0/login/${interaction.uid}`,
  },
  routes: {
    authorization: '/oauth2/v2.0/authorize',
    token: '/oauth2/v2.0/token',
    jwks: '/discovery/v2.0/keys',
    userinfo: '/oidc/userinfo',
    end_session: '/oauth2/v2.0/logout',
  },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 300,
    IdToken: 3600,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
  },
});

// ----------------------------------------------------------- interactions --

function loginForm(prefix, uid, { login = '', error = '' } = {}) {
  return page('Sign in', `${error ? `<p class="error" role="alert">${htmlEscape(error)}</p>\n` : ''}<form id="login-form" method="post" action="${prefix}/login/${htmlEscape(uid)}" autocomplete="off">
  <input type="hidden" name="prompt" value="login">
  <label>Login <input type="text" name="login" value="${htmlEscape(login)}" required autofocus></label>
  <label>Password <input type="password" name="password" placeholder="pass" required></label>
  <button type="submit">Sign in</button>
</form>`);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res, status, html) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(html);
}

async function handleInteraction(provider, prefix, req, res, uid) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    send(res, 400, page('Sign-in error', `<p class="error">${htmlEscape(err.error_description || err.message)}</p>`));
    return;
  }
  if (details.uid !== uid) {
    send(res, 400, page('Sign-in error', '<p class="error">interaction mismatch</p>'));
    return;
  }

  const { prompt, params, session } = details;
  if (prompt.name === 'consent') {
    // Not expected (loadExistingGrant grants everything), but never show a
    // consent screen: grant what is missing and go on.
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  if (prompt.name !== 'login') {
    send(res, 501, page('Sign-in error', `<p class="error">unsupported prompt ${htmlEscape(prompt.name)}</p>`));
    return;
  }

  if (req.method === 'GET') {
    send(res, 200, loginForm(prefix, uid, { login: params.login_hint || '' }));
    return;
  }
  if (req.method !== 'POST') {
    res.statusCode = 405;
    res.setHeader('Allow', 'GET, POST');
    res.end();
    return;
  }

  const form = await readForm(req);
  const login = (form.get('login') || '').trim();
  const found = ACCOUNTS.get(login);
  if (!found) {
    send(res, 401, loginForm(prefix, uid, { login, error: `No account found for "${login}".` }));
    return;
  }
  if (form.get('password') !== PASSWORD) {
    send(res, 401, loginForm(prefix, uid, { login, error: 'Wrong password.' }));
    return;
  }
  await provider.interactionFinished(req, res, {
    login: { accountId: found.sub },
  }, { mergeWithLastSubmission: false });
}

// ------------------------------------------------------------------ server --

const server = createServer();

// One oidc-provider per tenant, all with the same keys and client (one
// multi-tenant app registration, as in Entra), each mounted under its issuer.
function mountTenant(origin, tenant) {
  const prefix = `/${tenant}/v2.0`;
  const provider = new Provider(`${origin}${prefix}`, configurationFor(tenant));
  provider.on('server_error', (ctx, err) => console.error('oidc idp server_error', err));
  return {
    tenant,
    prefix,
    provider,
    callback: provider.callback(),
    loginPath: new RegExp(`^${prefix.replace(/[.]/g, '\\.')}/login/([A-Za-z0-9_-]+)/?(?:\\?.*)?$`),
  };
}

function serveTenant(mounted, req, res) {
  const url = req.url || '/';
  const match = mounted.loginPath.exec(url);
  if (match) {
    handleInteraction(mounted.provider, mounted.prefix, req, res, match[1]).catch((err) => {
      console.error('oidc idp interaction error', err);
      if (!res.headersSent) send(res, 500, page('Sign-in error', `<p class="error">${htmlEscape(err.message)}</p>`));
      else res.end();
    });
    return true;
  }
  if (url.startsWith(`${mounted.prefix}/`) || url.startsWith(`${mounted.prefix}?`)) {
    // Mount the provider under the issuer's path the way express does:
    // oidc-provider derives its endpoint URLs from originalUrl vs url.
    req.originalUrl = url;
    req.url = url.slice(mounted.prefix.length);
    if (!req.url.startsWith('/')) req.url = `/${req.url}`;
    mounted.callback(req, res);
    return true;
  }
  return false;
}

function sendJSON(res, status, body) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(body));
}

// ---------------------------------------------------- /organizations/ --

function organizationsDocument(origin) {
  const base = `${origin}/organizations`;
  return {
    issuer: `${origin}/{tenantid}/v2.0`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    token_endpoint: `${base}/oauth2/v2.0/token`,
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    subject_types_supported: ['pairwise'],
    scopes_supported: SCOPES,
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS.length
      ? CLIENT_AUTH_METHODS : ['client_secret_post', 'client_secret_basic'],
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'oid', 'tid', 'ver', 'email', 'name',
      'preferred_username'],
    code_challenge_methods_supported: ['S256'],
    tenant_region_scope: null,
  };
}

function homeTenant(orgs, query) {
  const hint = (query.get('login_hint') || '').toLowerCase();
  const domain = hint.includes('@') ? hint.split('@').pop() : '';
  return orgs.find((t) => t.domain && t.domain === domain) || orgs[0];
}

async function serveOrganizations(origin, orgs, codes, req, res) {
  const url = new URL(req.url || '/', origin);
  const path = url.pathname;
  if (path === '/organizations/v2.0/.well-known/openid-configuration') {
    sendJSON(res, 200, organizationsDocument(origin));
  } else if (path === '/organizations/discovery/v2.0/keys') {
    const { kid, kty, n, e, use, alg } = signingKey;
    sendJSON(res, 200, { keys: [{ kid, kty, n, e, use, alg }] });
  } else if (path === '/organizations/oauth2/v2.0/authorize') {
    // Entra's home-realm discovery: the account's domain names its tenant.
    const home = homeTenant(orgs, url.searchParams);
    res.statusCode = 302;
    res.setHeader('Location', `${home.prefix}/oauth2/v2.0/authorize${url.search}`);
    res.end();
  } else if (path === '/organizations/oauth2/v2.0/token' && req.method === 'POST') {
    const body = await readForm(req);
    const tenant = codes.get(body.get('code') || '');
    const mounted = orgs.find((t) => t.tenant === tenant);
    if (!mounted) {
      sendJSON(res, 400, { error: 'invalid_grant', error_description: 'AADSTS70000: unknown authorization code' });
      return;
    }
    // The tenant's provider reads an already-read body from req.body.
    req.body = body.toString();
    req.url = `${mounted.prefix}/oauth2/v2.0/token`;
    serveTenant(mounted, req, res);
  } else {
    send(res, 404, page('Not found', '<p>not found</p>'));
  }
}

const TENANT_METADATA = /^\/([0-9a-fA-F-]{36})\/v2\.0\/\.well-known\/openid-configuration$/;

server.listen(PORT, HOST, () => {
  const { port } = server.address();
  const origin = `http://${HOST}:${port}`;
  const mounted = mountTenant(origin, TENANT_ID);
  const orgs = ORGANIZATIONS.map(({ tenant, domain }) => ({ ...mountTenant(origin, tenant), domain }));
  const codes = new Map(); // authorization code -> the tenant that issued it
  for (const org of orgs) {
    org.provider.on('authorization_code.saved', (code) => codes.set(code.jti, org.tenant));
  }

  server.on('request', (req, res) => {
    const url = req.url || '/';
    if (serveTenant(mounted, req, res) || orgs.some((org) => serveTenant(org, req, res))) return;
    if (orgs.length && url.startsWith('/organizations/')) {
      serveOrganizations(origin, orgs, codes, req, res).catch((err) => {
        console.error('oidc idp organizations error', err);
        if (!res.headersSent) sendJSON(res, 500, { error: 'server_error' });
        else res.end();
      });
      return;
    }
    const unknown = TENANT_METADATA.exec(url.split('?')[0]);
    if (unknown) {
      sendJSON(res, 400, {
        error: 'invalid_tenant',
        error_description: `AADSTS90002: Tenant '${unknown[1]}' not found.`,
        error_codes: [90002],
      });
      return;
    }
    send(res, 404, page('Not found', '<p>not found</p>'));
  });

  process.stdout.write(`READY ${origin}${PREFIX}\n`);
});

function shutdown() {
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
