// Builds the console's chart bundle from the lockfile's echarts with the lockfile's esbuild:
// one minified ES module, services/gateway/console/vendor/echarts.js, committed so that the
// gateway serves it with no npm at build or run time (offline, no CDN). e2e/075 builds it again
// and compares, so the committed file is what this lockfile makes.
// Usage: node bundle-charts.mjs OUT_FILE   (from a folder with this lockfile's node_modules)
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const out = process.argv[2];
if (!out) throw new Error('usage: node bundle-charts.mjs OUT_FILE');
const here = dirname(fileURLToPath(import.meta.url));
await build({
  entryPoints: [join(here, 'echarts-entry.js')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  legalComments: 'eof',
  outfile: out,
  logLevel: 'warning',
});
