/**
 * The system Chromium, driven by playwright-core (which downloads no browser): for the page's browser test and
 * the README screenshot.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** The environment variable that names the Chromium executable. */
export const CHROMIUM_PATH_ENV = 'CHROMIUM_PATH';
/** Where Debian's and Ubuntu's `chromium` package installs it. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

// Headless, and nothing that calls home: a test that proves the page makes no request must not see the browser's own.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/** The Chromium executable: `$CHROMIUM_PATH`, or the Debian default. */
export function chromiumPath(): string {
  return process.env[CHROMIUM_PATH_ENV] || DEFAULT_CHROMIUM_PATH;
}

/** Launches headless Chromium; fails with what to install when it is missing. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: install it (Debian/Ubuntu: 'apt-get install -y chromium') `
      + `or set ${CHROMIUM_PATH_ENV} to a Chromium or Chrome executable.`);
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, args: ARGS });
}
