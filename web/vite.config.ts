// The dashboard's build: `vite build` (run by CMake) writes index.html and
// hashed assets into --outDir (build/web), served by `docrunch serve --http`
// under a CSP that forbids inline scripts, so nothing inline may be emitted.
// `vite` (dev) proxies /api and /ws to a running serve: DOCRUNCH_API=http://127.0.0.1:PORT.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const api = process.env.DOCRUNCH_API ?? 'http://127.0.0.1:3333';

// The API refuses browser requests from another origin (the dev server's);
// through the proxy they are the dev server's own, so drop the Origin.
const sameOrigin = {
  target: api,
  changeOrigin: true,
  configure: (proxy: { on: (event: string, fn: (req: { removeHeader: (h: string) => void }) => void) => void }) => {
    proxy.on('proxyReq', (req) => req.removeHeader('origin'));
    proxy.on('proxyReqWs', (req) => req.removeHeader('origin'));
  },
};

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    // The preload polyfill is an inline <script>; every browser we target
    // supports <link rel="modulepreload"> natively.
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: false,
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1500,
  },
  worker: { format: 'es' },
  server: {
    proxy: {
      '/api': sameOrigin,
      '/ws': { ...sameOrigin, target: api.replace(/^http/, 'ws'), ws: true },
    },
  },
  preview: {
    proxy: {
      '/api': sameOrigin,
      '/ws': { ...sameOrigin, target: api.replace(/^http/, 'ws'), ws: true },
    },
  },
});
