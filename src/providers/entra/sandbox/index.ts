/** Public surface of the Microsoft Entra ID sandbox. */
export { startEntraSandbox, ENTRA_SYNC_ROLES, type EntraSandbox, type EntraSandboxOptions } from './server.ts';
export { EntraDirectory, EntraDirectoryError, type EntraGroup, type EntraUser, type EntraUserInput } from './directory.ts';
export { EntraTokenServer, type EntraApp } from './oauth.ts';
