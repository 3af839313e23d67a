import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { CHROMIUM, launchConsoleBrowser, signIn } from './chromium.ts';
import type { Harness } from './harness.ts';
import { adminTextProblems } from './admin-text.ts';
import { buildServer } from '../../src/api/server.ts';
import { createAdminUser } from '../../src/auth/admin-users.ts';
import { ensureConsoleBuilt } from '../../web/scripts/ensure-built.ts';

/** The width pairs every admin flow is walked at (desktop and a phone). */
export const WIDTHS = [1280, 390] as const;

export interface ConsoleSession {
  readonly app: FastifyInstance;
  readonly base: string;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Uncaught page errors and console errors seen so far. */
  readonly pageErrors: string[];
  setWidth(width: number): Promise<void>;
  /** A full-page screenshot named `<name>-<width>.png` in the session's folder. */
  screenshot(name: string, width: number): Promise<unknown>;
  /** The page's visible text holds no id, ISO timestamp or internal name (test/helpers/admin-text.ts). */
  assertCleanText(where: string): Promise<void>;
  /** A page's heading is there, the network is quiet and no spinner is left. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The console served for a harness and an admin signed in to it in Chromium, with a fresh
 * screenshot folder: the setup every admin-flow browser test shares.
 */
export async function openConsoleSession(h: Harness, opts: { shots: string; email: string; password: string }): Promise<ConsoleSession> {
  ensureConsoleBuilt({ quiet: true });
  rmSync(opts.shots, { recursive: true, force: true });
  mkdirSync(opts.shots, { recursive: true });
  await createAdminUser(h.ctx.store.db, { tenantId: h.tenantId, email: opts.email, password: opts.password });
  const app = await buildServer(h.ctx);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const pageErrors: string[] = [];
  const { context, page, userDataDir } = await launchConsoleBrowser(pageErrors);
  await signIn(page, base, opts.email, opts.password);
  return {
    app,
    base,
    context,
    page,
    pageErrors,
    setWidth: (width) => page.setViewportSize({ width, height: width === 390 ? 844 : 860 }),
    screenshot: (name, width) => page.screenshot({ path: path.join(opts.shots, `${name}-${width}.png`), fullPage: true }),
    async assertCleanText(where) {
      const text = await page.locator('body').innerText();
      assert.deepEqual(adminTextProblems(text), [], `text an admin reads on ${where}`);
    },
    async settle() {
      await page.locator('h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      await page.locator('.spinner').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {});
    },
    async close() {
      await context.close();
      await app.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export { CHROMIUM };
