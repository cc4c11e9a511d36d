export async function runRecordHistories(): Promise<number> {
  throw new Error('not yet');
}
