import { test, expect } from '@playwright/test';
import { watchConsole } from './helpers';

test('the Content-Security-Policy is served, enforced, and the app runs under it', async ({ page }) => {
  await page.addInitScript(() => {
    const w = window as unknown as { violations: string[] };
    w.violations = [];
    document.addEventListener('securitypolicyviolation', (e) => w.violations.push(`${e.violatedDirective}: ${e.blockedURI}`));
  });
  const problems = watchConsole(page);
  await page.goto('/');
  const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(policy).toContain("default-src 'none'");
  expect(policy).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+' 'wasm-unsafe-eval'/);
  expect(policy).not.toContain("'unsafe-inline'");
  expect(policy).not.toContain("'unsafe-eval'");
  expect(policy).toContain("style-src 'self'");
  // The app started (its wasm ran) under the policy, and its views work.
  await page.getByTestId('example-word-problems').click();
  await expect(page.getByTestId('message-preview')).not.toBeEmpty();
  await page.locator('#metric-kind').selectOption('spec');
  // Enforced: an injected inline script does not run, and an inline style attribute is refused.
  const ran = await page.evaluate(async () => {
    const s = document.createElement('script');
    s.textContent = 'window.injected = true';
    document.head.appendChild(s);
    await new Promise((r) => setTimeout(r, 50));
    return (window as unknown as { injected?: boolean }).injected ?? false;
  });
  expect(ran).toBe(false);
  const violations = await page.evaluate(() => (window as unknown as { violations: string[] }).violations);
  expect(violations).toEqual(['script-src-elem: inline']);
  // The refused injection is the only console complaint.
  expect(problems.filter((p) => !p.includes("Content Security Policy") || !p.includes('inline script'))).toEqual([]);
});
