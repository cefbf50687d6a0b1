// Debian's headless Chromium as the release page's tests and `npm run screenshots` launch it
// (docs/site.md): nothing that phones home, no GPU, no sandbox (containers lack user namespaces).
export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
