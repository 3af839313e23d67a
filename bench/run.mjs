// `npm run bench` runs the compiled bench (see bench/main.ts): production runs compiled JavaScript.
import { pathToFileURL } from 'node:url';
import path from 'node:path';

await import(pathToFileURL(path.resolve(import.meta.dirname, '../.bench-build/bench/main.js')).href);
