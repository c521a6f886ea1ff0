import { test, expect } from '@playwright/test';

// An example card loaded over a prompt the user typed says so and offers Undo, which brings the
// typed prompt back; loaded over the untouched defaults, it asks nothing.
test('an example loaded over typed work can be undone', async ({ page }) => {
  await page.goto('/');
  await page.getByTestId('example-support-triage').click();
  await expect(page.getByTestId('example-undo')).toHaveCount(0);
  await page.locator('#seed-instruction').fill('My own carefully written instruction.');
  await page.getByTestId('example-word-problems').click();
  await expect(page.getByTestId('example-undo')).toContainText('in place of your data and prompt');
  await expect(page.locator('#seed-instruction')).not.toHaveValue('My own carefully written instruction.');
  await page.getByTestId('undo-example').click();
  await expect(page.locator('#seed-instruction')).toHaveValue('My own carefully written instruction.');
  await expect(page.getByTestId('example-undo')).toHaveCount(0);
});
