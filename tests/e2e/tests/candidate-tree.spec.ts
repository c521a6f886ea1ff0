import { test, expect, type Page } from '@playwright/test';
import { watchConsole, fillEndpoint, expectAccessible, snap, useScriptedTriageServer } from './helpers';

// A scripted OpenAI-compatible endpoint (not an LLM): the task model answers every ticket
// correctly once the system prompt mentions RULES, and reflection always proposes such a prompt.
// It pins down the tree, inspector and steering exactly; the real-LLM test below covers the
// same views against SmolLM2.
const scriptedBase = useScriptedTriageServer('Classify the support ticket. RULES: reply with one label only.');

async function setUp(page: Page, base: string, model: string, budget: string) {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/');
  await page.getByTestId('example-support-triage').click();
  for (const [id, n] of [['train', '6'], ['val', '4'], ['test', '4']]) {
    await page.locator(`#split-${id}`).fill(n);
    await page.locator(`#split-${id}`).dispatchEvent('change');
  }
  await fillEndpoint(page, 'task', base, model, '12');
  await page.locator('#use-cache').uncheck();
  await page.locator('#budget').fill(budget);
  await page.locator('#budget').dispatchEvent('change');
}

/** Every run saved in this browser (IndexedDB), as one string. */
async function savedRuns(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const db: IDBDatabase = await new Promise((resolve, reject) => {
      const r = indexedDB.open('gepa-playground-runs');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const read = <T,>(r: IDBRequest<T>) => new Promise<T>((resolve) => { r.onsuccess = () => resolve(r.result); });
    const values = (await read(db.transaction('runs').objectStore('runs').getAll())).map(String);
    db.close();
    return values.join('\n');
  });
}

// Step, and wait for the pause after the next iteration (not the pause already shown).
async function step(page: Page) {
  const status = page.getByTestId('run-status');
  const before = (await status.textContent()) ?? '';
  await page.getByTestId('step').click();
  await expect(status).not.toHaveText(before, { timeout: 30_000 });
  await expect(status).toContainText(/Paused after iteration \d+ \(Step\)/, { timeout: 30_000 });
}

