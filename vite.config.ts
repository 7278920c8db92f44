import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

// COOP + COEP make the page cross-origin isolated, which onnxruntime-web needs for wasm threads
// (SharedArrayBuffer). They must be on every server that serves the app: dev, preview and production.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [
    react(),
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: 'script-defer',
      includeAssets: ['icons/icon.svg'],
      manifest: {
        name: 'FO1 regions — ask about any part of a photo',
        short_name: 'FO1 regions',
        description: 'Draw boxes on a photo and ask a vision-language model about them, entirely in your browser.',
        theme_color: '#2f6bff',
        background_color: '#f4f5f7',
        display: 'standalone',
        start_url: '/',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: '/icons/icon.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
      },
      workbox: {
        // The app shell plus onnxruntime's wasm (~27 MB), so the app starts offline after one visit.
        // Model files are cached by the engine itself (Cache Storage / OPFS), not precached here.
        globPatterns: ['**/*.{js,mjs,css,html,svg,png,wasm,webmanifest}'],
        globIgnores: ['models/**'],
        maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
      },
    }),
  ],
  // Workers are ES modules: ORT and transformers.js are ESM and import each other.
  worker: { format: 'es' },
  // Pre-bundling would break ORT's `new URL('*.wasm', import.meta.url)` lookups.
  optimizeDeps: { exclude: ['onnxruntime-web', '@huggingface/transformers'] },
  server: { headers: isolation },
  preview: { headers: isolation, port: 4173, strictPort: true },
});
