/* Transport: the engine as (conditional) JACK timebase master with the host's tempo, and a
   time:Position object into each plugin that wants one whenever the transport changes. */
#include <lv2/atom/util.h>
#include <lv2/time/time.h>
#include <math.h>
#include <string.h>

#include "engine.h"

#define SB_TICKS_PER_BEAT 1920.0
#define SB_POSITION_MAX 256 /* bytes of one forged time:Position */

static int differ(double a, double b) { return fabs(a - b) >= 0.001; }

/* Bar (0-based), beat within the bar and running beat at `frame` for a constant tempo. */
static void bbt_at(double frame, double rate, double bpm, double bpb, int64_t *bar,
                   double *bar_beat, double *beat)
{
    double abs_beat = frame * bpm / (60.0 * rate);
    double b = floor(abs_beat / bpb);
    *bar = (int64_t)b;
    *bar_beat = abs_beat - b * bpb;
    *beat = abs_beat;
}

/* RT (the timebase master's callback runs in the process thread): BBT from the host tempo. */
static void timebase(jack_transport_state_t state, jack_nframes_t n, jack_position_t *pos,
                     int new_pos, void *arg)
{
    (void)state;
    (void)n;
    (void)new_pos;
    sb_engine *e = arg;
    double bpm = atomic_load_explicit(&e->transport.bpm, memory_order_relaxed);
    double bpb = atomic_load_explicit(&e->transport.bpb, memory_order_relaxed);
    int64_t bar;
    double bar_beat, beat;
    bbt_at((double)pos->frame, (double)e->rate, bpm, bpb, &bar, &bar_beat, &beat);
    pos->valid = JackPositionBBT;
    pos->beats_per_minute = bpm;
    pos->beats_per_bar = (float)bpb;
    pos->beat_type = 4.0f;
    pos->ticks_per_beat = SB_TICKS_PER_BEAT;
    pos->bar = (int32_t)bar + 1;
    pos->beat = (int32_t)floor(bar_beat) + 1;
    pos->tick = (int32_t)((bar_beat - floor(bar_beat)) * SB_TICKS_PER_BEAT);
    pos->bar_start_tick = (double)bar * bpb * SB_TICKS_PER_BEAT;
}

void sb_transport_init(sb_engine *e)
{
    sb_transport *t = &e->transport;
    sb_time_urids *u = &t->urids;
    atomic_store(&t->bpm, 120.0);
    atomic_store(&t->bpb, 4.0);
    t->rolling = -1;
    u->position = sb_urid_map(&e->urids, LV2_TIME__Position);
    u->speed = sb_urid_map(&e->urids, LV2_TIME__speed);
    u->frame = sb_urid_map(&e->urids, LV2_TIME__frame);
    u->bar = sb_urid_map(&e->urids, LV2_TIME__bar);
    u->bar_beat = sb_urid_map(&e->urids, LV2_TIME__barBeat);
    u->beat = sb_urid_map(&e->urids, LV2_TIME__beat);
    u->beat_unit = sb_urid_map(&e->urids, LV2_TIME__beatUnit);
    u->beats_per_bar = sb_urid_map(&e->urids, LV2_TIME__beatsPerBar);
    u->bpm = sb_urid_map(&e->urids, LV2_TIME__beatsPerMinute);
    lv2_atom_forge_init(&t->forge, &e->map);
}

/* Before jack_activate: be the timebase master unless another client already is. */
void sb_transport_take_master(sb_engine *e)
{
    jack_set_timebase_callback(e->client, 1, timebase, e);
}

