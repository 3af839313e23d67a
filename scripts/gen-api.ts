/**
 * `npm run gen:api`: writes the console's API types (web/src/api/schema.gen.ts) from the OpenAPI
 * document the server serves. `npm run gen:api -- --check` fails when the committed file differs
 * (test/api/contract.test.ts runs the same check).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generatedApiTypes } from '../src/api/openapi-types.ts';

export const GENERATED = path.resolve(import.meta.dirname, '..', 'web', 'src', 'api', 'schema.gen.ts');

const text = await generatedApiTypes();
if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(GENERATED, 'utf8');
  } catch {}
  if (committed !== text) {
    console.error(`${path.relative(process.cwd(), GENERATED)} is out of date with /api/v1/openapi.json: run npm run gen:api and commit it.`);
    process.exit(1);
  }
  console.log('The console types match the OpenAPI document.');
} else {
  writeFileSync(GENERATED, text);
  console.log(`Wrote ${path.relative(process.cwd(), GENERATED)}`);
}
