import { test, expect } from '@playwright/test';
import { expectAccessible, scriptedTriageServer, startTriage } from './helpers';

// A scripted endpoint (not an LLM) whose reflection always hands back the seed prompt itself:
// every proposal is screened out as identical to its parent, and the page says why the run is
// not improving, with the fix, in the run header (always in view), while it runs and at its end.
test('a run whose proposals all repeat the current prompt says so with the fix', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  const echo = await scriptedTriageServer('Classify the support ticket.');
  try {
    await startTriage(page, echo.base, '60');
    await expect(page.getByTestId('run-advice')).toHaveCount(0);
    await page.getByTestId('start').click();
    const advice = page.getByTestId('run-advice');
    await expect(advice).toContainText('proposals repeated the current text or one already tried', { timeout: 60_000 });
    await expect(advice).toContainText('Use a stronger reflection model');
    await expect(page.getByTestId('run-status')).not.toHaveText('Running', { timeout: 60_000 });
    await expect(advice).toContainText('All proposals repeated');
    await expectAccessible(page, testInfo, 'run-advice');
  } finally {
    await echo.close();
  }
});

test('model parameters say which calls they cap, reflection included when it has no model of its own', async ({ page }) => {
  await page.goto('/');
  await page.locator('#task-endpoint summary', { hasText: 'Model parameters' }).click();
  await expect(page.getByTestId('task-roles')).toHaveText("These apply to the task model's answers and reflection.");
  await page.locator('#separate-reflection').check();
  await expect(page.getByTestId('task-roles')).toHaveText("These apply to the task model's answers.");
  await page.locator('#reflection-endpoint summary', { hasText: 'Model parameters' }).click();
  await expect(page.getByTestId('reflection-roles')).toHaveText('These apply to reflection.');
});
