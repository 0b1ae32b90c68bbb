/**
 * The group-commit batcher on a fake executor: how it packs callers into batches, keeps chains
 * whole, isolates a failing caller, and refuses work beyond its queue.
 */
import { describe, expect, it } from 'vitest';
import { createBatcher, LedgerBusyError } from './batcher.js';
import type { LedgerCommand } from './plan.js';
import type { DomainWrite, TransferResult } from './service.js';

const cmd = (id: string, linked = false): LedgerCommand => ({ id, flags: { linked } });

function fakeLedger(options: { failWhen?: (ids: string[]) => boolean } = {}) {
  const batches: string[][] = [];
  const execute = async (
    commands: readonly LedgerCommand[],
    _writes: ReadonlyArray<DomainWrite | undefined>,
  ) => {
    const ids = commands.map((c) => c.id);
    batches.push(ids);
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (options.failWhen?.(ids)) throw new Error('batch failed');
    return ids.map((id): TransferResult => ({ id, code: 'ok' }));
  };
  return { batches, execute };
}

describe('batcher', () => {
  it('packs callers that arrive together into one batch, in order', async () => {
    const fake = fakeLedger();
    const batcher = createBatcher({ execute: fake.execute, inFlightMax: 1 });
    const results = await Promise.all(['a', 'b', 'c'].map((id) => batcher.submit([cmd(id)], [])));
    expect(results.map((r) => r[0]!.id)).toEqual(['a', 'b', 'c']);
    expect(fake.batches).toEqual([['a', 'b', 'c']]);
  });

  it('never splits a chain across batches, and respects the batch size', async () => {
    const fake = fakeLedger();
    const batcher = createBatcher({ execute: fake.execute, inFlightMax: 1, batchSizeMax: 3 });
    await Promise.all([
      batcher.submit([cmd('a')], []),
      batcher.submit([cmd('b1', true), cmd('b2', true), cmd('b3')], []),
      batcher.submit([cmd('c')], []),
    ]);
    expect(fake.batches).toEqual([['a'], ['b1', 'b2', 'b3'], ['c']]);
  });

  it('fails an open chain on its own instead of linking it to the next caller', async () => {
    const fake = fakeLedger();
    const batcher = createBatcher({ execute: fake.execute });
    const results = await batcher.submit([cmd('x', true), cmd('y', true)], []);
    expect(results.map((r) => r.code)).toEqual(['linked_event_failed', 'linked_event_chain_open']);
    expect(fake.batches).toEqual([]);
  });

  it('runs each caller alone after a shared batch fails, so only the guilty one fails', async () => {
    const fake = fakeLedger({ failWhen: (ids) => ids.includes('bad') });
    const batcher = createBatcher({ execute: fake.execute, inFlightMax: 1 });
    const [good, bad] = await Promise.allSettled([
      batcher.submit([cmd('good')], []),
      batcher.submit([cmd('bad')], []),
    ]);
    expect(good.status).toBe('fulfilled');
    expect(bad.status).toBe('rejected');
    expect(fake.batches).toEqual([['good', 'bad'], ['good'], ['bad']]);
  });

  it('refuses work beyond its queue with LedgerBusyError, and drains', async () => {
    const fake = fakeLedger();
    const batcher = createBatcher({
      execute: fake.execute,
      inFlightMax: 1,
      queueMax: 2,
      batchSizeMax: 2,
    });
    const accepted = [batcher.submit([cmd('a')], []), batcher.submit([cmd('b')], [])];
    await expect(batcher.submit([cmd('c')], [])).rejects.toBeInstanceOf(LedgerBusyError);
    await batcher.drain();
    expect((await Promise.all(accepted)).flat().map((r) => r.code)).toEqual(['ok', 'ok']);
  });
});
