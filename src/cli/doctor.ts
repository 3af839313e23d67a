import { explainPerson } from '../app/explain.ts';
import { DEFAULT_TENANT_ID } from '../store/tenants.ts';
import { describeDatabase } from './operator-store.ts';
import { openExistingRuntime } from './runtime.ts';

export async function doctorCommand(query: string): Promise<void> {
  const { config, ctx } = await openExistingRuntime();
  try {
    console.log(`Database: ${describeDatabase(config)}\n`);
    const e = await explainPerson(ctx, DEFAULT_TENANT_ID, query);
    for (const line of e.summary) console.log(line);
    if (e.fields.length > 0) {
      console.log('\nFields:');
      for (const f of e.fields) console.log(`  ${f.field.padEnd(16)} ${f.value}  ← ${f.source} (${f.why})${f.lockedBy ? `; managed by ${f.lockedBy}` : ''}`);
    }
    if (e.lastChange) console.log(`\nLast change: ${e.lastChange.kind} in run ${e.lastChange.runId}${e.lastChange.reason ? ` — ${e.lastChange.reason}` : ''}`);
    process.exitCode = e.employee || e.sources.length > 0 ? 0 : 1;
  } finally {
    await ctx.close();
  }
}
