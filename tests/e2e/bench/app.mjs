// App benchmarks in headless Chromium (not tests): download size, time to interactive, and the
// tree at 1,000 synthetic nodes.
// Usage (from tests/e2e, after `./dev build`): [DIST=../../dist] node bench/app.mjs [nodes ...]
// Prints one JSON line per measurement; BENCHMARKS.md records the numbers.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const dist = process.env.DIST ?? '../../dist';

// Sizes: what the page downloads before it runs (index.html loads the gepa-playground files and
// the split loader they import), the split chunks (fetched when first called, right after the first
// paint), and the engine worker, which the page starts after its first paint.
const size = (part, test) => {
  for (const ext of ['.wasm', '.js', '.css']) {
    const files = readdirSync(dist).filter((f) => f.endsWith(ext) && test(f));
    if (!files.length) continue;
    const raw = files.reduce((n, f) => n + readFileSync(`${dist}/${f}`).length, 0);
    const gz = files.reduce((n, f) => n + gzipSync(readFileSync(`${dist}/${f}`), { level: 9 }).length, 0);
    console.log(JSON.stringify({ bench: 'size', part, kind: ext, raw_kb: +(raw / 1024).toFixed(1), gzip_kb: +(gz / 1024).toFixed(1) }));
  }
};
const worker = (f) => f.startsWith('gepa-worker') || f === 'engine-worker.js';
const chunk = (f) => /^(split_.*|chunk_\d+)\.wasm$/.test(f);
size('up front', (f) => !worker(f) && !chunk(f));
size('split chunks, after first paint', chunk);
size('worker, after first paint', worker);

const port = 47899;
const server = spawn('node', ['serve.mjs', dist, String(port)], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 500));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  // Time to interactive: navigation start until the example tasks are in the page, clickable
  // (their click handlers are attached when they are inserted), as a MutationObserver sees it
  // (no polling delay); median of 5.
  const tti = [];
  for (let i = 0; i < 5; i++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.addInitScript(() => {
      new MutationObserver((_, observer) => {
        if (document.querySelector('[data-testid="example-support-triage"]')) {
          window.gepaInteractiveAt = performance.now();
          observer.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    });
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.getByTestId('example-support-triage').waitFor();
    tti.push(await page.evaluate(() => window.gepaInteractiveAt));
    await page.close();
  }
  tti.sort((a, b) => a - b);
  console.log(JSON.stringify({ bench: 'time_to_interactive', median_ms: Math.round(tti[2]), runs: tti.map(Math.round) }));
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
