/**
 * The Open MPI ABI (libmpi.so.40: Open MPI 3.x, 4.x and 5.x). Handles are pointers: the
 * predefined ones are the addresses of exported variables (`ompi_mpi_comm_world`,
 * `ompi_mpi_double`, `ompi_mpi_op_sum`, ...). MPI_Status is 24 bytes with MPI_SOURCE first.
 * Values checked against `mpi.h` of Open MPI 4.1.4.
 */
import type { LibraryHandle } from 'koffi';
import type { MpiAbi, PredefinedHandles } from './abi.js';

function symbol(lib: LibraryHandle, name: string): number {
  return Number(lib.symbol(name) as bigint);
}

export const openmpi: MpiAbi = {
  id: 'openmpi',
  title: 'Open MPI',
  sonames: ['libmpi.so.40', 'libmpi.so'],
  matches: (version) => /Open MPI/i.test(version),
  handleType: 'intptr_t',
  handleBytes: 8,
  status: { bytes: 24, source: 0, tag: 4, error: 8 },
  IN_PLACE: 1,
  STATUS_IGNORE: 0,
  ANY_SOURCE: -1,
  ANY_TAG: -1,
  PROC_NULL: -2,
  UNDEFINED: -32766,
  THREAD_FUNNELED: 1,
  KEY_TAG_UB: 0,
  KEY_APPNUM: 4,
  MAX_ERROR_STRING: 256,
  MAX_LIBRARY_VERSION_STRING: 256,
  handles(lib: LibraryHandle): PredefinedHandles {
    const s = (name: string) => symbol(lib, name);
    const u8 = s('ompi_mpi_uint8_t');
    return {
      COMM_WORLD: s('ompi_mpi_comm_world'),
      COMM_NULL: s('ompi_mpi_comm_null'),
      REQUEST_NULL: s('ompi_request_null'),
      GROUP_NULL: s('ompi_mpi_group_null'),
      ERRORS_RETURN: s('ompi_mpi_errors_return'),
      BYTE: s('ompi_mpi_byte'),
      // 0 object, Int8, Uint8, Uint8Clamped, Int16, Uint16, Int32, Uint32, Float32, Float64, BigInt64, BigUint64, Buffer
      DATATYPES: [s('ompi_mpi_byte'), s('ompi_mpi_int8_t'), u8, u8, s('ompi_mpi_int16_t'), s('ompi_mpi_uint16_t'),
        s('ompi_mpi_int32_t'), s('ompi_mpi_uint32_t'), s('ompi_mpi_float'), s('ompi_mpi_double'),
        s('ompi_mpi_int64_t'), s('ompi_mpi_uint64_t'), s('ompi_mpi_byte')],
      OPS: { SUM: s('ompi_mpi_op_sum'), PROD: s('ompi_mpi_op_prod'), MAX: s('ompi_mpi_op_max'), MIN: s('ompi_mpi_op_min') },
    };
  },
  c2f(lib: LibraryHandle) {
    const f = lib.func('int MPI_Comm_c2f(intptr_t comm)') as (comm: number) => number;
    return (comm) => f(comm);
  },
};
