import { test, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { watchConsole, fillEndpoint, expectAccessible, snap, useScriptedTriageServer } from './helpers';

// A scripted OpenAI-compatible endpoint (not an LLM; `scriptedTriageServer` in helpers.ts): tickets are
// labelled right once the system prompt mentions RULES; reflection proposes such a prompt.
const scriptedBase = useScriptedTriageServer('Classify the support ticket. RULES: <b>one</b> label only.');

const SECRET = 'sk-share-SECRET-55555';

async function smallRun(page: Page, base: string, model: string, budget: string) {
  await page.goto('/');
  await page.getByTestId('example-support-triage').click();
  for (const [id, n] of [['train', '6'], ['val', '4'], ['test', '4']]) {
    await page.locator(`#split-${id}`).fill(n);
    await page.locator(`#split-${id}`).dispatchEvent('change');
  }
  await fillEndpoint(page, 'task', base, model, '12');
  await page.locator('#budget').fill(budget);
  await page.locator('#budget').dispatchEvent('change');
}

test('a share link opened in a fresh browser shows the same prompt and scores, and loads into the playground', async ({ page, browser }, testInfo) => {
  const problems = watchConsole(page);
  await smallRun(page, scriptedBase(), 'scripted', '40');
  await page.locator('#task-key').fill(SECRET);
  await page.getByTestId('start').click();
  await expect(page.getByTestId('stop')).toBeDisabled({ timeout: 30_000 });
  await page.getByTestId('evaluate-test').click();
  await expect(page.getByTestId('test-scores')).toContainText(/on 4 examples.*on 4 examples/s);
  const best = (await page.getByTestId('best-prompt').first().textContent())!;
  const bestVal = (await page.getByTestId('best-score').textContent())!.slice(0, 5);
  await page.locator('#share-data').check();
  await page.getByTestId('make-link').click();
  const link = await page.getByTestId('share-link').inputValue();
  expect(link).toContain('#prompt=v1.');
  expect(link).not.toContain(SECRET);
  expect(link).not.toContain('127.0.0.1:' + new URL(scriptedBase()).port);
  // The run file and the CSV never hold the key either.
  const download = page.waitForEvent('download');
  await page.getByTestId('download-run').click();
  const runFile = readFileSync(await (await download).path(), 'utf8');
  expect(runFile).toContain('"format":"gepa-playground-run"');
  expect(runFile).not.toContain(SECRET);
  expect(runFile).not.toContain(scriptedBase());

  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  const otherProblems = watchConsole(other);
  await other.goto(link);
  await expect(other.getByTestId('shared-page')).toBeVisible();
  await expect(other.getByTestId('shared-component').first()).toHaveText(best);
  // Markup in a shared prompt is text, never HTML.
  expect(best).toContain('<b>one</b>');
  await expect(other.getByTestId('shared-component').locator('b')).toHaveCount(0);
  await expect(other.getByTestId('shared-scores')).toContainText(bestVal);
  await expect(other.getByTestId('shared-page')).toContainText('Includes a dataset of 36 rows');
  // The provider by its name, not its wire id, and the prompt with its template to copy.
  await expect(other.getByTestId('shared-page')).toContainText('OpenAI-compatible API');
  await expect(other.getByTestId('shared-page')).not.toContainText('open_ai_compatible');
  await expect(other.getByRole('button', { name: 'Copy prompt and template' })).toBeVisible();
  await expectAccessible(other, testInfo, 'shared-page');
  await snap(other, testInfo, 'shared-page');
  await other.getByTestId('load-shared').click();
  await expect(other.getByTestId('workspace')).toBeVisible();
  await expect(other.locator('#seed-instruction')).toHaveValue(best);
  await expect(other.getByTestId('data-preview')).toContainText('Shared with the prompt: 36 rows');
  expect(other.url()).not.toContain('#prompt=');
  await fresh.close();
  expect(problems).toEqual([]);
  expect(otherProblems).toEqual([]);
});

test('broken and hostile links get a clear message and the page still works', async ({ page }) => {
  // Leaving a page cancels its example-task fetches and the page chunks it was still loading
  // (aborted, not failed); those are not problems.
  const problems = watchConsole(
    page,
    (url, error) => url.includes('/examples/') || (/\.(wasm|js)$/.test(url) && error === 'net::ERR_ABORTED'),
  );
  page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); void d.dismiss(); });
  for (const [fragment, message] of [
    ['#prompt=v1.%%%%', 'not valid base64url'],
    ['#prompt=v7.abc', 'different version'],
    ['#prompt=v1.AAAA', 'damaged'],
  ]) {
    await page.goto('about:blank');
    await page.goto('/' + fragment);
    await expect(page.getByTestId('link-error')).toContainText(message);
  }
  await page.getByRole('button', { name: 'Open the playground' }).click();
  await expect(page.getByTestId('workspace')).toBeVisible();
  expect(problems).toEqual([]);
});

