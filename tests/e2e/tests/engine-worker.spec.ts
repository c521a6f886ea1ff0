import { test, expect } from '@playwright/test';
import { watchConsole, startTriage, useScriptedTriageServer } from './helpers';

// The optimiser runs in a Web Worker of its own. These check what the page asks it besides a
// run (compiling and trying a custom metric script, which the page cannot do itself) and what a
// user sees when the worker cannot load. The endpoint is a scripted server (not an LLM).

const base = useScriptedTriageServer('Classify the support ticket. RULES: reply with one label only.');

test('a custom metric script is compiled and tried in the worker; a broken one blocks Start at its field', async ({ page }) => {
  const problems = watchConsole(page);
  await startTriage(page, base(), '60');
  await page.locator('#metric-kind').selectOption('custom');
  const script = page.locator('#metric-script');
  await script.fill('if output == expected {');
  const checklist = page.getByTestId('setup-problems');
  await expect(checklist).toContainText(/Metric: custom metric.*line 1/);
  await expect(page.getByTestId('start')).toBeDisabled();

  await script.fill('if output.contains(expected) { 1.0 } else { #{ score: 0.0, feedback: "expected " + expected } }');
  await expect(checklist).toHaveCount(0);
  await page.locator('details.try-metric summary').click();
  const hint = page.getByTestId('metric-try');
  await expect(hint).toContainText('Expected answer of the first training row');
  const expected = (await hint.textContent())!.match(/row: "([^"]+)"/)![1];
  await page.locator('#metric-sample').fill(`it is ${expected}`);
  await expect(hint).toHaveText(/^Score 1\.00/);
  await page.locator('#metric-sample').fill('no label at all');
  await expect(hint).toHaveText(`Score 0.00. expected ${expected}`);

  // The run scores with the script in the worker.
  await page.getByTestId('start').click();
  await expect(page.getByTestId('best-score')).not.toHaveText('–', { timeout: 30_000 });
  expect(problems).toEqual([]);
});

test('when the optimiser cannot load, Start says so and the setup stays as typed', async ({ page }) => {
  const problems = watchConsole(page, (url) => url.endsWith('/engine-worker.js'));
  await page.route('**/engine-worker.js', (route) => route.abort());
  await startTriage(page, base(), '60');
  await page.locator('#seed-instruction').fill('Typed before the failure.');
  await page.getByTestId('start').click();
  await expect(page.getByTestId('run-failure')).toContainText('the optimiser stopped');
  await expect(page.getByTestId('run-failure')).toContainText('reload the page');
  await expect(page.locator('#seed-instruction')).toHaveValue('Typed before the failure.');
  await expect(page.getByTestId('start')).toBeEnabled();
  // Only the blocked script itself shows up as a failed request.
  expect(problems.filter((p) => !p.includes('engine-worker.js'))).toEqual([]);
});
