// SPDX-License-Identifier: MIT
// A real OpenID Provider for tests/e2e/test_oidc_provider.sh: panva's
// oidc-provider (the certified implementation, not a mock) on 127.0.0.1
// over https, signing JWT access tokens (RFC 9068) for one dedicated
// audience with an Ed25519 (EdDSA) and an RSA (RS256) key.
//
//   node provider.mjs keys FILE       write a new private key set to FILE
//   node provider.mjs serve CONFIG    serve; CONFIG (JSON) names port, the
//                                     TLS key and certificate, the key file,
//                                     the client secret and the audiences
//
// Under /bad/ it also answers what a broken provider or a hostile network
// could (not JSON, empty, over 1 MiB with or without a
// Content-Length, no usable key, an HTTP error), so the test can show
// that `jwt-helper jwks sync` keeps the old key set.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { Readable } from 'node:stream';
import Provider from 'oidc-provider';

const SCOPES = 'ssh sudo';

function newKeys() {
  const kid = randomBytes(6).toString('hex');
  const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  return {
    keys: [
      { ...ed, kid: `ed-${kid}`, alg: 'EdDSA', use: 'sig' },
      { ...rsa, kid: `rs-${kid}`, alg: 'RS256', use: 'sig' },
    ],
  };
}

// Clients ending in "-rs" get RS256 access tokens, the others EdDSA.
function client(id, secret) {
  return {
    client_id: id,
    client_secret: secret,
    grant_types: ['authorization_code', 'client_credentials'],
    response_types: ['code'],
    redirect_uris: ['https://client.example/cb'],
    id_token_signed_response_alg: id.endsWith('-rs') ? 'RS256' : 'EdDSA',
  };
}

// cfg.audience: the one audience the test's pam_jwt.conf accepts (jwt-helper(1),
// "Key sets from an OpenID Provider": the provider's own, not host:); cfg.otherAudience: another
// resource server of the same provider.
function configuration(cfg, jwks) {
  return {
    clients: ['pamjwt-ed', 'pamjwt-rs', 'other-app'].map((id) => client(id, cfg.secret)),
    jwks,
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], profile: ['preferred_username'] },
    scopes: ['openid', 'profile', 'offline_access'],
    // The test's user logs in through the provider's own development
    // interactions: any login name, which becomes the account.
    findAccount: async (ctx, id) => ({
      accountId: id,
      claims: async () => ({ sub: `user-${id}`, preferred_username: id }),
    }),
    ttl: { AccessToken: 600, ClientCredentials: 600, IdToken: 600, Interaction: 600,
      Session: 600, Grant: 600, AuthorizationCode: 60 },
    pkce: { required: () => false },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => cfg.audience,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, resource, c) => {
          if (resource !== cfg.audience && resource !== cfg.otherAudience) {
            throw new Error(`unknown resource ${resource}`);
          }
          return {
            scope: SCOPES,
            audience: resource,
            accessTokenTTL: 600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: c.clientId.endsWith('-rs') ? 'RS256' : 'EdDSA' } },
          };
        },
      },
    },
    // The user's name as pam_jwt's user_claim=preferred_username reads it,
    // in the access token too (RFC 9068 §2.2.3.1 allows profile claims).
    extraTokenClaims: async (ctx, token) => {
      if (!token.accountId) return undefined;
      return { preferred_username: token.accountId };
    },
  };
}

function badAnswers(ctx, next, cfg) {
  switch (ctx.path) {
    // The provider's own private keys: a set no verifier may be given.
    case '/bad/private': ctx.type = 'json'; ctx.body = readFileSync(cfg.keys, 'utf8'); return undefined;
    // A redirect away from https.
    case '/bad/redirect': ctx.redirect(`http://127.0.0.1:${cfg.port}/jwks`); return undefined;
    case '/bad/broken': ctx.type = 'json'; ctx.body = '{"keys":[{"kty":"OKP",'; return undefined;
    case '/bad/empty': ctx.type = 'json'; ctx.body = ''; return undefined;
    case '/bad/huge': ctx.type = 'json'; ctx.body = `{"keys":[],"pad":"${'p'.repeat(1100000)}"}`; return undefined;
    // No Content-Length: curl cannot refuse it up front, jwt-helper's own
    // limit must (streamed in 64 KiB chunks, 1.1 MB in all).
    case '/bad/stream': ctx.type = 'json'; ctx.body = Readable.from((function* chunks() {
      yield '{"keys":[],"pad":"';
      for (let i = 0; i < 17; i++) yield 'p'.repeat(65536);
      yield '"}';
    })()); return undefined;
    case '/bad/nokeys': ctx.type = 'json'; ctx.body = '{"keys":[]}'; return undefined;
    case '/bad/status': ctx.status = 500; ctx.body = '{"keys":[]}'; return undefined;
    default: return next();
  }
}

function serve(cfgPath) {
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  const jwks = JSON.parse(readFileSync(cfg.keys, 'utf8'));
  const issuer = `https://127.0.0.1:${cfg.port}`;
  const provider = new Provider(issuer, configuration(cfg, jwks));
  provider.use((ctx, next) => badAnswers(ctx, next, cfg));
  const server = https.createServer({ key: readFileSync(cfg.tlsKey), cert: readFileSync(cfg.tlsCert) },
    provider.callback());
  server.listen(cfg.port, '127.0.0.1', () => console.log(`listening ${issuer}`));
  // The test stops it; this bounds a run the test forgot.
  setTimeout(() => process.exit(3), 600000).unref();
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'keys') writeFileSync(arg, JSON.stringify(newKeys()), { mode: 0o600 });
else if (mode === 'serve') serve(arg);
else { console.error('usage: provider.mjs keys FILE | serve CONFIG'); process.exit(2); }
