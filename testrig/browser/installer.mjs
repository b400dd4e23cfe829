// The installer's first visit, in Debian's headless Chromium driven by
// Playwright (playwright-core, no browser download). Started by
// browser_test.go, which boots the box and checks the box's side of every
// step: after each step this script prints "STEP <name>" and waits for a
// line on stdin ("ok" to go on, anything else stops it).
//
// Environment: OPENIAD_URL, OPENIAD_FIRST (first-boot password),
// OPENIAD_PASSWORD (the new one), OPENIAD_REGISTRAR, OPENIAD_SIP_USER,
// OPENIAD_SIP_PASSWORD, OPENIAD_SYSLOG (a syslog collector, host:port),
// OPENIAD_OUT (screenshots and downloads),
// CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const env = process.env;
const base = env.OPENIAD_URL;
const out = env.OPENIAD_OUT;
const rl = createInterface({ input: process.stdin });
const lines = rl[Symbol.asyncIterator]();

async function step(name) {
  console.log('STEP ' + name);
  const { value, done } = await lines.next();
  if (done || value.trim() !== 'ok') {
    throw new Error('the test stopped after ' + name + ': ' + (value || 'EOF'));
  }
}

function check(cond, what) {
  if (!cond) {
    throw new Error(what);
  }
}

async function text(page, sel) {
  await page.waitForSelector(sel, { timeout: 15000 });
  return (await page.textContent(sel)) || '';
}

async function submit(page, button) {
  await Promise.all([page.waitForLoadState('load'), page.click(button)]);
}

