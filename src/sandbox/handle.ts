/**
 * What every provider's sandbox offers besides its provider's API: how to connect to it, and one
 * control vocabulary (people and faults) shared by all of them. The connector conformance kit
 * (test/connectors/conformance.ts) drives every sandbox through this interface, `refresh sandbox`
 * lists its knobs, and `refresh start --sandbox` starts them.
 *
 * Each sandbox keeps its own, richer control surface (its roster, its fault spec, `/_sandbox/...`
 * over HTTP); a handle translates this vocabulary into it.
 */
import type { ProviderId } from '../providers/types.ts';

/** A person as the kit (or a demo) adds them; the sandbox fills in the rest. */
export interface SandboxPerson {
  readonly firstName: string;
  readonly lastName: string;
  /** Work e-mail. */
  readonly email: string;
  readonly employeeNumber?: string;
  /** `YYYY-MM-DD`; today when absent. */
  readonly startDate?: string;
  /** `YYYY-MM-DD`; a past date is a leaver, a future one a leaver-to-be. */
  readonly terminationDate?: string | null;
  /** The work phone. */
  readonly workPhone?: string | null;
}

export type SandboxFault =
  /** The next `count` API requests get 429 with `Retry-After` in seconds, or (`asDate`) as an HTTP-date. */
  | { readonly kind: 'rateLimit'; readonly count: number; readonly retryAfterSeconds: number; readonly asDate?: boolean }
  /** The next `count` API requests fail with a 5xx. */
  | { readonly kind: 'outage'; readonly count: number; readonly status?: 500 | 502 | 503 | 504 }
  /**
   * Page `page` (1-based) of the people listing fails `times` times (default 1): with a 5xx, or
   * (`truncated`) as a 200 whose body is cut off.
   */
  | { readonly kind: 'failPage'; readonly page: number; readonly times?: number; readonly status?: number; readonly truncated?: boolean }
  /** The connection's credential is revoked: 401 until cleared. */
  | { readonly kind: 'unauthorized' }
  /** The credential is good but lacks a permission: 403 until cleared. */
  | { readonly kind: 'forbidden' }
  /** The people listing holds one extra record that is not a person (it has no id). */
  | { readonly kind: 'malformedRecord' };

export interface SandboxConnection {
  /** `settings` for `POST /integrations` (a sandbox's `baseUrl`, and `authBaseUrl` for OAuth ones). */
  readonly settings: Readonly<Record<string, unknown>>;
  /** `credentials` for `POST /integrations`; absent for sandboxes connected by the browser OAuth flow only. */
  readonly credentials: Readonly<Record<string, string>>;
}

export interface SandboxHandle {
  readonly provider: ProviderId;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly connection: SandboxConnection;
  /**
   * What a connector is given for this sandbox: the connection's credentials, or for OAuth
   * sandboxes (whose connection is a grant to import) an access token, as the platform would pass.
   */
  readonly connectorCredentials: Readonly<Record<string, string>>;
  /** Whether the people listing is paged (HiBob answers everyone at once). */
  readonly paged: boolean;
  /** Adds a person; returns the provider's id for them (the connector's `externalId`). */
  addPerson(person: SandboxPerson): string;
  updatePerson(id: string, patch: Partial<SandboxPerson>): void;
  terminate(id: string, date: string): void;
  /** Deletes the person in the provider (an explicit delete where the provider reports one). */
  removePerson(id: string): void;
  /** Everyone out: an empty roster. */
  clear(): void;
  count(): number;
  fault(fault: SandboxFault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

export interface SandboxStartOptions {
  /** Generated people (default: the provider's own default). */
  readonly employees?: number;
  readonly seed?: number;
  /** Default 0: any free port. */
  readonly port?: number;
  /** Largest page the people listing answers (paged APIs); small values test paging. */
  readonly pageSize?: number;
}

/** One fault knob, for `refresh sandbox --help` and the `/_sandbox/faults` documentation. */
export interface FaultKnob {
  readonly name: string;
  readonly description: string;
}

export interface ProviderSandbox {
  start(options?: SandboxStartOptions): Promise<SandboxHandle>;
  /** The sandbox's own fault knobs (`POST /_sandbox/faults`). */
  readonly knobs: readonly FaultKnob[];
}

/** A sandbox roster the common handle can drive: ids in, the provider's own input shape. */
export interface HandleRoster<Input> {
  readonly size: number;
  list(): readonly { readonly id: string }[];
  add(input: Input): { readonly id: string };
  update(id: string, input: Input): unknown;
  terminate(id: string, date: string): unknown;
  remove(id: string): void;
}

/** The people part of a handle, given how a SandboxPerson becomes the roster's input. */
export function peopleControls<Input>(roster: HandleRoster<Input>, toInput: (p: Partial<SandboxPerson>) => Input): Pick<SandboxHandle, 'addPerson' | 'updatePerson' | 'terminate' | 'removePerson' | 'clear' | 'count'> {
  return {
    addPerson: (p) => roster.add(toInput(p)).id,
    updatePerson: (id, patch) => void roster.update(id, toInput(patch)),
    terminate: (id, date) => void roster.terminate(id, date),
    removePerson: (id) => roster.remove(id),
    clear: () => {
      for (const p of [...roster.list()]) roster.remove(p.id);
    },
    count: () => roster.size,
  };
}
