/* The cost of vae_train's one collective per step alone: an in-place MPI_Allreduce (sum) of the
 * default model's flat gradient, 373,321 floats (1.49 MB), 300 times after a barrier each; the
 * first 20 are left out as warm-up, and the median, 10th and 90th percentiles printed (docs/SCALING.md).
 *   mpicc -O2 tools/mpi_allreduce_bench.c -o /tmp/mpi_allreduce_bench
 *   mpirun -np 2 /tmp/mpi_allreduce_bench
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

enum { kFloats = 373321, kRuns = 300, kWarmup = 20 };

static int by_value(const void* a, const void* b) {
    const double x = *(const double*)a, y = *(const double*)b;
    return (x > y) - (x < y);
}

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    float* gradient = calloc(kFloats, sizeof(float));
    static double seconds[kRuns];
    for (int i = 0; i < kRuns; ++i) {
        MPI_Barrier(MPI_COMM_WORLD);
        const double start = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, gradient, kFloats, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        seconds[i] = MPI_Wtime() - start;
    }
    const int timed = kRuns - kWarmup;
    qsort(seconds + kWarmup, timed, sizeof(double), by_value);
    if (rank == 0) {
        printf("allreduce of %d floats over %d processes: median %.1f us, p10 %.1f us, p90 %.1f us\n",
               kFloats, size, seconds[kWarmup + timed / 2] * 1e6,
               seconds[kWarmup + timed / 10] * 1e6, seconds[kWarmup + timed * 9 / 10] * 1e6);
    }
    free(gradient);
    MPI_Finalize();
    return 0;
}
