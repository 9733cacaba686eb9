// Minimal declarations of the two wink packages the WebShop search uses (they ship no types).
declare module 'wink-bm25-text-search' {
  interface BM25Engine {
    defineConfig(config: {
      fldWeights: Record<string, number>;
      bm25Params?: { k1?: number; b?: number; k?: number };
    }): boolean;
    definePrepTasks(tasks: ((input: never) => unknown)[], field?: string): number;
    addDoc(doc: Record<string, string>, id: string | number): number;
    consolidate(fp?: number): boolean;
    search(text: string, limit?: number): [string, number][];
    getTotalDocs(): number;
  }
  function bm25(): BM25Engine;
  export default bm25;
}

declare module 'wink-nlp-utils' {
  const utils: {
    string: { lowerCase(s: string): string; tokenize0(s: string): string[]; stem(word: string): string };
    tokens: { removeWords(tokens: string[], words?: unknown): string[]; stem(tokens: string[]): string[] };
    helper: { words(words: string[]): unknown };
  };
  export default utils;
}
