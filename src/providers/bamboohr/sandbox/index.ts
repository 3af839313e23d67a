/** Public surface of the BambooHR sandbox. */
export { startBambooSandbox, type BambooSandbox, type BambooSandboxOptions } from './server.ts';
export { BambooRoster, RosterError, type BambooEmployee, type BambooEmployeePatch, type ChangeEntry, type ListField, type ListOption } from './roster.ts';
export { BambooFaults, FaultError, type BambooFaultSpec, type BambooFaultState, type RequestLogEntry } from './faults.ts';
export { generateCompany, type GeneratedCompany, type SeedEmployee } from './generator.ts';
