import { test, expect, type Page, type TestInfo } from '@playwright/test';
import { watchConsole, expectAccessible, scriptedTriageServer, useScriptedTriageServer } from './helpers';

// A scripted OpenAI-compatible endpoint (not an LLM) stands in for the user's local server.
const scriptedBase = useScriptedTriageServer('Classify the support ticket. RULES: reply with one label only.');

/** Saves what the viewport shows (not the full page) as a test artifact. */
async function shot(page: Page, testInfo: TestInfo, name: string) {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

const scrollY = (page: Page) => page.evaluate(() => window.scrollY);
const overflowX = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

test('a new user gets from an open page to a running optimisation in three clicks, without scrolling, and the run takes the stage', async ({ page }, testInfo) => {
  // A server slow enough (0.3 s a reply) that the run is still going while the test looks.
  const slow = await scriptedTriageServer('Classify the support ticket. RULES: reply with one label only.', { delayMs: () => 300 });
  try {
    await newUserPath(page, testInfo, slow.base);
  } finally {
    await slow.close();
  }
});

async function newUserPath(page: Page, testInfo: TestInfo, base: string) {
  // Nothing listens on llama.cpp's default port here: that lookup's failure is expected (the
  // browser logs it without its address), as are the calls Stop aborts.
  const problems = watchConsole(page, (url) => url.startsWith('http://localhost:8080/') || url.startsWith(base));
  const refused = 'error: Failed to load resource: net::ERR_CONNECTION_REFUSED';
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/');
  let clicks = 0;
  const click = async (testid: string) => {
    const target = page.getByTestId(testid);
    await expect(target).toBeInViewport({ ratio: 1 });
    await target.click();
    clicks += 1;
  };

  await click('example-support-triage');
  await click('local-llama_cpp');
  await expect(page.locator('#task-base-url')).toHaveValue('http://localhost:8080/v1');
  await expect(page.getByTestId('quick-model')).toContainText('Nothing answered at http://localhost:8080/v1');
  // The user's server listens elsewhere: they type its address (typing, not a click).
  await page.locator('#quick-base-url').fill(base);
  await page.locator('#quick-base-url').dispatchEvent('change');
  await expect(page.getByTestId('quick-model')).toContainText('using scripted');
  await expect(page.locator('#task-model')).toHaveValue('scripted');
  await expect(page.getByTestId('setup-problems')).toHaveCount(0);
  await shot(page, testInfo, 'setup-1280x720');
  await expectAccessible(page, testInfo, 'setup-1280x720');
  await click('start');
  expect(clicks).toBeLessThanOrEqual(4);
  expect(await scrollY(page)).toBe(0);

  // During the run, without scrolling: the controls, the best score and the tree.
  await expect(page.getByTestId('best-score')).not.toHaveText('–', { timeout: 30_000 });
  await expect(page.getByTestId('setup-drawer')).not.toHaveAttribute('open', '');
  await shot(page, testInfo, 'run-1280x720');
  for (const testid of ['pause', 'stop', 'best-score', 'run-status']) {
    await expect(page.getByTestId(testid)).toBeInViewport({ ratio: 1 });
  }
  await expect(page.getByTestId('candidate-tree')).toBeInViewport({ ratio: 0.9 });
  expect(await scrollY(page)).toBe(0);

  // Scrolled down to the log, the controls stay in reach.
  await page.getByTestId('event-log').scrollIntoViewIfNeeded();
  await expect(page.getByTestId('pause')).toBeInViewport({ ratio: 1 });

  // Pausing brings the setup back beside the run (the fix is usually there); resuming puts it away.
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('run-status')).toContainText('Paused');
  await expect(page.getByTestId('setup-drawer')).toHaveAttribute('open', '');
  await expect(page.locator('#seed-instruction')).toBeVisible();
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('setup-drawer')).not.toHaveAttribute('open', '');
  await page.getByTestId('stop').click();
  await expect(page.getByTestId('run-status')).toContainText('stopped', { ignoreCase: true });
  // A heatmap cell's hover text holds the example's input and the candidate's output.
  const cell = page.getByTestId('heatmap').locator('td.heat-cell').first();
  await expect(cell).toHaveAttribute('title', /Input: .+\nOutput: .+/);
  // The drawer reopens on demand.
  await page.getByTestId('setup-drawer').locator(':scope > summary').click();
  await expect(page.locator('#seed-instruction')).toBeVisible();
  await expectAccessible(page, testInfo, 'run-1280x720');
  expect(problems.filter((p) => p !== refused)).toEqual([]);
}

test('on a phone the setup and the run read in one column with no sideways scrolling', async ({ page }, testInfo) => {
  const problems = watchConsole(page, (url) => url.startsWith('http://localhost:8080/'));
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/');
  await page.getByTestId('example-support-triage').click();
  await page.locator('#quick-base-url').fill(scriptedBase());
  await page.locator('#quick-base-url').dispatchEvent('change');
  await expect(page.locator('#task-model')).toHaveValue('scripted');
  await page.locator('details.advanced summary').click();
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  await shot(page, testInfo, 'setup-phone');

  await page.getByTestId('start').click();
  await expect(page.getByTestId('run-status')).toContainText(/Rollout budget spent|No improvement|target score/, { timeout: 60_000 });
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  // On a phone the run comes first: the tree is above the run panel and the setup.
  const top = async (testid: string) => (await page.getByTestId(testid).boundingBox())!.y;
  expect(await top('region-tree')).toBeLessThan(await top('region-run'));
  expect(await top('region-run')).toBeLessThan(await top('setup-drawer'));
  await page.getByTestId('node-0').click();
  await expect(page.getByTestId('inspector')).toContainText('Validation');
  // Its tables scroll inside their box rather than wrapping word by word or widening the page.
  await page.getByTestId('inspector').locator('details.val-scores > summary').click();
  const cell = page.getByTestId('inspector').locator('table.data td').first();
  expect((await cell.boundingBox())!.width).toBeGreaterThan(60);
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  await page.getByTestId('candidate-tree').scrollIntoViewIfNeeded();
  await shot(page, testInfo, 'run-phone');
  expect(problems).toEqual([]);
});
