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
  for (const part of ['split_run_region_', 'split_tree_region_', 'split_read_', 'split_start_']) {
    await expect.poll(() => done.some((p) => p.includes(part)), { message: `${part}… fetched` }).toBe(true);
  }
  // Nothing a share link or the tree benchmark needs was fetched.
  expect(done.filter((p) => /split_(shared_page|tree_bench)_/.test(p))).toEqual([]);
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
