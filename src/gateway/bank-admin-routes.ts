import type { FastifyPluginAsync } from 'fastify';
import { BankProblemError } from './bank-codes.js';
import { faultSettingsProblem, noFaults, type FaultSettings } from './faults.js';
import type { BankContext, BankTypeProvider } from './sandbox-bank.js';
import {
  BANK_PATH_PREFIX,
  CallbackLogSchema,
  FaultsPatchSchema,
  FaultsSchema,
  type FaultsWire,
} from './wire.js';

/**
 * Sandbox-only routes, so that tests and people trying the demo can inject faults at run time and
 * see what the bank did with its callbacks. A real gateway has nothing like them.
 */
export function bankAdminRoutes(ctx: BankContext): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<BankTypeProvider>();
    const path = `${BANK_PATH_PREFIX}/sandbox`;

    app.get(`${path}/faults`, { schema: { response: { 200: FaultsSchema } } }, async () =>
      faultsToWire(ctx.faults()),
    );

    // PUT replaces the settings: a field left out is reset to its default (no fault).
    app.put(
      `${path}/faults`,
      { schema: { body: FaultsPatchSchema, response: { 200: FaultsSchema } } },
      async (request) => {
        const body = request.body;
        const next: FaultSettings = {
          duplicateCallbacks: body.duplicate_callbacks ?? noFaults.duplicateCallbacks,
          lateCallbacks: body.late_callbacks ?? noFaults.lateCallbacks,
          lateCallbackMs: body.late_callback_ms ?? noFaults.lateCallbackMs,
          reorderCallbacks: body.reorder_callbacks ?? noFaults.reorderCallbacks,
          loseCallbacks: body.lose_callbacks ?? noFaults.loseCallbacks,
          seed: body.seed ?? noFaults.seed,
        };
        const problem = faultSettingsProblem(next);
        if (problem !== undefined) throw new BankProblemError('validation_failed', problem);
        ctx.setFaults(next);
        request.log.info({ faults: next }, 'sandbox faults changed');
        return faultsToWire(next);
      },
    );

    app.get(
      `${path}/callbacks`,
      { schema: { response: { 200: CallbackLogSchema } } },
      async () => ({
        pending_settlements: ctx.pendingSettlements(),
        pending_deliveries: ctx.callbacks.pending(),
        deliveries: ctx.callbacks.log(),
      }),
    );
  };
}

function faultsToWire(f: FaultSettings): FaultsWire {
  return {
    duplicate_callbacks: f.duplicateCallbacks,
    late_callbacks: f.lateCallbacks,
    late_callback_ms: f.lateCallbackMs,
    reorder_callbacks: f.reorderCallbacks,
    lose_callbacks: f.loseCallbacks,
    seed: f.seed,
  };
}