/* Non-RT, at add: which ports of the instance take the transport. */
void sb_transport_find_ports(sb_engine *e, sb_instance *inst)
{
    sb_inst_time *t = &inst->time;
    t->port = t->bpm_port = t->bpb_port = t->speed_port = -1;
    t->seen = 0;
    LilvNode *position = lilv_new_uri(e->world, LV2_TIME__Position);
    LilvNode *input = lilv_new_uri(e->world, LV2_CORE__InputPort);
    const char *designations[3] = {LV2_TIME__beatsPerMinute, LV2_TIME__beatsPerBar,
                                   LV2_TIME__speed};
    int *slots[3] = {&t->bpm_port, &t->bpb_port, &t->speed_port};
    for (int d = 0; d < 3; ++d) {
        LilvNode *des = lilv_new_uri(e->world, designations[d]);
        const LilvPort *p = lilv_plugin_get_port_by_designation(inst->plugin, input, des);
        lilv_node_free(des);
        if (p && inst->ports[lilv_port_get_index(inst->plugin, p)].type == SB_PORT_CONTROL) {
            *slots[d] = (int)lilv_port_get_index(inst->plugin, p);
        }
    }
    for (uint32_t i = 0; i < inst->n_ports && t->port < 0; ++i) {
        const LilvPort *p = lilv_plugin_get_port_by_index(inst->plugin, i);
        if (inst->ports[i].type == SB_PORT_ATOM && inst->ports[i].is_input &&
            lilv_port_supports_event(inst->plugin, p, position)) {
            t->port = (int)i;
        }
    }
    lilv_node_free(position);
    lilv_node_free(input);
}

/* RT, once a cycle before any plugin runs: read JACK's transport, note a change. */
void sb_transport_cycle(sb_engine *e, jack_nframes_t n)
{
    sb_transport *t = &e->transport;
    jack_position_t pos;
    const int rolling = jack_transport_query(e->client, &pos) == JackTransportRolling;
    double bpm, bpb;
    if (pos.valid & JackPositionBBT) {
        bpm = pos.beats_per_minute;
        bpb = pos.beats_per_bar;
    } else {
        bpm = atomic_load_explicit(&t->bpm, memory_order_relaxed);
        bpb = atomic_load_explicit(&t->bpb, memory_order_relaxed);
    }
    if (!(bpm > 0.0) || !(bpb > 0.0)) {
        return;
    }
    const int tempo = t->rolling != rolling || differ(t->cur_bpm, bpm) || differ(t->cur_bpb, bpb);
    if (tempo || pos.frame != t->expect) {
        ++t->serial;
    }
    const int asked = atomic_exchange_explicit(&t->report, 0, memory_order_relaxed);
    if ((tempo && t->rolling >= 0) || asked) { /* not the start-up state (as mod-host) */
        sb_fb_msg m = {SB_FB_TRANSPORT, 0, 0, (float)bpm, rolling, 0, (float)bpb, 0};
        sb_ring_write(&e->fb, &m, sizeof(m)); /* dropped when full */
    }
    t->rolling = rolling;
    t->cur_bpm = bpm;
    t->cur_bpb = bpb;
    t->frame = pos.frame;
    t->expect = pos.frame + (rolling ? n : 0);
    double bar_beat;
    if (pos.valid & JackPositionBBT) {
        t->bar = pos.bar - 1;
        bar_beat = pos.beat - 1 + (pos.ticks_per_beat > 0 ? pos.tick / pos.ticks_per_beat : 0.0);
        t->beat = (double)t->bar * bpb + bar_beat;
    } else {
        bbt_at((double)pos.frame, (double)e->rate, bpm, bpb, &t->bar, &bar_beat, &t->beat);
    }
    t->bar_beat = (float)bar_beat;
}

/* RT: the designated tempo controls, before the plugin runs. */
void sb_transport_controls(sb_engine *e, sb_instance *inst)
{
    const sb_transport *t = &e->transport;
    if (t->rolling < 0) {
        return;
    }
    if (inst->time.bpm_port >= 0) {
        inst->ports[inst->time.bpm_port].value = (float)t->cur_bpm;
    }
    if (inst->time.bpb_port >= 0) {
        inst->ports[inst->time.bpb_port].value = (float)t->cur_bpb;
    }
    if (inst->time.speed_port >= 0) {
        inst->ports[inst->time.speed_port].value = t->rolling ? 1.0f : 0.0f;
    }
}

