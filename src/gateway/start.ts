import type { AddressInfo } from 'node:net';
import { buildSandboxBank, type SandboxBankOptions } from './sandbox-bank.js';

export interface StartSandboxBankOptions extends SandboxBankOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** 127.0.0.1 by default: the sandbox has no business being reachable from elsewhere. */
  readonly host?: string;
}

export interface RunningSandboxBank {
  /** The base URL to give the adapter, e.g. `http://127.0.0.1:4010`. */
  readonly url: string;
  /** Stops listening, ends pending settlements and callbacks, and forgets all state. */
  close(): Promise<void>;
}

/** Builds the sandbox bank and listens; `hebao sandbox-bank` and tests start it this way. */
export async function startSandboxBank(
  options: StartSandboxBankOptions,
): Promise<RunningSandboxBank> {
  const { port, host = '127.0.0.1', ...bankOptions } = options;
  const app = await buildSandboxBank(bankOptions);
  try {
    await app.listen({ port, host });
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.server.address() as AddressInfo;
  const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${hostname}:${address.port}`, close: () => app.close() };
}
