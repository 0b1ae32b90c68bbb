import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.hebao/', 'dist/', 'web/dist/', 'coverage/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'parseFloat', message: 'Money is never a float.' },
      ],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // The service worker runs in the browser's worker scope.
    files: ['web/public/sw.js'],
    languageOptions: {
      globals: { self: 'readonly', caches: 'readonly', fetch: 'readonly', URL: 'readonly' },
    },
  },
  {
    files: ['src/money/**', 'src/ledger/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'error' },
  },
);
