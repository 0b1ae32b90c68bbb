import { newId } from '../src/lib/ids.js';
import { serve } from '../src/cli/serve.js';
import { money } from '../src/money/index.js';
import type { BenchDatabase } from './main.js';
import { createUsers, load, openBenchRuntime, report, throughput } from './p2p.js';
import { measurePgbench } from './pgbench.js';

/**
 * `npm run bench -- qr`: 10,000 signed-in users confirming payment intents of one merchant over
 * HTTP (the merchant's account is the hot account every payment credits, and its fee the second
 * transfer of each linked chain), durable commits, with the bench configuration of the P2P
 * benchmark. The intents are created beforehand in bulk; each is confirmed once. pgbench (TPC-B,
 * 8 clients) on the same server gives the scale.
 */
const INTENTS = 60_000;

export async function runQrBench(database: BenchDatabase): Promise<void> {
  const rt = await openBenchRuntime(database);
  try {
    const started = performance.now();
    const users = await createUsers(rt);
    const owner = users[0]!;
    const cardId = newId('crd', rt.clock.nowMs());
    await rt.pool.query(
      `INSERT INTO cards (id, user_id, token, brand, last4, exp_month, exp_year, created_at)
       VALUES ($1, $2, 'bench', 'unionpay', '0000', 12, 2099, now())`,
      [cardId, owner.id],
    );
    const created = await rt.merchants.create(owner.id, {
      nameZh: '压测商户',
      nameEn: 'Bench Merchant',
      mcc: '5814',
      city: 'Shanghai',
      country: 'CN',
      currency: 'CNY',
      settlementCardId: cardId,
      feeRateBp: 60,
    });
    if (!created.ok) throw new Error(`bench merchant: ${created.code}`);
    const merchant = created.merchant;
    const intents: string[] = [];
    for (let i = 0; i < INTENTS; i += 1000) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(1000, INTENTS - i) }, () =>
          rt.payments.createIntent(merchant, {
            amount: money(100n, 'CNY'),
            description: 'bench',
            metadata: {},
            expiresInSeconds: 24 * 3600,
          }),
        ),
      );
      for (const r of batch) {
        if (!r.ok) throw new Error(`bench intent: ${r.code}`);
        intents.push(r.intent.id);
      }
    }
    console.log(
      `qr: ${users.length.toLocaleString('en')} signed-in users, ${INTENTS.toLocaleString('en')} open payment intents of one merchant in ${Math.round((performance.now() - started) / 1000)} s`,
    );
    const server = await serve({ ...rt, config: { ...rt.config, port: 0 } }, { worker: false });
    try {
      const url = new URL(server.urls['Health']!).origin;
      const result = await load(url, users, undefined, intents);
      report('qr: 10,000 users paying one merchant’s payment intents', result);
      if (result.ok >= intents.length)
        console.log('  (every intent was paid before the run ended)');
      const pg = await measurePgbench(database);
      if (pg !== undefined) {
        console.log(`  ${(throughput(result) / pg.tps).toFixed(2)}× pgbench's transactions/s`);
      }
    } finally {
      await server.close();
    }
  } finally {
    await rt.close();
  }
}