/* RT: a time:Position at frame 0 of the plugin's time input when the transport changed since
   it was last told (always on its first cycle). `port` is that input, just reset. */
void sb_transport_append(sb_engine *e, sb_instance *inst, sb_port *port)
{
    const sb_transport *t = &e->transport;
    if (t->rolling < 0 || inst->time.seen == t->serial) {
        return;
    }
    const sb_time_urids *u = &t->urids;
    uint8_t buf[SB_POSITION_MAX] __attribute__((aligned(8)));
    LV2_Atom_Forge forge = t->forge;
    lv2_atom_forge_set_buffer(&forge, buf, sizeof(buf));
    LV2_Atom_Forge_Frame frame;
    int ok = lv2_atom_forge_object(&forge, &frame, 0, u->position) != 0;
    ok = ok && lv2_atom_forge_key(&forge, u->frame) && lv2_atom_forge_long(&forge, t->frame);
    ok = ok && lv2_atom_forge_key(&forge, u->speed) &&
         lv2_atom_forge_float(&forge, t->rolling ? 1.0f : 0.0f);
    ok = ok && lv2_atom_forge_key(&forge, u->bar) && lv2_atom_forge_long(&forge, t->bar);
    ok = ok && lv2_atom_forge_key(&forge, u->bar_beat) &&
         lv2_atom_forge_float(&forge, t->bar_beat);
    ok = ok && lv2_atom_forge_key(&forge, u->beat) && lv2_atom_forge_double(&forge, t->beat);
    ok = ok && lv2_atom_forge_key(&forge, u->beat_unit) && lv2_atom_forge_int(&forge, 4);
    ok = ok && lv2_atom_forge_key(&forge, u->beats_per_bar) &&
         lv2_atom_forge_float(&forge, (float)t->cur_bpb);
    ok = ok && lv2_atom_forge_key(&forge, u->bpm) &&
         lv2_atom_forge_float(&forge, (float)t->cur_bpm);
    if (!ok) {
        return;
    }
    lv2_atom_forge_pop(&forge, &frame);
    if (!sb_seq_append(port, 0, (const LV2_Atom *)buf)) {
        inst->time.seen = t->serial;
    }
}

/* Non-RT: set_bpm / set_bpb. A stopped transport is relocated where it is, so that the
   timebase callback runs and JACK's position carries the new tempo. */
void sb_set_tempo(sb_engine *e, double bpm, double bpb)
{
    sb_transport *t = &e->transport;
    atomic_store(&t->bpm, bpm);
    atomic_store(&t->bpb, bpb);
    atomic_store(&t->report, 1);
    jack_position_t pos;
    jack_transport_state_t state = jack_transport_query(e->client, &pos);
    if (!(pos.valid & JackPositionBBT)) {
        sb_transport_take_master(e); /* the old master went: be it again */
    }
    if (state == JackTransportStopped) {
        jack_transport_locate(e->client, pos.frame);
    }
}

/* Non-RT: `transport <rolling> <bpb> <bpm>`: tempo, then start, or stop and go back to 0. */
void sb_transport_roll(sb_engine *e, int rolling, double bpb, double bpm)
{
    sb_set_tempo(e, bpm, bpb);
    jack_transport_state_t state = jack_transport_query(e->client, NULL);
    int now = state == JackTransportRolling || state == JackTransportStarting;
    if (rolling && !now) {
        jack_transport_start(e->client);
    } else if (!rolling && now) {
        jack_transport_stop(e->client);
        jack_transport_locate(e->client, 0);
    }
}

/* Non-RT: the host's tempo as last set (for replies and replays). */
double sb_tempo_bpm(sb_engine *e) { return atomic_load(&e->transport.bpm); }
double sb_tempo_bpb(sb_engine *e) { return atomic_load(&e->transport.bpb); }
