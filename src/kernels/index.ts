/**
 * simdeck/kernels: call C and Fortran kernels from a deck, with checked arguments, zero-copy
 * typed arrays, Fortran module data as live views, and bindings read from source.
 *
 * @example
 * import { loadKernels } from 'simdeck/kernels';
 * const k = loadKernels('native-examples/heat2d/heat.c');
 * k.heat_step(nx, ny, u, unew, 0.1);
 */
export { loadKernels, type Kernels, type KernelLibrary, type LoadOptions } from './load.js';
export { buildKernels, cacheDirectory, type BuildOptions, type BuildResult } from './build.js';
export { type KernelFunction, isDetached } from './check.js';
export type {
  Declaration, Declarations, KernelDeclaration, ParamContract, Intent, Signature, ParamSpec, ResultSpec,
  VariableSpec, Skipped, Bindings,
} from './declarations.js';
export { describeSignature } from './declarations.js';
export type { ScalarName } from './ctypes.js';
export { FortranArray, mangleFortran, fromFortranString, toFortranString } from './fortran.js';
export { type ModuleData, type ModuleDataHelpers, type VariableInfo } from './moduleData.js';
export { parseCSource, parseCPrototype } from './parseC.js';
export { parseFortranSource, parseFortranSources, parseFortranDeclaration } from './parseFortran.js';
export {
  KernelLoadError, KernelBuildError, KernelSymbolError, KernelDeclarationError, KernelArgumentError, KernelDataError,
  type KernelArgumentProblem,
} from './errors.js';
