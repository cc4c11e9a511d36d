/**
 * Text Postgres cannot store, and object keys that JavaScript treats specially. Postgres refuses
 * NUL (U+0000) in text and in jsonb, and a lone UTF-16 surrogate has no UTF-8 form (the driver
 * would silently store U+FFFD instead). `__proto__`, `constructor` and `prototype` keys are
 * dropped or misread by object spreads and zod records, so they are refused, not lost.
 */

/** NUL, a high surrogate not followed by a low one, or a low one not preceded by a high one. */
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

/**
 * The first unstorable string or reserved key anywhere in a parsed JSON value (or a params /
 * query object), or undefined. Iterative, so a deeply nested body cannot overflow the stack;
 * a few microseconds for a registration body.
 */
export function findTextProblem(value: unknown, root: readonly (string | number)[] = []): TextProblem | undefined {
  const stack: Array<[unknown, readonly (string | number)[]]> = [[value, root]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      const message = textProblem(v);
      if (message) return { path: path.join('.'), message };
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push([v[i], [...path, i]]);
    } else if (v !== null && typeof v === 'object') {
      for (const key of Object.keys(v)) {
        const at = [...path, key];
        if (RESERVED_KEYS.has(key)) return { path: at.join('.'), message: `the key ${key} is not allowed` };
        const message = textProblem(key);
        if (message) return { path: at.join('.'), message: `key ${message}` };
        stack.push([(v as Record<string, unknown>)[key], at]);
      }
    }
  }
  return undefined;
}
