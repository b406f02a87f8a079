/* comm/watchdog.h — nothing hangs forever (DESIGN §9).
 *
 * The main thread marks the phases in which it may wait on other ranks or on storage
 * ("grad-allreduce", "scalar-reduce", "broadcast", "eval-reduce", "write-weights", ...). A
 * watchdog thread checks the open phase a few times per timeout; when one has lasted longer than
 * the timeout it prints one line, "PROG: rank R: hang: step N, phase P waited more than S s;
 * aborting", and ends this process with _exit(70). mpirun (or srun --kill-on-bad-exit) then ends
 * the other ranks. The thread makes no MPI call (MPI_THREAD_FUNNELED) and takes no locks the main
 * thread could hold. Marking a phase costs a few atomic stores.
 */
#ifndef DRNN_COMM_WATCHDOG_H
#define DRNN_COMM_WATCHDOG_H

/* Starts the watchdog thread with a timeout in seconds (<= 0: no thread; phases are still
 * accepted). Dies (70) if the thread cannot be created. Call once, from the main thread. */
void comm_watchdog_start(double timeout_s);
/* Stops and joins the thread (no-op when none runs). */
void comm_watchdog_stop(void);

/* Opens phase PHASE (a string that outlives the phase, e.g. a literal) of step STEP (0 outside
 * the step loop), closing the open one if any. */
void comm_phase_begin(long step, const char *phase);
/* Closes the open phase (no-op when none is open). */
void comm_phase_end(void);

#endif
