// An investigator's session in the real Chromium against the real server on the
// demo's index: log in, search the theft, expand it, trace it to the exchanges,
// open the receiving entity, tag and annotate, save the case, reload and reopen
// it, export CSV and PNG. Screenshots of each view go to test-results/screens.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';

const url = () => process.env.CHAINSLEUTH_URL;
const shot = (page, name) => page.screenshot({ path: `test-results/screens/${name}.png` });

async function login(page) {
  await page.goto(url());
  await page.locator('#api-key').fill(process.env.CHAINSLEUTH_KEY);
  await page.locator('#login').click();
  await expect(page.locator('header .who')).toContainText('key cs_');
}

test('an investigator follows the theft to the exchanges and keeps the case', async ({ page, context }) => {
  const problems = [];
  // The expected refusals (the session check before login, the wrong key) are no problem.
  page.on('console', (m) => m.type() === 'error' && !/status of 401/.test(m.text()) && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));

  await page.goto(url());
  await expect(page.locator('.login')).toBeVisible();
  await shot(page, '01-login');
  await page.locator('#api-key').fill('cs_not_a_key');
  await page.locator('#login').click();
  await expect(page.locator('#login-error')).toContainText('no such API key');
  await login(page);

  // The key is exchanged for an HttpOnly, SameSite=Strict cookie and kept nowhere else.
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'cs_session');
  expect(session.httpOnly).toBe(true);
  expect(session.sameSite).toBe('Strict');
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie + location.href);
  expect(stored).not.toContain(process.env.CHAINSLEUTH_KEY);

  // Search the theft transaction.
  const theft = process.env.CHAINSLEUTH_THEFT;
  await page.locator('#search').fill(theft);
  await page.locator('#search').press('Enter');
  await expect(page.locator('#panel h2').first()).toHaveText('Transaction');
  await expect(page.locator('#panel')).toContainText(theft);

  // Expand its outputs on the canvas.
  await page.locator('#expand-outputs').click();
  await expect(page.locator('#status')).toContainText('spending transactions added');
  const drawn = Number(await page.locator('#cy').getAttribute('data-nodes'));
  expect(drawn).toBeGreaterThan(3);
  // Undo takes the expansion back, redo brings it again.
  await page.locator('#undo').click();
  expect(Number(await page.locator('#cy').getAttribute('data-nodes'))).toBeLessThan(drawn);
  await page.locator('#redo').click();
  await expect(page.locator('#cy')).toHaveAttribute('data-nodes', String(drawn));
  await shot(page, '02-transaction-expanded');

  // A haircut trace to the exchanges.
  await page.locator('#trace-here').click();
  await expect(page.locator('#trace-from')).toHaveValue(theft);
  await page.locator('#trace-policy').selectOption('haircut');
  await page.locator('#trace-hops').fill('20');
  await page.locator('#trace-run').click();
  await expect(page.locator('#trace-result')).toBeVisible();
  const services = page.locator('[data-name="trace-services"] tbody tr');
  await expect(services.first()).toContainText('exchange');
  expect(Number(await page.locator('#cy').getAttribute('data-edges'))).toBeGreaterThan(drawn);
  await shot(page, '03-trace');

  // The receiving entity: the largest exchange endpoint's.
  const exchangeRow = page.locator('[data-name="trace-endpoints"] tbody tr', { hasText: 'exchange' }).first();
  await exchangeRow.locator('a.link-entity').click();
  await expect(page.locator('#panel h2').first()).toContainText('Entity');
  // Each address says why it is in the entity, naming the linking transaction.
  await expect(page.locator('[data-name$="-addresses"] tbody tr').first()).toContainText(/co-spent|change/);
  await shot(page, '04-entity');

  // Tag an address of it, colour it and write a note.
  await page.locator('[data-name$="-addresses"] tbody a.link-address').first().click();
  await expect(page.locator('#panel h2').first()).toHaveText('Address');
  const address = (await page.locator('#panel .mono').first().textContent()).trim();
  await page.locator('#add-address').click();
  await page.locator('#label-text').fill('cash-out deposit');
  await page.locator('#label-category').selectOption('exchange');
  await page.locator('#label-save').click();
  await expect(page.locator('#status')).toContainText('Labelled');
  await page.locator('.swatch').first().click();
  await page.locator('#note').fill('Deposit the thief cashed out at; ask the exchange for the account.');
  await page.locator('#note').blur();

  // Save the case; reload the page; the link reopens the same case and view.
  await page.locator('#case-title').fill('Exchange theft');
  await page.locator('#save-case').click();
  await expect(page.locator('#status')).toContainText('saved');
  expect(page.url()).toMatch(/#\/case\/[A-Za-z0-9_-]+$/);
  const caseUrl = page.url();
  const edgesBefore = await page.locator('#cy').getAttribute('data-edges');
  await page.reload();
  await expect(page.locator('#case-name')).toHaveText('Case: Exchange theft');
  await expect(page.locator('#note')).toHaveValue(/ask the exchange/);
  await expect(page.locator('#cy')).toHaveAttribute('data-edges', edgesBefore);
  expect(page.url()).toBe(caseUrl);
  await shot(page, '05-case-reopened');

  // The label is the investigator's own source, and screening sees it.
  const labels = await page.request.get(`${url()}/v1/labels`, { headers: { 'X-Chainsleuth-UI': '1' } });
  expect((await labels.json()).labels.map((l) => l.address)).toContain(address);
  await expect
    .poll(async () => {
      const r = await page.request.get(`${url()}/v1/screen/${address}`, { headers: { 'X-Chainsleuth-UI': '1' } });
      return (await r.json()).identifications.map((i) => i.label);
    })
    .toContain('cash-out deposit');

  // Exports: a table as CSV, the canvas as PNG.
  const [csv] = await Promise.all([page.waitForEvent('download'), page.locator('[data-name^="history-"] button.csv').click()]);
  const text = readFileSync(await csv.path(), 'utf8');
  expect(text.split('\r\n')[0]).toBe('Transaction,Height,Received,Sent');
  expect(text.split('\r\n').length).toBeGreaterThan(2);
  await page.locator('#fit').click();
  const [png] = await Promise.all([page.waitForEvent('download', { timeout: 20_000 }).catch(async (e) => { throw new Error(`${e.message}: ${await page.locator('#status').textContent()}`); }), page.locator('#export-png').click()]);
  const bytes = readFileSync(await png.path());
  expect(bytes.subarray(1, 4).toString()).toBe('PNG');
  expect(bytes.length).toBeGreaterThan(5_000);

  expect(problems).toEqual([]);
});