test('reload in the middle of a run against the local LLM, resume, and finish with nothing lost', async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  const llmBase = process.env.GEPA_LLM_BASE_URL;
  if (!llmBase) throw new Error('GEPA_LLM_BASE_URL is not set: run through `./dev test`');
  const problems = watchConsole(page, () => true);
  await smallRun(page, llmBase, process.env.GEPA_LLM_MODEL ?? 'smollm2', '50');
  await page.locator('#use-cache').uncheck();
  await page.getByTestId('start').click();
  // Wait for an autosave after some progress, then reload mid-run.
  await expect(page.getByTestId('save-status')).toContainText(/Saved in this browser at [1-9]\d* rollouts/, { timeout: 120_000 });
  await expect(page.getByTestId('stop')).toBeEnabled();
  const savedAt = Number((await page.getByTestId('save-status').textContent())!.match(/at (\d+) rollouts/)![1]);
  const nodesBefore = await page.getByTestId('candidate-tree').locator('[data-testid^="node-"]').count();
  await page.reload();
  // The endpoint settings came back from this browser; the run is offered for resuming.
  await expect(page.locator('#task-base-url')).toHaveValue(llmBase);
  const resume = page.getByTestId('saved-runs').getByTestId('resume-run').first();
  await expect(resume).toBeVisible();
  await snap(page, testInfo, 'after-reload');
  await resume.click();
  const rollouts = page.getByTestId('rollouts');
  await expect(rollouts).toHaveText(/^\d+ \/ \d+$/);
  // It continues from where the save left it, not from zero.
  expect(Number((await rollouts.textContent())!.split('/')[0])).toBeGreaterThanOrEqual(savedAt);
  expect(await page.getByTestId('candidate-tree').locator('[data-testid^="node-"]').count()).toBeGreaterThanOrEqual(nodesBefore);
  await expect(page.getByTestId('stop')).toBeDisabled({ timeout: 240_000 });
  await expect(page.getByTestId('run-status')).toContainText(/Rollout budget spent|No improvement/);
  const [used, budget] = (await rollouts.textContent())!.split('/').map((s) => Number(s.trim()));
  expect(used).toBeLessThanOrEqual(budget);
  // The log spans both sessions: the seed before the reload and the finish after it.
  await expect(page.getByTestId('event-log')).toContainText('Seed scored');
  await expect(page.getByTestId('event-log')).toContainText('Finished:');
  // The ledger adds up: the charged rollouts in the log equal the counter.
  const proposals = (await page.getByTestId('proposals').textContent())!;
  const accepted = Number(proposals.match(/(\d+) accepted/)![1]);
  expect(await page.getByTestId('candidate-tree').locator('[data-testid^="node-"]').count()).toBe(1 + accepted);
  expect(problems.filter((p) => !p.startsWith('requestfailed'))).toEqual([]);
});
