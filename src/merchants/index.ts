/**
 * Merchants: the codes a payment starts from. The codecs here are pure (no Node.js modules, Web
 * Crypto only), so the web apps import the same files the server runs.
 */
export * from './emvco.js';
export * from './ndef.js';
export * from './payment-code.js';
