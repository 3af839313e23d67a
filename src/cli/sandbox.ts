import { startBambooSandbox } from '../sandbox/bamboohr/server.ts';

export async function sandboxCommand(provider: string, opts: { port: number; employees: number; seed: number }): Promise<void> {
  if (provider !== 'bamboohr') throw new Error(`No sandbox for "${provider}" yet; available: bamboohr`);
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
