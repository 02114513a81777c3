/* Crash records: on a fatal signal, append the URI of the plugin that was running (or being
   instantiated) to a file the engine opened, then die as the signal says. The Python side reads
   the file at the next start and isolates a plugin that crashed the engine twice.

   A signal handler cannot be given context, so the one engine that records is a file-scope
   pointer: the only mutable global of the C core, written once before the handlers go in. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"

static sb_engine *volatile g_recording;

static void write_all(int fd, const char *text)
{
    size_t len = strlen(text);
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n <= 0) {
            return;
        }
        text += n;
        len -= (size_t)n;
    }
}

static void on_fatal(int sig)
{
    sb_engine *e = g_recording;
    if (e && e->crash_fd >= 0) {
        sb_instance *inst = atomic_load_explicit(&e->running, memory_order_relaxed);
        const char *uri = inst ? inst->uri : atomic_load_explicit(&e->adding, memory_order_relaxed);
        if (uri) {
            write_all(e->crash_fd, uri);
            write_all(e->crash_fd, "\n");
        }
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Record crashes into `fd` (append mode; the caller keeps it open). */
int sb_crash_record(sb_engine *e, int fd)
{
    e->crash_fd = fd;
    g_recording = e;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_fatal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = (int)SA_RESETHAND;
    int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); ++i) {
        if (sigaction(sigs[i], &sa, NULL)) {
            return -1;
        }
    }
    return 0;
}

void sb_crash_stop(sb_engine *e)
{
    if (g_recording == e) {
        g_recording = NULL;
    }
}
