/* The JACK process callback: the only real-time code. No allocation, lock, I/O or syscall here:
   it reads rings, swaps in a ready plan, runs every plugin in plan order and writes the ports. */
#include <jack/midiport.h>
#include <lv2/atom/atom.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "engine.h"

static void apply_message(sb_engine *e, const sb_ctl_msg *m, jack_nframes_t n)
{
    sb_instance *inst = m->inst;
    switch (m->kind) {
    case SB_MSG_PARAM:
        if (m->port < inst->n_ports) {
            inst->ports[m->port].value = m->value;
        }
        break;
    case SB_MSG_BYPASS:
        inst->bypass = m->value != 0.0f;
        if (inst->enabled_port >= 0) {
            inst->ports[inst->enabled_port].value = inst->bypass ? 0.0f : 1.0f;
        }
        break;
    case SB_MSG_ZERO_PORT:
        if (jack_port_type(m->jack) && !strcmp(jack_port_type(m->jack), JACK_DEFAULT_MIDI_TYPE)) {
            jack_midi_clear_buffer(jack_port_get_buffer(m->jack, n));
        } else {
            memset(jack_port_get_buffer(m->jack, n), 0, n * sizeof(float));
        }
        break;
    case SB_MSG_SUSPEND:
        inst->suspended = m->value != 0.0f;
        atomic_store_explicit(&inst->suspend_ack, m->port, memory_order_release);
        break;
    case SB_MSG_PROCESSING:
        e->processing = m->value > 0.0f;
        if (m->port) { /* at once, no fade */
            e->processing_gain = e->processing ? 1.0f : 0.0f;
        }
        break;
    default:
        sb_midi_message(e, m);
        break;
    }
}

static void take_messages(sb_engine *e, jack_nframes_t n)
{
    sb_ctl_msg m;
    while (!sb_ring_read(&e->ctl, &m, sizeof(m))) {
        apply_message(e, &m, n);
    }
}

static const sb_output *find_output(const sb_plan *plan, const jack_port_t *jack)
{
    for (uint32_t o = 0; o < plan->n_outputs; ++o) {
        if (plan->outputs[o].jack == jack) {
            return &plan->outputs[o];
        }
    }
    return NULL;
}

/* Swap in a plan. Outside ports the new plan no longer writes (their plugin was removed; the
   port goes once the plan is adopted) are zeroed: JACK would replay their last buffer. */
static void adopt(sb_engine *e, sb_plan *fresh, jack_nframes_t n)
{
    sb_plan *old = e->current;
    for (uint32_t o = 0; old && o < old->n_outputs; ++o) {
        const sb_output *out = &old->outputs[o];
        if (!find_output(fresh, out->jack)) {
            void *buf = jack_port_get_buffer(out->jack, n);
            if (out->atom) {
                jack_midi_clear_buffer(buf);
            } else {
                memset(buf, 0, n * sizeof(float));
            }
        }
    }
    if (old) {
        sb_ring_write(&e->retire, &old, sizeof(sb_plan *));
    }
    e->current = fresh;
    atomic_store(&e->adopted_gen, fresh->gen);
}

static void reset_sequence(sb_engine *e, sb_port *port)
{
    LV2_Atom_Sequence *seq = port->buf;
    seq->atom.size = sizeof(LV2_Atom_Sequence_Body);
    seq->atom.type = e->urid_sequence;
    seq->body.unit = 0;
    seq->body.pad = 0;
}

