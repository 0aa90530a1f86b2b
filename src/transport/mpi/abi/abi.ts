/**
 * What differs between MPI libraries at the binary level, as data: how a handle is passed
 * (a pointer or an int), the predefined handles, the constants, and where the fields of
 * MPI_Status sit. `library.ts` binds the MPI functions with these types; `mpiTransport.ts`
 * uses the values. A new ABI (for instance the MPI-5 standard ABI of `libmpi_abi.so`) is one
 * more file like `openmpi.ts` or `mpich.ts` and one line in `ABIS` below.
 */
import type { LibraryHandle } from 'koffi';
import { mpich } from './mpich.js';
import { openmpi } from './openmpi.js';

/** The predefined handles of one ABI, as numbers (an address for pointer ABIs, an int otherwise). */
export interface PredefinedHandles {
  COMM_WORLD: number;
  COMM_NULL: number;
  REQUEST_NULL: number;
  GROUP_NULL: number;
  ERRORS_RETURN: number;
  BYTE: number;
  /** MPI datatype of each simdeck payload encoding (index = encoding code; 0, objects, is MPI_BYTE). */
  DATATYPES: number[];
  OPS: { SUM: number; PROD: number; MAX: number; MIN: number };
}

/** One MPI application binary interface. */
export interface MpiAbi {
  /** 'openmpi' or 'mpich' (the MPICH ABI is also Intel MPI's, MVAPICH's and Cray MPICH's). */
  readonly id: string;
  /** Human name for messages. */
  readonly title: string;
  /** Shared-library names to try, by versioned soname first. */
  readonly sonames: readonly string[];
  /** Does `MPI_Get_library_version`'s text say this library? */
  matches(version: string): boolean;
  /** koffi type of a handle argument (MPI_Comm, MPI_Datatype, MPI_Request, ...). */
  readonly handleType: 'intptr_t' | 'int';
  /** Bytes of a handle in memory (an MPI_Request or MPI_Comm written by MPI). */
  readonly handleBytes: 4 | 8;
  /** sizeof(MPI_Status) and the byte offsets of its public fields. */
  readonly status: { bytes: number; source: number; tag: number; error: number };
  /** MPI_STATUS_IGNORE as an address. */
  readonly STATUS_IGNORE: number;
  /** MPI_IN_PLACE as an address. */
  readonly IN_PLACE: number;
  readonly ANY_SOURCE: number;
  readonly ANY_TAG: number;
  readonly PROC_NULL: number;
  readonly UNDEFINED: number;
  readonly THREAD_FUNNELED: number;
  /** Attribute keys. */
  readonly KEY_TAG_UB: number;
  readonly KEY_APPNUM: number;
  readonly MAX_ERROR_STRING: number;
  readonly MAX_LIBRARY_VERSION_STRING: number;
  /** The predefined handles, read from the loaded library when they are symbols. */
  handles(lib: LibraryHandle): PredefinedHandles;
  /** The Fortran handle of a C communicator handle (MPI_Comm_c2f), bound in `lib` if it is a function. */
  c2f(lib: LibraryHandle): (comm: number) => number;
}

/** Every ABI simdeck knows, tried in this order when nothing says which MPI to use. */
export const ABIS: readonly MpiAbi[] = [openmpi, mpich];

/** The ABI with this id ('openmpi', 'mpich'), or undefined. */
export function abiById(id: string): MpiAbi | undefined {
  return ABIS.find((a) => a.id === id);
}
