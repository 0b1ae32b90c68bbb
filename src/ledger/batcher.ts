/**
 * The per-process group-commit batcher. Callers submit one command (or one linked chain) and get
 * their own result; meanwhile the batcher packs whatever is waiting into as few database
 * transactions as it can: while `inFlightMax` batches are committing, new commands queue, and
 * each freed slot takes everything queued (up to a full batch) at once. At low load a command
 * waits one turn of the event loop and commits alone; under load, one commit (one fsync, one row
 * update per hot account) serves hundreds of callers.
 */
import { limits } from '../limits.js';
import type { LedgerCommand } from './plan.js';
import type { DomainWrite, TransferResult } from './service.js';

export class LedgerBusyError extends Error {
  override name = 'LedgerBusyError';
}

export interface Batcher {
  submit(
    commands: readonly LedgerCommand[],
    writes: ReadonlyArray<DomainWrite | undefined>,
  ): Promise<TransferResult[]>;
  drain(): Promise<void>;
}

export interface BatcherDeps {
  readonly execute: (
    commands: readonly LedgerCommand[],
    writes: ReadonlyArray<DomainWrite | undefined>,
  ) => Promise<TransferResult[]>;
  readonly inFlightMax?: number;
  readonly queueMax?: number;
  readonly batchSizeMax?: number;
}

interface Unit {
  readonly commands: readonly LedgerCommand[];
  readonly writes: ReadonlyArray<DomainWrite | undefined>;
  readonly resolve: (results: TransferResult[]) => void;
  readonly reject: (error: unknown) => void;
}

export function createBatcher(deps: BatcherDeps): Batcher {
  const inFlightMax = deps.inFlightMax ?? limits.batcherInFlightMax;
  const queueMax = deps.queueMax ?? limits.batcherQueueMax;
  const batchSizeMax = deps.batchSizeMax ?? limits.batchSizeMax;
  const queue: Unit[] = [];
  let queuedCommands = 0;
  let inFlight = 0;
  let idle: Array<() => void> = [];
  let pumpScheduled = false;

  // The collect window: dispatch on the next turn of the event loop, after every continuation
  // that is ready (callers whose previous transfer just resolved, requests just parsed) has
  // queued its command. Without it a freed slot would take the first command alone.
  const schedulePump = (): void => {
    if (pumpScheduled) return;
    pumpScheduled = true;
    setImmediate(() => {
      pumpScheduled = false;
      pump();
    });
  };

  const pump = (): void => {
    while (inFlight < inFlightMax && queue.length > 0) {
      const units: Unit[] = [];
      let size = 0;
      while (queue.length > 0 && size + queue[0]!.commands.length <= batchSizeMax) {
        const unit = queue.shift()!;
        size += unit.commands.length;
        units.push(unit);
      }
      queuedCommands -= size;
      inFlight++;
      void run(units).finally(() => {
        inFlight--;
        schedulePump();
        if (inFlight === 0 && queue.length === 0) {
          for (const resolve of idle) resolve();
          idle = [];
        }
      });
    }
  };

  const run = async (units: readonly Unit[]): Promise<void> => {
    try {
      const results = await deps.execute(
        units.flatMap((u) => u.commands),
        units.flatMap((u) => u.commands.map((_, i) => u.writes[i])),
      );
      let offset = 0;
      for (const unit of units) {
        unit.resolve(results.slice(offset, offset + unit.commands.length));
        offset += unit.commands.length;
      }
    } catch (error) {
      if (units.length === 1) {
        units[0]!.reject(error);
        return;
      }
      // One caller's failing domain write (or any fault) must not fail the others: run each
      // unit in its own transaction so only the guilty one fails.
      await Promise.all(
        units.map((u) => deps.execute(u.commands, u.writes).then(u.resolve, u.reject)),
      );
    }
  };

  return {
    submit(commands, writes) {
      if (commands.length === 0) return Promise.resolve([]);
      if (commands.length > batchSizeMax) {
        return Promise.reject(new RangeError(`a chain holds at most ${batchSizeMax} commands`));
      }
      const last = commands[commands.length - 1]!;
      if (!('expire' in last) && last.flags?.linked === true) {
        // Left open, this chain would link to the next caller's command; it fails on its own.
        return Promise.resolve(
          commands.map((c, i): TransferResult => ({
            id: c.id,
            code: i === commands.length - 1 ? 'linked_event_chain_open' : 'linked_event_failed',
          })),
        );
      }
      if (queuedCommands + commands.length > queueMax) {
        return Promise.reject(new LedgerBusyError('the ledger queue is full; retry shortly'));
      }
      return new Promise((resolve, reject) => {
        queue.push({ commands, writes, resolve, reject });
        queuedCommands += commands.length;
        schedulePump();
      });
    },
    drain() {
      if (inFlight === 0 && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
  };
}
