/**
 * `refresh sandbox <provider>`: one provider's simulator on 127.0.0.1, behind the common sandbox
 * handle (src/sandbox/handle.ts), with how to connect to it and its control surface. Every provider
 * in the registry has one; `refresh sandbox --help` lists them with their fault knobs
 * (`POST /_sandbox/faults`). They all draw from one company (src/sandbox/base-roster.ts): started
 * with the same --employees and --seed, the same person has the same work e-mail and employee
 * number in each.
 */
import { PROVIDER_MODULES, providerModule } from '../providers/registry.ts';

export async function sandboxCommand(provider: string, opts: { port: number; employees: number; seed: number }): Promise<void> {
  if (!Object.hasOwn(PROVIDER_MODULES, provider)) throw new Error(`No sandbox for "${provider}"; available: ${availableSandboxes().join(', ')}`);
  const { descriptor, sandbox } = providerModule(provider);
  const handle = await sandbox.start({ port: opts.port, employees: opts.employees, seed: opts.seed });
  const body = { provider, settings: handle.connection.settings, credentials: handle.connection.credentials };
  console.log(`${descriptor.name} sandbox on ${handle.url} with ${handle.count()} people (company of ${opts.employees}, seed ${opts.seed}).`);
  console.log(`  Connect:  POST /api/v1/integrations ${JSON.stringify(body)}`);
  if (descriptor.oauth && 'refreshToken' in handle.connection.credentials) console.log(`            (credentials: a grant to import; or create it without credentials and connect in the browser, authBaseUrl ${handle.url})`);
  console.log(`  Control:  ${handle.url}/_sandbox/state, POST ${handle.url}/_sandbox/employees, POST ${handle.url}/_sandbox/faults (knobs: refresh sandbox --help)`);
  stopOnSignal(() => handle.close());
}

export function availableSandboxes(): string[] {
  return Object.keys(PROVIDER_MODULES);
}

/**
 * Someone to terminate in the examples: BambooHR id 102, Liam Johnson, active with a work e-mail
 * in the default company (300 people, seed 42: what `npm start` and `refresh sandbox bamboohr`
 * start). A test runs the examples against that sandbox.
 */
export const EXAMPLE_PERSON = { id: '102', name: 'Liam Johnson' } as const;

/** The terminate example, for the default BambooHR sandbox on `port`. */
export function terminateExample(port = 9101): string {
  return `curl -XPOST http://127.0.0.1:${port}/_sandbox/employees/${EXAMPLE_PERSON.id}/terminate -H 'content-type: application/json' -d '{}'`;
}

/** The providers and their fault knobs, for `refresh sandbox --help`. */
export function sandboxHelp(): string {
  const lines = ['', 'Providers and their fault knobs (POST /_sandbox/faults with {"<knob>": value}; DELETE clears them):'];
  for (const [id, module] of Object.entries(PROVIDER_MODULES)) {
    lines.push('', `  ${id} — ${module.descriptor.name}`);
    const width = Math.max(...module.sandbox.knobs.map((k) => k.name.length));
    for (const knob of module.sandbox.knobs) lines.push(`    ${knob.name.padEnd(width)}  ${knob.description}`);
  }
  lines.push(
    '',
    `Example: terminate ${EXAMPLE_PERSON.name} (BambooHR id ${EXAMPLE_PERSON.id}) in the default BambooHR sandbox (the one npm start runs, or refresh sandbox bamboohr), then sync: they are deactivated.`,
    `  ${terminateExample()}`,
    '  npx refresh sync <integration-id>',
  );
  return `${lines.join('\n')}\n`;
}

function stopOnSignal(close: () => Promise<void>): void {
  const stop = async () => {
    await close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
