import { startBambooSandbox } from '../providers/bamboohr/sandbox/server.ts';
import { DEFAULT_SERVICE_USER, startHibobSandbox } from '../providers/hibob/sandbox/index.ts';

export async function sandboxCommand(provider: string, opts: { port: number; employees: number; seed: number }): Promise<void> {
  if (provider === 'hibob') return hibobSandbox(opts);
  if (provider !== 'bamboohr') throw new Error(`No sandbox for "${provider}" yet; available: bamboohr, hibob`);
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
