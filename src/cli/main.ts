import { Command, InvalidArgumentError } from 'commander';
import { ConfigError } from '../config.ts';

/**
 * Each command's module is loaded only when that command runs: `refresh keys list` need not load
 * the API server, the engine and the sandboxes first.
 */
const lazy =
  <A extends unknown[]>(load: () => Promise<(...args: A) => Promise<void>>) =>
  async (...args: A): Promise<void> =>
    (await load())(...args);
const startCommand = lazy(async () => (await import('./start.ts')).startCommand);
const serveCommand = lazy(async () => (await import('./serve.ts')).serveCommand);
const workerCommand = lazy(async () => (await import('./serve.ts')).workerCommand);
const syncCommand = lazy(async () => (await import('./sync.ts')).syncCommand);
const sandboxCommand = lazy(async () => (await import('./sandbox.ts')).sandboxCommand);
const doctorCommand = lazy(async () => (await import('./doctor.ts')).doctorCommand);
const keysCreateCommand = lazy(async () => (await import('./keys.ts')).keysCreateCommand);
const keysListCommand = lazy(async () => (await import('./keys.ts')).keysListCommand);
const keysRevokeCommand = lazy(async () => (await import('./keys.ts')).keysRevokeCommand);
const keysRotateCommand = lazy(async () => (await import('./keys.ts')).keysRotateCommand);
const adminCreateCommand = lazy(async () => (await import('./admin.ts')).adminCreateCommand);
const adminListCommand = lazy(async () => (await import('./admin.ts')).adminListCommand);
const adminResetPasswordCommand = lazy(async () => (await import('./admin.ts')).adminResetPasswordCommand);

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
}

const program = new Command();
program.name('refresh').description('ReFresh People Sync: your HRIS, kept in step with the ReFresh directory').showHelpAfterError();

program
  .command('start')
  .description('embedded all-in-one: API, console, scheduler and sync on SQLite, with a sandbox BambooHR on first start')
  .option('--sandbox <providers>', 'sandboxes to connect and sync, ranked in this order, e.g. bamboohr,hibob (default bamboohr; see refresh sandbox --help); kept for later starts')
  .option('--sandbox-employees <n>', 'people in the company behind the built-in sandboxes (default 300; kept for later starts)', positiveInt)
  .option('--sandbox-seed <n>', 'seed of the built-in sandboxes (default 42; kept for later starts)', positiveInt)
  .action(startCommand);
program.command('serve').description('production API node (stateless; DATABASE_URL)').action(serveCommand);
program.command('worker').description('production sync worker: takes runs from the database queue').action(workerCommand);
program
  .command('sync <integration-id>')
  .description('run a sync now and show its progress and summary')
  .option('--full', 'fetch everyone, not only changes')
  .option('--dry-run', 'plan and show the changes without applying them')
  .option('--json', 'print the finished run as JSON')
  .action(syncCommand);
// The providers and their fault knobs come from the provider modules, loaded only for this command.
const argv = process.argv.slice(2);
const sandboxHelp = argv.includes('sandbox') ? await import('./sandbox.ts') : null;
program
  .command('sandbox <provider>')
  .description(`run a provider simulator on 127.0.0.1 (${sandboxHelp ? sandboxHelp.availableSandboxes().join(', ') : 'bamboohr, hibob, …'})`)
  .option('--port <n>', 'port (0 = any free port)', positiveInt, 9101)
  .option('--employees <n>', 'size of the company behind the sandboxes (a source holds its share of it)', positiveInt, 300)
  .option('--seed <n>', 'random seed', positiveInt, 42)
  .addHelpText('after', () => sandboxHelp?.sandboxHelp() ?? '')
  .action(sandboxCommand);
const TENANT = ['--tenant <id>', 'organization (default: the default one)'] as const;
const keys = program.command('keys').description('API keys, and the credential vault key');
keys.command('create').description('create an API key; it is printed once').requiredOption('--name <name>', 'what uses the key').option(...TENANT).action(keysCreateCommand);
keys.command('list').description('API keys with when each was last used (never the keys)').option(...TENANT).action(keysListCommand);
keys.command('revoke <id>').description('revoke an API key: it stops working at once').option(...TENANT).action(keysRevokeCommand);
keys.command('rotate').description('re-encrypt every stored credential under a new key (REFRESH_SECRET_KEY="new,old", or a new key in DATA_DIR/secret.key)').action(keysRotateCommand);
const admin = program.command('admin').description('console admins');
admin
  .command('create <email>')
  .description('add a console admin; a password is generated and printed once unless --password-stdin')
  .option('--role <role>', 'organization_admin or compliance_manager (read-only)', 'organization_admin')
  .option('--password-stdin', 'read the password from the first line of stdin')
  .option(...TENANT)
  .action(adminCreateCommand);
admin
  .command('reset-password <email>')
  .description("set a new password (generated and printed once unless --password-stdin) and end the admin's sessions")
  .option('--password-stdin', 'read the password from the first line of stdin')
  .option(...TENANT)
  .action(adminResetPasswordCommand);
admin.command('list').description('console admins and their roles').option(...TENANT).action(adminListCommand);
program.command('doctor <email-or-employee-id>').description('why a person is (or is not) synced, in words').action(doctorCommand);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // One plain line, no stack trace. The exit code is set rather than exiting at once, so a log
  // file still being opened is flushed; anything left holding the process ends it shortly after.
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = error instanceof ConfigError ? 2 : 1;
  setTimeout(() => process.exit(), 2000).unref();
}
