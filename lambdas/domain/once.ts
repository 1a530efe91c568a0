/**
 * `make()`'s value, built at the first call and the same value after: for what a module would build
 * at load (schemas, tables) that not every cold start needs.
 */
export function once<T>(make: () => T): () => T {
  let made: { readonly value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}
