// The peer of bench/mcp: the official TypeScript SDK server (McpServer +
// StreamableHTTPServerTransport, or StdioServerTransport) answering `ping`
// and a trivial `search_docs` tool that returns a fixed, empty result (no
// search at all). Stateful like Docrunch: one McpServer and one transport
// per session, found by Mcp-Session-Id. JSON responses (enableJsonResponse)
// rather than an SSE stream per POST: the cheaper of the SDK's two modes.
//
//   node bench/mcp/sdk_server.mjs --http PORT   (prints "listening PORT" on stderr)
//   node bench/mcp/sdk_server.mjs --stdio
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const modules = path.join(root, 'third_party/node_modules');
const sdk = path.join(modules, '@modelcontextprotocol/sdk/dist/esm');
const { McpServer } = await import(path.join(sdk, 'server/mcp.js'));
const { StreamableHTTPServerTransport } = await import(path.join(sdk, 'server/streamableHttp.js'));
const { StdioServerTransport } = await import(path.join(sdk, 'server/stdio.js'));
const { isInitializeRequest } = await import(path.join(sdk, 'types.js'));
const { z } = await import(path.join(modules, 'zod/index.js'));

function makeServer() {
  const server = new McpServer({ name: 'sdk-peer', version: '1.0.0' });
  server.registerTool(
    'search_docs',
    {
      description: 'Trivial peer of Docrunch search_docs: returns no results.',
      inputSchema: { query: z.string(), limit: z.number().int().optional() },
      outputSchema: { query: z.string(), results: z.array(z.object({ id: z.string() })) },
      annotations: { readOnlyHint: true },
    },
    async ({ query }) => ({
      content: [{ type: 'text', text: `No results for "${query}".` }],
      structuredContent: { query, results: [] },
    }),
  );
  return server;
}

const mode = process.argv[2];
if (mode === '--stdio') {
  await makeServer().connect(new StdioServerTransport());
} else if (mode === '--http') {
  const port = Number(process.argv[3] ?? 0);
  const transports = new Map();
  const readBody = (req) =>
    new Promise((resolve, reject) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  const httpServer = http.createServer(async (req, res) => {
    try {
      const id = req.headers['mcp-session-id'];
      let transport = id ? transports.get(id) : undefined;
      let body;
      if (req.method === 'POST') body = JSON.parse(await readBody(req));
      if (!transport && req.method === 'POST' && !id && isInitializeRequest(body)) {
        transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          enableJsonResponse: true,
          onsessioninitialized: (sid) => transports.set(sid, transport),
        });
        transport.onclose = () => transports.delete(transport.sessionId);
        await makeServer().connect(transport);
      }
      if (!transport) {
        res.writeHead(id ? 404 : 400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'no session' } }));
        return;
      }
      await transport.handleRequest(req, res, body);
    } catch (e) {
      if (!res.headersSent) res.writeHead(400);
      res.end(String(e));
    }
  });
  httpServer.keepAliveTimeout = 60_000;
  httpServer.listen(port, '127.0.0.1', () => {
    process.stderr.write(`listening ${httpServer.address().port}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
} else {
  process.stderr.write('usage: sdk_server.mjs --http PORT | --stdio\n');
  process.exit(2);
}
