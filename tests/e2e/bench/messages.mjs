// The worker's messages, serde-wasm-bindgen values vs JSON text (not a test): builds the
// messages of the run in RUN_FILE on the page (`?bench=messages`) and times both ways through
// structuredClone and back. Prints one JSON line; BENCHMARKS.md records the numbers.
// Usage (from tests/e2e): FEATURES=bench-messages ../../dev build target/dist-bench, then
//   node bench/messages.mjs [RUN_FILE]   (the page is not in the shipped build)
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const runFile = process.argv[2] ?? '../../crates/gepa-share/tests/fixtures/run-v1.json';
const text = readFileSync(runFile, 'utf8');
const port = 47898;
const server = spawn('node', ['serve.mjs', '../../target/dist-bench', String(port)], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 500));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage();
  await page.addInitScript((t) => { window.gepaBenchRunFile = t; }, text);
  await page.goto(`http://127.0.0.1:${port}/?bench=messages`);
  const result = page.getByTestId('bench-result');
  await result.filter({ hasText: '_ms' }).waitFor({ timeout: 120_000 });
  console.log(JSON.stringify({ bench: 'messages', run_file: runFile, run_file_kb: +(text.length / 1024).toFixed(1), ...JSON.parse(await result.textContent()) }));
} finally {
  await browser.close();
  server.kill();
}
