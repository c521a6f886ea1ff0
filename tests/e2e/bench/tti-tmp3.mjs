import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
const port = 47893;
const proc = spawn('node', ['serve.mjs', process.argv[2], String(port)], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 700));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const rows = [];
for (let i = 0; i < 7; i++) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  await page.addInitScript(() => {
    addEventListener('TrunkApplicationStarted', () => { window.__started = performance.now(); });
    new MutationObserver((_, obs) => {
      if (!window.__gallery && document.querySelector('[data-testid="example-support-triage"]')) { window.__gallery = performance.now(); obs.disconnect(); }
      if (!window.__body && document.querySelector('main')) window.__body = performance.now();
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.getByTestId('example-support-triage').waitFor();
  rows.push(await page.evaluate(() => [Math.round(window.__body), Math.round(window.__started), Math.round(window.__gallery)]));
  await page.close();
}
console.log(process.argv[2], 'main, started, gallery:', rows.map((r) => r.join('/')).join('  '));
await browser.close(); proc.kill();
