/**
 * Text Postgres cannot store, and object keys that JavaScript treats specially. Postgres refuses
 * NUL (U+0000) in text and in jsonb, and a lone UTF-16 surrogate has no UTF-8 form (the driver
 * would silently store U+FFFD instead). `__proto__`, `constructor` and `prototype` keys are
 * dropped or misread by object spreads and zod records, so they are refused, not lost.
 */

/** NUL, a high surrogate not followed by a low one, or a low one not preceded by a high one. */
// eslint-disable-next-line no-control-regex -- matching NUL is this pattern's job
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export interface TextProblem {
  /** Dotted path of the field (array indexes as numbers), e.g. `nodes.0.nodeId`; `` for the whole value. */
  path: string;
  message: string;
}

export function textProblem(s: string): string | undefined {
  if (!UNSTORABLE.test(s)) return undefined;
  return s.includes('\u0000') ? 'contains a NUL character (\\u0000)' : 'contains a lone UTF-16 surrogate (not valid Unicode)';
}

/** A path as a chain to its parent: pushing a child costs O(1), whatever the depth. */
interface PathNode {
  key: string | number;
  parent: PathNode | null;
}

function pathText(node: PathNode | null): string {
  const keys: Array<string | number> = [];
  for (let n = node; n; n = n.parent) keys.push(n.key);
  return keys.reverse().join('.');
}

/**
 * The first unstorable string or reserved key anywhere in a parsed JSON value (or a params /
 * query object), or undefined. Iterative and linear in the value's size (paths are spelled out
 * only for the problem found), so a deeply nested 64 kB body costs no more than a flat one;
 * about a microsecond for a registration body.
 */
export function findTextProblem(value: unknown, root: readonly (string | number)[] = []): TextProblem | undefined {
  let rootNode: PathNode | null = null;
  for (const key of root) rootNode = { key, parent: rootNode };
  const values: unknown[] = [value];
  const paths: Array<PathNode | null> = [rootNode];
  while (values.length > 0) {
    const v = values.pop();
    const path = paths.pop()!;
    if (typeof v === 'string') {
      const message = textProblem(v);
      if (message) return { path: pathText(path), message };
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        values.push(v[i]);
        paths.push({ key: i, parent: path });
      }
    } else if (v !== null && typeof v === 'object') {
      for (const key of Object.keys(v)) {
        const at: PathNode = { key, parent: path };
        if (RESERVED_KEYS.has(key)) return { path: pathText(at), message: `the key ${key} is not allowed` };
        const message = textProblem(key);
        if (message) return { path: pathText(at), message: `key ${message}` };
        values.push((v as Record<string, unknown>)[key]);
        paths.push(at);
      }
    }
  }
  return undefined;
}
