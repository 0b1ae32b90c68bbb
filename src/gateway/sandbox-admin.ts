import { Value } from '@sinclair/typebox/value';
import type { FaultSettings } from './faults.js';
import { GatewayError } from './port.js';
import { sleep } from './sleep.js';
import {
  BANK_PATH_PREFIX,
  CallbackLogSchema,
  FaultsSchema,
  type CallbackLogWire,
  type FaultsWire,
} from './wire.js';

/**
 * A client for the sandbox bank's own routes (not part of the port: a real gateway has none of
 * this). Tests use it to inject faults and to wait until the bank has nothing left to do.
 */

/** How often `waitIdle` asks the bank whether it is idle. */
export const SANDBOX_IDLE_POLL_MS = 10;

export interface CallbackDelivery {
  readonly eventId: string;
  readonly type: string;
  readonly objectId: string;
  readonly sequence: number;
  /** 1, or 2 for the second copy of a duplicated callback. */
  readonly copy: number;
  readonly status: 'scheduled' | 'delivered' | 'failed' | 'lost';
  readonly attempts: number;
  readonly lastStatusCode: number | null;
}

export interface CallbackLog {
  readonly pendingSettlements: number;
  readonly pendingDeliveries: number;
  readonly deliveries: readonly CallbackDelivery[];
}

export interface SandboxAdmin {
  /** Replaces the fault settings; what is left out goes back to its default (no fault). */
  setFaults(faults: Partial<FaultSettings>): Promise<FaultSettings>;
  faults(): Promise<FaultSettings>;
  callbacks(): Promise<CallbackLog>;
  /** Resolves once no settlement and no callback delivery is pending; throws after `timeoutMs`. */
  waitIdle(timeoutMs: number): Promise<void>;
}

export function createSandboxAdmin(options: {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly fetch?: typeof fetch;
}): SandboxAdmin {
  const base = `${options.baseUrl.replace(/\/+$/, '')}${BANK_PATH_PREFIX}/sandbox`;
  const doFetch = options.fetch ?? globalThis.fetch;

  async function call(method: 'GET' | 'PUT', path: string, body?: unknown): Promise<unknown> {
    const response = await doFetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json: unknown = await response.json();
    if (!response.ok) {
      throw new GatewayError(
        `sandbox ${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`,
      );
    }
    return json;
  }

  async function callbacks(): Promise<CallbackLog> {
    const body = await call('GET', '/callbacks');
    if (!Value.Check(CallbackLogSchema, body)) throw new GatewayError('malformed callback log');
    return callbackLogFromWire(body);
  }

  return {
    async setFaults(faults) {
      const body: Partial<FaultsWire> = {
        ...(faults.duplicateCallbacks === undefined
          ? {}
          : { duplicate_callbacks: faults.duplicateCallbacks }),
        ...(faults.lateCallbacks === undefined ? {} : { late_callbacks: faults.lateCallbacks }),
        ...(faults.lateCallbackMs === undefined ? {} : { late_callback_ms: faults.lateCallbackMs }),
        ...(faults.reorderCallbacks === undefined
          ? {}
          : { reorder_callbacks: faults.reorderCallbacks }),
        ...(faults.loseCallbacks === undefined ? {} : { lose_callbacks: faults.loseCallbacks }),
        ...(faults.seed === undefined ? {} : { seed: faults.seed }),
      };
      return faultsFromWire(await call('PUT', '/faults', body));
    },
    faults: async () => faultsFromWire(await call('GET', '/faults')),
    callbacks,
    async waitIdle(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const log = await callbacks();
        if (log.pendingSettlements === 0 && log.pendingDeliveries === 0) return;
        if (Date.now() >= deadline) {
          throw new GatewayError(`the sandbox bank is still busy after ${timeoutMs} ms`);
        }
        await sleep(SANDBOX_IDLE_POLL_MS);
      }
    },
  };
}

function faultsFromWire(body: unknown): FaultSettings {
  if (!Value.Check(FaultsSchema, body)) throw new GatewayError('malformed fault settings');
  return {
    duplicateCallbacks: body.duplicate_callbacks,
    lateCallbacks: body.late_callbacks,
    lateCallbackMs: body.late_callback_ms,
    reorderCallbacks: body.reorder_callbacks,
    loseCallbacks: body.lose_callbacks,
    seed: body.seed,
  };
}

function callbackLogFromWire(body: CallbackLogWire): CallbackLog {
  return {
    pendingSettlements: body.pending_settlements,
    pendingDeliveries: body.pending_deliveries,
    deliveries: body.deliveries.map((d) => ({
      eventId: d.event_id,
      type: d.type,
      objectId: d.object_id,
      sequence: d.sequence,
      copy: d.copy,
      status: d.status,
      attempts: d.attempts,
      lastStatusCode: d.last_status_code,
    })),
  };
}
