/* Unit tests of the C core's pure parts: the SPSC ring, the plan's run order, atom merging. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"

static int failures = 0;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            ++failures;                                                    \
        }                                                                  \
    } while (0)

static void test_ring(void)
{
    sb_ring r;
    CHECK(sb_ring_init(&r, 100) == 0);
    CHECK(sb_ring_write_space(&r) == 128);
    char buf[200];
    for (int round = 0; round < 50; ++round) { /* wraps many times */
        char data[40];
        memset(data, 'a' + round % 26, sizeof(data));
        CHECK(sb_ring_write(&r, data, sizeof(data)) == 0);
        CHECK(sb_ring_read_space(&r) == 40);
        CHECK(sb_ring_read(&r, buf, 40) == 0);
        CHECK(memcmp(buf, data, 40) == 0);
    }
    CHECK(sb_ring_read(&r, buf, 1) == -1);
    CHECK(sb_ring_write(&r, buf, 129) == -1); /* all or nothing */
    CHECK(sb_ring_read_space(&r) == 0);
    CHECK(sb_ring_write_msg(&r, "hello", 5) == 0);
    CHECK(sb_ring_write_msg(&r, "worlds!", 7) == 0);
    CHECK(sb_ring_read_msg(&r, buf, sizeof(buf)) == 5 && !memcmp(buf, "hello", 5));
    CHECK(sb_ring_read_msg(&r, buf, 3) == 7 && !memcmp(buf, "wor", 3)); /* truncated, skipped */
    CHECK(sb_ring_read_msg(&r, buf, sizeof(buf)) == -1);
    sb_ring_free(&r);
}

static void test_order_chain_and_diamond(void)
{
    /* 5 -> 2 -> 9 and 5 -> 7 -> 9: 5 first, 9 last */
    int nodes[] = {2, 5, 7, 9};
    sb_edge edges[] = {{2, 1, 9, 0}, {5, 1, 2, 0}, {7, 1, 9, 0}, {5, 1, 7, 0}};
    int order[4];
    CHECK(sb_plan_order(4, nodes, 4, edges, order) == 0);
    CHECK(order[0] == 5 && order[1] == 2 && order[2] == 7 && order[3] == 9);
    /* no edges: by number */
    CHECK(sb_plan_order(4, nodes, 0, edges, order) == 0);
    CHECK(order[0] == 2 && order[3] == 9);
}

static void test_order_cycle_and_unknown(void)
{
    int nodes[] = {1, 2, 3};
    sb_edge edges[] = {{1, 0, 2, 0}, {2, 0, 1, 0}, {2, 0, 3, 0}, {42, 0, 1, 0}, {3, 0, 3, 0}};
    int order[3];
    CHECK(sb_plan_order(3, nodes, 5, edges, order) == 0);
    CHECK(order[0] == 1 && order[1] == 2 && order[2] == 3); /* every node once */
}

static void test_crash_record_names_the_running_plugin(void)
{
    char path[] = "/tmp/stompbox-crash-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    pid_t child = fork();
    if (child == 0) { /* a fake engine running a fake plugin, then a segfault */
        static sb_engine e;
        static sb_instance inst;
        snprintf(inst.uri, sizeof(inst.uri), "urn:test:crasher");
        atomic_store(&e.running, &inst);
        sb_crash_record(&e, fd);
        raise(SIGSEGV);
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
    char buf[64] = {0};
    CHECK(pread(fd, buf, sizeof(buf) - 1, 0) > 0);
    CHECK(!strcmp(buf, "urn:test:crasher\n"));
    close(fd);
    unlink(path);
}

#define URID_SEQ 7
#define URID_MIDI 9

static sb_port atom_port(uint32_t size)
{
    sb_port p = {0};
    p.type = SB_PORT_ATOM;
    p.buf_size = size;
    p.buf = calloc(1, size);
    LV2_Atom_Sequence *seq = p.buf;
    seq->atom.type = URID_SEQ;
    seq->atom.size = sizeof(LV2_Atom_Sequence_Body);
    return p;
}

static void add_note(sb_port *p, int64_t frame, uint8_t note)
{
    struct {
        LV2_Atom atom;
        uint8_t msg[3];
    } ev = {{3, URID_MIDI}, {0x90, note, 100}};
    CHECK(sb_seq_append(p, frame, &ev.atom) == 0);
}

static void test_merge_orders_by_frame(void)
{
    static sb_engine e;
    e.urid_sequence = URID_SEQ;
    e.urid_midi_event = URID_MIDI;
    sb_port a = atom_port(1024), b = atom_port(1024), c = atom_port(4096), dst = atom_port(4096);
    add_note(&a, 0, 1);
    add_note(&a, 10, 3);
    add_note(&a, 30, 6);
    add_note(&b, 5, 2);
    add_note(&b, 10, 4); /* a tie: a's event first */
    add_note(&b, 20, 5);
    ((LV2_Atom_Sequence *)c.buf)->atom.type = 0; /* not a sequence this cycle: ignored */
    const void *srcs[] = {a.buf, b.buf, c.buf};
    sb_seq_merge(&e, &dst, srcs, 3, NULL);
    int64_t frames[8];
    uint8_t notes[8];
    int n = 0;
    LV2_ATOM_SEQUENCE_FOREACH((LV2_Atom_Sequence *)dst.buf, ev)
    {
        if (n < 8) {
            frames[n] = ev->time.frames;
            notes[n] = ((const uint8_t *)(ev + 1))[1];
        }
        ++n;
    }
    CHECK(n == 6);
    for (int i = 0; i < 6 && n == 6; ++i) {
        CHECK(notes[i] == i + 1);
        CHECK(i == 0 || frames[i] >= frames[i - 1]);
    }
    /* a full destination takes what fits and stops */
    sb_port small = atom_port(sizeof(LV2_Atom_Sequence) + 2 * 24);
    sb_seq_merge(&e, &small, srcs, 3, NULL);
    CHECK(((LV2_Atom_Sequence *)small.buf)->atom.size == sizeof(LV2_Atom_Sequence_Body) + 2 * 24);
    /* a source claiming more than the destination holds is skipped whole */
    ((LV2_Atom_Sequence *)b.buf)->atom.size = SB_ATOM_CAPACITY;
    sb_port dst2 = atom_port(4096);
    const void *big[] = {b.buf};
    sb_seq_merge(&e, &dst2, big, 1, NULL);
    CHECK(((LV2_Atom_Sequence *)dst2.buf)->atom.size == sizeof(LV2_Atom_Sequence_Body));
    free(a.buf);
    free(b.buf);
    free(c.buf);
    free(dst.buf);
    free(dst2.buf);
    free(small.buf);
}

int main(void)
{
    test_merge_orders_by_frame();
    test_ring();
    test_order_chain_and_diamond();
    test_order_cycle_and_unknown();
    test_crash_record_names_the_running_plugin();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("native: all checks passed\n");
    return 0;
}
