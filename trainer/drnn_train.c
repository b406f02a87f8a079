/* drnn-train — data-parallel training of recurrent language models (DESIGN §1, §5, §8). */
#include <stdio.h>
#include <string.h>

#include "comm/comm.h"
#include "base/cpus.h"
#include "model/kernels.h"
#include "io/corpus.h"
#include "kinds/kinds.h"
#include "trainer/train.h"

static void usage(FILE *f) {
    fprintf(f, "usage: drnn-train --data CORPUS.h5 --run-dir DIR [options]\n"
               "       mpirun -n N drnn-train ...   (or srun, or alone as one rank)\n"
               "       drnn-train --selftest        (gradient check + tiny run, one rank)\n\n"
               "options:\n");
    config_usage(f, train_opt_spec, train_opt_count);
    fprintf(f, "\nexit codes: 0 done, 64 usage, 65 bad data, 66 input missing, 70 internal error "
               "or non-finite loss,\n74 write failure, 75 stopped by a signal or --time-limit "
               "after a checkpoint\n");
    fprintf(f, "\nmodel kinds (--model): %s\n", kinds_names());
    kinds_usage(f, KINDS_TRAIN, train_kind_options,
                "model options each kind reads (given to a kind that does not: exit 64):");
}

int main(int argc, char **argv) {
    comm_init(&argc, &argv, "drnn-train");
    train_opts_t o;
    char err[8192];
    config_cli_t cli = {0};
    int rc = config_parse_cli(&o, train_opt_spec, train_opt_count, train_opt_reserved, &cli, argc,
                              argv, err, sizeof err);
    if (rc) comm_fail(rc, "%s", err);
    if (o.help) {
        if (comm_rank() == 0) usage(stdout);
        comm_exit(0);
    }
    if (o.selftest) {
        if (comm_size() != 1) comm_fail(64, "--selftest runs on one rank; start it without mpirun");
        model_set_threads(cpus_threads_for(o.threads, 1));
        comm_exit(selftest_run(1));
    }
    /* A corpus that hangs libhdf5 is damaged data (65) before the watchdog calls it a hang (70);
     * never less than 5 s, so that a tiny --hang-timeout does not make a good corpus "damaged". */
    corpus_set_check_timeout(o.hang_timeout / 2 > 5 ? o.hang_timeout / 2 : 5);
    rc = train_run(&o, &cli);
    config_cli_free(&cli);
    comm_exit(rc);
}
