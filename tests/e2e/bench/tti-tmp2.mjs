import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
const port = 47894;
const proc = spawn('node', ['serve.mjs', process.argv[2], String(port)], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 700));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
for (let i = 0; i < 4; i++) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  await page.addInitScript(() => { addEventListener('TrunkApplicationStarted', () => { window.__started = performance.now(); }); });
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.getByTestId('example-support-triage').waitFor();
  const r = await page.evaluate(() => {
    const res = performance.getEntriesByType('resource').filter(e => /\.(wasm|js)$/.test(e.name)).map(e => [e.name.split('/').pop().slice(0, 20), Math.round(e.startTime), Math.round(e.responseEnd)]);
    const nav = performance.getEntriesByType('navigation')[0];
    return { dcl: Math.round(nav.domContentLoadedEventEnd), started: Math.round(window.__started ?? -1), now: Math.round(performance.now()), res };
  });
  console.log(JSON.stringify(r));
  await page.close();
}
await browser.close(); proc.kill();
