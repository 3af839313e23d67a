import type { ConnectorOptions, HrisConnector } from '../connectors/types.ts';
import type { ProviderSandbox } from '../sandbox/handle.ts';
import type { ProviderDescriptor, ProviderId } from './types.ts';

/** A provider's folder, as the registry sees it. */
export interface ProviderModule<Id extends ProviderId = ProviderId> {
  readonly descriptor: ProviderDescriptor<Id>;
  createConnector(opts: ConnectorOptions): HrisConnector;
  /** Its simulator, behind the common handle (people and fault vocabulary). */
  readonly sandbox: ProviderSandbox;
}
