import { test, expect, type Page, type TestInfo } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

/** Collects console errors and warnings, page errors and failed requests. */
export function watchConsole(
  page: Page,
  allowFailed: (url: string, error: string) => boolean = () => false,
): string[] {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('requestfailed', (req) => {
    const error = req.failure()?.errorText ?? '';
    if (!allowFailed(req.url(), error)) problems.push(`requestfailed: ${req.url()} ${error}`);
  });
  return problems;
}

/** Fills one endpoint form (`task` or `reflection`) by its element ids. */
export async function fillEndpoint(page: Page, id: string, base: string, model: string, maxTokens = '') {
  await page.locator(`#${id}-preset`).selectOption({ label: 'llama.cpp server' });
  await page.locator(`#${id}-base-url`).fill(base);
  await page.locator(`#${id}-model`).fill(model);
  if (maxTokens) {
    await page.locator(`#${id}-endpoint summary`, { hasText: 'Model parameters' }).click();
    await page.locator(`#${id}-max-tokens`).fill(maxTokens);
  }
}

/** Runs axe-core on the page and fails on any violation, listing them. */
export async function expectAccessible(page: Page, testInfo: TestInfo, name: string) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  await testInfo.attach(`axe-${name}`, { body: JSON.stringify(results.violations, null, 2), contentType: 'application/json' });
  const summary = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(summary).toEqual([]);
}

/** Saves a full-page screenshot as a test artifact. */
export async function snap(page: Page, testInfo: TestInfo, name: string) {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

/** Opens the page with the support-triage example against the task endpoint `base` (model
 *  "scripted"), no response cache, and a rollout budget of `budget`; ready to Start. */
export async function startTriage(page: Page, base: string, budget: string) {
  await page.goto('/');
  await page.getByTestId('example-support-triage').click();
  await fillEndpoint(page, 'task', base, 'scripted');
  await page.locator('#use-cache').uncheck();
  await page.locator('#budget').fill(budget);
  await page.locator('#budget').dispatchEvent('change');
}

/** Runs `scriptedTriageServer` for the calling spec file (started before its tests, closed after
 *  them); returns a getter of its base URL. */
export function useScriptedTriageServer(proposal: string): () => string {
  let server: { base: string; close: () => Promise<void> } | undefined;
  test.beforeAll(async () => { server = await scriptedTriageServer(proposal); });
  test.afterAll(async () => { await server?.close(); });
  return () => server?.base ?? '';
}

/** Options of `scriptedTriageServer`. */
export interface ScriptOptions {
  /** Faults injected per request, with a seeded die: `429` (Retry-After: 1), `500`, `drop`
   *  (the connection is closed without a reply), `garbage` (a malformed 200 body), `length` (the
   *  reply is marked cut off), `401`. */
  faults?: [string, number][];
  /** Seed of the die. */
  seed?: number;
  /** How long to hold each reply, in ms (read per request, so a test can change it). */
  delayMs?: () => number;
}

/**
 * A scripted OpenAI-compatible endpoint (not an LLM) for the support-triage example, with CORS:
 * tickets are labelled right once the system prompt mentions RULES, and every reflection
 * proposes `proposal`; optionally behind injected faults and a delay. `GET …/models` lists one
 * model. Returns its base URL, the faults injected so far, the max_tokens of every POST in
 * order, and a closer.
 */
export async function scriptedTriageServer(proposal: string, options: ScriptOptions = {}): Promise<{ base: string; counts: Record<string, number>; maxTokens: (number | null)[]; close: () => Promise<void> }> {
  const { createServer } = await import('node:http');
  const { readFileSync } = await import('node:fs');
  const task = JSON.parse(readFileSync(new URL('../../../static/examples/support-triage.json', import.meta.url), 'utf8'));
  const labels: Record<string, string> = {};
  for (const line of task.data.split('\n').slice(1)) {
    const at = line.lastIndexOf(',');
    if (at > 0) labels[line.slice(0, at).replace(/^"|"$/g, '')] = line.slice(at + 1);
  }
  const counts: Record<string, number> = {};
  const maxTokens: (number | null)[] = [];
  let state = (options.seed ?? 1) >>> 0 || 1;
  const roll = () => { state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0; return state / 4294967296; };
  const pick = () => {
    let r = roll(); 
    for (const [kind, p] of options.faults ?? []) { if (r < p) return kind; r -= p; }
    return 'ok';
  };
  const server = createServer((req, res) => {
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*', 'access-control-allow-methods': 'GET, POST, OPTIONS', 'access-control-expose-headers': 'retry-after' };
    if (req.method === 'OPTIONS') { res.writeHead(204, cors); res.end(); return; }
    if (req.method === 'GET') { res.writeHead(200, { ...cors, 'content-type': 'application/json' }); res.end(JSON.stringify({ data: [{ id: 'scripted' }] })); return; }
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const fault = pick();
      counts[fault] = (counts[fault] ?? 0) + 1;
      const json = (status: number, value: unknown, extra: Record<string, string> = {}) => {
        res.writeHead(status, { ...cors, 'content-type': 'application/json', ...extra });
        res.end(typeof value === 'string' ? value : JSON.stringify(value));
      };
      if (fault === '429') return json(429, { error: { message: 'rate limited' } }, { 'retry-after': '1' });
      if (fault === '500') return json(500, { error: { message: 'internal' } });
      if (fault === '401') return json(401, { error: { message: 'Incorrect API key provided' } });
      if (fault === 'garbage') return json(200, '{"choices": [ {"message": ');
      if (fault === 'drop') { req.socket.destroy(); return; }
      const request = JSON.parse(body);
      maxTokens.push(request.max_tokens ?? null);
      const messages: { role: string; content: string }[] = request.messages;
      const user = messages[messages.length - 1].content;
      const system = messages.find((m) => m.role === 'system')?.content ?? '';
      const content = user.startsWith('Ticket:')
        ? (system.includes('RULES') ? (labels[user.slice('Ticket:'.length).trim()] ?? 'bug') : 'unsure')
        : '```\n' + proposal + '\n```';
      const finish = fault === 'length' ? 'length' : 'stop';
      const reply = () => json(200, { choices: [{ message: { role: 'assistant', content }, finish_reason: finish }], usage: { prompt_tokens: 30, completion_tokens: 4 } });
      const delay = options.delayMs?.() ?? 0;
      if (delay > 0) setTimeout(() => { if (!res.destroyed) reply(); }, delay); else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    base: `http://127.0.0.1:${port}/v1`,
    counts,
    maxTokens,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
