// The pipelined-iterations benchmark in the browser (not a test): the page runs the simulated
// world of ../shared/tools/sim_world_server.py (started here, used by path) with the same setup
// as bench/pipeline.sh (20 train / 20 validation items, minibatch 3, exact match, seed prompt
// "Answer the question.", user message {{input}}, budget 200, stop at validation 1.0), and
// prints how long the page took from Start to "Reached the target score".
// Usage (from tests/e2e, after `./dev build`):
//   node bench/pipeline.mjs [CONCURRENCY] [IN_FLIGHT (blank: from the concurrency)] [SEED] [LATENCY_S]
//   (SAVE_RUN=FILE also keeps the page's run file there)
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFileSync, writeFileSync } from 'node:fs';

const [concurrency = '16', inFlight = '', seed = '0', latency = '0.3'] = process.argv.slice(2);
const shared = process.env.GEPA_SHARED_TOOLS ?? fileURLToPath(new URL('../../../../shared/tools', import.meta.url));
const worldPort = 47980;
const pagePort = 47981;
const children = [
  spawn('python3', [`${shared}/sim_world_server.py`, String(worldPort), latency], { stdio: 'inherit' }),
  spawn('node', ['serve.mjs', '../../dist', String(pagePort)], { stdio: 'ignore' }),
];
const stop = () => children.forEach((c) => c.kill());
process.on('exit', stop);
await new Promise((r) => setTimeout(r, 800));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`http://127.0.0.1:${pagePort}/`);
  const rows = ['input,expected'];
  for (let i = 0; i < 40; i++) rows.push(`item-${i},ans-${i}`);
  await page.locator('#data-text').fill(rows.join('\n'));
  await page.locator('#data-text').dispatchEvent('change');
  for (const [id, n] of [['split-train', '20'], ['split-val', '20'], ['split-test', '0']]) {
    await page.locator(`#${id}`).fill(n);
    await page.locator(`#${id}`).dispatchEvent('change');
  }
  await page.locator('#seed-instruction').fill('Answer the question.');
  await page.locator('#user-template').fill('{{input}}');
  await page.locator('#metric-kind').selectOption('exact');
  await page.locator('#task-preset').selectOption({ label: 'llama.cpp server' });
  await page.locator('#task-base-url').fill(`http://127.0.0.1:${worldPort}/v1`);
  await page.locator('#task-model').fill('sim');
  const option = async (id, value) => {
    await page.locator(`#${id}`).fill(value);
    await page.locator(`#${id}`).dispatchEvent('change');
  };
  await option('budget', '200');
  await page.locator('details.advanced summary').click();
  await option('opt-minibatch', '3');
  await option('opt-seed', seed);
  await option('opt-concurrency', concurrency);
  await option('opt-threshold', '1');
  if (inFlight) await option('opt-in-flight', inFlight);
  const problems = page.getByTestId('setup-problems');
  if (await problems.count()) throw new Error(`setup problems: ${await problems.innerText()}`);
  const start = Date.now();
  await page.getByTestId('start').click();
  await page.getByTestId('run-status').filter({ hasText: /Reached the target score|Rollout budget|Nothing left/ }).waitFor({ timeout: 300_000 });
  const wall = (Date.now() - start) / 1000;
  const status = await page.getByTestId('run-status').innerText();
  const best = await page.getByTestId('best-score').innerText();
  const rollouts = await page.getByTestId('rollouts').innerText();
  const stats = await (await fetch(`http://127.0.0.1:${worldPort}/`)).json();
  // What the run itself sampled, from its run file: its first minibatches (a seed that did not
  // reach the run would show as the same minibatches for every seed).
  const download = page.waitForEvent('download');
  await page.getByTestId('download-run').click();
  const text = readFileSync(await (await download).path(), 'utf8');
  if (process.env.SAVE_RUN) writeFileSync(process.env.SAVE_RUN, text);
  const run = JSON.parse(text);
  const minibatches = run.events.filter((e) => e.event === 'minibatch_sampled').slice(0, 3).map((e) => e.examples.join(' '));
  console.log(JSON.stringify({ bench: 'pipeline_browser', concurrency: +concurrency, in_flight: inFlight || 'auto', seed: +seed, first_minibatches: minibatches, wall_s: +wall.toFixed(2), status, best, rollouts, calls: stats.task + stats.reflect, peak: stats.in_flight_max }));
} finally {
  await browser.close();
  stop();
}
