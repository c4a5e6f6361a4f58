// Global setup: the demo's chain indexed, clustered and labelled in a fresh
// directory, an API key, and `chainsleuth serve` on a free loopback port. The
// tests read CHAINSLEUTH_URL, CHAINSLEUTH_KEY and CHAINSLEUTH_DEMO.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const repo = new URL('../..', import.meta.url).pathname;

export default async function setup() {
  const bin = process.env.CHAINSLEUTH_BIN ?? join(repo, 'target/release/chainsleuth');
  const out = mkdtempSync(join(tmpdir(), 'chainsleuth-ui-'));
  execFileSync(bin, ['demo', '--out', out], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
  const index = ['--network', 'regtest', '--data-dir', join(out, 'index')];
  const key = JSON.parse(execFileSync(bin, ['apikey', 'create', '--json', ...index], { cwd: repo })).key;
  const server = spawn(bin, ['serve', '--bind', '127.0.0.1:0', ...index], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`chainsleuth serve exited with ${code}`)));
    createInterface({ input: server.stdout }).once('line', resolve);
  });
  const url = line.replace('listening on ', '').trim();
  process.env.CHAINSLEUTH_URL = url;
  process.env.CHAINSLEUTH_KEY = key;
  process.env.CHAINSLEUTH_DEMO = out;
  process.env.CHAINSLEUTH_THEFT = JSON.parse(readFileSync(join(out, 'ground_truth.json'), 'utf8')).thefts[0].txids[0];
  return () => server.kill();
}
