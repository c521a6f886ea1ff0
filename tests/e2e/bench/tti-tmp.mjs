import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
const servers = [['before (6c29997)', '../../target/dist-base', 47895], ['after', '../../dist', 47896]];
const procs = servers.map(([, dir, port]) => spawn('node', ['serve.mjs', dir, String(port)], { stdio: 'ignore' }));
await new Promise((r) => setTimeout(r, 700));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const all = {};
for (let round = 0; round < 3; round++) for (const [name, , port] of servers) {
  for (let i = 0; i < 5; i++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.getByTestId('example-support-triage').waitFor();
    (all[name] ??= []).push(await page.evaluate(() => performance.now()));
    await page.close();
  }
}
for (const [name, t] of Object.entries(all)) { t.sort((a, b) => a - b); console.log(name, 'median', Math.round(t[Math.floor(t.length / 2)]), t.map(Math.round).join(' ')); }
await browser.close(); procs.forEach((p) => p.kill());
