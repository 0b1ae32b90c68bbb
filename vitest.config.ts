import { defineConfig } from 'vitest/config';

/**
 * Two projects in one `npm test`: the server's tests against the real database (one embedded
 * PostgreSQL per run, started by the global setup), and the web apps' component tests in jsdom.
 * The browser tests (`npm run test:e2e`) have a configuration of their own.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'server',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      {
        esbuild: { jsx: 'automatic' },
        test: {
          name: 'web',
          include: ['web/src/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
          setupFiles: ['web/src/test-setup.ts'],
        },
      },
    ],
  },
});
