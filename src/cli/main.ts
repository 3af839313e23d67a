import { Command, InvalidArgumentError } from 'commander';
import { ConfigError } from '../config.ts';
import { startCommand } from './start.ts';
import { serveCommand, workerCommand } from './serve.ts';
import { syncCommand } from './sync.ts';
import { sandboxCommand } from './sandbox.ts';
import { doctorCommand } from './doctor.ts';
import { keysRotateCommand } from './keys.ts';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
}

const program = new Command();
program.name('refresh').description('ReFresh People Sync: your HRIS, kept in step with the ReFresh directory').showHelpAfterError();

program.command('start').description('embedded all-in-one: API, console, scheduler and sync on SQLite, with a sandbox BambooHR on first start').action(startCommand);
program.command('serve').description('production API node (stateless; DATABASE_URL)').action(serveCommand);
program.command('worker').description('production sync worker: takes runs from the database queue').action(workerCommand);
program
  .command('sync <integration-id>')
  .description('run a sync now and show its progress and summary')
  .option('--full', 'fetch everyone, not only changes')
  .option('--dry-run', 'plan and show the changes without applying them')
  .option('--json', 'print the finished run as JSON')
  .action(syncCommand);
program
  .command('sandbox <provider>')
  .description('run a provider simulator on 127.0.0.1 (bamboohr)')
  .option('--port <n>', 'port (0 = any free port)', positiveInt, 9101)
  .option('--employees <n>', 'people to generate', positiveInt, 300)
  .option('--seed <n>', 'random seed', positiveInt, 42)
  .action(sandboxCommand);
program.command('keys').description('credential vault keys').command('rotate').description('re-encrypt every stored credential under a new key (REFRESH_SECRET_KEY="new,old", or a new key in DATA_DIR/secret.key)').action(keysRotateCommand);
program.command('doctor <email-or-employee-id>').description('why a person is (or is not) synced, in words').action(doctorCommand);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
