// The browser tests run against the edge `make up` starts (scripts/browser-test.sh starts it),
// in Debian's Chromium: Playwright's own browser download never runs on these machines.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: './specs',
  outputDir: '../../target/browser/results',
  // One at a time: the tests share one running system, and the dead-letter test holds a
  // consumer partition while it retries.
  workers: 1,
  fullyParallel: false,
  timeout: 120_000,
  expect: { timeout: 30_000 },
  reporter: [['list']],
  use: {
    baseURL: process.env.EDGE_URL || 'http://127.0.0.1:8000',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    viewport: { width: 1280, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      // No sandbox (these machines run the tests as root); no background traffic to Google's
      // hosts, which this machine's closed network refuses.
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
});
