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
const PORT = Number.parseInt(env.PORT || '0', 10);
const HOST = '127.0.0.1';
const PREFIX = `/${TENANT_ID}/v2.0`;
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

// ---------------------------------------------------------------- accounts --

function account(login, sub, oidSuffix, claims, userinfoOnly = {}) {
  return {
    login,
    sub,
    userinfoOnly,
    claims: {
      sub,
      oid: `00000000-0000-0000-0000-00000000${oidSuffix}`,
      tid: TENANT_ID,
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
].map((a) => [a.login, a]));
const ACCOUNTS_BY_SUB = new Map([...ACCOUNTS.values()].map((a) => [a.sub, a]));

async function findAccount(ctx, sub) {
  const found = ACCOUNTS_BY_SUB.get(sub);
  if (!found) return undefined;
  return {
    accountId: found.sub,
    async claims(use) {
      return use === 'userinfo' ? { ...found.claims, ...found.userinfoOnly } : { ...found.claims };
    },
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

const configuration = {
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
    id_token_signed_response_alg: 'RS256',
  }],
  ...(CLIENT_AUTH_METHODS.length ? { clientAuthMethods: CLIENT_AUTH_METHODS } : {}),
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  findAccount,
  loadExistingGrant,
  renderError,
  scopes: SCOPES,
  claims: {
    openid: ['sub', 'oid', 'tid', 'ver'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
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
    url: (ctx, interaction) => `${PREFIX}/login/${interaction.uid}`,
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
};

// ----------------------------------------------------------- interactions --

function loginForm(uid, { login = '', error = '' } = {}) {
  return page('Sign in', `${error ? `<p class="error" role="alert">${htmlEscape(error)}</p>\n` : ''}<form id="login-form" method="post" action="${PREFIX}/login/${htmlEscape(uid)}" autocomplete="off">
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

async function handleInteraction(provider, req, res, uid) {
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
    send(res, 200, loginForm(uid, { login: params.login_hint || '' }));
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
    send(res, 401, loginForm(uid, { login, error: `No account found for "${login}".` }));
    return;
  }
  if (form.get('password') !== PASSWORD) {
    send(res, 401, loginForm(uid, { login, error: 'Wrong password.' }));
    return;
  }
  await provider.interactionFinished(req, res, {
    login: { accountId: found.sub },
  }, { mergeWithLastSubmission: false });
}

// ------------------------------------------------------------------ server --

const server = createServer();
server.listen(PORT, HOST, () => {
  const { port } = server.address();
  const issuer = `http://${HOST}:${port}${PREFIX}`;
  const provider = new Provider(issuer, configuration);
  provider.on('server_error', (ctx, err) => console.error('oidc idp server_error', err));
  const callback = provider.callback();
  const loginPath = new RegExp(`^${PREFIX.replace(/[.]/g, '\\.')}/login/([A-Za-z0-9_-]+)/?(?:\\?.*)?$`);

  server.on('request', (req, res) => {
    const url = req.url || '/';
    const match = loginPath.exec(url);
    if (match) {
      handleInteraction(provider, req, res, match[1]).catch((err) => {
        console.error('oidc idp interaction error', err);
        if (!res.headersSent) send(res, 500, page('Sign-in error', `<p class="error">${htmlEscape(err.message)}</p>`));
        else res.end();
      });
      return;
    }
    if (url.startsWith(`${PREFIX}/`) || url.startsWith(`${PREFIX}?`)) {
      // Mount the provider under the issuer's path the way express does:
      // oidc-provider derives its endpoint URLs from originalUrl vs url.
      req.originalUrl = url;
      req.url = url.slice(PREFIX.length);
      if (!req.url.startsWith('/')) req.url = `/${req.url}`;
      callback(req, res);
      return;
    }
    send(res, 404, page('Not found', '<p>not found</p>'));
  });

  process.stdout.write(`READY ${issuer}\n`);
});

function shutdown() {
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
