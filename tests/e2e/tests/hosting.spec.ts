import { test, expect, type Page } from '@playwright/test';
import { watchConsole, fillEndpoint, useScriptedTriageServer } from './helpers';
import { subPathPort, devServePort } from '../playwright.config';

// The page as a static host serves it under a sub-path (`./dev test` builds target/dist-sub with
// PUBLIC_URL=/gepa-playground/), and as `./dev serve` serves it. A scripted OpenAI-compatible
// endpoint (not an LLM) runs the short optimisation the share link needs.
const hosted = `http://127.0.0.1:${subPathPort}/gepa-playground/`;
const scriptedBase = useScriptedTriageServer('Classify the support ticket. RULES: reply with one label only.');

/** Every URL the page asks its own server for. */
function ownRequests(page: Page, origin: string): string[] {
  const seen: string[] = [];
  page.on('request', (r) => { if (r.url().startsWith(origin)) seen.push(r.url()); });
  return seen;
}

test('under a sub-path the page loads everything from that path, with no console errors', async ({ page }) => {
  const problems = watchConsole(page);
  const requests = ownRequests(page, `http://127.0.0.1:${subPathPort}/`);
  await page.goto(hosted);
  await expect(page.getByTestId('example-support-triage')).toBeVisible();
  await page.getByTestId('example-support-triage').click();
  await expect(page.getByTestId('data-preview')).toContainText('Example: Support ticket triage');
  expect(requests.length).toBeGreaterThan(3);
  expect(requests.filter((u) => !u.startsWith(hosted))).toEqual([]);
  expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').count()).toBe(1);
  expect(problems).toEqual([]);
});

test('a share link made on the hosted page opens on the hosted page', async ({ page, browser }) => {
  const problems = watchConsole(page);
  await page.goto(hosted);
  await page.getByTestId('example-support-triage').click();
  await fillEndpoint(page, 'task', scriptedBase(), 'scripted');
  await page.locator('#use-cache').uncheck();
  await page.locator('#budget').fill('30');
  await page.locator('#budget').dispatchEvent('change');
  await page.getByTestId('start').click();
  await expect(page.getByTestId('stop')).toBeDisabled({ timeout: 30_000 });
  const best = (await page.getByTestId('best-prompt').first().textContent())!;
  await page.getByTestId('make-link').click();
  const link = await page.getByTestId('share-link').inputValue();
  expect(link.startsWith(`${hosted}#prompt=v1.`)).toBe(true);

  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  const otherProblems = watchConsole(other);
  await other.goto(link);
  await expect(other.getByTestId('shared-component').first()).toHaveText(best);
  await other.getByTestId('load-shared').click();
  await expect(other.locator('#seed-instruction')).toHaveValue(best);
  expect(other.url()).toBe(hosted);
  await fresh.close();
  expect(otherProblems).toEqual([]);
  expect(problems).toEqual([]);
});

test('the page `./dev serve` serves loads with no console errors (no live-reload script outside the policy)', async ({ page }) => {
  const problems = watchConsole(page);
  const served = `http://127.0.0.1:${devServePort}/`;
  await page.goto(served);
  await expect(page.getByTestId('example-support-triage')).toBeVisible();
  await page.getByTestId('example-support-triage').click();
  await expect(page.getByTestId('data-preview')).toContainText('Example: Support ticket triage');
  expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').count()).toBe(1);
  // Every script the page runs is its own file or the loader the policy names by hash.
  const inline = await page.locator('script:not([src])').count();
  expect(inline).toBeLessThanOrEqual(1);
  expect(problems).toEqual([]);
});
