import { inflateSync } from 'node:zlib';

/** Small readers for server-rendered pages and their PNGs, for tests without a browser. */

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#x27;': "'", '&#x3D;': '=', '&#x60;': '`', '&#39;': "'" };
export const decodeEntities = (s: string) => s.replace(/&(?:amp|lt|gt|quot|#x27|#x3D|#x60|#39);/g, (e) => ENTITIES[e]!);

/** The start tag of the element with `data-testid=id`, or undefined. */
export function tagOf(html: string, id: string): string | undefined {
  return new RegExp(`<[a-z0-9]+\\b[^>]*\\bdata-testid="${id}"[^>]*>`, 'i').exec(html)?.[0];
}

/** The text content of the (non-nested) element with `data-testid=id`, entities decoded, or undefined. */
export function textOf(html: string, id: string): string | undefined {
  const m = new RegExp(`<([a-z0-9]+)\\b[^>]*\\bdata-testid="${id}"[^>]*>([\\s\\S]*?)</\\1>`, 'i').exec(html);
  return m ? decodeEntities(m[2]!.replace(/<[^>]+>/g, '')).trim() : undefined;
}

/** An attribute of the element with `data-testid=id`, entities decoded. */
export function attrOf(html: string, id: string, attr: string): string | undefined {
  const tag = tagOf(html, id);
  const m = tag && new RegExp(`\\b${attr}="([^"]*)"`).exec(tag);
  return m ? decodeEntities(m[1]!) : undefined;
}

/** Decodes an 8-bit, non-interlaced PNG (grey, RGB or RGBA) to RGBA pixels. */
export function decodePng(png: Buffer): { width: number; height: number; data: Uint8ClampedArray } {
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (pos < png.length) {
    const length = png.readUInt32BE(pos);
    const type = png.toString('ascii', pos + 4, pos + 8);
    const data = png.subarray(pos + 8, pos + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error('only 8-bit non-interlaced PNGs');
      colorType = data[9]!;
    } else if (type === 'IDAT') idat.push(data);
    pos += 12 + length;
  }
  const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : colorType === 0 ? 1 : 0;
  if (!channels) throw new Error(`PNG colour type ${colorType} not supported`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[y * stride + x - channels]! : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter]!;
      pixels[y * stride + x] = (line[x]! + predictor) & 0xff;
    }
  }
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const px = pixels.subarray(i * channels, i * channels + channels);
    rgba[i * 4] = px[0]!;
    rgba[i * 4 + 1] = channels >= 3 ? px[1]! : px[0]!;
    rgba[i * 4 + 2] = channels >= 3 ? px[2]! : px[0]!;
    rgba[i * 4 + 3] = channels === 4 ? px[3]! : 255;
  }
  return { width, height, data: rgba };
}
