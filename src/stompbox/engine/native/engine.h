/* The engine's shared types: ports, instances, plans and the engine itself (one JACK client). */
#ifndef SB_ENGINE_H
#define SB_ENGINE_H

#include <jack/jack.h>
#include <lilv/lilv.h>
#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/options/options.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "ring.h"
#include "transport.h"
#include "urid.h"

#define SB_MAX_INSTANCES 10000
#define SB_MAX_BLOCK 8192      /* frames; every audio/CV buffer holds this many */
#define SB_ATOM_CAPACITY 8192  /* bytes of an atom sequence buffer */
#define SB_BYPASS_RAMP 128     /* samples of the bypass and processing crossfades */
#define SB_CTL_RING 65536      /* bytes: control -> RT */
#define SB_FB_RING 65536       /* bytes: RT -> control */
#define SB_RETIRE_RING 1024    /* bytes: plans the RT thread has let go */
#define SB_MAX_MERGE 32        /* sources merged into one atom input (more are ignored) */

/* error codes, the same numbers mod-host answers */
enum {
    SB_ERR_INSTANCE_INVALID = -1,
    SB_ERR_INSTANCE_EXISTS = -2,
    SB_ERR_INSTANCE_NON_EXISTS = -3,
    SB_ERR_INVALID_URI = -101,
    SB_ERR_INSTANTIATION = -102,
    SB_ERR_PORT_REGISTER = -204,
    SB_ERR_PORT_CONNECTION = -205,
    SB_ERR_MEMORY = -901,
    SB_ERR_INVALID_OPERATION = -902,
};

typedef enum { SB_PORT_CONTROL, SB_PORT_AUDIO, SB_PORT_CV, SB_PORT_ATOM, SB_PORT_OTHER } sb_port_type;

typedef struct {
    sb_port_type type;
    int is_input;
    char *symbol;
    float min, max, def;
    float value;       /* control ports: the plugin reads/writes this (RT owns inputs) */
    float last_sent;   /* control outputs: last value reported (RT) */
    void *buf;         /* audio/CV: float[SB_MAX_BLOCK]; atom: sequence of SB_ATOM_CAPACITY */
    uint32_t buf_size; /* bytes */
    jack_port_t *jack; /* its port on the engine's client, once something outside connects */
    _Atomic int monitored; /* control outputs: report changes (monitor_output) */
} sb_port;

typedef struct sb_instance sb_instance;

typedef struct {
    sb_ring requests;  /* RT -> worker thread */
    sb_ring responses; /* worker thread -> RT */
    const LV2_Worker_Interface *iface;
    sb_instance *inst;
    pthread_mutex_t lock; /* held around work() and the plugin's state calls (not e->lock) */
    _Atomic int busy;     /* the worker thread is using the instance: not freed meanwhile */
} sb_worker;

struct sb_instance {
    int number;
    const LilvPlugin *plugin;
    LilvInstance *lilv;
    uint32_t n_ports;
    sb_port *ports;
    int enabled_port;   /* lv2:enabled designated control input, or -1 */
    uint32_t n_audio_in, n_audio_out;
    uint32_t *audio_in; /* port indices, by order */
    uint32_t *audio_out;
    int bypass;         /* RT: target */
    float bypass_mix;   /* RT: 0 processed .. 1 dry */
    sb_worker worker;   /* iface NULL when the plugin has no worker */
    LV2_Feature worker_feature;
    LV2_Worker_Schedule schedule;
    const LV2_Feature **features;
    _Atomic uint32_t dsp_ns; /* last cycle's run() time */
    int control_in;     /* the atom input patch messages go to, or -1 */
    int suspended;      /* RT: not run (its state is being restored) */
    _Atomic uint32_t suspend_ack; /* RT: sequence number of the last suspend message applied */
    uint32_t suspend_seq;         /* non-RT */
    sb_ring to_plugin;  /* control -> RT: atoms appended to control_in at frame 0 */
    sb_inst_time time;  /* transport.c: the ports that take the transport */
    uint64_t in_plan;   /* RT: gen of the newest plan seen running it (crossfades) */
    uint64_t dead_gen;  /* non-zero once removed: free after plan dead_gen is adopted */
    char uri[512];      /* for the crash record */
    sb_instance *next_dead;
};

/* One input's sources in a plan. */
typedef struct {
    sb_instance *inst;
    uint32_t port;
    uint32_t first_src, n_src; /* into plan->srcs */
    jack_port_t *ext;          /* the engine's JACK port for this input, or NULL */
} sb_input;

