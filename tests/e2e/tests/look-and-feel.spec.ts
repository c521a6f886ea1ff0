import { test, expect } from '@playwright/test';
import { watchConsole, expectAccessible, snap } from './helpers';

for (const scheme of ['light', 'dark'] as const) {
  test(`the setup page passes axe in ${scheme} mode, with an example task loaded`, async ({ page }, testInfo) => {
    const problems = watchConsole(page);
    await page.emulateMedia({ colorScheme: scheme });
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto('/');
    await page.getByTestId('example-contact-extraction').click();
    await expect(page.getByTestId('message-preview')).toContainText('Extract the contact details');
    await expectAccessible(page, testInfo, `home-${scheme}`);
    await snap(page, testInfo, `home-${scheme}`);
    expect(problems).toEqual([]);
  });
}

test('on a tablet the page stacks into one column without horizontal scrolling', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 820, height: 1180 });
  await page.goto('/');
  await page.getByTestId('example-support-triage').click();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  const left = async (id: string) => (await page.getByTestId(id).boundingBox())!.x;
  expect(await left('region-run')).toBe(await left('region-settings'));
  await snap(page, testInfo, 'tablet');
});

test('the run controls work from the keyboard alone, in a sensible focus order', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('example-support-triage')).toBeVisible(); // the app has mounted
  // The skip link is the first stop and jumps to the run controls.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to the run controls' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#run-bar$/);
  // Every control has an accessible name (axe checks it too); Start says what blocks it.
  await expect(page.getByTestId('start')).toBeDisabled();
  await expect(page.getByTestId('setup-problems')).toContainText('Before you can start');
});
