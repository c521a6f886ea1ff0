import { test, expect } from '@playwright/test';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { watchConsole, fillEndpoint, expectAccessible, snap } from './helpers';

// The real local LLM (llama-server + SmolLM2, CORS enabled) from `./dev test`.
const llmBase = process.env.GEPA_LLM_BASE_URL;
const llmModel = process.env.GEPA_LLM_MODEL ?? 'smollm2-135m';
const SECRET = 'sk-run-flow-secret-9876543210';

/** Every key and value of the browser's persistent response cache, as JSON. */
async function dumpCache(page: import('@playwright/test').Page): Promise<{ keys: string[]; values: string[] }> {
  return page.evaluate(async () => {
    const db: IDBDatabase = await new Promise((resolve, reject) => {
      const r = indexedDB.open('gepa-playground-cache');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const store = db.transaction('responses').objectStore('responses');
    const read = <T,>(r: IDBRequest<T>) => new Promise<T>((resolve) => { r.onsuccess = () => resolve(r.result); });
    const keys = (await read(store.getAllKeys())).map(String);
    const values = (await read(store.getAll())).map(String);
    db.close();
    return { keys, values };
  });
}

test.beforeAll(() => {
  if (!llmBase) throw new Error('GEPA_LLM_BASE_URL is not set: run through `./dev test`');
});

test('a whole run against the real local LLM: example task, connection, start, pause, resume, finish, held-out eval', async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  const problems = watchConsole(page);
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/');

  await page.getByTestId('example-support-triage').click();
  await expect(page.getByTestId('data-preview')).toContainText('Example: Support ticket triage');
  await page.locator('#split-train').fill('6');
  await page.locator('#split-train').dispatchEvent('change');
  await page.locator('#split-val').fill('4');
  await page.locator('#split-val').dispatchEvent('change');
  await page.locator('#split-test').fill('4');
  await page.locator('#split-test').dispatchEvent('change');
  await expect(page.getByTestId('message-preview')).toContainText('Ticket:');

  await fillEndpoint(page, 'task', llmBase!, llmModel, '12');
  // llama-server ignores the key; it is here to prove it is never stored or logged.
  await page.locator('#task-key').fill(SECRET);
  await page.getByRole('button', { name: 'Test connection' }).first().click();
  await expect(page.getByTestId('task-doctor').locator('.verdict')).toHaveAttribute('data-cause', 'Ok', { timeout: 30_000 });
  await page.locator('#separate-reflection').check();
  await fillEndpoint(page, 'reflection', llmBase!, llmModel, '160');

  await page.locator('#budget').fill('60');
  await page.locator('#budget').dispatchEvent('change');
  await expect(page.getByTestId('estimate')).toContainText('proposals');
  await expect(page.getByTestId('setup-problems')).toHaveCount(0);
  await expectAccessible(page, testInfo, 'setup');
  await snap(page, testInfo, 'setup-ready');

  // Watch for long main-thread tasks (≥ 50 ms) while the run goes: they would freeze input.
  await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[] };
    w.longTasks = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push(e.duration)))
      .observe({ type: 'longtask' });
  });
  await page.getByTestId('start').click();
  await expect(page.getByTestId('run-status')).toContainText(/Running|Paused|Rollout budget/);
  // The counters advance while it runs.
  await expect(page.getByTestId('rollouts')).not.toHaveText(/^0 \//, { timeout: 60_000 });
  await expect(page.getByTestId('best-score')).not.toHaveText('–', { timeout: 60_000 });

  // Pause from the keyboard as soon as the seed is scored, and see it hold still.
  await page.getByRole('heading', { level: 1 }).click();
  await page.keyboard.press('p');
  await expect(page.getByTestId('run-status')).toContainText('Paused by you');
  // Replies already in flight still land; once none is left, nothing moves.
  await expect(page.getByTestId('endpoint-state')).toContainText(/: 0 in flight, 0 waiting$/, { timeout: 60_000 });
  const held = await page.getByTestId('rollouts').textContent();
  await page.waitForTimeout(2000);
  await expect(page.getByTestId('rollouts')).toHaveText(held!);
  await snap(page, testInfo, 'paused');

  // Step: exactly one iteration, then paused again.
  const iterations = Number(await page.getByTestId('iterations').textContent());
  await page.getByTestId('step').click();
  await expect(page.getByTestId('run-status')).toContainText(/Paused after iteration \d+ \(Step\)|Rollout budget spent/, { timeout: 60_000 });
  const stepped = (await page.getByTestId('run-status').textContent())!.match(/iteration (\d+) \(Step\)/);
  if (stepped) {
    // Step finishes the iteration in progress (or runs the next one when between two).
    expect([iterations, iterations + 1]).toContain(Number(stepped[1]));
    await expect(page.getByTestId('iterations')).toHaveText(stepped[1]);
    await page.waitForTimeout(1000);
    await expect(page.getByTestId('iterations')).toHaveText(stepped[1]);
    await page.keyboard.press('p'); // resume
    await expect(page.getByTestId('run-status')).not.toContainText('Paused');
  }

  // It finishes on its own, with the stop reason and the best prompt.
  await expect(page.getByTestId('stop')).toBeDisabled({ timeout: 240_000 });
  await expect(page.getByTestId('run-status')).toContainText(/Rollout budget spent|No improvement|target score/);
  await expect(page.getByTestId('best-prompt').first()).not.toBeEmpty();
  await expect(page.getByTestId('event-log')).toContainText('Seed scored');
  await expect(page.getByTestId('event-log')).toContainText('Finished:');
  const rollouts = await page.getByTestId('rollouts').textContent();
  const [used, budget] = rollouts!.split('/').map((s) => Number(s.trim()));
  expect(used).toBeLessThanOrEqual(budget);

  // The page stayed responsive: no main-thread task long enough to be felt as a freeze.
  const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
  writeFileSync(testInfo.outputPath('long-tasks-ms.json'), JSON.stringify(longTasks));
  expect(Math.max(0, ...longTasks)).toBeLessThan(200);

  // Held-out evaluation, seed vs best, on their own ledger.
  await page.getByTestId('evaluate-test').click();
  const scores = page.getByTestId('test-scores');
  await expect(scores).toContainText(/on 4 examples \(\d+ rollouts\).*on 4 examples/s, { timeout: 60_000 });
  await expect(page.getByTestId('rollouts')).toHaveText(rollouts!);
  await snap(page, testInfo, 'finished');
  await expectAccessible(page, testInfo, 'finished');

  // The persistent cache holds the replies, and never the key.
  const cache = await dumpCache(page);
  expect(cache.keys.length).toBeGreaterThan(0);
  expect(JSON.stringify(cache)).not.toContain(SECRET);
  expect(JSON.stringify(cache)).not.toContain('Bearer');
  expect(page.url()).not.toContain(SECRET);
  expect(problems.join('\n')).not.toContain(SECRET);
  expect(problems).toEqual([]);
});