const browser = await chromium.launch({
  executablePath: env.CHROMIUM || '/usr/bin/chromium',
  // As root in a closed network: no sandbox, and none of Chromium's own
  // background connections (they are refused here, many at a time).
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, acceptDownloads: true, locale: 'en-US', viewport: { width: 1200, height: 900 } });
  const page = await ctx.newPage();
  const problems = [];
  // Refusals the script provokes (401 wrong password, 422 weak password
  // and unsigned image) show as failed loads; anything else is a problem.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (401|422)/.test(m.text())) {
      problems.push('console: ' + m.text());
    }
  });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));

  // 1. First login with the per-device password forces a new password.
  await page.goto(base + '/');
  check(page.url().startsWith(base + '/login'), 'not sent to the login page: ' + page.url());
  await page.screenshot({ path: join(out, 'en-login.png'), fullPage: true });
  await page.fill('#user', 'admin');
  await page.fill('#password', 'wrong-' + env.OPENIAD_FIRST);
  await submit(page, '#login-submit');
  check((await text(page, '#login-error')).includes('Wrong user or password'), 'no message for a wrong password');
  await page.fill('#password', env.OPENIAD_FIRST);
  await submit(page, '#login-submit');
  check(page.url() === base + '/password', 'first login did not force a password change: ' + page.url());
  check((await text(page, '#must-change')).length > 0, 'no must-change notice');
  check((await text(page, '#policy')).includes('8 to 128 characters'), 'the policy is not stated');
  await page.screenshot({ path: join(out, 'en-password-first.png'), fullPage: true });
  await page.goto(base + '/system');
  check(page.url() === base + '/password', 'another page opened before the password change');
  await page.fill('#current', env.OPENIAD_FIRST);
  await page.fill('#new', 'admin123');
  await page.fill('#confirm', 'admin123');
  await submit(page, '#password-submit');
  check((await text(page, '.ferr')).includes('contains the user name'), 'weak password not refused next to the field');
  await page.fill('#current', env.OPENIAD_FIRST);
  await page.fill('#new', env.OPENIAD_PASSWORD);
  await page.fill('#confirm', env.OPENIAD_PASSWORD);
  await submit(page, '#password-submit');
  check(page.url().startsWith(base + '/'), 'after the change: ' + page.url());
  await step('password-changed');

  // 2. Quick set-up: a SIP account on port 1 pointing at the Kamailio.
  await page.goto(base + '/setup');
  await page.selectOption('select[name="device.country"]', 'CN');
  await page.fill('input[name="sip.profiles[0].registrars"]', env.OPENIAD_REGISTRAR);
  await page.fill('input[name="sip.profiles[0].domain"]', env.OPENIAD_REGISTRAR);
  await page.check('input[type=checkbox][name="ports[0].sip.enabled"]');
  await page.fill('input[name="ports[0].sip.user"]', env.OPENIAD_SIP_USER);
  await page.fill('input[name="ports[0].sip.password"]', env.OPENIAD_SIP_PASSWORD);
  await submit(page, '#save');
  check((await text(page, '#flash')).includes('Saved'), 'set-up not saved');
  await step('setup-saved');

  // 3. The status page shows the port registered (it refreshes by itself).
  await page.goto(base + '/');
  await page.waitForSelector('#port-1 .reg-registered', { timeout: 30000 });
  // app.js replaces the part every 5 s and marks it.
  await page.waitForSelector('#status[data-refreshed]', { timeout: 12000 });
  check(await page.isVisible('#port-1 .reg-registered'), 'registration gone after a refresh');
  await step('registered');

  // 4. The test-call button rings the phone on port 1.
  await page.goto(base + '/setup');
  await submit(page, '#testcall-1');
  check((await text(page, '#result')).includes('Port 1 is ringing'), 'no ringing message');
  await step('test-call');

  // 5. A backup downloads, and restores after a change.
  await page.goto(base + '/system');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#backup')]);
  const backup = join(out, 'backup.json');
  await download.saveAs(backup);
  await page.goto(base + '/settings/device');
  await page.fill('input[name="device.name"]', 'Changed after the backup');
  await submit(page, '#save');
  await step('changed');
  await page.goto(base + '/system');
  await page.setInputFiles('#restore-file', backup);
  await submit(page, '#restore-submit');
  check((await text(page, '#result')).includes('Configuration restored'), 'restore: ' + await text(page, '#result'));
  await step('restored');

  // 6. An unsigned firmware file is refused with a clear message.
  const image = join(out, 'unsigned.img');
  writeFileSync(image, Buffer.alloc(256 * 1024, 0x5a));
  await page.setInputFiles('#upgrade-file', image);
  await submit(page, '#upgrade-submit');
  check((await text(page, '#result')).includes('Refused, nothing was written'), 'upgrade: ' + await text(page, '#result'));
  await page.screenshot({ path: join(out, 'en-upgrade-refused.png'), fullPage: true });
  await step('upgrade-refused');

  // 7. WAN static, NTP and a syslog collector (started by the Go test):
  // the box's configuration holds them, and the collector receives the
  // box's log.
  await page.goto(base + '/settings/network');
  await page.selectOption('select[name="network.mode"]', 'static');
  await page.fill('input[name="network.address"]', '192.0.2.10/24');
  await page.fill('input[name="network.gateway"]', '192.0.2.1');
  await page.fill('input[name="network.dns"]', '192.0.2.53');
  await submit(page, '#save');
  check((await text(page, '#flash')).includes('Saved'), 'WAN not saved: ' + await page.textContent('main'));
  await page.goto(base + '/settings/time');
  await page.fill('input[name="time.ntpServers"]', 'ntp1.example.net, ntp2.example.net');
  await page.fill('input[name="time.zone"]', 'Europe/Berlin');
  await submit(page, '#save');
  check((await text(page, '#flash')).includes('Saved'), 'time not saved');
  await page.goto(base + '/settings/syslog');
  await page.fill('input[name="syslog.server"]', env.OPENIAD_SYSLOG);
  await page.selectOption('select[name="syslog.protocol"]', 'udp');
  await page.selectOption('select[name="syslog.level"]', 'info');
  await submit(page, '#save');
  check((await text(page, '#flash')).includes('Saved'), 'syslog not saved');
  await step('settings-saved');

  // 8. The live SIP trace shows the REGISTER that a change of the SIP
  // account causes (made in a second tab).
  await page.goto(base + '/diag');
  await page.click('#trace-start');
  await page.waitForSelector('#sip-trace[data-tracing="1"]', { state: 'attached', timeout: 10000 });
  const other = await ctx.newPage();
  await other.goto(base + '/settings/accounts');
  await other.fill('input[name="ports[0].sip.displayName"]', 'Front desk');
  await submit(other, '#save');
  await page.waitForSelector('#sip-trace details.sent summary:has-text("REGISTER sip:")', { timeout: 20000 });
  await page.click('#sip-trace details.sent:first-of-type summary');
  await page.screenshot({ path: join(out, 'en-sip-trace.png'), fullPage: true });
  await page.click('#trace-stop');
  await step('trace-register');

  // 9. A packet capture downloads as a pcap file holding the REGISTER
  // another change causes while it runs.
  await page.goto(base + '/diag');
  await page.fill('#cap-seconds', '4');
  const [capture] = await Promise.all([page.waitForEvent('download'), page.click('#capture-submit')]);
  await other.goto(base + '/settings/accounts');
  await other.fill('input[name="ports[0].sip.displayName"]', 'Front desk 2');
  await submit(other, '#save');
  await capture.saveAs(join(out, 'capture.pcap'));
  check(capture.suggestedFilename().endsWith('.pcap'), 'capture file name ' + capture.suggestedFilename());
  await other.close();
  // The call records download as CSV (the test call made one).
  await page.goto(base + '/calls');
  check((await text(page, '#records')).includes('201'), 'no call record of the test call');
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#calls-csv')]);
  await csv.saveAs(join(out, 'calls.csv'));
  await step('pcap');

  // 10. Every page in both languages, switched with the page's own button.
  const pages = [['status', '/'], ['setup', '/setup'], ['device', '/settings/device'], ['ports', '/settings/ports'],
    ['accounts', '/settings/accounts'], ['sip', '/settings/sip'], ['dialplan', '/settings/dialplan'],
    ['network', '/settings/network'], ['time', '/settings/time'], ['syslog', '/settings/syslog'], ['tr069', '/settings/tr069'],
    ['calls', '/calls'], ['diag', '/diag'], ['log', '/diag/log'], ['system', '/system'], ['users', '/users'], ['password', '/password']];
  for (const lang of ['en', 'zh']) {
    await page.goto(base + '/');
    if (!(await page.isDisabled('#lang-' + lang))) {
      await submit(page, '#lang-' + lang);
    }
    for (const [name, path] of pages) {
      await page.goto(base + path);
      const html = await page.content();
      check(!html.includes('[[missing:'), name + ' in ' + lang + ' has a missing translation');
      check(html.includes(lang === 'zh' ? 'lang="zh-CN"' : 'lang="en"'), name + ' is not in ' + lang);
      await page.screenshot({ path: join(out, lang + '-' + name + '.png'), fullPage: true });
    }
  }
  const anon = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'zh-CN', extraHTTPHeaders: { 'Accept-Language': 'zh-CN' } });
  const login = await anon.newPage();
  await login.goto(base + '/login');
  check((await login.content()).includes('登录'), 'the login page does not follow Accept-Language');
  await login.screenshot({ path: join(out, 'zh-login.png'), fullPage: true });
  check(problems.length === 0, problems.join('\n'));
  await step('done');
} finally {
  await browser.close();
  rl.close();
}
