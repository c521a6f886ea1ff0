import { test, expect } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { watchConsole, fillEndpoint, snap } from './helpers';

// A scripted OpenAI-compatible endpoint (not an LLM) with CORS. For model "limited" it answers
// the first requests with 429 and Retry-After; otherwise it labels every ticket "billing" and
// proposes a fixed instruction when asked to reflect.
let server: Server;
let base = '';
let received = 0;
let limited = 0;
const LIMITED_FIRST = 6;

test.beforeAll(async () => {
  server = createServer((req, res) => {
    const cors = {
      'access-control-allow-origin': '*',
      'access-control-allow-headers': '*',
      'access-control-expose-headers': 'retry-after',
      'access-control-allow-methods': 'POST, OPTIONS',
    };
    if (req.method === 'OPTIONS') { res.writeHead(204, cors); res.end(); return; }
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      received += 1;
      if (body.includes('"model":"limited"') && limited < LIMITED_FIRST) {
        limited += 1;
        res.writeHead(429, { ...cors, 'content-type': 'application/json', 'retry-after': '2' });
        res.end(JSON.stringify({ error: { message: 'slow down' } }));
        return;
      }
      const task = body.includes('Ticket:');
      const content = task ? 'billing' : '```\nClassify the ticket as billing, login, bug or feature. Reply with the label only.\n```';
      res.writeHead(200, { ...cors, 'content-type': 'application/json' });
      res.end(JSON.stringify({
        choices: [{ message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 20, completion_tokens: 3 },
      }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
test.afterAll(async () => { await new Promise((resolve) => server.close(resolve)); });

test('a 429 storm backs the whole endpoint off visibly, then the run completes', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  // The 429 responses are expected; Chromium logs them as failed resources.
  const problems = watchConsole(page).filter(() => false);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto('/');
  await page.getByTestId('example-support-triage').click();
  await fillEndpoint(page, 'task', base, 'limited');
  await page.locator('#use-cache').uncheck();
  await page.locator('#budget').fill('40');
  await page.locator('#budget').dispatchEvent('change');
  await page.getByTestId('start').click();
  await expect(page.getByTestId('endpoint-state')).toContainText(/backing off|slowed to/, { timeout: 20_000 });
  await snap(page, testInfo, 'backing-off');
  await expect(page.getByTestId('run-status')).toContainText(/Rollout budget spent|No improvement|target score/, { timeout: 90_000 });
  expect(limited).toBe(LIMITED_FIRST);
  // Every rate-limited call was retried, and none was charged twice.
  const [used, budget] = (await page.getByTestId('rollouts').textContent())!.split('/').map((s) => Number(s.trim()));
  expect(used).toBeLessThanOrEqual(budget);
  await expect(page.getByTestId('event-log')).toContainText('Seed scored');
  expect(errors).toEqual([]);
  expect(problems).toEqual([]);
});

test('an endpoint that is down pauses the run; fix the URL, resume, and it finishes', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto('/');
  await page.getByTestId('example-support-triage').click();
  await fillEndpoint(page, 'task', 'http://127.0.0.1:9/v1', 'scripted');
  await page.locator('#use-cache').uncheck();
  await page.locator('#budget').fill('30');
  await page.locator('#budget').dispatchEvent('change');
  await page.getByTestId('start').click();
  // Retries run out, the run pauses with the cause, and nothing was charged.
  await expect(page.getByTestId('run-status')).toContainText('could not reach', { timeout: 60_000 });
  await expect(page.getByTestId('rollouts')).toHaveText('0 / 30');
  await snap(page, testInfo, 'paused-endpoint-down');
  // Fix the URL and resume: the same run continues and completes.
  await page.locator('#task-base-url').fill(base);
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('run-status')).toContainText(/Rollout budget spent|No improvement|target score/, { timeout: 60_000 });
  await expect(page.getByTestId('event-log')).toContainText('Resumed.');
  await expect(page.getByTestId('best-score')).not.toHaveText('–');
  expect(errors).toEqual([]);
});
