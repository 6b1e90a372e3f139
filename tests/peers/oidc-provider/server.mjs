// A real OpenID Provider for Latchkey's tests: `node server.mjs <client-json>` listens on a free
// loopback port, registers the one client it is given, and prints its issuer URL on stdout.
//
// Accounts: any login name signs in (the provider's own development login form). The subject is
// the login name; an email claim is given only for names that look like an email address, so a
// test can produce an identity whose claims miss a required trait.
import http from 'node:http';
import Provider from 'oidc-provider';

const client = JSON.parse(process.argv[2]);

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: client.client_id,
      client_secret: client.client_secret,
      redirect_uris: client.redirect_uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name'],
    },
    async findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() {
          const claims = { sub: id, name: `Test ${id}`, given_name: id.split('@')[0] };
          if (id.includes('@')) {
            claims.email = id;
            claims.email_verified = true;
          }
          return claims;
        },
      };
    },
    // ID tokens carry the claims, so the relying party needs no userinfo call.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['latchkey-test-only-cookie-key'] },
  });
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  server.on('request', provider.callback());
  console.log(issuer);
});
