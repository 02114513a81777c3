/* The engine's non-RT API (called from Python through ctypes): JACK client, instances, plans. */
#include <errno.h>
#include <lv2/atom/atom.h>
#include <lv2/midi/midi.h>
#include <lv2/resize-port/resize-port.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"

static void on_shutdown(jack_status_t code, const char *reason, void *arg)
{
    (void)code;
    (void)reason;
    sb_engine *e = arg;
    atomic_store(&e->shut_down, 1);
}

static int on_xrun(void *arg)
{
    sb_engine *e = arg;
    atomic_fetch_add(&e->xruns, 1);
    return 0;
}

static void instance_free(sb_engine *e, sb_instance *inst)
{
    if (inst->lilv) {
        lilv_instance_deactivate(inst->lilv);
        lilv_instance_free(inst->lilv);
    }
    for (uint32_t p = 0; p < inst->n_ports; ++p) {
        if (inst->ports[p].jack && e->client) {
            jack_port_unregister(e->client, inst->ports[p].jack);
        }
        free(inst->ports[p].symbol);
        free(inst->ports[p].buf);
    }
    sb_worker_free(&inst->worker);
    sb_ring_free(&inst->to_plugin);
    free(inst->ports);
    free(inst->audio_in);
    free(inst->audio_out);
    free((void *)inst->features);
    free(inst);
}

/* Free plans the RT thread let go and removed instances no adopted plan uses. Holds e->lock. */
static void collect(sb_engine *e)
{
    sb_plan *old = NULL;
    while (!sb_ring_read(&e->retire, &old, sizeof(old))) {
        sb_plan_free(old);
    }
    uint64_t adopted = atomic_load(&e->adopted_gen);
    sb_instance **link = &e->dead;
    while (*link) {
        sb_instance *inst = *link;
        if (inst->dead_gen && inst->dead_gen <= adopted && !atomic_load(&inst->worker.busy)) {
            *link = inst->next_dead;
            instance_free(e, inst);
        } else {
            link = &inst->next_dead;
        }
    }
}

void sb_engine_free(sb_engine *e);

/* Like mod-host: every physical MIDI capture port feeds the board's MIDI input. */
static void connect_midi_devices(sb_engine *e)
{
    if (!e->midi_in) {
        return;
    }
    const char **ports = jack_get_ports(e->client, NULL, JACK_DEFAULT_MIDI_TYPE,
                                        JackPortIsPhysical | JackPortIsOutput);
    for (int i = 0; ports && ports[i]; ++i) {
        jack_connect(e->client, ports[i], jack_port_name(e->midi_in));
    }
    jack_free(ports);
}

