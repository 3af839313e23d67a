import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openHarness, serveApi } from '../helpers/harness.ts';

describe('a refused OAuth callback in a browser', () => {
  it('lands on the console with the reason, while API clients get the JSON error', async () => {
    const h = await openHarness('sqlite', { employees: 3, seed: 1, enable: false });
    const { app, base } = await serveApi(h);
    try {
      const url = `${base}/api/v1/oauth/callback/bamboohr?code=abc&state=not-a-state-we-issued`;
      const browser = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
      assert.equal(browser.status, 303);
      const location = new URL(browser.headers.get('location')!, base);
      assert.equal(location.pathname, '/settings/integrations');
      assert.match(location.searchParams.get('oauthError')!, /^oauth_/);
      assert.ok(location.searchParams.get('message')!.length > 10);
      const api = await fetch(url, { headers: { accept: 'application/json' } });
      assert.equal(api.status, 400);
      assert.match(((await api.json()) as { error: { code: string } }).error.code, /^oauth_/);
    } finally {
      await app.close();
      await h.close();
    }
  });
});