static void fill_input(sb_engine *e, const sb_plan *plan, const sb_input *in, jack_nframes_t n)
{
    sb_port *port = &in->inst->ports[in->port];
    if (port->type == SB_PORT_ATOM) {
        reset_sequence(e, port);
        /* frame-0 messages first (transport, patches), then every source in frame order */
        if ((int)in->port == in->inst->time.port) {
            sb_transport_append(e, in->inst, port);
        }
        if ((int)in->port == in->inst->control_in) {
            sb_patch_append(e, in->inst, port);
        }
        sb_seq_merge(e, port, plan->srcs + in->first_src, in->n_src,
                     in->ext ? jack_port_get_buffer(in->ext, n) : NULL);
        return;
    }
    float *dst = port->buf;
    if (in->ext) {
        memcpy(dst, jack_port_get_buffer(in->ext, n), n * sizeof(float));
    } else {
        memset(dst, 0, n * sizeof(float));
    }
    for (uint32_t s = 0; s < in->n_src; ++s) {
        const float *src = plan->srcs[in->first_src + s];
        for (jack_nframes_t i = 0; i < n; ++i) {
            dst[i] += src[i];
        }
    }
}

static void prepare_outputs(sb_instance *inst)
{
    for (uint32_t p = 0; p < inst->n_ports; ++p) {
        sb_port *port = &inst->ports[p];
        if (port->type == SB_PORT_ATOM && !port->is_input) {
            LV2_Atom *atom = port->buf;
            atom->size = port->buf_size - (uint32_t)sizeof(LV2_Atom);
            atom->type = 0; /* set by the plugin (a Chunk until then) */
        }
    }
}

static const float *dry_for(const sb_instance *inst, uint32_t out_index)
{
    if (inst->n_audio_in == 0) {
        return NULL;
    }
    uint32_t i = out_index < inst->n_audio_in ? out_index : inst->n_audio_in - 1;
    return inst->ports[inst->audio_in[i]].buf;
}

/* Crossfade processed and dry audio while the bypass ramp moves (plugins without lv2:enabled). */
static void bypass_mix(sb_instance *inst, jack_nframes_t n, int ran)
{
    const float step = 1.0f / SB_BYPASS_RAMP;
    const float target = inst->bypass ? 1.0f : 0.0f;
    float mix = inst->bypass_mix;
    for (uint32_t o = 0; o < inst->n_audio_out; ++o) {
        float *out = inst->ports[inst->audio_out[o]].buf;
        const float *dry = dry_for(inst, o);
        float m = mix;
        for (jack_nframes_t i = 0; i < n; ++i) {
            m = m < target ? (m + step > target ? target : m + step)
                           : (m - step < target ? target : m - step);
            float wet = ran ? out[i] : 0.0f;
            out[i] = wet * (1.0f - m) + (dry ? dry[i] * m : 0.0f);
        }
        if (o + 1 == inst->n_audio_out) {
            mix = m;
        }
    }
    inst->bypass_mix = inst->n_audio_out ? mix : target;
}

static void report_outputs(sb_engine *e, sb_instance *inst)
{
    for (uint32_t p = 0; p < inst->n_ports; ++p) {
        sb_port *port = &inst->ports[p];
        if (port->type != SB_PORT_CONTROL || port->is_input || port->value == port->last_sent ||
            !atomic_load_explicit(&port->monitored, memory_order_relaxed)) {
            continue;
        }
        sb_fb_msg m = {SB_FB_OUTPUT, inst->number, p, port->value, 0, 0, 0, 0};
        if (!sb_ring_write(&e->fb, &m, sizeof(m))) {
            port->last_sent = port->value;
        }
    }
}

static void run_step(sb_engine *e, const sb_plan *plan, const sb_step *step, jack_nframes_t n)
{
    sb_instance *inst = step->inst;
    if (inst->suspended) { /* its state is being restored: silence */
        for (uint32_t o = 0; o < inst->n_audio_out; ++o) {
            memset(inst->ports[inst->audio_out[o]].buf, 0, n * sizeof(float));
        }
        return;
    }
    for (uint32_t i = 0; i < step->n_inputs; ++i) {
        fill_input(e, plan, &plan->inputs[step->first_input + i], n);
    }
    const int ramped = inst->enabled_port < 0;
    const int skip = ramped && inst->bypass && inst->bypass_mix >= 1.0f;
    if (!skip) {
        prepare_outputs(inst);
        sb_transport_controls(e, inst);
        jack_time_t t0 = jack_get_time();
        atomic_store_explicit(&e->running, inst, memory_order_relaxed);
        lilv_instance_run(inst->lilv, n);
        atomic_store_explicit(&e->running, NULL, memory_order_relaxed);
        sb_worker_deliver(&inst->worker);
        sb_patch_collect(e, inst);
        atomic_store_explicit(&inst->dsp_ns, (uint32_t)((jack_get_time() - t0) * 1000U),
                              memory_order_relaxed);
    }
    if (ramped && (inst->bypass || inst->bypass_mix > 0.0f)) {
        bypass_mix(inst, n, !skip);
    }
    report_outputs(e, inst);
}

