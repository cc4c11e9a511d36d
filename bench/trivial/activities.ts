/** The baseline's one activity: does nothing but answer. */
export function createTrivialActivities() {
  return {
    async touch(n: number): Promise<number> {
      return n;
    },
  };
}
