/**
 * The MPICH ABI (libmpich.so.12; shared by Intel MPI, MVAPICH and Cray MPICH, whose
 * libmpi.so.12 is ABI-compatible). Handles are 32-bit ints with fixed values from MPICH's
 * `mpi.h`; MPI_Status is 20 bytes with the count first and MPI_SOURCE at byte 8;
 * MPI_STATUS_IGNORE is the address 1; MPI_Comm_c2f is the identity (a macro, no symbol).
 * Values checked against `mpi.h` of MPICH 4.0.2.
 */
import type { MpiAbi, PredefinedHandles } from './abi.js';

const BYTE = 0x4c00010d;
const UINT8 = 0x4c00013b;

export const mpich: MpiAbi = {
  id: 'mpich',
  title: 'MPICH',
  sonames: ['libmpich.so.12', 'libmpi.so.12', 'libmpich.so'],
  matches: (version) => /MPICH|Intel\(R\) MPI|MVAPICH|CRAY MPICH/i.test(version),
  handleType: 'int',
  handleBytes: 4,
  status: { bytes: 20, source: 8, tag: 12, error: 16 },
  IN_PLACE: -1,
  STATUS_IGNORE: 1,
  ANY_SOURCE: -2,
  ANY_TAG: -1,
  PROC_NULL: -1,
  UNDEFINED: -32766,
  THREAD_FUNNELED: 1,
  KEY_TAG_UB: 0x64400001,
  KEY_APPNUM: 0x6440000d,
  MAX_ERROR_STRING: 512,
  MAX_LIBRARY_VERSION_STRING: 8192,
  handles(): PredefinedHandles {
    return {
      COMM_WORLD: 0x44000000,
      COMM_NULL: 0x04000000,
      REQUEST_NULL: 0x2c000000,
      GROUP_NULL: 0x08000000,
      ERRORS_RETURN: 0x54000001,
      BYTE,
      // 0 object, Int8, Uint8, Uint8Clamped, Int16, Uint16, Int32, Uint32, Float32, Float64, BigInt64, BigUint64, Buffer
      DATATYPES: [BYTE, 0x4c000137, UINT8, UINT8, 0x4c000238, 0x4c00023c, 0x4c000439, 0x4c00043d, 0x4c00040a,
        0x4c00080b, 0x4c00083a, 0x4c00083e, BYTE],
      OPS: { SUM: 0x58000003, PROD: 0x58000004, MAX: 0x58000001, MIN: 0x58000002 },
    };
  },
  c2f() {
    return (comm) => comm;
  },
};
