// A real TypeScript MCP SDK client (client auth of @modelcontextprotocol/sdk) that logs in
// without a person: redirectToAuthorization follows the authorization redirects itself over
// fetch until one reaches the redirect URI, and the code goes to transport.finishAuth, as an
// app does after its callback.
//
//   node interop/ts_client.mjs MCP_URL [--calls N] [--tool NAME]
//
// Prints one JSON object per line: {"event":"tools"}, {"event":"call"}, {"event":"error"} and
// finally {"event":"done"}. Secrets are never printed.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";

const REDIRECT = "http://127.0.0.1:33418/callback";
const MAX_HOPS = 8;
const args = process.argv.slice(2);
const url = args[0];
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const calls = Number(option("--calls", "2"));
const tool = option("--tool", "whoami");
const emit = (event, fields = {}) => process.stdout.write(JSON.stringify({ event, ...fields }) + "\n");

class HeadlessProvider {
  constructor() {
    this.saved = {};
    this.code = null;
  }
  get redirectUrl() {
    return REDIRECT;
  }
  get clientMetadata() {
    return {
      redirect_uris: [REDIRECT],
      client_name: "ts-sdk-client",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  clientInformation() {
    return this.saved.client;
  }
  saveClientInformation(info) {
    this.saved.client = info;
  }
  tokens() {
    return this.saved.tokens;
  }
  saveTokens(tokens) {
    this.saved.tokens = tokens;
  }
  saveCodeVerifier(verifier) {
    this.saved.verifier = verifier;
  }
  codeVerifier() {
    return this.saved.verifier;
  }
  invalidateCredentials(scope) {
    if (scope === "all" || scope === "tokens") delete this.saved.tokens;
    if (scope === "all" || scope === "client") delete this.saved.client;
    if (scope === "all" || scope === "verifier") delete this.saved.verifier;
  }
  async redirectToAuthorization(authorizationUrl) {
    let next = authorizationUrl.toString();
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      if (next.startsWith(REDIRECT)) {
        const code = new URL(next).searchParams.get("code");
        if (!code) throw new Error("authorization refused");
        this.code = code;
        return;
      }
      const response = await fetch(next, { redirect: "manual" });
      const location = response.headers.get("location");
      if (response.status < 300 || response.status > 399 || !location) {
        throw new Error(`authorization stopped at HTTP ${response.status}`);
      }
      next = new URL(location, next).toString();
    }
    throw new Error("too many authorization redirects");
  }
}

const provider = new HeadlessProvider();
let transport = null;

// Runs `action`; after a login the SDK asked for (UnauthorizedError), finishes it and retries once.
async function withLogin(action) {
  try {
    return await action();
  } catch (error) {
    if (!(error instanceof UnauthorizedError) || provider.code === null) throw error;
    const code = provider.code;
    provider.code = null;
    await transport.finishAuth(code);
    return await action();
  }
}

async function main() {
  let client = null;
  const connect = async () => {
    transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
    client = new Client({ name: "ts-sdk-client", version: "1.0.0" });
    await client.connect(transport);
  };
  await withLogin(connect);
  const listed = await client.listTools();
  emit("tools", { names: listed.tools.map((t) => t.name) });
  for (let index = 0; index < calls; index++) {
    try {
      const result = await withLogin(() => client.callTool({ name: tool, arguments: {} }));
      const text = result.content.map((c) => c.text ?? "").join(" ");
      emit("call", { index, ok: !result.isError, text: text.slice(0, 400) });
    } catch (error) {
      emit("call", { index, ok: false, error: error.constructor.name });
    }
  }
  await transport.terminateSession().catch(() => {});
  await client.close();
}

const timer = setTimeout(() => {
  emit("error", { message: "timed out after 60 s" });
  emit("done");
  process.exit(1);
}, 60_000);
main()
  .catch((error) => emit("error", { message: `${error.constructor.name}: ${String(error.message).slice(0, 200)}` }))
  .finally(() => {
    clearTimeout(timer);
    emit("done");
  });
