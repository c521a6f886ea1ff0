import { test, expect } from '@playwright/test';
import { watchConsole, startTriage, useScriptedTriageServer } from './helpers';

// The page is split (tools/wasm-split.mjs): the first screen's module up front, the rest as wasm
// chunks fetched after the first paint. The endpoint is a scripted server (not an LLM).

const base = useScriptedTriageServer('Classify the support ticket. RULES: reply with one label only.');

test('everything a run needs arrives after the first paint: with downloads refused from then on, a run still starts and scores', async ({ page }) => {
  const problems = watchConsole(page);
  const done: string[] = [];
  page.on('requestfinished', (r) => done.push(new URL(r.url()).pathname));
  await startTriage(page, base(), '60');
  // The run and tree regions, the worker's message reader and the runs' starter, in the background.
  for (const part of ['split_run_region', 'split_tree_region', 'split_message_reader', 'split_run_starter']) {
    await expect.poll(() => done.some((p) => p.includes(part)), { message: `${part}… fetched` }).toBe(true);
  }
  // Nothing a share link or the tree benchmark needs was fetched.
  expect(done.filter((p) => /split_(shared_page|tree_bench)/.test(p))).toEqual([]);
  const refused: string[] = [];
  await page.route('**/*', (route) => {
    if (new URL(route.request().url()).port === new URL(page.url()).port) {
      refused.push(route.request().url());
      return route.abort();
    }
    return route.continue();
  });
  await page.getByTestId('start').click();
  await expect(page.getByTestId('best-score')).not.toHaveText('–', { timeout: 30_000 });
  await expect(page.getByTestId('candidate-tree')).toBeVisible();
  expect(refused).toEqual([]);
  expect(problems).toEqual([]);
});

test('a part of the page whose download fails says so where it would be, and the rest of the page works', async ({ page }) => {
  const problems = watchConsole(page, (url) => /split_run_region/.test(url));
  await page.route(/split_run_region\.wasm$/, (route) => route.abort());
  await page.goto('/');
  const missing = page.getByTestId('chunk-missing');
  await expect(missing).toHaveText(/^The run panels could not be loaded .*reload the page; your setup is kept\.$/);
  await expect(page.getByTestId('candidate-tree')).toBeAttached();
  await page.getByTestId('example-support-triage').click();
  await expect(page.locator('#seed-instruction')).not.toHaveValue('');
  // The browser and the loader report the refused download on the console; nothing else goes wrong.
  expect(problems.filter((p) => !/failed to fetch|failed to load resource: net::ERR_FAILED|split_run_region/i.test(p))).toEqual([]);
});
