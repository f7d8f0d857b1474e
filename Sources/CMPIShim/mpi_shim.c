// Open MPI through dlopen/dlsym (see mpi_shim.h). Handles are opaque pointers: in Open MPI's ABI, MPI_Comm,
// MPI_Datatype and MPI_Op are pointers to the predefined objects, and MPI_IN_PLACE is (void *)1.
#include "mpi_shim.h"
#include <dlfcn.h>
#include <stdio.h>

typedef void *handle;
#define SETA_MPI_IN_PLACE ((void *)1)

static int (*p_init)(int *, char ***);
static int (*p_comm_rank)(handle, int *);
static int (*p_comm_size)(handle, int *);
static int (*p_allreduce)(const void *, void *, int, handle, handle, handle);
static int (*p_allgather)(const void *, int, handle, void *, int, handle, handle);
static int (*p_allgatherv)(const void *, int, handle, void *, const int *, const int *, handle, handle);
static int (*p_barrier)(handle);
static int (*p_abort)(handle, int);
static int (*p_finalize)(void);
static handle comm_world, type_float, type_double, type_int, type_byte, op_sum;

#define RESOLVE(var, name) \
    do { \
        *(void **)(&var) = dlsym(lib, name); \
        if (!var) { snprintf(error, errorLength, "%s has no symbol %s (not Open MPI?)", library, name); return 1; } \
    } while (0)

int seta_mpi_load(const char *library, char *error, int errorLength) {
    void *lib = dlopen(library, RTLD_NOW | RTLD_GLOBAL);
    if (!lib) { snprintf(error, errorLength, "%s", dlerror()); return 1; }
    RESOLVE(p_init, "MPI_Init");
    RESOLVE(p_comm_rank, "MPI_Comm_rank");
    RESOLVE(p_comm_size, "MPI_Comm_size");
    RESOLVE(p_allreduce, "MPI_Allreduce");
    RESOLVE(p_allgather, "MPI_Allgather");
    RESOLVE(p_allgatherv, "MPI_Allgatherv");
    RESOLVE(p_barrier, "MPI_Barrier");
    RESOLVE(p_abort, "MPI_Abort");
    RESOLVE(p_finalize, "MPI_Finalize");
    RESOLVE(comm_world, "ompi_mpi_comm_world");
    RESOLVE(type_float, "ompi_mpi_float");
    RESOLVE(type_double, "ompi_mpi_double");
    RESOLVE(type_int, "ompi_mpi_int");
    RESOLVE(type_byte, "ompi_mpi_byte");
    RESOLVE(op_sum, "ompi_mpi_op_sum");
    return 0;
}

int seta_mpi_init(int *rank, int *size) {
    int rc = p_init(NULL, NULL);
    if (rc) return rc;
    rc = p_comm_rank(comm_world, rank);
    return rc ? rc : p_comm_size(comm_world, size);
}

int seta_mpi_allreduce_sum_float(float *values, int count) {
    return p_allreduce(SETA_MPI_IN_PLACE, values, count, type_float, op_sum, comm_world);
}

int seta_mpi_allreduce_sum_double(double *values, int count) {
    return p_allreduce(SETA_MPI_IN_PLACE, values, count, type_double, op_sum, comm_world);
}

int seta_mpi_allgather_int(int count, int *counts) {
    return p_allgather(&count, 1, type_int, counts, 1, type_int, comm_world);
}

int seta_mpi_allgatherv_bytes(const void *mine, int count, void *all, const int *counts, const int *displacements) {
    return p_allgatherv(mine, count, type_byte, all, counts, displacements, type_byte, comm_world);
}

int seta_mpi_barrier(void) { return p_barrier(comm_world); }

void seta_mpi_abort(int code) { p_abort(comm_world, code); }

int seta_mpi_finalize(void) { return p_finalize(); }
