import type { Kysely } from 'kysely';
import type { Database } from '../schema';

export async function saveReport(
  db: Kysely<Database>,
  r: { dropId: string; report: unknown; markdown: string; html: string },
): Promise<void> {
  const values = { drop_id: r.dropId, report: JSON.stringify(r.report), markdown: r.markdown, html: r.html };
  await db
    .insertInto('reports')
    .values(values)
    .onConflict((oc) => oc.column('drop_id').doUpdateSet({ report: values.report, markdown: values.markdown, html: values.html }))
    .execute();
}

export async function findReport(db: Kysely<Database>, dropId: string) {
  return db.selectFrom('reports').selectAll().where('drop_id', '=', dropId).executeTakeFirst();
}