/* 1 when a switch changes the source of an outside audio output (one the new plan writes from
   another buffer, or one only one of the plans writes): those get a crossfade. */
static int outputs_change(const sb_plan *from, const sb_plan *to)
{
    for (uint32_t o = 0; o < to->n_outputs; ++o) {
        const sb_output *was = find_output(from, to->outputs[o].jack);
        if (!to->outputs[o].atom && (!was || was->buf != to->outputs[o].buf)) {
            return 1;
        }
    }
    for (uint32_t o = 0; o < from->n_outputs; ++o) {
        if (!from->outputs[o].atom && !find_output(to, from->outputs[o].jack)) {
            return 1;
        }
    }
    return 0;
}

/* One outside audio output: `src` (new) crossfaded from `old` over the switch, times the
   processing ramp starting at g0; the ramp's last value. Either buffer may be NULL (silence). */
static float write_audio(sb_engine *e, float *out, const float *src, const float *old,
                         jack_nframes_t n, float g0)
{
    const float step = 1.0f / SB_BYPASS_RAMP;
    const float target = e->processing ? 1.0f : 0.0f;
    const int fading = e->fading && old != src;
    const float len = e->fade_len ? (float)e->fade_len : 1.0f;
    float g = g0;
    for (jack_nframes_t i = 0; i < n; ++i) {
        g = g < target ? (g + step > target ? target : g + step)
                       : (g - step < target ? target : g - step);
        float f = fading ? (float)(e->fade_pos + i + 1) / len : 1.0f;
        f = f > 1.0f ? 1.0f : f;
        float v = (src ? src[i] * f : 0.0f) + (fading && old ? old[i] * (1.0f - f) : 0.0f);
        out[i] = v * g;
    }
    return g;
}

static void write_outputs(sb_engine *e, sb_plan *plan, jack_nframes_t n, int ran)
{
    const float g0 = e->processing_gain;
    float g = e->processing ? 1.0f : 0.0f;
    for (uint32_t o = 0; o < plan->n_outputs; ++o) {
        if (plan->outputs[o].atom) {
            void *midi = jack_port_get_buffer(plan->outputs[o].jack, n);
            if (ran) {
                sb_atom_to_midi(e, plan->outputs[o].atom, midi);
            } else {
                jack_midi_clear_buffer(midi);
            }
            continue;
        }
        float *out = jack_port_get_buffer(plan->outputs[o].jack, n);
        const sb_output *was = e->fading ? find_output(e->fading, plan->outputs[o].jack) : NULL;
        if (ran) {
            g = write_audio(e, out, plan->outputs[o].buf, was ? was->buf : NULL, n, g0);
        } else {
            memset(out, 0, n * sizeof(float));
        }
    }
    for (uint32_t o = 0; e->fading && o < e->fading->n_outputs; ++o) {
        const sb_output *left = &e->fading->outputs[o]; /* written by the old plan only */
        if (find_output(plan, left->jack)) {
            continue;
        }
        void *buf = jack_port_get_buffer(left->jack, n);
        if (left->atom) {
            jack_midi_clear_buffer(buf);
        } else if (ran) {
            g = write_audio(e, buf, NULL, left->buf, n, g0);
        } else {
            memset(buf, 0, n * sizeof(float));
        }
    }
    if (ran) {
        e->processing_gain = g;
    }
}

