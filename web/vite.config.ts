// The dashboard's build: `vite build` (run by CMake) writes index.html and
// hashed assets into --outDir (build/web), served by `docrunch serve --http`
// under a CSP that forbids inline scripts, so nothing inline may be emitted.
// `vite` (dev) proxies /api and /ws to a running serve: DOCRUNCH_API=http://127.0.0.1:PORT.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const api = process.env.DOCRUNCH_API ?? 'http://127.0.0.1:3333';

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
      '/api': { target: api, changeOrigin: true },
      '/ws': { target: api.replace(/^http/, 'ws'), ws: true, changeOrigin: true },
    },
  },
});