typedef struct {
    jack_port_t *jack;
    const float *buf;
    const sb_port *atom; /* an atom output: its MIDI events go to the JACK MIDI port */
} sb_output;

typedef struct {
    sb_instance *inst;
    uint32_t first_input, n_inputs; /* into plan->inputs */
} sb_step;

#define SB_MAX_MONITORS 256 /* per-block meters: a few ports per block */

/* A monitor_audio_levels source: a plugin port's buffer, or the engine's JACK port. */
typedef struct {
    uint32_t index;
    const float *buf;
    jack_port_t *jack;
} sb_meter;

typedef struct {
    int used;
    int number, port;  /* a plugin port, or number -1 */
    jack_port_t *jack; /* the engine's input port `monitor_<index+1>` (outside sources) */
} sb_monitor;

/* An immutable schedule: built off the RT thread, swapped in at a cycle boundary. */
typedef struct {
    uint64_t gen;
    uint32_t n_meters;
    sb_meter meters[SB_MAX_MONITORS];
    uint32_t n_steps, n_inputs, n_srcs, n_outputs;
    sb_step *steps;
    sb_input *inputs;
    const void **srcs; /* source buffers (another instance's output port buffer) */
    sb_output *outputs;
} sb_plan;

typedef struct {
    int src, src_port, dst, dst_port;
} sb_edge;

enum {
    SB_MSG_PARAM = 1,
    SB_MSG_BYPASS,
    SB_MSG_PROCESSING,
    SB_MSG_SUSPEND,
    SB_MSG_MIDI_MAP,     /* inst, port, a channel, b controller, lo..hi */
    SB_MSG_MIDI_LEARN,   /* inst, port, lo..hi */
    SB_MSG_MIDI_UNMAP,   /* inst, port (SB_ALL_PORTS: every mapping of inst) */
    SB_MSG_MIDI_PROGRAM, /* a channel, value on/off */
    SB_MSG_ZERO_PORT,    /* jack: a new outside output, silent until a plan writes it */
};

#define SB_ALL_PORTS 0xFFFFFFFFU
#define SB_BYPASS_PORT 0xFFFFFFFEU /* a MIDI mapping of `:bypass` */
#define SB_MAX_MAPPINGS 1024
#define SB_PITCH_BEND 131 /* mod-host's controller number for pitch bend */

typedef struct {
    uint32_t kind;
    uint32_t port;
    sb_instance *inst;
    float value;
    int32_t a, b;
    float lo, hi;
    jack_port_t *jack;
} sb_ctl_msg;

enum {
    SB_FB_OUTPUT = 1,   /* number, port, value */
    SB_FB_PARAM,        /* number, port, value: a MIDI mapping moved a control */
    SB_FB_MIDI_MAPPED,  /* number, port, a channel, b controller, value, lo, hi */
    SB_FB_PROGRAM,      /* a program, b channel */
    SB_FB_CONTROL,      /* a channel, b controller, value */
    SB_FB_NOTE,         /* a channel, b note, value velocity (0: note off) */
    SB_FB_TRANSPORT = 16, /* a rolling, value bpm, lo bpb */
};

typedef struct {
    uint32_t kind;
    int32_t number;
    uint32_t port;
    float value;
    int32_t a, b;
    float lo, hi;
} sb_fb_msg;

typedef struct {
    sb_instance *inst; /* NULL: free slot */
    uint32_t port;
    int channel, controller;
    float lo, hi;
} sb_mapping;

