// The web UI's build: `npm run build` writes it to dist/ui, which the control plane serves at /.
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    // The served pages' Content-Security-Policy allows scripts from the page's own origin only:
    // no inline module preload polyfill (every browser the UI supports preloads modules itself).
    modulePreload: { polyfill: false },
    sourcemap: true,
  },
  // `npm run dev:ui`: the UI with hot reload, its API calls passed to a running `npm start`.
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
