/* LV2 worker: requests from run() go through a ring to one non-RT thread, responses come back.
   The thread takes the engine lock only to find work; a slow work() never stalls commands. */
#include <stdlib.h>
#include <time.h>

#include "engine.h"

#define SB_WORKER_RING 65536
#define SB_WORKER_MSG 8192
#define SB_WORKER_BUSY_NS 1000000L
#define SB_WORKER_IDLE_NS 50000000L

int sb_worker_init(sb_engine *e, sb_instance *inst, const LV2_Worker_Interface *iface)
{
    (void)e;
    sb_worker *w = &inst->worker;
    w->inst = inst;
    w->iface = iface;
    if (sb_ring_init(&w->requests, SB_WORKER_RING)) {
        return -1;
    }
    if (sb_ring_init(&w->responses, SB_WORKER_RING)) {
        sb_ring_free(&w->requests);
        return -1;
    }
    pthread_mutex_init(&w->lock, NULL);
    atomic_store(&w->busy, 0);
    return 0;
}

void sb_worker_free(sb_worker *w)
{
    if (w->requests.buf) {
        pthread_mutex_destroy(&w->lock);
    }
    sb_ring_free(&w->requests);
    sb_ring_free(&w->responses);
}

static LV2_Worker_Status respond(LV2_Worker_Respond_Handle handle, uint32_t size, const void *data)
{
    sb_worker *w = handle;
    return sb_ring_write_msg(&w->responses, data, size) ? LV2_WORKER_ERR_NO_SPACE
                                                        : LV2_WORKER_SUCCESS;
}

/* RT: hand the worker's responses to the plugin, then end_run. */
void sb_worker_deliver(sb_worker *w)
{
    if (!w->iface) {
        return;
    }
    char msg[SB_WORKER_MSG];
    LV2_Handle h = lilv_instance_get_handle(w->inst->lilv);
    int32_t n;
    while ((n = sb_ring_read_msg(&w->responses, msg, sizeof(msg))) >= 0) {
        if (w->iface->work_response && (uint32_t)n <= sizeof(msg)) {
            w->iface->work_response(h, (uint32_t)n, msg);
        }
    }
    if (w->iface->end_run) {
        w->iface->end_run(h);
    }
}

static int drain(sb_worker *w)
{
    static const int max = 64;
    int done = 0;
    char *msg = NULL;
    int32_t n;
    while (done < max && sb_ring_read_space(&w->requests) > 0) {
        uint32_t size = 0;
        if (sb_ring_peek(&w->requests, &size, sizeof(size))) {
            break;
        }
        msg = realloc(msg, size ? size : 1);
        if (!msg) {
            break;
        }
        n = sb_ring_read_msg(&w->requests, msg, size);
        if (n < 0) {
            break;
        }
        w->iface->work(lilv_instance_get_handle(w->inst->lilv), respond, w, (uint32_t)n, msg);
        ++done;
    }
    free(msg);
    return done;
}

/* The next live instance from number `*from` with requests waiting, marked busy (so that it
   is not freed while its work runs); NULL when none. Takes e->lock only for the look-up. */
static sb_instance *next_busy(sb_engine *e, int *from)
{
    sb_instance *pick = NULL;
    pthread_mutex_lock(&e->lock);
    for (; !pick && e->n_workers > 0 && *from <= e->max_number; ++*from) {
        sb_instance *inst = e->table[*from];
        if (inst && inst->worker.iface && sb_ring_read_space(&inst->worker.requests) > 0) {
            pick = inst;
            atomic_store(&pick->worker.busy, 1);
        }
    }
    pthread_mutex_unlock(&e->lock);
    return pick;
}

static void *worker_main(void *arg)
{
    sb_engine *e = arg;
    long idle = SB_WORKER_BUSY_NS;
    while (atomic_load(&e->worker_run)) {
        int done = 0;
        int from = 0;
        sb_instance *inst;
        while ((inst = next_busy(e, &from)) != NULL) { /* work runs without the engine lock */
            pthread_mutex_lock(&inst->worker.lock);
            done += drain(&inst->worker);
            pthread_mutex_unlock(&inst->worker.lock);
            atomic_store(&inst->worker.busy, 0);
        }
        /* no way for the RT thread to wake us (no syscalls there): poll, 1 ms after work,
           backing off to SB_WORKER_IDLE_NS while there is none */
        idle = done ? SB_WORKER_BUSY_NS : (idle * 2 < SB_WORKER_IDLE_NS ? idle * 2 : SB_WORKER_IDLE_NS);
        struct timespec ts = {0, e->n_workers > 0 ? idle : 2 * SB_WORKER_IDLE_NS};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

int sb_worker_start(sb_engine *e)
{
    atomic_store(&e->worker_run, 1);
    return pthread_create(&e->worker_thread, NULL, worker_main, e);
}

void sb_worker_stop(sb_engine *e)
{
    if (atomic_exchange(&e->worker_run, 0)) {
        pthread_join(e->worker_thread, NULL);
    }
}
