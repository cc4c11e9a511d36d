import jsQR from 'jsqr';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';

/** Headless Chromium as a test needs it: no sandbox (root in a container), no GPU, nothing phoning home. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserSession {
  context: BrowserContext;
  /** The first tab. */
  page: Page;
  /** Every URL the browser requested, in order (data: URLs are not requests). */
  requests: string[];
  /** Uncaught errors thrown by the pages' scripts. */
  pageErrors: string[];
  /** Closes the browser and deletes its profile. */
  close(): Promise<void>;
}

/**
 * Launches the Chromium that global setup ensured (DROPS_TEST_CHROMIUM_PATH), headless, on a new
 * empty profile; `viewport` in CSS pixels (default a 360 px wide phone).
 */
export async function openBrowser(o: { viewport?: { width: number; height: number } } = {}): Promise<BrowserSession> {
  const executablePath = process.env.DROPS_TEST_CHROMIUM_PATH;
  if (!executablePath) throw new Error('DROPS_TEST_CHROMIUM_PATH is not set: run the tests with jest (globalSetup ensures Chromium)');
  const profile = await mkdtemp(join(tmpdir(), 'drops-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: o.viewport ?? { width: 360, height: 780 },
      deviceScaleFactor: 1,
      locale: 'en-US',
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  const requests: string[] = [];
  const pageErrors: string[] = [];
  context.on('request', (r) => void requests.push(r.url()));
  context.on('weberror', (e) => void pageErrors.push(String(e.error())));
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    requests,
    pageErrors,
    close: async () => {
      try {
        await context.close();
      } finally {
        await rm(profile, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Runs in a blank tab: draws a PNG (base64) on a canvas and answers its RGBA pixels (base64) and
 * size. A blank tab, so no page's Content-Security-Policy or script can get in the way.
 */
const PNG_TO_RGBA = `async (png) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + png;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const g = canvas.getContext('2d');
  g.drawImage(img, 0, 0);
  const pixels = g.getImageData(0, 0, canvas.width, canvas.height).data;
  let binary = '';
  for (let i = 0; i < pixels.length; i += 0x8000) binary += String.fromCharCode.apply(null, pixels.subarray(i, i + 0x8000));
  return { width: canvas.width, height: canvas.height, rgba: btoa(binary) };
}`;

/** Decodes a PNG into RGBA pixels with the browser's own decoder (no PNG package in Node). */
export async function pngToRgba(context: BrowserContext, png: Buffer): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  const tab = await context.newPage();
  try {
    const r = (await tab.evaluate(`(${PNG_TO_RGBA})(${JSON.stringify(png.toString('base64'))})`)) as { width: number; height: number; rgba: string };
    return { width: r.width, height: r.height, data: new Uint8ClampedArray(Buffer.from(r.rgba, 'base64')) };
  } finally {
    await tab.close();
  }
}

/**
 * Screenshots `element` as the browser shows it and reads the QR code in the picture (jsQR), as a
 * phone camera would. Throws when no QR code can be read.
 */
export async function readQrCode(element: Locator): Promise<string> {
  const shot = await element.screenshot();
  const { width, height, data } = await pngToRgba(element.page().context(), shot);
  const qr = jsQR(data, width, height);
  if (!qr) throw new Error(`no QR code readable in the ${width}x${height} screenshot of ${String(element)}`);
  return qr.data;
}
