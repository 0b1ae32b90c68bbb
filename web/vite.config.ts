import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { sizeReport } from './size-report';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/**
 * Two apps from one source tree and one design system: the wallet at `/` and the merchant portal
 * at `/merchant/`. The API server serves `web/dist`; `npm run dev:web` serves the sources with
 * the API proxied to a running `npm start`.
 */
export default defineConfig({
  root: here('.'),
  publicDir: here('public'),
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    rollupOptions: {
      input: { wallet: here('index.html'), merchant: here('merchant/index.html') },
      onwarn(warning, warn) {
        // React libraries mark modules "use client" for server components; meaningless here.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  plugins: [sizeReport()],
  server: {
    proxy: { '/v1': { target: process.env.HEBAO_API_URL ?? 'http://localhost:3000' } },
  },
});