test('a session cookie alone cannot call the API from another page', async ({ page }) => {
  await login(page);
  const bare = await page.request.get(`${url()}/v1/session`);
  expect(bare.status()).toBe(401);
  expect((await bare.json()).error.field).toBe('x-chainsleuth-ui');
  await page.locator('#logout').click();
  await expect(page.locator('.login')).toBeVisible();
  const after = await page.request.get(`${url()}/v1/session`, { headers: { 'X-Chainsleuth-UI': '1' } });
  expect(after.status()).toBe(401);
});

test('a money path is searched by the server and a date bounds the canvas', async ({ page }) => {
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && !/status of (401|404)/.test(m.text()) && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));
  await login(page);
  const headers = { 'X-Chainsleuth-UI': '1' };
  const theft = process.env.CHAINSLEUTH_THEFT;
  // Where the theft cashed out, as a trace names it.
  const trace = await page.request.post(`${url()}/v1/trace`, { headers, data: { from: [theft], max_hops: 20, stop_at_services: true } });
  const exchange = (await trace.json()).endpoints.find((e) => e.kind === 'service' && e.address).address;

  // From the theft to the exchange's deposit, with nothing drawn between them.
  await page.locator('#search').fill(theft);
  await page.locator('#search').press('Enter');
  await expect(page.locator('#panel')).toContainText(theft);
  await page.locator('#path-from').click();
  await expect(page.locator('#status')).toContainText('Path start');
  await page.locator('#search').fill(exchange);
  await page.locator('#search').press('Enter');
  await expect(page.locator('#panel h2').first()).toHaveText('Address');
  await page.locator('#add-address').click();
  const before = Number(await page.locator('#cy').getAttribute('data-nodes'));
  await page.locator('#path-to').click();
  await expect(page.locator('#status')).toContainText(/Money path of \d+ edges/);
  const drawn = Number(await page.locator('#cy').getAttribute('data-nodes'));
  expect(drawn).toBeGreaterThan(before);
  await shot(page, '06-money-path');

  // A time window ending at the theft's block hides what came after it.
  const tx = await (await page.request.get(`${url()}/v1/transactions/${theft}`, { headers })).json();
  const at = new Date(tx.block_time * 1000).toISOString().replace('.000Z', 'Z');
  await page.locator('#filter-to').fill('2001-01-01');
  await page.locator('#filter-to').press('Enter');
  await expect(page.locator('#status')).toContainText('no block of the index is stamped at or before');
  await expect(page.locator('#filter-to')).toHaveClass(/invalid/);
  await page.locator('#filter-to').fill(at);
  await page.locator('#filter-to').press('Enter');
  await expect(page.locator('#status')).toContainText(`To ${at}: block height`);
  await expect(page.locator('#filter-to')).not.toHaveClass(/invalid/);
  const windowed = Number(await page.locator('#cy').getAttribute('data-nodes'));
  expect(windowed).toBeLessThan(drawn);
  await page.locator('#filter-to').fill('');
  await page.locator('#filter-to').press('Enter');
  await expect(page.locator('#cy')).toHaveAttribute('data-nodes', String(drawn));
  expect(problems).toEqual([]);
});
