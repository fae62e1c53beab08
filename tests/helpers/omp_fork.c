/* A C program after an OpenMP parallel region, that then really forks: the child runs another
 * parallel region. Protocol as tests/helpers/fork_scenarios.py: a JSON "ready" line, then each
 * "fork" line on stdin answers {"outcome": "fine" | "hung" | "failed"}. */
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double work(void) {
    double sum = 0;
#pragma omp parallel for reduction(+ : sum)
    for (int i = 0; i < 1000000; i++) sum += i * 0.5;
    return sum;
}

int main(void) {
    omp_set_num_threads(4);
    volatile double s = work();
    (void)s;
    printf("{\"ready\": true, \"pid\": %d}\n", (int)getpid());
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        if (strncmp(line, "fork", 4) != 0) break;
        pid_t child = fork();
        if (child == 0) {
            volatile double c = work();
            (void)c;
            _exit(0);
        }
        const char *outcome = "hung";
        for (int waited = 0; waited < 800; waited++) {
            int status;
            if (waitpid(child, &status, WNOHANG) == child) {
                outcome = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "fine" : "failed";
                break;
            }
            struct timespec ten_ms = {0, 10 * 1000 * 1000};
            nanosleep(&ten_ms, NULL);
        }
        if (strcmp(outcome, "hung") == 0) {
            kill(child, SIGKILL);
            waitpid(child, NULL, 0);
        }
        printf("{\"outcome\": \"%s\"}\n", outcome);
        fflush(stdout);
    }
    return 0;
}
