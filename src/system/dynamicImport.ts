/**
 * `import(url)` for simdeck's own imports of modules named at run time (the steering server).
 * In a rank bundle (runtime/rankBundle.ts) this module is replaced by one that calls the bootstrap's
 * import function: a bundle compiled from V8's code cache has lost the loader of its own
 * import() calls on Node 20 (see runtime/rankBoot.ts).
 */

/** Imports the module at `url` (an absolute URL). Asynchronous; rejects as import() does. */
export function dynamicImport(url: string): Promise<unknown> {
  return import(url);
}
