// Open MPI, loaded at run time: the package builds without MPI headers or libraries, and a process that does not
// run under mpirun never loads them. The handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are the addresses of
// global objects in Open MPI's ABI (ompi_mpi_comm_world, ...), resolved with dlsym like the functions.
#ifndef SETA_MPI_SHIM_H
#define SETA_MPI_SHIM_H

/// Loads `library` (e.g. "libmpi.so.40") with RTLD_GLOBAL (Open MPI's plugins need its symbols) and resolves every
/// function and handle used below. 0 on success; otherwise a message in `error`.
int seta_mpi_load(const char *library, char *error, int errorLength);
/// MPI_Init, then MPI_Comm_rank / MPI_Comm_size of MPI_COMM_WORLD. 0 on success (MPI's error code otherwise).
int seta_mpi_init(int *rank, int *size);
/// In-place sums over all ranks (MPI_Allreduce with MPI_IN_PLACE).
int seta_mpi_allreduce_sum_float(float *values, int count);
int seta_mpi_allreduce_sum_double(double *values, int count);
/// Every rank's `count` (one int each) into `counts` (size ints).
int seta_mpi_allgather_int(int count, int *counts);
/// Every rank's bytes, concatenated in rank order into `all` (counts and displacements per rank).
int seta_mpi_allgatherv_bytes(const void *mine, int count, void *all, const int *counts, const int *displacements);
int seta_mpi_barrier(void);
/// Stops every rank of the job (MPI_Abort on MPI_COMM_WORLD).
void seta_mpi_abort(int code);
int seta_mpi_finalize(void);

#endif
