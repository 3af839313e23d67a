/** `refresh sandbox --help` lists every provider with a sandbox, and each one's fault knobs. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROVIDER_MODULES } from '../../src/providers/registry.ts';

const bin = path.resolve(import.meta.dirname, '../../bin/refresh.mjs');
const run = promisify(execFile);

describe('refresh sandbox --help', () => {
  it('lists every provider and its fault knobs, under that provider', async () => {
    const { stdout } = await run(process.execPath, [bin, 'sandbox', '--help']);
    for (const [id, module] of Object.entries(PROVIDER_MODULES)) {
      const at = stdout.indexOf(`\n  ${id} — ${module.descriptor.name}\n`);
      assert.ok(at >= 0, `${id} is listed`);
      const block = stdout.slice(at + 1).split('\n\n')[0]!;
      assert.ok(module.sandbox.knobs.length > 0, `${id} has knobs`);
      for (const knob of module.sandbox.knobs) assert.match(block, new RegExp(`^    ${knob.name} +\\S`, 'm'), `${id}: ${knob.name}`);
    }
  });

  it('an unknown provider is refused, naming the ones there are', async () => {
    const failed = await run(process.execPath, [bin, 'sandbox', 'workday', '--port', '0']).then(() => null, (e: { stderr: string; code: number }) => e);
    assert.ok(failed, 'exits non-zero');
    assert.match(failed.stderr, /No sandbox for "workday"; available: bamboohr, hibob, employmenthero, deel/);
  });
});
