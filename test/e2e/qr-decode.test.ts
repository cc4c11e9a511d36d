import { createServer, type Server } from 'node:http';
import QRCode from 'qrcode';
import { issueClaimCode } from '../../src/domain/claim-code';
import { openBrowser, readQrCode, type BrowserSession } from '../helpers/browser';

/** The QR reader the entrant journey relies on, against a page we serve ourselves. */
describe('reading a QR code from a screenshot', () => {
  let server: Server;
  let baseUrl: string;
  let browser: BrowserSession;
  const code = issueClaimCode('claim_test_secret', { orderId: 'ord_qr_test', nodeId: 'north-locker', expiresAt: Date.parse('2030-01-01T00:00:00Z') });

  beforeAll(async () => {
    const qr = await QRCode.toDataURL(code);
    const page = (body: string) =>
      `<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width, initial-scale=1"><title>QR</title></head><body><h1>Claim</h1>${body}</body></html>`;
    server = createServer((req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      // The claim page's own policy: images from data: URLs only, no script.
      res.setHeader('content-security-policy', "default-src 'none'; img-src data:; style-src 'unsafe-inline'");
      if (req.url === '/claim') res.end(page(`<img data-testid="claim-qr" alt="QR code of your claim code" src="${qr}">`));
      else res.end(page(`<p data-testid="claim-qr">no code here</p>`));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  it('reads back the exact claim code that the qrcode package drew', async () => {
    await browser.page.goto(`${baseUrl}/claim`);
    expect(code).toMatch(/^dc1\./);
    expect(await readQrCode(browser.page.getByTestId('claim-qr'))).toBe(code);
  });

  it('says so when the element holds no QR code', async () => {
    await browser.page.goto(`${baseUrl}/none`);
    await expect(readQrCode(browser.page.getByTestId('claim-qr'))).rejects.toThrow(/no QR code readable/);
  });
});
