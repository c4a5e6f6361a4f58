// Builds the UI into crates/server/assets (embedded in the server binary);
// `--check` rebuilds in memory and fails when the committed files differ.
import * as esbuild from 'esbuild';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';

const OUT = new URL('../crates/server/assets/', import.meta.url);
const check = process.argv.includes('--check');

const bundle = await esbuild.build({
  entryPoints: [new URL('src/main.js', import.meta.url).pathname],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome110', 'firefox115', 'safari16'],
  legalComments: 'eof',
  charset: 'utf8',
  write: false,
});

const files = {
  'index.html': readFileSync(new URL('src/index.html', import.meta.url)),
  'app.css': readFileSync(new URL('src/style.css', import.meta.url)),
  'favicon.svg': readFileSync(new URL('src/favicon.svg', import.meta.url)),
  'app.js': Buffer.from(bundle.outputFiles[0].contents),
};

let stale = [];
for (const [name, bytes] of Object.entries(files)) {
  const path = new URL(name, OUT);
  if (check) {
    if (!existsSync(path) || !readFileSync(path).equals(bytes)) stale.push(name);
  } else {
    writeFileSync(path, bytes);
  }
}
if (stale.length) {
  console.error(`crates/server/assets: ${stale.join(', ')} differ from a rebuild of ui/src: run \`npm ci && npm run build\` in ui/ and commit them`);
  process.exit(1);
}
console.log(check ? 'crates/server/assets match a rebuild of ui/src' : `built ${Object.keys(files).join(', ')} into crates/server/assets (${files['app.js'].length} bytes of script)`);