/* The peak |sample| of each monitored port, kept until the control side reads it. */
static void meter(sb_engine *e, const sb_plan *plan, jack_nframes_t n)
{
    for (uint32_t m = 0; m < plan->n_meters; ++m) {
        const sb_meter *mt = &plan->meters[m];
        const float *buf = mt->jack ? jack_port_get_buffer(mt->jack, n) : mt->buf;
        float peak = 0.0f;
        for (jack_nframes_t i = 0; i < n; ++i) {
            float v = buf[i] < 0.0f ? -buf[i] : buf[i];
            peak = v > peak ? v : peak;
            if (!(v <= FLT_MAX)) { /* NaN or infinity: report it as infinity */
                peak = INFINITY;
            }
        }
        uint32_t bits;
        memcpy(&bits, &peak, sizeof(bits));
        uint32_t old = atomic_load_explicit(&e->peaks[mt->index], memory_order_relaxed);
        while (bits > old && !atomic_compare_exchange_weak(&e->peaks[mt->index], &old, bits)) {
        }
    }
}

/* A switch whose outputs change: the new plan runs at once, the old one's leaving plugins run
   beside it and its outputs fade out while the new ones fade in. The old plan is let go (and
   adopted_gen published, so its removed plugins may be freed) the cycle after it ends. */
static void begin_crossfade(sb_engine *e, sb_plan *fresh)
{
    for (uint32_t s = 0; s < fresh->n_steps; ++s) {
        fresh->steps[s].inst->in_plan = fresh->gen;
    }
    e->fading = e->current;
    e->fade_pos = 0;
    e->fade_len = atomic_load_explicit(&e->crossfade, memory_order_relaxed);
    e->current = fresh;
}

static void end_crossfade(sb_engine *e, jack_nframes_t n)
{
    sb_plan *old = e->fading, *plan = e->current;
    e->fading = NULL;
    e->current = old;
    adopt(e, plan, n); /* zeroes what only the old plan wrote, retires it */
}

int sb_process(jack_nframes_t n, void *arg)
{
    sb_engine *e = arg;
    atomic_store_explicit(&e->rt_thread, (uint64_t)pthread_self(), memory_order_relaxed);
    if (e->fading && e->fade_pos >= e->fade_len) {
        end_crossfade(e, n);
    }
    sb_plan *fresh = NULL;
    if (!e->fading && sb_ring_write_space(&e->retire) >= sizeof(sb_plan *)) {
        fresh = atomic_exchange(&e->pending, NULL); /* first: messages sent before it are seen */
    }
    take_messages(e, n);
    sb_transport_cycle(e, n);
    if (fresh && e->current && e->processing_gain > 0.0f && n <= SB_MAX_BLOCK &&
        atomic_load_explicit(&e->crossfade, memory_order_relaxed) > 0 &&
        outputs_change(e->current, fresh)) {
        begin_crossfade(e, fresh);
    } else if (fresh) {
        adopt(e, fresh, n);
    }
    sb_midi_input(e, n);
    sb_plan *plan = e->current;
    atomic_fetch_add_explicit(&e->cycles, 1, memory_order_release);
    if (!plan) {
        return 0;
    }
    const int ran = n <= SB_MAX_BLOCK && (e->processing || e->processing_gain > 0.0f);
    if (ran) {
        for (uint32_t s = 0; s < plan->n_steps; ++s) {
            run_step(e, plan, &plan->steps[s], n);
        }
        for (uint32_t s = 0; e->fading && s < e->fading->n_steps; ++s) {
            if (e->fading->steps[s].inst->in_plan != plan->gen) { /* leaving: its tail fades */
                run_step(e, e->fading, &e->fading->steps[s], n);
            }
        }
    }
    write_outputs(e, plan, n, ran);
    if (ran) {
        meter(e, plan, n);
    }
    if (e->fading) {
        e->fade_pos = ran ? e->fade_pos + n : e->fade_len; /* ends next cycle */
    }
    return 0;
}