sb_engine *sb_engine_new(const char *server, const char *name)
{
    sb_engine *e = calloc(1, sizeof(sb_engine));
    if (!e) {
        return NULL;
    }
    pthread_mutex_init(&e->lock, NULL);
    sb_urids_init(&e->urids);
    e->table = calloc(SB_MAX_INSTANCES, sizeof(sb_instance *));
    e->processing = 1;
    e->processing_gain = 1.0f;
    e->max_number = -1;
    e->crash_fd = -1;
    if (!e->table || sb_ring_init(&e->ctl, SB_CTL_RING) || sb_ring_init(&e->fb, SB_FB_RING) ||
        sb_ring_init(&e->retire, SB_RETIRE_RING) || sb_ring_init(&e->logs, SB_FB_RING) ||
        sb_ring_init(&e->patches, SB_FB_RING)) {
        sb_engine_free(e);
        return NULL;
    }
    jack_options_t opts = JackNoStartServer;
    if (server && *server) {
        opts |= JackServerName;
    }
    jack_status_t status;
    e->client = jack_client_open(name, opts, &status, server);
    if (!e->client) {
        sb_engine_free(e);
        return NULL;
    }
    snprintf(e->client_name, sizeof(e->client_name), "%s", jack_get_client_name(e->client));
    e->rate = jack_get_sample_rate(e->client);
    e->block = jack_get_buffer_size(e->client);
    atomic_store(&e->crossfade, e->rate / 100); /* 10 ms */
    e->urid_sequence = sb_urid_map(&e->urids, LV2_ATOM__Sequence);
    e->urid_chunk = sb_urid_map(&e->urids, LV2_ATOM__Chunk);
    e->urid_midi_event = sb_urid_map(&e->urids, LV2_MIDI__MidiEvent);
    e->midi_in = jack_port_register(e->client, "midi_in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    sb_features_init(e);
    sb_patch_urids(e);
    sb_transport_init(e);
    e->world = lilv_world_new();
    lilv_world_load_all(e->world);
    jack_set_process_callback(e->client, sb_process, e);
    jack_set_xrun_callback(e->client, on_xrun, e);
    jack_on_info_shutdown(e->client, on_shutdown, e);
    sb_transport_take_master(e);
    if (jack_activate(e->client) || sb_worker_start(e)) {
        sb_engine_free(e);
        return NULL;
    }
    atomic_store(&e->active, 1);
    connect_midi_devices(e);
    return e;
}

void sb_engine_free(sb_engine *e)
{
    if (!e) {
        return;
    }
    sb_crash_stop(e);
    sb_worker_stop(e);
    if (e->client) {
        if (atomic_load(&e->active)) {
            jack_deactivate(e->client);
        }
    }
    sb_plan_free(atomic_exchange(&e->pending, NULL));
    sb_plan_free(e->fading);
    e->fading = NULL;
    sb_plan_free(e->current);
    e->current = NULL;
    sb_plan *old = NULL;
    if (e->retire.buf) {
        while (!sb_ring_read(&e->retire, &old, sizeof(old))) {
            sb_plan_free(old);
        }
    }
    while (e->dead) {
        sb_instance *inst = e->dead;
        e->dead = inst->next_dead;
        instance_free(e, inst);
    }
    if (e->table) {
        for (int i = 0; i <= e->max_number; ++i) {
            if (e->table[i]) {
                instance_free(e, e->table[i]);
            }
        }
    }
    if (e->client) {
        jack_client_close(e->client);
    }
    if (e->world) {
        lilv_world_free(e->world);
    }
    sb_ring_free(&e->ctl);
    sb_ring_free(&e->fb);
    sb_ring_free(&e->retire);
    sb_ring_free(&e->logs);
    sb_ring_free(&e->patches);
    free(e->table);
    free(e->edges);
    sb_urids_free(&e->urids);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

const char *sb_client_name(sb_engine *e) { return e->client_name; }
uint32_t sb_sample_rate(sb_engine *e) { return e->rate; }
uint32_t sb_block_size(sb_engine *e) { return jack_get_buffer_size(e->client); }
float sb_cpu_load(sb_engine *e) { return jack_cpu_load(e->client); }
uint32_t sb_xruns(sb_engine *e) { return atomic_load(&e->xruns); }
int sb_shut_down(sb_engine *e) { return atomic_load(&e->shut_down); }

static sb_port_type port_type(LilvWorld *w, const LilvPlugin *plugin, const LilvPort *port)
{
    LilvNode *control = lilv_new_uri(w, LV2_CORE__ControlPort);
    LilvNode *audio = lilv_new_uri(w, LV2_CORE__AudioPort);
    LilvNode *cv = lilv_new_uri(w, LV2_CORE__CVPort);
    LilvNode *atom = lilv_new_uri(w, LV2_ATOM__AtomPort);
    sb_port_type t = SB_PORT_OTHER;
    if (lilv_port_is_a(plugin, port, control)) {
        t = SB_PORT_CONTROL;
    } else if (lilv_port_is_a(plugin, port, audio)) {
        t = SB_PORT_AUDIO;
    } else if (lilv_port_is_a(plugin, port, cv)) {
        t = SB_PORT_CV;
    } else if (lilv_port_is_a(plugin, port, atom)) {
        t = SB_PORT_ATOM;
    }
    lilv_node_free(control);
    lilv_node_free(audio);
    lilv_node_free(cv);
    lilv_node_free(atom);
    return t;
}

static uint32_t atom_capacity(LilvWorld *w, const LilvPlugin *plugin, const LilvPort *port)
{
    uint32_t cap = SB_ATOM_CAPACITY;
    LilvNode *pred = lilv_new_uri(w, LV2_RESIZE_PORT__minimumSize);
    LilvNodes *sizes = lilv_port_get_value(plugin, port, pred);
    if (sizes && lilv_nodes_size(sizes) > 0) {
        int want = lilv_node_as_int(lilv_nodes_get_first(sizes));
        if (want > (int)cap && want <= (1 << 20)) {
            cap = (uint32_t)want;
        }
    }
    lilv_nodes_free(sizes);
    lilv_node_free(pred);
    return cap;
}

/* Holds e->lock. Ports, buffers and default values; 0 or -1 when out of memory. */
static int build_ports(sb_engine *e, sb_instance *inst)
{
    const LilvPlugin *plugin = inst->plugin;
    uint32_t n = lilv_plugin_get_num_ports(plugin);
    inst->n_ports = n;
    inst->ports = calloc(n ? n : 1, sizeof(sb_port));
    inst->audio_in = calloc(n ? n : 1, sizeof(uint32_t));
    inst->audio_out = calloc(n ? n : 1, sizeof(uint32_t));
    float *mins = calloc(n ? n : 1, sizeof(float));
    float *maxs = calloc(n ? n : 1, sizeof(float));
    float *defs = calloc(n ? n : 1, sizeof(float));
    int ok = inst->ports && inst->audio_in && inst->audio_out && mins && maxs && defs;
    if (ok) {
        lilv_plugin_get_port_ranges_float(plugin, mins, maxs, defs);
    }
    LilvNode *input = lilv_new_uri(e->world, LV2_CORE__InputPort);
    for (uint32_t p = 0; ok && p < n; ++p) {
        const LilvPort *lp = lilv_plugin_get_port_by_index(plugin, p);
        sb_port *port = &inst->ports[p];
        port->type = port_type(e->world, plugin, lp);
        port->is_input = lilv_port_is_a(plugin, lp, input);
        port->symbol = strdup(lilv_node_as_string(lilv_port_get_symbol(plugin, lp)));
        port->min = mins[p];
        port->max = maxs[p];
        port->def = defs[p];
        port->value = !isnan(defs[p]) ? defs[p] : (!isnan(mins[p]) ? mins[p] : 0.0f);
        port->last_sent = NAN;
        if (port->type == SB_PORT_AUDIO || port->type == SB_PORT_CV) {
            port->buf_size = SB_MAX_BLOCK * sizeof(float);
        } else if (port->type == SB_PORT_ATOM) {
            port->buf_size = atom_capacity(e->world, plugin, lp);
        } else if (port->type == SB_PORT_OTHER) {
            port->buf_size = SB_ATOM_CAPACITY;
        }
        if (port->buf_size) {
            port->buf = calloc(1, port->buf_size);
            ok = port->buf != NULL;
        }
        ok = ok && port->symbol;
        if (port->type == SB_PORT_AUDIO) {
            if (port->is_input) {
                inst->audio_in[inst->n_audio_in++] = p;
            } else {
                inst->audio_out[inst->n_audio_out++] = p;
            }
        }
    }
    lilv_node_free(input);
    free(mins);
    free(maxs);
    free(defs);
    return ok ? 0 : -1;
}

/* The atom input patch messages go to: lv2:control designated, else the first atom input. */
static int find_control_in(sb_engine *e, const sb_instance *inst)
{
    LilvNode *input = lilv_new_uri(e->world, LV2_CORE__InputPort);
    LilvNode *control = lilv_new_uri(e->world, LV2_CORE__control);
    const LilvPort *port = lilv_plugin_get_port_by_designation(inst->plugin, input, control);
    lilv_node_free(input);
    lilv_node_free(control);
    if (port) {
        return (int)lilv_port_get_index(inst->plugin, port);
    }
    for (uint32_t p = 0; p < inst->n_ports; ++p) {
        if (inst->ports[p].type == SB_PORT_ATOM && inst->ports[p].is_input) {
            return (int)p;
        }
    }
    return -1;
}

static int find_enabled(sb_engine *e, const LilvPlugin *plugin)
{
    LilvNode *input = lilv_new_uri(e->world, LV2_CORE__InputPort);
    LilvNode *enabled = lilv_new_uri(e->world, LV2_CORE_PREFIX "enabled");
    const LilvPort *port = lilv_plugin_get_port_by_designation(plugin, input, enabled);
    lilv_node_free(input);
    lilv_node_free(enabled);
    return port ? (int)lilv_port_get_index(plugin, port) : -1;
}

int sb_add(sb_engine *e, int number, const char *uri)
{
    if (number < 0 || number >= SB_MAX_INSTANCES) {
        return SB_ERR_INSTANCE_INVALID;
    }
    pthread_mutex_lock(&e->lock);
    int code = number;
    sb_instance *inst = NULL;
    if (e->table[number]) {
        code = SB_ERR_INSTANCE_EXISTS;
        goto done;
    }
    LilvNode *node = lilv_new_uri(e->world, uri);
    const LilvPlugin *plugin =
        node ? lilv_plugins_get_by_uri(lilv_world_get_all_plugins(e->world), node) : NULL;
    lilv_node_free(node);
    if (!plugin) {
        code = SB_ERR_INVALID_URI;
        goto done;
    }
    inst = calloc(1, sizeof(sb_instance));
    if (!inst) {
        code = SB_ERR_MEMORY;
        goto done;
    }
    inst->number = number;
    inst->plugin = plugin;
    inst->enabled_port = find_enabled(e, plugin);
    if (build_ports(e, inst) || sb_worker_init(e, inst, NULL) ||
        sb_ring_init(&inst->to_plugin, SB_CTL_RING) ||
        !(inst->features = sb_features_for(e, inst))) {
        code = SB_ERR_MEMORY;
        goto done;
    }
    inst->control_in = find_control_in(e, inst);
    sb_transport_find_ports(e, inst);
    snprintf(inst->uri, sizeof(inst->uri), "%s", uri);
    atomic_store(&e->adding, inst->uri);
    inst->lilv = lilv_plugin_instantiate(plugin, e->rate, inst->features);
    atomic_store(&e->adding, NULL);
    if (!inst->lilv) {
        code = SB_ERR_INSTANTIATION;
        goto done;
    }
    for (uint32_t p = 0; p < inst->n_ports; ++p) {
        sb_port *port = &inst->ports[p];
        lilv_instance_connect_port(inst->lilv, p,
                                   port->type == SB_PORT_CONTROL ? (void *)&port->value : port->buf);
    }
    inst->worker.iface = lilv_instance_get_extension_data(inst->lilv, LV2_WORKER__interface);
    if (inst->worker.iface && !inst->worker.iface->work) {
        inst->worker.iface = NULL;
    }
    lilv_instance_activate(inst->lilv);
    e->table[number] = inst;
    if (number > e->max_number) {
        e->max_number = number;
    }
    if (inst->worker.iface) {
        ++e->n_workers;
    }
    inst = NULL;
done:
    if (inst) {
        instance_free(e, inst);
    }
    pthread_mutex_unlock(&e->lock);
    return code;
}

static sb_instance *get(sb_engine *e, int number)
{
    return number >= 0 && number < SB_MAX_INSTANCES ? e->table[number] : NULL;
}

int sb_exists(sb_engine *e, int number) { return get(e, number) != NULL; }

int sb_port_index(sb_engine *e, int number, const char *symbol)
{
    sb_instance *inst = get(e, number);
    for (uint32_t p = 0; inst && p < inst->n_ports; ++p) {
        if (!strcmp(inst->ports[p].symbol, symbol)) {
            return (int)p;
        }
    }
    return -1;
}

/* Port p's kind (sb_port_type) + 8 * is_input, or -1. */
int sb_port_kind(sb_engine *e, int number, int p)
{
    sb_instance *inst = get(e, number);
    if (!inst || p < 0 || (uint32_t)p >= inst->n_ports) {
        return -1;
    }
    return (int)inst->ports[p].type + 8 * inst->ports[p].is_input;
}

int sb_send_ctl(sb_engine *e, uint32_t kind, sb_instance *inst, uint32_t port, float value)
{
    sb_ctl_msg m = {kind, port, inst, value, 0, 0, 0, 0, NULL};
    return sb_ring_write(&e->ctl, &m, sizeof(m)) ? SB_ERR_MEMORY : 0;
}

int sb_param_set(sb_engine *e, int number, int p, float value)
{
    sb_instance *inst = get(e, number);
    if (!inst) {
        return SB_ERR_INSTANCE_NON_EXISTS;
    }
    if (p < 0 || (uint32_t)p >= inst->n_ports || inst->ports[p].type != SB_PORT_CONTROL) {
        return SB_ERR_INVALID_OPERATION;
    }
    return sb_send_ctl(e, SB_MSG_PARAM, inst, (uint32_t)p, value);
}

int sb_bypass(sb_engine *e, int number, int on)
{
    sb_instance *inst = get(e, number);
    return inst ? sb_send_ctl(e, SB_MSG_BYPASS, inst, 0, on ? 1.0f : 0.0f)
                : SB_ERR_INSTANCE_NON_EXISTS;
}

int sb_processing(sb_engine *e, int on, int at_once)
{
    sb_ctl_msg m = {SB_MSG_PROCESSING, at_once ? 1U : 0U, NULL, on ? 1.0f : 0.0f, 0, 0, 0, 0, NULL};
    return sb_ring_write(&e->ctl, &m, sizeof(m)) ? SB_ERR_MEMORY : 0;
}

/* The plugin's current value of control port p (an output control the plugin writes). */
float sb_control_value(sb_engine *e, int number, int p)
{
    sb_instance *inst = get(e, number);
    if (!inst || p < 0 || (uint32_t)p >= inst->n_ports) {
        return NAN;
    }
    return *(volatile float *)&inst->ports[p].value;
}

/* monitor_output: report changes of output control p (others are not reported). */
int sb_monitor_output(sb_engine *e, int number, int p, int on)
{
    sb_instance *inst = get(e, number);
    if (!inst || p < 0 || (uint32_t)p >= inst->n_ports) {
        return SB_ERR_INSTANCE_NON_EXISTS;
    }
    atomic_store(&inst->ports[p].monitored, on != 0);
    return 0;
}

uint32_t sb_dsp_ns(sb_engine *e, int number)
{
    sb_instance *inst = get(e, number);
    return inst ? atomic_load(&inst->dsp_ns) : 0;
}

int sb_remove(sb_engine *e, int number)
{
    pthread_mutex_lock(&e->lock);
    sb_instance *inst = get(e, number);
    if (inst) {
        sb_ctl_msg m = {SB_MSG_MIDI_UNMAP, SB_ALL_PORTS, inst, 0, 0, 0, 0, 0, NULL};
        while (sb_ring_write(&e->ctl, &m, sizeof(m))) { /* the RT thread must drop its mappings */
            struct timespec ts = {0, 500000L};
            nanosleep(&ts, NULL);
        }
        e->table[number] = NULL;
        if (inst->worker.iface) {
            --e->n_workers;
        }
        uint32_t kept = 0;
        for (uint32_t i = 0; i < e->n_edges; ++i) {
            if (e->edges[i].src != number && e->edges[i].dst != number) {
                e->edges[kept++] = e->edges[i];
            }
        }
        e->n_edges = kept;
        inst->dead_gen = 0;
        inst->next_dead = e->dead;
        e->dead = inst;
    }
    pthread_mutex_unlock(&e->lock);
    return 0;
}

void sb_graph_clear(sb_engine *e)
{
    pthread_mutex_lock(&e->lock);
    e->n_edges = 0;
    pthread_mutex_unlock(&e->lock);
}

int sb_graph_edge(sb_engine *e, int src, int src_port, int dst, int dst_port)
{
    pthread_mutex_lock(&e->lock);
    int code = 0;
    if (e->n_edges == e->cap_edges) {
        uint32_t cap = e->cap_edges ? e->cap_edges * 2 : 64;
        sb_edge *grown = realloc(e->edges, cap * sizeof(sb_edge));
        if (grown) {
            e->edges = grown;
            e->cap_edges = cap;
        }
    }
    if (e->n_edges < e->cap_edges) {
        e->edges[e->n_edges++] = (sb_edge){src, src_port, dst, dst_port};
    } else {
        code = SB_ERR_MEMORY;
    }
    pthread_mutex_unlock(&e->lock);
    return code;
}

/* Build a plan from the live instances and staged edges and hand it to the RT thread. */
int sb_commit(sb_engine *e)
{
    pthread_mutex_lock(&e->lock);
    uint64_t gen = ++e->next_gen;
    sb_plan *plan = sb_plan_build(e, gen);
    if (!plan) {
        pthread_mutex_unlock(&e->lock);
        return SB_ERR_MEMORY;
    }
    for (sb_instance *d = e->dead; d; d = d->next_dead) {
        if (!d->dead_gen) {
            d->dead_gen = gen;
        }
    }
    sb_plan_free(atomic_exchange(&e->pending, plan)); /* one the RT thread never took */
    collect(e);
    pthread_mutex_unlock(&e->lock);
    return 0;
}

/* Free what the RT thread let go; 1 while a plan is still waiting to be adopted. */
int sb_collect(sb_engine *e)
{
    pthread_mutex_lock(&e->lock);
    collect(e);
    int waiting = atomic_load(&e->pending) != NULL || e->dead != NULL;
    pthread_mutex_unlock(&e->lock);
    return waiting;
}

uint64_t sb_adopted(sb_engine *e) { return atomic_load(&e->adopted_gen); }

/* The crossfade of a board switch where an output's source changes (0 ms: a cut). */
void sb_set_crossfade_ms(sb_engine *e, float ms)
{
    float frames = ms > 0.0f ? ms * (float)e->rate / 1000.0f : 0.0f;
    atomic_store(&e->crossfade, frames < (float)e->rate ? (uint32_t)frames : e->rate);
}
uint64_t sb_generation(sb_engine *e) { return e->next_gen; }

/* The engine's JACK port for plugin port p (registered on first use); its full name in out. */
int sb_external_port(sb_engine *e, int number, int p, char *out, int out_size)
{
    pthread_mutex_lock(&e->lock);
    int code = 0;
    sb_instance *inst = get(e, number);
    if (!inst || p < 0 || (uint32_t)p >= inst->n_ports || inst->ports[p].type == SB_PORT_CONTROL ||
        inst->ports[p].type == SB_PORT_OTHER) {
        code = SB_ERR_PORT_CONNECTION;
        goto done;
    }
    sb_port *port = &inst->ports[p];
    if (!port->jack) {
        char short_name[256];
        snprintf(short_name, sizeof(short_name), "effect_%d.%s", number, port->symbol);
        const char *type =
            port->type == SB_PORT_ATOM ? JACK_DEFAULT_MIDI_TYPE : JACK_DEFAULT_AUDIO_TYPE;
        unsigned long flags = port->is_input ? JackPortIsInput : JackPortIsOutput;
        port->jack = jack_port_register(e->client, short_name, type, flags, 0);
        /* a removed instance of the same number may still hold the name until the RT thread
           lets it go (a cycle or two): free it then and try again */
        for (int tries = 0; !port->jack && e->dead && tries < 200; ++tries) {
            struct timespec ts = {0, 500000L};
            nanosleep(&ts, NULL);
            collect(e);
            port->jack = jack_port_register(e->client, short_name, type, flags, 0);
        }
        if (!port->jack) {
            code = SB_ERR_PORT_REGISTER;
            goto done;
        }
        char alias[300];
        snprintf(alias, sizeof(alias), "effect_%d:%s", number, port->symbol);
        jack_port_set_alias(port->jack, alias);
        if (!port->is_input) { /* JACK may hand it another port's old buffer: silence it */
            sb_ctl_msg m = {SB_MSG_ZERO_PORT, 0, NULL, 0, 0, 0, 0, 0, port->jack};
            sb_ring_write(&e->ctl, &m, sizeof(m));
        }
    }
    snprintf(out, (size_t)out_size, "%s", jack_port_name(port->jack));
done:
    pthread_mutex_unlock(&e->lock);
    return code;
}

/* 1 output, 2 input, 0 no such JACK port. */
int sb_jack_direction(sb_engine *e, const char *name)
{
    jack_port_t *port = jack_port_by_name(e->client, name);
    if (!port) {
        return 0;
    }
    return (jack_port_flags(port) & JackPortIsOutput) ? 1 : 2;
}

int sb_jack_connect(sb_engine *e, const char *src, const char *dst)
{
    int r = jack_connect(e->client, src, dst);
    return r == 0 || r == EEXIST ? 0 : SB_ERR_PORT_CONNECTION;
}

int sb_jack_disconnect(sb_engine *e, const char *src, const char *dst)
{
    return jack_disconnect(e->client, src, dst) ? -206 : 0;
}

int sb_jack_connected(sb_engine *e, const char *src, const char *dst)
{
    jack_port_t *port = jack_port_by_name(e->client, src);
    return port ? jack_port_connected_to(port, dst) : 0;
}

/* `remove -1`: disconnect system:capture_* from every system:* port. */
void sb_unpatch_capture(sb_engine *e)
{
    const char **ports = jack_get_ports(e->client, "^system:capture_", NULL, JackPortIsOutput);
    for (int i = 0; ports && ports[i]; ++i) {
        jack_port_t *port = jack_port_by_name(e->client, ports[i]);
        const char **peers = port ? jack_port_get_all_connections(e->client, port) : NULL;
        for (int j = 0; peers && peers[j]; ++j) {
            if (!strncmp(peers[j], "system:", 7)) {
                jack_disconnect(e->client, ports[i], peers[j]);
            }
        }
        jack_free(peers);
    }
    jack_free(ports);
}

/* RT -> control: the next event (an sb_fb_msg, see SB_FB_*); 1 when one was read. */
int sb_next_event(sb_engine *e, sb_fb_msg *out)
{
    return sb_ring_read(&e->fb, out, sizeof(*out)) ? 0 : 1;
}

static int send_midi(sb_engine *e, sb_ctl_msg m)
{
    return sb_ring_write(&e->ctl, &m, sizeof(m)) ? SB_ERR_MEMORY : 0;
}

/* port: a control input index, or -1 for `:bypass`. */
static uint32_t map_port(int p) { return p < 0 ? SB_BYPASS_PORT : (uint32_t)p; }

int sb_midi_map(sb_engine *e, int number, int p, int channel, int cc, float lo, float hi)
{
    sb_instance *inst = get(e, number);
    if (!inst) {
        return SB_ERR_INSTANCE_NON_EXISTS;
    }
    return send_midi(e, (sb_ctl_msg){SB_MSG_MIDI_MAP, map_port(p), inst, 0, channel, cc, lo, hi, NULL});
}

int sb_midi_learn(sb_engine *e, int number, int p, float lo, float hi)
{
    sb_instance *inst = get(e, number);
    if (!inst) {
        return SB_ERR_INSTANCE_NON_EXISTS;
    }
    return send_midi(e, (sb_ctl_msg){SB_MSG_MIDI_LEARN, map_port(p), inst, 0, 0, 0, lo, hi, NULL});
}

int sb_midi_unmap(sb_engine *e, int number, int p)
{
    sb_instance *inst = get(e, number);
    if (!inst) {
        return SB_ERR_INSTANCE_NON_EXISTS;
    }
    return send_midi(e, (sb_ctl_msg){SB_MSG_MIDI_UNMAP, map_port(p), inst, 0, 0, 0, 0, 0, NULL});
}

int sb_midi_program(sb_engine *e, int channel, int on)
{
    return send_midi(
        e, (sb_ctl_msg){SB_MSG_MIDI_PROGRAM, 0, NULL, on ? 1.0f : 0.0f, channel, 0, 0, 0, NULL});
}

/* RT -> control: the next plugin log line (first byte: level '0'..'3'); its length, or -1. */
int sb_next_log(sb_engine *e, char *out, int out_size)
{
    int32_t n = sb_ring_read_msg(&e->logs, out, (uint32_t)out_size - 1);
    if (n < 0) {
        return -1;
    }
    if (n > out_size - 1) {
        n = out_size - 1;
    }
    out[n] = '\0';
    return n;
}

/* monitor_audio_levels: slot `index` meters a plugin port (number >= 0) or, through the
   engine's input port `monitor_<index+1>`, the JACK port `source`. Then sb_commit(). */
int sb_monitor_set(sb_engine *e, int index, int number, int p, const char *source)
{
    if (index < 0 || index >= SB_MAX_MONITORS) {
        return SB_ERR_INVALID_OPERATION;
    }
    pthread_mutex_lock(&e->lock);
    int code = 0;
    sb_monitor *mon = &e->monitors[index];
    mon->used = 1;
    mon->number = number;
    mon->port = p;
    if (source) {
        char name[64];
        snprintf(name, sizeof(name), "monitor_%d", index + 1);
        if (!mon->jack) {
            mon->jack = jack_port_register(e->client, name, JACK_DEFAULT_AUDIO_TYPE,
                                           JackPortIsInput, 0);
        }
        if (!mon->jack || jack_connect(e->client, source, jack_port_name(mon->jack))) {
            code = SB_ERR_PORT_CONNECTION;
        }
    }
    if (code) {
        mon->used = 0;
    }
    atomic_store(&e->peaks[index], 0);
    pthread_mutex_unlock(&e->lock);
    return code;
}

/* Stop metering slot `index` (its JACK port goes once a plan without it is adopted). */
void sb_monitor_clear(sb_engine *e, int index)
{
    if (index < 0 || index >= SB_MAX_MONITORS) {
        return;
    }
    pthread_mutex_lock(&e->lock);
    e->monitors[index].used = 0;
    if (e->monitors[index].jack) {
        jack_port_disconnect(e->client, e->monitors[index].jack);
    }
    pthread_mutex_unlock(&e->lock);
}

/* The peak of slot `index` since the last call (then 0 again). */
float sb_monitor_peak(sb_engine *e, int index)
{
    if (index < 0 || index >= SB_MAX_MONITORS) {
        return 0.0f;
    }
    uint32_t bits = atomic_exchange(&e->peaks[index], 0);
    float peak;
    memcpy(&peak, &bits, sizeof(peak));
    return peak;
}

/* Wait until the process callback ran `count` more times; 0, or -1 after timeout_ms. */
int sb_wait_cycles(sb_engine *e, int count, int timeout_ms)
{
    uint64_t until = atomic_load(&e->cycles) + (uint64_t)count;
    for (int waited = 0; waited <= timeout_ms * 5; ++waited) {
        if (atomic_load(&e->cycles) >= until) {
            return 0;
        }
        struct timespec ts = {0, 200000L};
        nanosleep(&ts, NULL);
    }
    return -1;
}

/* Wait until the RT thread adopted plan `gen` (or a later one); 0, or -1 after timeout_ms. */
int sb_wait_adopted(sb_engine *e, uint64_t gen, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms * 5; ++waited) {
        if (atomic_load(&e->adopted_gen) >= gen) {
            return 0;
        }
        struct timespec ts = {0, 200000L};
        nanosleep(&ts, NULL);
    }
    return -1;
}
