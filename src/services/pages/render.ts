import Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** templates/pages, from this file (src/services/pages) in the source tree and in the image alike. */
const TEMPLATES = join(__dirname, '..', '..', '..', 'templates', 'pages');

/** The entrant pages' templates: one Handlebars instance, each file compiled once on first use. */
const hbs = Handlebars.create();
const compiled = new Map<string, Handlebars.TemplateDelegate>();

function template(name: string): Handlebars.TemplateDelegate {
  let t = compiled.get(name);
  if (!t) {
    // strict: a view model missing a field the template names is a bug, not an empty string.
    t = hbs.compile(readFileSync(join(TEMPLATES, `${name}.hbs`), 'utf8'), { strict: true });
    compiled.set(name, t);
  }
  return t;
}

export type PageName = 'status' | 'pay' | 'claim' | 'verify' | 'not-found' | 'error';

/**
 * A whole page: `templates/pages/<name>.hbs` rendered with `view`, inside `layout.hbs` (which
 * takes `title` and the page's scripts, e.g. `['/assets/countdown.js']`). Handlebars escapes
 * every `{{value}}`: what the entrant typed cannot become markup.
 */
export function renderPage(name: PageName, view: { title: string; scripts?: string[] } & Record<string, unknown>): string {
  const body = template(name)(view);
  return template('layout')({ title: view.title, scripts: view.scripts ?? [], body });
}
