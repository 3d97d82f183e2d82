/**
 * Vite config of the operator dashboard: `npx vite build core/web/dashboard` from the repo root
 * writes core/web/dist (served by streamsight at `/` and `/assets/*`); `npx vite core/web/dashboard`
 * serves it in development with the API proxied to a running server (STREAMSIGHT_URL).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const target = process.env.STREAMSIGHT_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  // Explicit so the build works whatever the working directory is.
  root,
  base: '/',
  // Preact's automatic JSX runtime through esbuild: no plugin needed.
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  resolve: {
    alias: { react: 'preact/compat', 'react-dom': 'preact/compat' },
  },
  build: {
    outDir: fileURLToPath(new URL('../dist', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    // player.js sits outside the Vite root; it is bundled, not copied.
    chunkSizeWarningLimit: 600,
  },
  server: {
    fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] },
    proxy: {
      '/api': { target, changeOrigin: true },
      '/whep': { target, changeOrigin: true },
      '/ws': { target, ws: true, changeOrigin: true },
      '/player.js': { target, changeOrigin: true },
      '/healthz': { target, changeOrigin: true },
      '/metrics': { target, changeOrigin: true },
    },
  },
});
