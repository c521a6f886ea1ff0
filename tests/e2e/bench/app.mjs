// App benchmarks in headless Chromium (not tests): the tree at 1,000 synthetic nodes.
// Usage (from tests/e2e, after `./dev build`): node bench/app.mjs [nodes ...]
// Prints one JSON line per measurement; BENCHMARKS.md records the numbers.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';

const port = 47899;
const server = spawn('node', ['serve.mjs', '../../dist', String(port)], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 500));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const sizes = process.argv.slice(2).map(Number);
  for (const n of sizes.length ? sizes : [100, 1000]) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 }, reducedMotion: process.env.REDUCED ? 'reduce' : 'no-preference' });
    await page.goto(`http://127.0.0.1:${port}/?bench=tree&n=${n}`);
    const result = page.getByTestId('bench-result');
    await result.filter({ hasText: 'per_node' }).waitFor({ timeout: 120_000 });
    console.log(JSON.stringify({ bench: 'tree', ...JSON.parse(await result.textContent()) }));
    await page.close();
  }
} finally {
  await browser.close();
  server.kill();
}
