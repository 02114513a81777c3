/* MIDI in the process thread: the board's MIDI input drives mapped controls (midi_map,
   midi_learn) and reports program changes; JACK MIDI ports <-> plugins' atom MIDI sequences. */
#include <jack/midiport.h>
#include <lv2/atom/util.h>
#include <string.h>

#include "engine.h"

static void push(sb_engine *e, sb_fb_msg m)
{
    sb_ring_write(&e->fb, &m, sizeof(m)); /* dropped when full */
}

static void set_control(sb_engine *e, const sb_mapping *map, float value)
{
    sb_instance *inst = map->inst;
    if (map->port == SB_BYPASS_PORT) {
        inst->bypass = value >= 0.5f * (map->lo + map->hi);
        if (inst->enabled_port >= 0) {
            inst->ports[inst->enabled_port].value = inst->bypass ? 0.0f : 1.0f;
        }
    } else if (map->port < inst->n_ports) {
        inst->ports[map->port].value = value;
    }
    push(e, (sb_fb_msg){SB_FB_PARAM, inst->number, map->port, value, 0, 0, map->lo, map->hi});
}

static void unmap(sb_engine *e, const sb_instance *inst, uint32_t port)
{
    for (int i = 0; i < SB_MAX_MAPPINGS; ++i) {
        sb_mapping *m = &e->mappings[i];
        if (m->inst == inst && (port == SB_ALL_PORTS || m->port == port)) {
            m->inst = NULL;
        }
    }
    if (e->learning.inst == inst && (port == SB_ALL_PORTS || e->learning.port == port)) {
        e->learning.inst = NULL;
    }
}

static void add_mapping(sb_engine *e, sb_mapping map)
{
    unmap(e, map.inst, map.port); /* one mapping per control */
    for (int i = 0; i < SB_MAX_MAPPINGS; ++i) {
        if (!e->mappings[i].inst) {
            e->mappings[i] = map;
            return;
        }
    }
}

void sb_midi_message(sb_engine *e, const sb_ctl_msg *m)
{
    switch (m->kind) {
    case SB_MSG_MIDI_MAP:
        add_mapping(e, (sb_mapping){m->inst, m->port, m->a, m->b, m->lo, m->hi});
        break;
    case SB_MSG_MIDI_LEARN:
        e->learning = (sb_mapping){m->inst, m->port, -1, -1, m->lo, m->hi};
        break;
    case SB_MSG_MIDI_UNMAP:
        unmap(e, m->inst, m->port);
        break;
    case SB_MSG_MIDI_PROGRAM:
        if (m->a >= 0 && m->a < 16) {
            uint16_t bit = (uint16_t)(1U << m->a);
            e->program_channels = m->value != 0.0f ? (uint16_t)(e->program_channels | bit)
                                                   : (uint16_t)(e->program_channels & ~bit);
        }
        break;
    default:
        break;
    }
}

static void controller(sb_engine *e, int channel, int cc, float unit, int raw)
{
    if (e->learning.inst) {
        sb_mapping map = e->learning;
        map.channel = channel;
        map.controller = cc;
        e->learning.inst = NULL;
        add_mapping(e, map);
        float value = map.lo + unit * (map.hi - map.lo);
        push(e, (sb_fb_msg){SB_FB_MIDI_MAPPED, map.inst->number, map.port, value, channel, cc,
                            map.lo, map.hi});
        set_control(e, &map, value);
        return;
    }
    int mapped = 0;
    for (int i = 0; i < SB_MAX_MAPPINGS; ++i) {
        const sb_mapping *m = &e->mappings[i];
        if (m->inst && m->channel == channel && m->controller == cc) {
            set_control(e, m, m->lo + unit * (m->hi - m->lo));
            mapped = 1;
        }
    }
    if (!mapped && (e->program_channels & (1U << channel)) && (cc < 128 || cc == SB_PITCH_BEND)) {
        push(e, (sb_fb_msg){SB_FB_CONTROL, 0, 0, (float)raw, channel, cc, 0, 0});
    }
}

/* Read the board's MIDI input for this cycle. */
void sb_midi_input(sb_engine *e, jack_nframes_t n)
{
    if (!e->midi_in) {
        return;
    }
    void *buf = jack_port_get_buffer(e->midi_in, n);
    uint32_t count = jack_midi_get_event_count(buf);
    for (uint32_t i = 0; i < count; ++i) {
        jack_midi_event_t ev;
        if (jack_midi_event_get(&ev, buf, i) || ev.size < 2) {
            continue;
        }
        int status = ev.buffer[0] & 0xF0, channel = ev.buffer[0] & 0x0F;
        if (status == 0xB0 && ev.size >= 3) {
            controller(e, channel, ev.buffer[1] & 0x7F, (float)(ev.buffer[2] & 0x7F) / 127.0f,
                       ev.buffer[2] & 0x7F);
        } else if (status == 0xE0 && ev.size >= 3) {
            int bend = (ev.buffer[1] & 0x7F) | ((ev.buffer[2] & 0x7F) << 7);
            controller(e, channel, SB_PITCH_BEND, (float)bend / 16383.0f, bend);
        } else if ((status == 0x90 || status == 0x80) && ev.size >= 3 &&
                   (e->program_channels & (1U << channel))) { /* footswitches that send notes */
            float velocity = status == 0x90 ? (float)(ev.buffer[2] & 0x7F) : 0.0f;
            push(e, (sb_fb_msg){SB_FB_NOTE, 0, 0, velocity, channel, ev.buffer[1] & 0x7F, 0, 0});
        } else if (status == 0xC0 && (e->program_channels & (1U << channel))) {
            push(e, (sb_fb_msg){SB_FB_PROGRAM, 0, 0, 0, ev.buffer[1] & 0x7F, channel, 0, 0});
        }
    }
}

/* Write an atom output sequence's MIDI events to a JACK MIDI output buffer. */
void sb_atom_to_midi(sb_engine *e, const sb_port *port, void *jack_buf)
{
    jack_midi_clear_buffer(jack_buf);
    const LV2_Atom_Sequence *seq = port->buf;
    if (seq->atom.type != e->urid_sequence ||
        seq->atom.size + sizeof(LV2_Atom) > port->buf_size) {
        return;
    }
    LV2_ATOM_SEQUENCE_FOREACH(seq, ev)
    {
        if (ev->body.type == e->urid_midi_event && ev->time.frames >= 0) {
            jack_midi_event_write(jack_buf, (jack_nframes_t)ev->time.frames,
                                  (const jack_midi_data_t *)(ev + 1), ev->body.size);
        }
    }
}
