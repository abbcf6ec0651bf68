import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** A self-contained page opened in Chromium, with every request it made and every error it raised. */
export interface OfflinePage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Every request the page made (the file itself included). */
  readonly requested: string[];
  /** Requests that were not the page file: refused, and there must be none. */
  readonly blocked: string[];
  readonly consoleErrors: string[];
  readonly pageErrors: string[];
}

/**
 * Opens `file` as file:// in a new context and waits for its charts: any request that is not the page file itself is
 * refused and recorded, so a page that needs the network shows up in `blocked`.
 */
export async function openOfflinePage(browser: Browser, file: string): Promise<OfflinePage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const requested: string[] = [];
  const blocked: string[] = [];
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('request', (request) => requested.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('html[data-charts-drawn]', { timeout: 15_000 });
  return { context, page, requested, blocked, consoleErrors, pageErrors };
}
