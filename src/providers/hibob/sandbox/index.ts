/** Public surface of the HiBob sandbox. */
export { startHibobSandbox, DEFAULT_SERVICE_USER, type HibobSandbox, type HibobSandboxOptions, type HibobServiceUser } from './server.ts';
export {
  HibobRoster,
  HibobRosterError,
  type HibobEmployee,
  type HibobEmployeePatch,
  type HibobLifecycleStatus,
  type HibobSeedPerson,
  type HibobStatus,
} from './roster.ts';
export { HibobFaults, HibobFaultError, type HibobFaultSpec, type HibobFaultState, type HibobRequestLogEntry } from './faults.ts';
export { NamedLists, stableId, type NamedListItem } from './lists.ts';
export { FIELDS as HIBOB_SANDBOX_FIELDS, type ResponseShape } from './search.ts';
