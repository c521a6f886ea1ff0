import { test, expect, type ConsoleMessage } from '@playwright/test';

test('the app loads with its layout regions and zero console errors', async ({ page }, testInfo) => {
  const problems: string[] = [];
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('requestfailed', (req) => problems.push(`requestfailed: ${req.url()}`));

  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'GEPA Playground' })).toBeVisible();
  await expect(page.getByText('reflective prompt optimizer')).toBeVisible();
  for (const region of ['settings', 'dataset', 'prompt', 'run', 'tree']) {
    await expect(page.getByTestId(`region-${region}`)).toBeVisible();
  }
  await expect(page.getByRole('heading', { level: 2 })).toHaveText([
    'Start here', 'Endpoints', 'Dataset', 'Program and metric', 'Run', 'Candidate tree',
  ]);

  await page.screenshot({ path: testInfo.outputPath('app-home.png'), fullPage: true });
  await testInfo.attach('app-home', { path: testInfo.outputPath('app-home.png'), contentType: 'image/png' });
  expect(problems).toEqual([]);
});
