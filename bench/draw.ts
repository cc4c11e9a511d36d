export async function runDrawBench(_args: string[]): Promise<number> {
  return 2;
}
