import { test, expect, type Page } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { watchConsole, expectAccessible, snap, startTriage, useScriptedTriageServer } from './helpers';

// Result files written by the real Python gepa 0.1.4 against the simulated world
// (tests/fixtures/gepa-results/make.sh): a chain of four candidates, best #3 (0.8), and one of
// five, best #4 (1.0).
const fixtures = new URL('../../fixtures/gepa-results/', import.meta.url).pathname;
const scriptedBase = useScriptedTriageServer('Classify the support ticket. RULES: reply with one label only.');

const nodes = (page: Page) => page.locator('[data-testid="candidate-tree"] [data-testid^="node-"]');

/** Drops `file` onto the page's body as a user dragging it from the desktop would. */
async function dropFile(page: Page, file: string) {
  const text = fs.readFileSync(file, 'utf8');
  const name = path.basename(file);
  const transfer = await page.evaluateHandle(([text, name]) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], name, { type: 'application/json' }));
    return dt;
  }, [text, name]);
  await page.locator('body').dispatchEvent('dragover', { dataTransfer: transfer });
  await page.locator('body').dispatchEvent('drop', { dataTransfer: transfer });
}

test('a Python gepa result opens read-only: its tree, best, scores and prompts', async ({ page }, testInfo) => {
  const problems = watchConsole(page);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/');
  await page.locator('#open-run-file').setInputFiles(path.join(fixtures, 'sim-world.json'));

  await expect(page.getByTestId('imported-summary')).toContainText('4 candidates on 20 validation examples, best #3 (0.800), 122 metric calls');
  await expect(nodes(page)).toHaveCount(4);
  await expect(page.getByTestId('node-3')).toHaveClass(/best/);
  await expect(page.getByTestId('best-score')).toHaveText('0.800 (+0.600 vs seed)');
  await expect(page.getByTestId('best-prompt')).toHaveText('Answer with the exact answer token.\nRULE 1\nRULE 2\nRULE 3');
  await expect(page.getByTestId('heatmap')).toBeVisible();
  // Nothing of this page's own runs is offered for it: no export, share link or held-out scoring.
  await expect(page.getByTestId('download-run')).toHaveCount(0);
  await expect(page.getByTestId('make-link')).toHaveCount(0);
  await expect(page.getByTestId('evaluate-test')).toHaveCount(0);
  await expect(page.getByTestId('score-chart')).toBeVisible();

  // The inspector shows a candidate's text, its diff against its parent and gepa's scores; it
  // offers no steering (there is no run to steer).
  await page.getByTestId('node-3').click();
  const inspector = page.getByTestId('inspector');
  await expect(inspector.getByTestId('candidate-text')).toHaveText(/RULE 3$/);
  await expect(inspector).toContainText('gepa validation example 0');
  await expect(inspector.getByRole('button', { name: /^Pin/ })).toHaveCount(0);
  await snap(page, testInfo, 'gepa-result-opened');
  await expectAccessible(page, testInfo, 'gepa-result');

  // A second result dropped onto the page replaces the first.
  await dropFile(page, path.join(fixtures, 'sim-world-seed1.json'));
  await expect(page.getByTestId('imported-summary')).toContainText('5 candidates on 20 validation examples, best #4 (1.000)');
  await expect(nodes(page)).toHaveCount(5);
  await expect(page.getByTestId('node-4')).toHaveClass(/best/);
  expect(problems).toEqual([]);
});

test('a JSON file that is neither a run file nor a gepa result says so, and a broken gepa result names its field', async ({ page }) => {
  await page.goto('/');
  await page.locator('#open-run-file').setInputFiles({ name: 'other.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": 1}') });
  await expect(page.getByTestId('save-status')).toContainText('neither a run file of this playground nor a Python gepa result');

  const broken = JSON.parse(fs.readFileSync(path.join(fixtures, 'sim-world.json'), 'utf8'));
  broken.parents[2] = [9];
  await page.locator('#open-run-file').setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(broken)) });
  await expect(page.getByTestId('save-status')).toContainText("'parents'");
  await expect(page.getByTestId('imported')).toHaveCount(0);
});

test('a new run starts from a gepa result\'s best prompts on the user\'s own data', async ({ page }) => {
  const problems = watchConsole(page);
  await startTriage(page, scriptedBase(), '300');
  await page.locator('#open-run-file').setInputFiles(path.join(fixtures, 'sim-world.json'));
  await expect(nodes(page)).toHaveCount(4);

  await page.getByTestId('seed-from-imported').click();
  await expect(page.getByTestId('seeded-note')).toContainText("gepa's best (#3); 3 more of its front");
  await expect(page.locator('#seed-instruction')).toHaveValue('Answer with the exact answer token.\nRULE 1\nRULE 2\nRULE 3');

  await page.getByTestId('step').click();
  await expect(page.getByTestId('run-status')).toContainText(/Paused after iteration \d+ \(Step\)/, { timeout: 30_000 });
  await expect(page.getByTestId('imported')).toHaveCount(0);
  // The seed (gepa's best) and the three other front members, scored on this page's data.
  await expect.poll(async () => nodes(page).count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(4);
  const human = page.locator('[data-testid="candidate-tree"] .human-mark');
  expect(await human.count()).toBeGreaterThanOrEqual(3);
  expect(problems).toEqual([]);
});