test('an invalid setup cannot start and says exactly what is missing', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/');
  await expect(page.getByTestId('start')).toBeDisabled();
  const box = page.getByTestId('setup-problems');
  await expect(box).toContainText('Task model: enter a model name');
  await expect(box).toContainText('Dataset: Paste data');
  await page.locator('#task-model').fill('m');
  await page.locator('#data-text').fill('question,answer\nWhat is 2+2?,4\nWhat is 3+3?,6\n');
  await page.locator('#user-template').fill('Q: {{questoin}}');
  await expect(box).not.toContainText('Task model');
  await expect(box).toContainText('{{questoin}} (did you mean {{question}}?) is not an input column');
  // Keyboard shortcut S does nothing while the setup is invalid.
  await page.locator('body').press('s');
  await expect(page.getByTestId('run-status')).toHaveText('Not started');
  expect(problems).toEqual([]);
});

// A slow OpenAI-compatible endpoint with CORS: holds every request until the test lets go,
// and records when the browser gives up on one.
let slow: Server;
let slowBase = '';
const held: ServerResponse[] = [];
let closedEarly = 0;
let received = 0;
test.beforeAll(async () => {
  slow = createServer((req, res) => {
    const cors = {
      'access-control-allow-origin': '*',
      'access-control-allow-headers': '*',
      'access-control-allow-methods': 'POST, GET, OPTIONS',
    };
    if (req.method === 'OPTIONS') { res.writeHead(204, cors); res.end(); return; }
    req.resume();
    received += 1;
    res.on('close', () => { if (!res.writableEnded) closedEarly += 1; });
    res.writeHead(200, { ...cors, 'content-type': 'application/json' });
    res.flushHeaders();
    held.push(res);
  });
  await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
  slowBase = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/v1`;
});
test.afterAll(async () => {
  for (const res of held) res.destroy();
  await new Promise((resolve) => slow.close(resolve));
});

test('Stop mid-run cancels the requests in flight', async ({ page }) => {
  // The aborted fetches are expected to show up as failed requests.
  const problems = watchConsole(page, (url) => url.startsWith(slowBase));
  await page.goto('/');
  await page.getByTestId('example-support-triage').click();
  await fillEndpoint(page, 'task', slowBase, 'slow-model');
  await page.locator('#budget').fill('40');
  await page.locator('#budget').dispatchEvent('change');
  await page.getByTestId('start').click();
  await expect.poll(() => received, { timeout: 20_000 }).toBeGreaterThanOrEqual(4);
  await expect(page.getByTestId('endpoint-state')).toContainText('4 in flight');
  await expect(page.getByTestId('endpoint-state')).toContainText('waiting');
  const before = received;
  await page.getByTestId('stop').click();
  await expect(page.getByTestId('run-status')).toContainText('Stopped by the user');
  await expect.poll(() => closedEarly, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
  await page.waitForTimeout(1000);
  expect(received).toBe(before);
  await expect(page.getByTestId('endpoint-state')).toContainText('0 in flight, 0 waiting');
  expect(problems).toEqual([]);
});
