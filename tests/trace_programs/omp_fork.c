/* An OpenMP parallel region leaves libgomp's worker threads parked; then the process forks a child
 * that exits at once. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    double sum = 0;
#pragma omp parallel for num_threads(4) reduction(+ : sum)
    for (int i = 0; i < 1000000; i++) sum += i * 0.5;
    pid_t child = fork(); /* FORK */
    if (child == 0) _exit(0);
    int status;
    waitpid(child, &status, 0);
    printf("%d\n", sum > 0);
    return 0;
}
