/** Jest snapshot serializer replacing 64-hex asset hashes in CDK templates with `[ASSET HASH]`. */
declare const serializer: {
  test(value: unknown): boolean;
  serialize(value: string, config: unknown, indentation: string, depth: number, refs: unknown, printer: (...args: any[]) => string): string;
};
export = serializer;