typedef struct sb_engine {
    jack_client_t *client;
    char client_name[128];
    uint32_t rate;
    uint32_t block;
    LilvWorld *world;
    pthread_mutex_t lock; /* non-RT: table, world, staging, plans */
    sb_instance **table;  /* by number */
    sb_instance *dead;    /* removed, waiting for the RT thread to let go */
    sb_edge *edges;       /* staging for the next plan */
    uint32_t n_edges, cap_edges;
    uint64_t next_gen;
    int max_number;        /* highest number ever added */
    sb_monitor monitors[SB_MAX_MONITORS]; /* staging for the next plan */
    _Atomic uint32_t peaks[SB_MAX_MONITORS]; /* RT: float bits of the peak since last read */
    int n_workers;         /* instances with a worker interface */
    /* RT side */
    _Atomic(sb_plan *) pending;
    sb_plan *current;
    sb_plan *fading;   /* RT: the plan being crossfaded out (its leaving plugins still run) */
    uint32_t fade_pos, fade_len; /* RT: frames into the crossfade, and its length */
    _Atomic uint32_t crossfade;  /* frames of a switch crossfade (0: none) */
    _Atomic uint64_t adopted_gen;
    _Atomic uint64_t cycles; /* RT: process callbacks run */
    sb_ring ctl;
    sb_ring fb;
    sb_ring retire;
    sb_ring logs;
    LV2_URID urid_midi_event, urid_log_trace, urid_log_warning, urid_log_error;
    LV2_URID urid_sequence, urid_chunk, urid_object, urid_patch_set, urid_patch_get;
    LV2_URID urid_patch_property, urid_patch_value, urid_patch_sequence;
    sb_ring patches;            /* RT -> control: int32 number + a patch:Set object atom */
    int processing;         /* RT: target */
    jack_port_t *midi_in;   /* the board's MIDI input: CC mappings, program changes */
    sb_mapping mappings[SB_MAX_MAPPINGS]; /* RT */
    sb_mapping learning;    /* RT: inst non-NULL while a midi_learn waits */
    uint16_t program_channels; /* RT: monitor_midi_program bits */
    float processing_gain;  /* RT: ramp */
    _Atomic int active;
    _Atomic uint32_t xruns;
    _Atomic int shut_down;
    _Atomic uint64_t rt_thread; /* pthread_t of the process thread, for the log feature */
    /* features */
    sb_urids urids;
    LV2_URID_Map map;
    LV2_URID_Unmap unmap;
    LV2_Log_Log log;
    int32_t opt_min_block, opt_max_block, opt_nominal_block, opt_seq_size;
    float opt_rate;
    LV2_Options_Option options[6];
    LV2_Feature map_feature, unmap_feature, log_feature, options_feature;
    LV2_Feature bounded_feature, pow2_feature;
    /* crash records: the plugin being run or instantiated when a fatal signal came */
    _Atomic(sb_instance *) running; /* RT: set around run() */
    _Atomic(const char *) adding;   /* non-RT: set around instantiate */
    int crash_fd;                   /* -1: no record */
    /* the worker thread */
    pthread_t worker_thread;
    _Atomic int worker_run;
    sb_transport transport; /* transport.c */
} sb_engine;

/* crash.c */
int sb_crash_record(sb_engine *e, int fd);
void sb_crash_stop(sb_engine *e);

/* process.c */
int sb_process(jack_nframes_t nframes, void *arg);

/* plan.c */
sb_plan *sb_plan_build(sb_engine *e, uint64_t gen);
void sb_plan_free(sb_plan *p);
int sb_plan_order(int n_nodes, const int *nodes, uint32_t n_edges, const sb_edge *edges, int *order);

/* features.c */
void sb_features_init(sb_engine *e);
const LV2_Feature **sb_features_for(sb_engine *e, sb_instance *inst);

/* engine.c */
int sb_send_ctl(sb_engine *e, uint32_t kind, sb_instance *inst, uint32_t port, float value);

/* midi.c */
void sb_midi_message(sb_engine *e, const sb_ctl_msg *m); /* RT */
void sb_midi_input(sb_engine *e, jack_nframes_t n);       /* RT */
void sb_atom_to_midi(sb_engine *e, const sb_port *port, void *jack_buf); /* RT */

/* patch.c */
void sb_patch_urids(sb_engine *e);
void sb_patch_append(sb_engine *e, sb_instance *inst, sb_port *port); /* RT */
void sb_patch_collect(sb_engine *e, sb_instance *inst);                /* RT */

/* worker.c */
int sb_worker_init(sb_engine *e, sb_instance *inst, const LV2_Worker_Interface *iface);
void sb_worker_free(sb_worker *w);
void sb_worker_deliver(sb_worker *w);           /* RT: responses -> plugin */
int sb_worker_start(sb_engine *e);
void sb_worker_stop(sb_engine *e);

/* atomseq.c */
int sb_seq_append(sb_port *port, int64_t frames, const LV2_Atom *atom); /* RT */
void sb_seq_merge(sb_engine *e, sb_port *port, const void *const *srcs, uint32_t n_src,
                  void *jack_buf); /* RT */

/* transport.c */
void sb_transport_init(sb_engine *e);
void sb_transport_take_master(sb_engine *e);
void sb_transport_find_ports(sb_engine *e, sb_instance *inst);
void sb_transport_cycle(sb_engine *e, jack_nframes_t n);                 /* RT */
void sb_transport_controls(sb_engine *e, sb_instance *inst);             /* RT */
void sb_transport_append(sb_engine *e, sb_instance *inst, sb_port *port); /* RT */

#endif
