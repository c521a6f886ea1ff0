import { expect, type Page, type TestInfo } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

/** Collects console errors and warnings, page errors and failed requests. */
export function watchConsole(page: Page, allowFailed: (url: string) => boolean = () => false): string[] {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('requestfailed', (req) => {
    if (!allowFailed(req.url())) problems.push(`requestfailed: ${req.url()} ${req.failure()?.errorText}`);
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