test('scripted model: the tree grows, the inspector shows diff, reflection and decision, and pin and edit steer the run', async ({ page }, testInfo) => {
  const problems = watchConsole(page);
  await setUp(page, scriptedBase(), 'scripted', '200');
  // Step: the seed and one iteration, whose proposal is accepted as #1.
  await step(page);
  const tree = page.getByTestId('candidate-tree');
  await expect(tree.getByTestId('node-0')).toBeVisible();
  await expect(tree.getByTestId('node-1')).toBeVisible();
  await expect(tree.getByTestId('node-1')).toHaveAttribute('aria-label', /validation score 1\.00, best, on the Pareto front/);

  // Selecting #1 shows its text, the diff against its parent, the reflection and the decision.
  await tree.getByTestId('node-1').click();
  const inspector = page.getByTestId('inspector');
  await expect(inspector).toContainText('Candidate #1: a reflection on #0');
  await expect(inspector.getByTestId('diff').first().locator('ins')).toContainText('RULES');
  const reflection = inspector.getByTestId('reflection');
  await expect(reflection.getByTestId('decision')).toContainText('Accepted as #1: minibatch score 0.00 → 3.00');
  await reflection.getByText('Reflection request').click();
  await expect(reflection.getByTestId('reflection-request')).toContainText('Classify the support ticket.');
  await expect(reflection.locator('tbody tr')).toHaveCount(3);

  // Keyboard: focus #0 and press Enter to select it; then pin it as the next parent.
  await tree.getByTestId('node-0').focus();
  await page.keyboard.press('Enter');
  await expect(inspector).toContainText('Candidate #0: the seed');
  await inspector.getByTestId('pin').click();
  await expect(tree.getByTestId('node-0')).toHaveClass(/pinned/);
  // A pin can be taken off (and put back) before it is used.
  await expect(inspector.getByTestId('pin')).toHaveText('Unpin');
  await inspector.getByTestId('pin').click();
  await expect(tree.getByTestId('node-0')).not.toHaveClass(/pinned/);
  await expect(page.getByTestId('event-log')).toContainText('#0 is no longer pinned');
  await inspector.getByTestId('pin').click();
  await expect(tree.getByTestId('node-0')).toHaveClass(/pinned/);
  // A note for #0's next reflection, which the pin makes the very next one.
  await inspector.locator('#steer-note').fill('Tickets about refunds are always billing.');
  await inspector.getByTestId('send-feedback').click();
  await expect(inspector.getByTestId('steer-notes')).toContainText('Tickets about refunds are always billing.');
  await step(page);
  const pinnedLine = page.getByTestId('event-log').getByText(/Iteration \d+: reflecting on #0, as you pinned it\./);
  await expect(pinnedLine).toBeVisible();
  // Two iterations run at once by default: step on until the pinned one has finished too.
  const pinnedIteration = Number((await pinnedLine.textContent())!.match(/Iteration (\d+)/)![1]);
  const pausedAt = async () => Number((await page.getByTestId('run-status').textContent())!.match(/iteration (\d+) \(Step\)/)![1]);
  for (let done = await pausedAt(); done < pinnedIteration; done++) {
    await page.getByTestId('step').click();
    await expect(page.getByTestId('run-status')).toContainText(`Paused after iteration ${done + 1} (Step)`, { timeout: 30_000 });
  }
  await expect(tree.getByTestId('node-0')).not.toHaveClass(/pinned/);
  // The proposals made from #0 include that reflection, whose request carries the note.
  await tree.getByTestId('node-1').click();
  await tree.getByTestId('node-0').click();
  const fromSeed = inspector.getByTestId('proposals-from');
  await fromSeed.locator('summary').first().click();
  // The latest of them (two iterations run at once by default, so an earlier one may also have
  // started from #0) is the pinned one, whose request carries the note.
  const pinned = fromSeed.getByTestId('reflection').last();
  await expect(pinned.getByTestId('reflection-request')).toContainText('Tickets about refunds are always billing.', { useInnerText: false });
  expect(await fromSeed.getByTestId('reflection').count()).toBeGreaterThanOrEqual(2);
  await expect(fromSeed.getByTestId('decision').last()).toContainText('Rejected');
  // The scripted model proposes #1's text again, so it was asked twice more, each time told why.
  await expect(pinned.getByTestId('reflection-retries')).toContainText('Asked again 2 time(s)');
  // Exclude #1 from selection, then return it.
  await tree.getByTestId('node-1').click();
  await inspector.getByTestId('exclude').click();
  await expect(tree.getByTestId('node-1')).toHaveClass(/excluded/);
  await inspector.getByTestId('exclude').click();
  await expect(tree.getByTestId('node-1')).not.toHaveClass(/excluded/);

  // Edit #0 by hand and add it: it is scored on validation and appears as a human-made node.
  await tree.getByTestId('node-0').click();
  await inspector.locator('#edit-system').fill('Classify the support ticket. RULES: one word, the label.');
  await inspector.getByTestId('add-edited').click();
  // Confirmed where it was clicked: a pending node under #0 until its validation pass.
  await expect(tree.getByTestId('pending')).toHaveAttribute('aria-label', /Your candidate, waiting for its validation pass/);
  // It is scored in a flight of its own, committed in order after the iterations already in
  // flight: a step or two.
  for (let i = 0; i < 3 && !(await tree.getByTestId('node-2').count()); i++) await step(page);
  await expect(tree.getByTestId('node-2')).toHaveAttribute('aria-label', /Candidate 2, validation score \d\.\d\d.*made by you/);
  await expect(page.getByTestId('event-log')).toContainText('Your candidate was added as #2');
  await expect(tree.getByTestId('pending')).toHaveCount(0);

  // Rejected proposals can be shown as ghosts; the chart and heatmap cover every candidate.
  await page.locator('#show-ghosts').check();
  await expect(tree.getByTestId('ghost').first()).toBeAttached();
  // A ghost opens its rejected proposal in the inspector, with the way back to its parent.
  await tree.getByTestId('ghost').first().click();
  await expect(inspector.getByTestId('rejected-title')).toContainText(/Rejected proposal from #\d+/);
  await expect(inspector.getByTestId('decision')).toContainText('Rejected');
  await inspector.getByTestId('to-parent').click();
  await expect(inspector).toContainText(/Candidate #\d+:/);
  await expect(page.getByTestId('heatmap').locator('tbody tr')).toHaveCount(3);
  await expect(page.getByTestId('score-chart').locator('circle.chart-dot')).toHaveCount(3);

  // Compare #2 with #1 side by side.
  await tree.getByTestId('node-2').click();
  await page.locator('#compare-with').selectOption('1');
  await expect(page.getByTestId('compare')).toContainText('Changes from #2 to #1');
  await page.getByTestId('region-tree').scrollIntoViewIfNeeded();
  await snap(page, testInfo, 'tree-steered');
  await page.getByTestId('region-tree').screenshot({ path: testInfo.outputPath('tree-region.png') });
  await expectAccessible(page, testInfo, 'tree');

  // Steering is part of the run's record: exclude #1 and pin #2, reload, open the saved run,
  // and the tree shows the same markers (folded from the run's events, not patched by hand).
  await tree.getByTestId('node-1').click();
  await inspector.getByTestId('exclude').click();
  await tree.getByTestId('node-2').click();
  await inspector.getByTestId('pin').click();
  await expect(tree.getByTestId('node-1')).toHaveClass(/excluded/);
  await expect(tree.getByTestId('node-2')).toHaveClass(/pinned/);
  const nodes = await tree.locator('[data-testid^="node-"]').count();
  // Steering is a save point: wait until the saved run holds the pin, then reload.
  await expect.poll(() => savedRuns(page), { timeout: 10_000 }).toContain('"steer":{"kind":"pinned","candidate":2}');
  await page.reload();
  await page.getByTestId('saved-runs').getByTestId('open-run').first().click();
  const reopened = page.getByTestId('candidate-tree');
  await expect(reopened.locator('[data-testid^="node-"]')).toHaveCount(nodes);
  await expect(reopened.getByTestId('node-1')).toHaveClass(/excluded/);
  await expect(reopened.getByTestId('node-2')).toHaveClass(/pinned/);
  await expect(reopened.getByTestId('node-0')).not.toHaveClass(/pinned|excluded/);
  expect(problems).toEqual([]);
});

test('real local LLM: the tree grows during a run and an edited candidate joins it with a validation score', async ({ page }, testInfo) => {
  test.setTimeout(240_000);
  const llmBase = process.env.GEPA_LLM_BASE_URL;
  if (!llmBase) throw new Error('GEPA_LLM_BASE_URL is not set: run through `./dev test`');
  const problems = watchConsole(page);
  await setUp(page, llmBase, process.env.GEPA_LLM_MODEL ?? 'smollm2', '80');
  await step(page);
  const tree = page.getByTestId('candidate-tree');
  await expect(tree.getByTestId('node-0')).toBeVisible();
  const before = await tree.locator('[data-testid^="node-"]').count();
  await tree.getByTestId('node-0').click();
  await page.getByTestId('inspector').locator('#edit-system').fill('Read the support ticket and reply with exactly one word: billing, login, bug or feature.');
  await page.getByTestId('add-edited').click();
  await page.getByTestId('pause').click(); // resume
  const added = tree.getByTestId(`node-${before}`);
  await expect(added).toHaveAttribute('aria-label', /validation score \d\.\d\d.*made by you/, { timeout: 120_000 });
  await added.click();
  await expect(page.getByTestId('inspector').getByTestId('diff').first()).toContainText('exactly one word');
  await expect(page.getByTestId('inspector').getByTestId('diff').first().locator('ins').first()).toBeVisible();
  await snap(page, testInfo, 'tree-real-llm');
  expect(problems).toEqual([]);
});
