/* LV2 worker: requests from run() go through a ring to one non-RT thread, responses come back.
   The thread takes the engine lock only to find work; a slow work() never stalls commands.

   The notifier thread: the process callback may not make a system call, so it cannot wake
   anyone. It sets bits in e->wake_bits (an atomic or); this non-RT thread looks at them every
   each tick and does the waking: sem_post for the worker, a write to the eventfd the control
   side (Python) waits on. The tick is short (2 ms) while reports come and for 100 ms after the
   last one, then doubles up to 40 ms: an idle board costs 25 short C wake-ups per second (on
   a small VM a thread wake-up costs ~20 µs: a 2 ms tick alone would be 1 % of a core). A
   command that expects an answer from the process thread (a commit, patch_set, midi_learn,
   ...) kicks the notifier back to the short tick at once (sb_kick: a sem_post, non-RT). */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"

#define SB_WORKER_RING 65536
#define SB_WORKER_MSG 8192
#define SB_NOTIFY_FAST_NS 2000000L     /* the tick while reports come: < a 128-frame period */
#define SB_NOTIFY_SLOW_NS 40000000L    /* ... backing off to this after SB_NOTIFY_QUIET ticks */
#define SB_NOTIFY_QUIET 50             /* (100 ms) with nothing flagged and no command */
#define SB_OUTPUT_PERIOD_NS 40000000LL /* output-control values (meters, tuners): 25 per s */

int sb_worker_init(sb_engine *e, sb_instance *inst, const LV2_Worker_Interface *iface)
{
    sb_worker *w = &inst->worker;
    w->engine = e;
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
    while (atomic_load(&e->worker_run)) {
        if (sem_wait(&e->work_sem) && errno == EINTR) {
            continue;
        }
        int done;
        do { /* until a pass finds nothing (drain() takes at most 64 requests at a time) */
            done = 0;
            int from = 0;
            sb_instance *inst;
            while ((inst = next_busy(e, &from)) != NULL) { /* work runs without the lock */
                pthread_mutex_lock(&inst->worker.lock);
                done += drain(&inst->worker);
                pthread_mutex_unlock(&inst->worker.lock);
                atomic_store(&inst->worker.busy, 0);
            }
        } while (done && atomic_load(&e->worker_run));
    }
    return NULL;
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void tell(sb_engine *e)
{
    uint64_t one = 1;
    if (e->wake_fd >= 0 && write(e->wake_fd, &one, sizeof(one)) < 0) {
        /* EAGAIN: the counter is full, the control side has plenty to read already */
    }
}

static void *notify_main(void *arg)
{
    sb_engine *e = arg;
    long long last_output = 0;
    int gone_told = 0;
    long tick = SB_NOTIFY_FAST_NS;
    int quiet = 0;
    while (atomic_load(&e->notify_run)) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += tick;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        int kicked = sem_clockwait(&e->notify_sem, CLOCK_MONOTONIC, &until) == 0;
        uint32_t bits = atomic_load_explicit(&e->wake_bits, memory_order_acquire);
        int gone = atomic_load(&e->shut_down) && !gone_told;
        if (bits || kicked) {
            tick = SB_NOTIFY_FAST_NS;
            quiet = 0;
            atomic_store_explicit(&e->notify_slow, 0, memory_order_relaxed);
        } else if (++quiet >= SB_NOTIFY_QUIET && tick < SB_NOTIFY_SLOW_NS) {
            tick = tick * 2 < SB_NOTIFY_SLOW_NS ? tick * 2 : SB_NOTIFY_SLOW_NS;
            atomic_store_explicit(&e->notify_slow, 1, memory_order_relaxed);
        }
        if (!bits && !gone) {
            continue;
        }
        if (bits & (SB_WAKE_NOW | SB_WAKE_WORK)) {
            bits = atomic_fetch_and(&e->wake_bits, ~(SB_WAKE_NOW | SB_WAKE_WORK));
        }
        if (bits & SB_WAKE_WORK) {
            sem_post(&e->work_sem);
        }
        long long now = now_ns();
        int due = gone || (bits & SB_WAKE_NOW);
        if (!due && (bits & SB_WAKE_OUTPUT) && now - last_output >= SB_OUTPUT_PERIOD_NS) {
            due = 1;
        }
        if (due) { /* the control side reads every ring, output values included */
            atomic_fetch_and(&e->wake_bits, ~SB_WAKE_OUTPUT);
            last_output = now;
            gone_told = gone_told || gone;
            tell(e);
        }
    }
    return NULL;
}

/* Non-RT: back to the short tick, because the process thread is about to answer something. */
void sb_kick(sb_engine *e)
{
    if (atomic_exchange_explicit(&e->notify_slow, 0, memory_order_relaxed)) {
        sem_post(&e->notify_sem);
    }
}

int sb_worker_start(sb_engine *e)
{
    atomic_store(&e->worker_run, 1);
    if (pthread_create(&e->worker_thread, NULL, worker_main, e)) {
        atomic_store(&e->worker_run, 0);
        return -1;
    }
    atomic_store(&e->notify_run, 1);
    if (pthread_create(&e->notify_thread, NULL, notify_main, e)) {
        atomic_store(&e->notify_run, 0);
        return -1;
    }
    return 0;
}

void sb_worker_stop(sb_engine *e)
{
    if (atomic_exchange(&e->notify_run, 0)) {
        sem_post(&e->notify_sem);
        pthread_join(e->notify_thread, NULL);
    }
    if (atomic_exchange(&e->worker_run, 0)) {
        sem_post(&e->work_sem);
        pthread_join(e->worker_thread, NULL);
    }
}

/* The eventfd the notifier writes when there is something to read (or the server went). */
int sb_wake_fd(sb_engine *e)
{
    return e->wake_fd;
}
