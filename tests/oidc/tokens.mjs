// SPDX-License-Identifier: MIT
// Obtains tokens from the test's OpenID Provider (provider.mjs) the way
// clients do: client credentials, and the authorization-code flow with a
// user logging in through the provider's own interaction pages (a cookie
// jar, redirects followed by hand).
//
//   node tokens.mjs ISSUER SECRET USER AUDIENCE OTHER_AUDIENCE KIND...
//                                   prints "KIND TOKEN" lines
//
// KIND: code-ed, code-rs (the user's access token, EdDSA / RS256),
// code-other-aud (for another audience), code-other-client (issued to
// another application), id-token (the ID token of code-ed), cc-ed (client
// credentials: no user). Trust for the provider's certificate comes from
// NODE_EXTRA_CA_CERTS.
const [issuer, secret, user, AUDIENCE, OTHER_AUDIENCE, ...kinds] = process.argv.slice(2);
const REDIRECT = 'https://client.example/cb';

function basic(clientId) {
  return `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
}

async function tokenRequest(clientId, params) {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: basic(clientId), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`token endpoint: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

// One browser: a cookie jar (name -> value) and manual redirects.
async function browse(jar, url, init = {}) {
  const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers || {}), cookie } });
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const eq = pair.indexOf('=');
    jar.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return res;
}

// The authorization-code flow up to the code: log in as user, consent.
async function authorize(clientId, resource) {
  const jar = new Map();
  let url = `${issuer}/auth?${new URLSearchParams({
    client_id: clientId, response_type: 'code', redirect_uri: REDIRECT,
    scope: 'openid profile ssh', resource, state: 'st', nonce: 'n',
  })}`;
  let init = {};
  for (let step = 0; step < 12; step++) {
    const res = await browse(jar, url, init);
    init = {};
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get('location'), url).href;
      if (next.startsWith(REDIRECT)) {
        const q = new URL(next).searchParams;
        if (!q.get('code')) throw new Error(`no code: ${next}`);
        return q.get('code');
      }
      url = next;
      continue;
    }
    const html = await res.text();
    const prompt = /name="prompt" value="(\w+)"/.exec(html);
    if (res.status !== 200 || !prompt) throw new Error(`unexpected page ${res.status} at ${url}: ${html.slice(0, 200)}`);
    const form = prompt[1] === 'login' ? { prompt: 'login', login: user, password: 'any' } : { prompt: prompt[1] };
    init = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form) };
  }
  throw new Error('too many steps in the authorization flow');
}

async function codeTokens(clientId, resource) {
  const code = await authorize(clientId, resource);
  return tokenRequest(clientId, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, resource });
}

const how = {
  'code-ed': async () => (await codeTokens('pamjwt-ed', AUDIENCE)).access_token,
  'code-rs': async () => (await codeTokens('pamjwt-rs', AUDIENCE)).access_token,
  'code-other-aud': async () => (await codeTokens('pamjwt-ed', OTHER_AUDIENCE)).access_token,
  'code-other-client': async () => (await codeTokens('other-app', AUDIENCE)).access_token,
  'id-token': async () => (await codeTokens('pamjwt-ed', AUDIENCE)).id_token,
  'cc-ed': async () => (await tokenRequest('pamjwt-ed', {
    grant_type: 'client_credentials', scope: 'ssh', resource: AUDIENCE })).access_token,
};

for (const kind of kinds) {
  if (!how[kind]) throw new Error(`unknown kind ${kind}`);
  const token = await how[kind]();
  if (typeof token !== 'string' || token.split('.').length !== 3) throw new Error(`${kind}: not a JWT`);
  console.log(`${kind} ${token}`);
}
