import { defineConfig } from '@playwright/test';

// The app is served from dist/ (built by `./dev test` with trunk) on a loopback port.
const port = Number(process.env.GEPA_E2E_PORT ?? 47811);
// The same page built for a sub-path (`./dev test` builds it into target/dist-sub), served there as
// a static host would; and the page as `./dev serve` serves it (hosting.spec.ts).
export const subPathPort = port + 1;
export const devServePort = port + 2;

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      // Debian's Chromium; Playwright never downloads a browser here.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
      ],
    },
  },
  webServer: [
    {
      command: `node serve.mjs ../../dist ${port}`,
      url: `http://127.0.0.1:${port}/`,
      reuseExistingServer: false,
      timeout: 20_000,
    },
    {
      command: `node serve.mjs ../../target/dist-sub ${subPathPort} /gepa-playground/`,
      url: `http://127.0.0.1:${subPathPort}/gepa-playground/`,
      reuseExistingServer: false,
      timeout: 20_000,
    },
    {
      // `./dev serve` itself (Trunk's server, its own build directory); it builds first.
      command: `PORT=${devServePort} DIST=target/dist-serve ../../dev serve`,
      url: `http://127.0.0.1:${devServePort}/`,
      reuseExistingServer: false,
      timeout: 600_000,
    },
  ],
});
