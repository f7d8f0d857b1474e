// OpenBLAS's CBLAS interface (Debian: libopenblas-dev puts cblas.h on the pkg-config include path).
#include <cblas.h>
// Threads OpenBLAS may use; Seta runs one threading layer at a time.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
// glibc's allocator tuning (mallopt), used once by the tensor core to keep freed activations warm.
#include <malloc.h>
