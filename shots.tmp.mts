import { chromium } from 'playwright-core';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const base = 'http://127.0.0.1:8090';
await page.goto(`${base}/login`);
await page.fill('input[type=email]', 'admin@example.com');
await page.fill('input[type=password]', process.env.PW!);
await page.click('button[type=submit]');
await page.waitForTimeout(3000);
console.log('after login', page.url(), (await page.innerText('body')).slice(0,300).replace(/\n+/g,' | '));
console.log(await page.context().cookies());
for (const p of ['/settings/integrations', '/settings/user-sync', '/settings/group-sync', '/settings/employees', '/settings/groups', '/settings/correlation-cases', '/settings/api-keys']) {
  await page.goto(base + p); await page.waitForTimeout(1500);
  await page.screenshot({ path: `/tmp/shots/${p.replace(/\//g, '_') || 'root'}.png`, fullPage: true });
  console.log(p, (await page.innerText('body')).slice(0, 1500).replace(/\n+/g, ' | '));
}
await browser.close();
