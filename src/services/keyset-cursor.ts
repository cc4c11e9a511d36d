import { invalid } from '../domain/errors';

/**
 * Keyset paging cursors, opaque to clients: the sort key of the last row a page showed, tagged
 * with the list it belongs to (a drops cursor is refused by the audit list). A cursor we did not
 * give out is 400 `invalid_cursor`.
 */
export function encodeCursor(list: string, key: readonly string[]): string {
  return Buffer.from(JSON.stringify([list, ...key])).toString('base64url');
}

export function decodeCursor(list: string, cursor: string, parts: number): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed[0] !== list || parsed.length !== parts + 1 || !parsed.every((p) => typeof p === 'string')) {
    throw invalid('invalid_cursor', 'the cursor is not one this list gave out');
  }
  return parsed.slice(1) as string[];
}

/**
 * Reads a page. A cursor whose values Postgres refuses (SQLSTATE class 22, a data exception: a
 * date that does not exist, a number out of range) is one we never gave out: 400
 * `invalid_cursor`, not a 500. Without a cursor the error is what it is.
 */
export async function readPage<T>(cursor: string | undefined, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (cursor !== undefined && typeof code === 'string' && code.startsWith('22')) throw invalid('invalid_cursor', 'the cursor is not one this list gave out');
    throw err;
  }
}
