/**
 * The BambooHR sandbox in a process of its own (its CPU and memory are not the product's):
 * `BENCH_PEOPLE`, `BENCH_TEAMS` (departments split into that many teams, for Group Sync at scale).
 * The bench sets the slow-provider delay through the sandbox's own fault knob (`slowMs`).
 */
import { startBambooSandbox } from '../src/providers/bamboohr/sandbox/server.ts';
import { API_KEY } from './common.ts';

const sandbox = await startBambooSandbox({
  employees: Number(process.env.BENCH_PEOPLE ?? 1000),
  seed: 1,
  teams: Number(process.env.BENCH_TEAMS ?? 0),
  apiKeys: [API_KEY],
});
console.log(`sandbox on ${sandbox.url}`);
process.once('SIGTERM', () => void sandbox.close().then(() => process.exit(0)));
