import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** The wallet's first load must stay small (issue 6): at most this much gzipped JavaScript. */
export const INITIAL_JS_BUDGET_BYTES = 250 * 1024;

interface ChunkLike {
  readonly type: 'chunk';
  readonly fileName: string;
  readonly code: string;
  readonly isEntry: boolean;
  readonly facadeModuleId: string | null;
  readonly imports: readonly string[];
}

/**
 * Prints, for each app, the gzipped size of the JavaScript a first visit loads (the entry chunk
 * and everything it imports statically; lazy routes are not counted), and fails the build when
 * the wallet's is over budget.
 */
export function sizeReport(): Plugin {
  return {
    name: 'hebao-size-report',
    apply: 'build',
    generateBundle(_options, bundle) {
      const chunks = new Map<string, ChunkLike>();
      for (const item of Object.values(bundle)) {
        if (item.type === 'chunk') chunks.set(item.fileName, item as ChunkLike);
      }
      for (const entry of chunks.values()) {
        if (!entry.isEntry || entry.facadeModuleId === null) continue;
        const app = appOf(entry.facadeModuleId);
        if (app === undefined) continue;
        const seen = new Set<string>();
        const visit = (fileName: string): void => {
          if (seen.has(fileName)) return;
          seen.add(fileName);
          for (const next of chunks.get(fileName)?.imports ?? []) visit(next);
        };
        visit(entry.fileName);
        let gzipped = 0;
        for (const fileName of seen) gzipped += gzipSync(chunks.get(fileName)?.code ?? '').length;
        const kb = (gzipped / 1024).toFixed(1);
        const line = `initial JavaScript of the ${app} app: ${kb} KB gzipped in ${seen.size} files`;
        console.log(`\n${line} (budget ${INITIAL_JS_BUDGET_BYTES / 1024} KB)`);
        if (app === 'wallet' && gzipped > INITIAL_JS_BUDGET_BYTES) {
          this.error(`${line}: over the budget of ${INITIAL_JS_BUDGET_BYTES / 1024} KB`);
        }
      }
    },
  };
}

/** `web/index.html` is the wallet, `web/merchant/index.html` the merchant portal. */
function appOf(facade: string): 'wallet' | 'merchant' | undefined {
  if (/[\\/]merchant[\\/]index\.html$/.test(facade)) return 'merchant';
  if (/[\\/]web[\\/]index\.html$/.test(facade)) return 'wallet';
  return undefined;
}
