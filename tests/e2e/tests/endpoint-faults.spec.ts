import { test, expect } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { watchConsole, fillEndpoint, snap, scriptedTriageServer, startTriage } from './helpers';

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
  await setPatience(page, '0.05');
  await page.getByTestId('start').click();
  // Retried for the whole (short) patience window; then the run pauses with the cause, and
  // nothing was charged.
  await expect(page.getByTestId('endpoint-state')).toContainText('retrying since', { timeout: 20_000 });
  await expect(page.getByTestId('run-status')).toContainText('could not reach', { timeout: 60_000 });
  await expect(page.getByTestId('run-status')).toContainText('has failed for');
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

/** Sets how long a failing endpoint is retried (Advanced options), in minutes. */
async function setPatience(page: import('@playwright/test').Page, minutes: string) {
  await page.locator('details.advanced summary').click();
  await page.locator('#opt-patience').fill(minutes);
  await page.locator('#opt-patience').dispatchEvent('change');
}

test('with half the calls failing (429, 500, dropped, malformed, cut off) the run finishes without a click', async ({ page }, testInfo) => {
  test.setTimeout(240_000);
  const faulty = await scriptedTriageServer('Classify the support ticket. RULES: reply with one label only.', {
    faults: [['429', 0.2], ['500', 0.1], ['drop', 0.1], ['garbage', 0.1], ['length', 0.1]],
    seed: 7,
  });
  try {
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await startTriage(page, faulty.base, '40');
    await page.getByTestId('start').click();
    await expect(page.getByTestId('endpoint-state')).toContainText(/retrying since|slowed to/, { timeout: 60_000 });
    await snap(page, testInfo, 'riding-out-faults');
    await expect(page.getByTestId('run-status')).toContainText('Rollout budget spent', { timeout: 200_000 });
    for (const fault of ['429', '500', 'drop', 'garbage', 'length']) expect(faulty.counts[fault] ?? 0).toBeGreaterThan(0);
    await expect(page.getByTestId('event-log')).not.toContainText('Paused');
    const [used, budget] = (await page.getByTestId('rollouts').textContent())!.split('/').map((t) => Number(t.trim()));
    expect(used).toBeLessThanOrEqual(budget);
    expect(used).toBeGreaterThanOrEqual(budget * 0.75);
    expect(errors).toEqual([]);
  } finally {
    await faulty.close();
  }
});

test('a model slower than its timeout is retried, pauses naming the timeout, and Resume resumes', async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  // Before the call machine, one timed-out call aborted every call of the run ("Paused:
  // cancelled") and Resume paused again at once without sending anything.
  let delay = 2_500;
  const slow = await scriptedTriageServer('Classify the support ticket. RULES: reply with one label only.', { delayMs: () => delay });
  try {
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await startTriage(page, slow.base, '30');
    await page.locator('#task-endpoint summary', { hasText: 'Model parameters' }).click();
    await page.locator('#task-timeout').fill('1');
    await setPatience(page, '0.1');
    await page.getByTestId('start').click();
    await expect(page.getByTestId('run-status')).toContainText('timeout', { timeout: 60_000 });
    await expect(page.getByTestId('run-status')).toContainText('no reply within 1 s');
    await expect(page.getByTestId('rollouts')).toHaveText('0 / 30');
    await snap(page, testInfo, 'paused-on-timeout');
    delay = 0;
    await page.getByTestId('pause').click();
    await expect(page.getByTestId('run-status')).toContainText('Rollout budget spent', { timeout: 90_000 });
    await expect(page.getByTestId('event-log')).toContainText('Resumed.');
    expect(errors).toEqual([]);
  } finally {
    await slow.close();
  }
});

test('a rejected key pauses the run at once with the cause and charges nothing', async ({ page }) => {
  const refusing = await scriptedTriageServer('unused', { faults: [['401', 1]] });
  try {
    await startTriage(page, refusing.base, '30');
    await page.getByTestId('start').click();
    await expect(page.getByTestId('run-status')).toContainText('HTTP 401', { timeout: 20_000 });
    await expect(page.getByTestId('run-status')).toContainText('API key');
    await expect(page.getByTestId('rollouts')).toHaveText('0 / 30');
    expect(refusing.counts['401']).toBeLessThanOrEqual(4);
  } finally {
    await refusing.close();
  }
});
