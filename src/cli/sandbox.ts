import { startBambooSandbox } from '../providers/bamboohr/sandbox/server.ts';
import { DEFAULT_SERVICE_USER, startHibobSandbox } from '../providers/hibob/sandbox/index.ts';
import { startGoogleSandbox } from '../providers/google/sandbox/index.ts';
import { startEntraSandbox } from '../providers/entra/sandbox/index.ts';

export async function sandboxCommand(provider: string, opts: { port: number; employees: number; seed: number }): Promise<void> {
  if (provider === 'hibob') return hibobSandbox(opts);
  if (provider === 'google') return googleSandbox(opts);
  if (provider === 'entra') return entraSandbox(opts);
  if (provider !== 'bamboohr') throw new Error(`No sandbox for "${provider}" yet; available: bamboohr, hibob, google, entra`);
  const sandbox = await startBambooSandbox({ port: opts.port, employees: opts.employees, seed: opts.seed, apiKeys: ['sandbox-key'] });
  console.log(`BambooHR sandbox on ${sandbox.url} with ${sandbox.roster.size} people (seed ${opts.seed}).`);
  console.log(`  API key:  sandbox-key   (HTTP Basic, key as user name)`);
  console.log(`  Connect:  POST /api/v1/integrations {"provider":"bamboohr","settings":{"companyDomain":"sandbox","baseUrl":"${sandbox.url}"},"credentials":{"apiKey":"sandbox-key"}}`);
  console.log(`  Control:  ${sandbox.url}/_sandbox/state, POST ${sandbox.url}/_sandbox/employees, POST ${sandbox.url}/_sandbox/faults`);
  const stop = async () => {
    await sandbox.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function hibobSandbox(opts: { port: number; employees: number; seed: number }): Promise<void> {
  const sandbox = await startHibobSandbox({ port: opts.port, employees: opts.employees, seed: opts.seed });
  console.log(`HiBob sandbox on ${sandbox.url} with ${sandbox.roster.size} people (seed ${opts.seed}).`);
  console.log(`  Service user:  ${DEFAULT_SERVICE_USER.serviceUserId} / ${DEFAULT_SERVICE_USER.token}   (HTTP Basic)`);
  console.log(`  Connect:  POST /api/v1/integrations {"provider":"hibob","settings":{"baseUrl":"${sandbox.url}"},"credentials":{"serviceUserId":"${DEFAULT_SERVICE_USER.serviceUserId}","token":"${DEFAULT_SERVICE_USER.token}"}}`);
  console.log(`  Control:  ${sandbox.url}/_sandbox/state`);
  const stop = async () => {
    await sandbox.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function stopOnSignal(close: () => Promise<void>): void {
  const stop = async () => {
    await close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function googleSandbox(opts: { port: number; employees: number; seed: number }): Promise<void> {
  const sandbox = await startGoogleSandbox({ port: opts.port, employees: opts.employees, seed: opts.seed });
  console.log(`Google Workspace sandbox on ${sandbox.url} (customer ${sandbox.directory.customerId}, domain ${sandbox.directory.domain}, seed ${opts.seed}).`);
  console.log(`  Service account ${sandbox.serviceAccount.clientEmail} acting as ${sandbox.adminEmail}; its key: GET ${sandbox.url}/_sandbox/credentials`);
  console.log(`  Connect:  POST /api/v1/integrations {"provider":"google","settings":{"baseUrl":"${sandbox.url}","authBaseUrl":"${sandbox.url}"},"credentials":{"serviceAccount":{"clientEmail":"…","privateKey":"…"},"subject":"${sandbox.adminEmail}"}}`);
  console.log(`  Control:  ${sandbox.url}/_sandbox/state`);
  stopOnSignal(sandbox.close);
}

async function entraSandbox(opts: { port: number; employees: number; seed: number }): Promise<void> {
  const sandbox = await startEntraSandbox({ port: opts.port, employees: opts.employees, seed: opts.seed });
  console.log(`Microsoft Entra ID sandbox on ${sandbox.url} (tenant ${sandbox.tenantId}, seed ${opts.seed}).`);
  console.log(`  Connect:  POST /api/v1/integrations {"provider":"entra","settings":{"baseUrl":"${sandbox.url}","authBaseUrl":"${sandbox.url}","tenantId":"${sandbox.tenantId}"},"credentials":{"clientId":"${sandbox.app.clientId}","clientSecret":"${sandbox.app.clientSecret}"}}`);
  console.log(`  Control:  ${sandbox.url}/_sandbox/state`);
  stopOnSignal(sandbox.close);
}
