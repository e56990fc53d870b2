// A real OpenID provider (npm `oidc-provider`) with an official-SDK MCP resource server in front.
//
// The harness's interop tests run it as a third-party target with form login:
// - the authorization server is oidc-provider with its development interactions (a login page that
//   takes any username and password, then a consent page), dynamic client registration, PKCE
//   (S256 only, required for every client), refresh tokens, revocation, and resource indicators
//   (RFC 8707) giving RS256 JWT access tokens whose audience is the MCP endpoint;
// - the MCP server is the TypeScript SDK's Streamable HTTP transport behind its requireBearerAuth
//   middleware, serving RFC 9728 protected resource metadata that names the provider's issuer; it
//   verifies each token's RS256 signature against the provider's JWKS, its issuer and audience.
//
//   node --require interop/loopback-only.cjs interop/oidc_provider_server.mjs [--access-ttl S]
//
// Both listen on free 127.0.0.1 ports they pick themselves; once both accept requests it prints one
// line to stdout: `READY <mcp url> <issuer>`.

import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import { InsufficientScopeError, InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { metadataHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/metadata.js';
import { getOAuthProtectedResourceMetadataUrl } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { createRemoteJWKSet, errors as joseErrors, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import Provider, { errors as oidcErrors } from 'oidc-provider';

const HOST = '127.0.0.1';
const READ_SCOPE = 'notes:read';
const WRITE_SCOPE = 'notes:write';

const { values: args } = parseArgs({ options: { 'access-ttl': { type: 'string', default: '3600' } } });
const accessTtlS = Number(args['access-ttl']);

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve(server.address().port));
  });
}

// Bind both ports first: the issuer and the resource URL name them.
const asServer = createServer();
const mcpServer = createServer();
const [asPort, mcpPort] = await Promise.all([listen(asServer), listen(mcpServer)]);
const issuer = `http://${HOST}:${asPort}`;
const mcpUrl = new URL(`http://${HOST}:${mcpPort}/mcp`);
const resource = mcpUrl.href;

// --- the authorization server -------------------------------------------------------------------

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'rs256-1', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  scopes: ['openid', 'offline_access', READ_SCOPE, WRITE_SCOPE],
  pkce: { required: () => true },
  // MCP clients rarely ask for offline_access (and the MCP resource does not advertise it):
  // every client allowed the refresh_token grant gets a refresh token.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  features: {
    devInteractions: { enabled: true },
    registration: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx, _client, oneOf) => oneOf ?? resource,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, indicator) => {
        if (indicator !== resource) throw new oidcErrors.InvalidTarget();
        return {
          scope: `${READ_SCOPE} ${WRITE_SCOPE}`,
          audience: resource,
          accessTokenTTL: accessTtlS,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});
asServer.on('request', provider.callback());

// --- the MCP resource server --------------------------------------------------------------------

const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));

const verifier = {
  async verifyAccessToken(token) {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer,
        audience: resource,
        algorithms: ['RS256'],
        typ: 'at+jwt',
      }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) throw new InvalidTokenError(error.message);
      throw error;
    }
    return {
      token,
      clientId: String(payload.client_id ?? ''),
      scopes: typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [],
      expiresAt: payload.exp,
      resource: mcpUrl,
      extra: { sub: payload.sub },
    };
  },
};

// Each user sees only their own notes (so the harness can tell whose session answers).
const notesOf = (subject) => [`note 1 of ${subject}`, `note 2 of ${subject}`];

function notesServer() {
  const server = new McpServer({ name: 'oidc-provider-notes', version: '1.0.0' });
  server.registerTool(
    'list_notes',
    { description: 'List your notes (needs notes:read)', annotations: { readOnlyHint: true } },
    async (extra) => ({
      content: [{ type: 'text', text: notesOf(extra.authInfo?.extra?.sub ?? '?').join('\n') }],
    }),
  );
  server.registerTool(
    'delete_note',
    { description: 'Delete a note (needs notes:write)', annotations: { destructiveHint: true } },
    async () => ({ content: [{ type: 'text', text: 'deleted' }] }),
  );
  return server;
}

// Scopes per tool, checked before the call reaches the MCP server: a token without them gets
// 403 insufficient_scope naming every scope needed (MCP: scope challenge handling).
const TOOL_SCOPES = { delete_note: [READ_SCOPE, WRITE_SCOPE] };

const app = createMcpExpressApp({ host: HOST });
// Only the resource's own metadata: the provider serves its metadata at its issuer.
app.use(
  `/.well-known/oauth-protected-resource${mcpUrl.pathname}`,
  metadataHandler({
    resource,
    authorization_servers: [issuer],
    scopes_supported: [READ_SCOPE, WRITE_SCOPE],
    bearer_methods_supported: ['header'],
    resource_name: 'oidc-provider notes',
  }),
);
const auth = requireBearerAuth({
  verifier,
  requiredScopes: [READ_SCOPE],
  resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(mcpUrl),
  expectedResource: mcpUrl,
});

function toolScopes(req, res, next) {
  const messages = Array.isArray(req.body) ? req.body : [req.body];
  for (const message of messages) {
    const needed = message?.method === 'tools/call' ? TOOL_SCOPES[message.params?.name] : undefined;
    if (needed && !needed.every((scope) => req.auth.scopes.includes(scope))) {
      const error = new InsufficientScopeError(`${message.params.name} needs ${needed.join(' ')}`);
      res.set(
        'WWW-Authenticate',
        `Bearer error="insufficient_scope", scope="${needed.join(' ')}", resource_metadata="${getOAuthProtectedResourceMetadataUrl(mcpUrl)}"`,
      );
      res.status(403).json(error.toResponseObject());
      return;
    }
  }
  next();
}

const loopbackOrigins = ['127.0.0.1', 'localhost', '[::1]'].map((h) => `http://${h}:${mcpPort}`);
const sessions = new Map();

app.post('/mcp', auth, toolScopes, async (req, res) => {
  const sessionId = req.headers['mcp-session-id'];
  let transport = sessionId ? sessions.get(sessionId) : undefined;
  if (!transport) {
    if (sessionId || !isInitializeRequest(req.body)) {
      const [status, message] = sessionId ? [404, 'Session not found'] : [400, 'Bad Request: No valid session ID provided'];
      res.status(status).json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
      return;
    }
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => sessions.set(id, transport),
      allowedOrigins: loopbackOrigins,
      allowedHosts: [`${HOST}:${mcpPort}`, `localhost:${mcpPort}`],
      enableDnsRebindingProtection: true,
    });
    transport.onclose = () => sessions.delete(transport.sessionId);
    await notesServer().connect(transport);
  }
  await transport.handleRequest(req, res, req.body);
});

const sessionRequest = async (req, res) => {
  const transport = sessions.get(req.headers['mcp-session-id']);
  if (!transport) {
    res.status(404).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Session not found' }, id: null });
    return;
  }
  await transport.handleRequest(req, res);
};
app.get('/mcp', auth, sessionRequest);
app.delete('/mcp', auth, sessionRequest);

mcpServer.on('request', app);
process.on('SIGTERM', () => process.exit(0));
console.log(`READY ${resource} ${issuer}`);
