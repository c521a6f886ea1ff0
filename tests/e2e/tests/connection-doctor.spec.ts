import { test, expect, type Page } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// The real local LLM (llama-server + SmolLM2, CORS enabled) from `./dev test`.
const llmBase = process.env.GEPA_LLM_BASE_URL;
const llmModel = process.env.GEPA_LLM_MODEL ?? 'smollm2-135m';
const SECRET = 'sk-playwright-secret-0123456789';

// A loopback server that answers like an OpenAI endpoint but sends no CORS headers.
let noCors: Server;
let noCorsBase = '';
test.beforeAll(async () => {
  if (!llmBase) throw new Error('GEPA_LLM_BASE_URL is not set: run through `./dev test`');
  noCors = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ choices: [{ message: { content: 'OK' }, finish_reason: 'stop' }] }));
  });
  await new Promise<void>((resolve) => noCors.listen(0, '127.0.0.1', resolve));
  noCorsBase = `http://127.0.0.1:${(noCors.address() as AddressInfo).port}/v1`;
});
test.afterAll(async () => { await new Promise((resolve) => noCors.close(resolve)); });

async function fillEndpoint(page: Page, base: string, model: string, key = '') {
  await page.goto('/');
  await page.getByLabel('Provider', { exact: true }).selectOption({ label: 'llama.cpp server' });
  await page.getByLabel('Base URL', { exact: true }).fill(base);
  await page.getByLabel('Model', { exact: true }).fill(model);
  if (key) await page.getByLabel('API key', { exact: true }).fill(key);
  await page.getByRole('button', { name: 'Test connection' }).click();
  const verdict = page.getByTestId('task-doctor').locator('.verdict');
  await expect(verdict).toBeVisible({ timeout: 30_000 });
  return verdict;
}

test('the doctor connects to the real local LLM through CORS and shows the reply and latency', async ({ page }, testInfo) => {
  const verdict = await fillEndpoint(page, llmBase!, llmModel);
  await expect(verdict).toHaveAttribute('data-cause', 'Ok');
  await expect(verdict.locator('.verdict-headline')).toContainText(/Connected to .*\(\d+ ms\)/);
  await expect(verdict.locator('.verdict-reply')).not.toBeEmpty();
  await page.screenshot({ path: testInfo.outputPath('doctor-ok.png'), fullPage: true });
});

test('a server without CORS headers is diagnosed as CORS with the server-side fix', async ({ page }) => {
  const verdict = await fillEndpoint(page, noCorsBase, 'any');
  await expect(verdict).toHaveAttribute('data-cause', 'Cors');
  await expect(verdict.locator('.verdict-fix')).toContainText('--cors-origins');
});

test('a port where nothing listens is diagnosed as unreachable', async ({ page }) => {
  const verdict = await fillEndpoint(page, 'http://127.0.0.1:9/v1', 'any');
  await expect(verdict).toHaveAttribute('data-cause', 'Unreachable');
});

test('the API key never appears in the URL, the console or web storage', async ({ page }) => {
  const logs: string[] = [];
  page.on('console', (msg) => logs.push(msg.text()));
  page.on('request', (req) => logs.push(req.url()));
  await fillEndpoint(page, llmBase!, llmModel, SECRET);
  await fillEndpoint(page, noCorsBase, 'any', SECRET);
  expect(page.url()).not.toContain(SECRET);
  expect(logs.join('\n')).not.toContain(SECRET);
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  expect(stored).not.toContain(SECRET);
});
