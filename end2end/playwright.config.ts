import { defineConfig, devices } from '@playwright/test';

// Runs against a server that is already up (scripts/e2e.sh starts one when not given a URL).
// Uses Debian's Chromium: Playwright's own browser downloads cannot be reached from CI.
const baseURL = process.env.DUCATPAY_BASE_URL ?? 'http://127.0.0.1:8080';
const executablePath = process.env.DUCATPAY_CHROMIUM ?? '/usr/bin/chromium';
const launchOptions = {
  executablePath,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};
// The hosted checkout's tests run three times: desktop with JavaScript (the `chromium`
// project, with every other test), without JavaScript, and on a phone-sized screen.
const checkoutTests = /checkout-.*\.spec\.ts/;

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: process.env.CI ? 1 : undefined,
  reporter: [['list'], ['html', { open: 'never' }]],
  use: {
    baseURL,
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: { ...devices['Desktop Chrome'], launchOptions },
    },
    {
      name: 'checkout-nojs',
      testMatch: checkoutTests,
      use: { ...devices['Desktop Chrome'], javaScriptEnabled: false, launchOptions },
    },
    {
      name: 'checkout-mobile',
      testMatch: checkoutTests,
      use: { ...devices['Pixel 7'], launchOptions },
    },
  ],
});
