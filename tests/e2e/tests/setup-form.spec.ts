import { test, expect } from '@playwright/test';
import { watchConsole, fillEndpoint, expectAccessible, scriptedTriageServer } from './helpers';

// A scripted OpenAI-compatible endpoint (not an LLM), which records the max_tokens of every
// request, so the test can tell which model settings a resumed run asks with.

test('the setup survives a reload, and a resumed run asks with its own model settings, not the form\'s', async ({ page }) => {
  const server = await scriptedTriageServer('Classify the support ticket. RULES: reply with one label only.');
  try {
    const problems = watchConsole(page);
    await page.goto('/');
    await page.getByTestId('example-support-triage').click();
    await fillEndpoint(page, 'task', server.base, 'scripted', '60');
    await page.locator('#use-cache').uncheck();
    await page.locator('#seed-instruction').fill('Label the ticket. Typed by hand.');
    await page.locator('#budget').fill('90');
    await page.locator('#budget').dispatchEvent('change');
    await page.locator('#split-test').fill('3');
    await page.locator('#split-test').dispatchEvent('change');

    await page.getByTestId('step').click();
    await expect(page.getByTestId('run-status')).toContainText(/Paused after iteration \d+ \(Step\)/, { timeout: 30_000 });
    await expect(page.getByTestId('save-status')).toContainText(/Saved in this browser at [1-9]\d* rollouts/);
    expect(server.maxTokens.length).toBeGreaterThan(0);
    expect(new Set(server.maxTokens)).toEqual(new Set([60]));

    // Everything typed comes back after a reload: data, prompt, budget, split, model settings.
    await page.reload();
    await expect(page.locator('#seed-instruction')).toHaveValue('Label the ticket. Typed by hand.');
    await expect(page.locator('#budget')).toHaveValue('90');
    await expect(page.locator('#split-test')).toHaveValue('3');
    await expect(page.locator('#data-text')).toHaveValue(/^ticket,label/);
    await expect(page.locator('#task-base-url')).toHaveValue(server.base);

    // The form now caps replies at 4 tokens; the saved run was made with 60 and goes on with 60.
    await page.locator('#task-endpoint summary', { hasText: 'Model parameters' }).click();
    await page.locator('#task-max-tokens').fill('4');
    await page.locator('#seed-instruction').fill('Changed after the reload.');
    const before = server.maxTokens.length;
    await page.getByTestId('saved-runs').getByTestId('resume-run').first().click();
    await expect(page.getByTestId('save-status')).toContainText("Resumed with the run's own models and parameters.");
    // Opening the run put its program and its data (the same split) back into the form.
    await expect(page.locator('#seed-instruction')).toHaveValue('Label the ticket. Typed by hand.');
    await expect(page.locator('#data-text')).toHaveValue(/^ticket,expected\n/);
    await expect(page.locator('#split-test')).toHaveValue('3');
    await expect(page.locator('#budget')).toHaveValue('90');
    await expect.poll(() => server.maxTokens.length, { timeout: 30_000 }).toBeGreaterThan(before);
    expect(new Set(server.maxTokens.slice(before))).toEqual(new Set([60]));
    expect(problems).toEqual([]);
  } finally {
    await server.close();
  }
});

test('a problem shows at its field, and the checklist link takes you there', async ({ page }, testInfo) => {
  const problems = watchConsole(page);
  await page.goto('/');
  await page.getByTestId('example-support-triage').click();
  await page.locator('#user-template').fill('Ticket: {{tiket}}');
  const template = page.locator('#user-template');
  await expect(template).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('user-template-problems')).toContainText('{{tiket}} (did you mean {{ticket}}?)');
  // The task model has no address yet: its form says so, beside it.
  await expect(page.getByTestId('task-problems')).not.toBeEmpty();

  // The checklist under Start links to the field and focuses it.
  await page.locator('#seed-instruction').focus();
  const link = page.getByTestId('setup-problems').getByRole('link', { name: /did you mean \{\{ticket\}\}/ });
  await link.click();
  await expect(template).toBeFocused();

  await template.fill('Ticket: {{ticket}}');
  await expect(template).not.toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('user-template-problems')).toBeEmpty();
  await expectAccessible(page, testInfo, 'field-problems');
  expect(problems).toEqual([]);
});

test('data too large to keep says so, and the rest of the setup still survives a reload', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/');
  await page.locator('#seed-instruction').fill('Kept across the reload.');
  // 2,200 rows of about 1 KB each: over the 2 MB kept in this browser.
  const big = 'question,answer\n' + `${'What is two plus two? '.repeat(46)},four\n`.repeat(2_200);
  // Set as one input event (Playwright's fill types it through the editor, which takes minutes
  // for 2 MB; the page itself handles it in milliseconds).
  await page.locator('#data-text').evaluate((el, text) => {
    (el as HTMLTextAreaElement).value = text;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, big);
  await expect(page.getByTestId('keep-note')).toContainText('is too large to keep in this browser');
  await page.reload();
  await expect(page.locator('#seed-instruction')).toHaveValue('Kept across the reload.');
  await expect(page.locator('#data-text')).toHaveValue('');
  await expect(page.getByTestId('keep-note')).toHaveCount(0);
  expect(problems).toEqual([]);
});
