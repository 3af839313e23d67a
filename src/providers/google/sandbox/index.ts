/** Public surface of the Google Workspace sandbox. */
export { startGoogleSandbox, GOOGLE_READONLY_SCOPES, type GoogleSandbox, type GoogleSandboxOptions } from './server.ts';
export { GoogleDirectory, GoogleDirectoryError, type GoogleGroup, type GoogleMember, type GoogleOrgUnit, type GoogleUser, type GoogleUserInput } from './directory.ts';
export { ApiFaults, ApiFaultError, type ApiFaultSpec, type ApiFaultState } from '../../../sandbox/shared/api-faults.ts';
export { GoogleOAuthServer, newServiceAccount, type ServiceAccount, type GoogleOAuthClient } from './oauth.ts';
