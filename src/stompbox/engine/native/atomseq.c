/* Atom sequences in the process thread: append one event, and merge every source feeding one
   atom input (other plugins' outputs and the engine's JACK MIDI port) in frame order. */
#include <jack/midiport.h>
#include <lv2/atom/util.h>
#include <string.h>

#include "engine.h"

/* RT: append an event (body `atom`) at `frames` to port's sequence; 0, or -1 when full. */
int sb_seq_append(sb_port *port, int64_t frames, const LV2_Atom *atom)
{
    LV2_Atom_Sequence *seq = port->buf;
    uint32_t used = (uint32_t)sizeof(LV2_Atom) + seq->atom.size;
    uint32_t body = (uint32_t)sizeof(LV2_Atom) + atom->size;
    uint32_t need = (uint32_t)sizeof(LV2_Atom_Event) + lv2_atom_pad_size(atom->size);
    if (atom->size > port->buf_size || used + need > port->buf_size) {
        return -1;
    }
    LV2_Atom_Event *ev = (LV2_Atom_Event *)((char *)seq + used);
    ev->time.frames = frames;
    memcpy(&ev->body, atom, body);
    seq->atom.size += need;
    return 0;
}

static int append_midi(sb_engine *e, sb_port *port, const jack_midi_event_t *ev)
{
    LV2_Atom_Sequence *seq = port->buf;
    uint32_t used = (uint32_t)sizeof(LV2_Atom) + seq->atom.size;
    uint32_t need = (uint32_t)sizeof(LV2_Atom_Event) + lv2_atom_pad_size((uint32_t)ev->size);
    if (ev->size > port->buf_size || used + need > port->buf_size) {
        return -1;
    }
    LV2_Atom_Event *out = (LV2_Atom_Event *)((char *)seq + used);
    out->time.frames = ev->time;
    out->body.type = e->urid_midi_event;
    out->body.size = (uint32_t)ev->size;
    memcpy(out + 1, ev->buffer, ev->size);
    seq->atom.size += need;
    return 0;
}

/* ev lies wholly inside seq (a plugin's sizes are not trusted further). */
static const LV2_Atom_Event *inside(const LV2_Atom_Sequence *seq, const LV2_Atom_Event *ev)
{
    const char *end = (const char *)&seq->body + seq->atom.size;
    if (lv2_atom_sequence_is_end(&seq->body, seq->atom.size, ev) ||
        (const char *)(ev + 1) > end || ev->body.size > (uint32_t)(end - (const char *)(ev + 1))) {
        return NULL;
    }
    return ev;
}

/* A source sequence's first event, or NULL when it is not a usable sequence this cycle. */
static const LV2_Atom_Event *first(sb_engine *e, const LV2_Atom_Sequence *seq, uint32_t limit)
{
    if (!seq || seq->atom.type != e->urid_sequence || seq->atom.size < sizeof(seq->body) ||
        seq->atom.size + sizeof(LV2_Atom) > limit) {
        return NULL;
    }
    return inside(seq, lv2_atom_sequence_begin(&seq->body));
}

static const LV2_Atom_Event *next(const LV2_Atom_Sequence *seq, const LV2_Atom_Event *ev)
{
    return inside(seq, lv2_atom_sequence_next(ev));
}

/* RT: append to port's sequence (already reset, maybe holding frame-0 events) the events of
   up to SB_MAX_MERGE source sequences and of a JACK MIDI buffer (or NULL), ordered by frame;
   ties keep source order, JACK last. Stops when the port is full. No allocation. */
void sb_seq_merge(sb_engine *e, sb_port *port, const void *const *srcs, uint32_t n_src,
                  void *jack_buf)
{
    const LV2_Atom_Sequence *seqs[SB_MAX_MERGE];
    const LV2_Atom_Event *cur[SB_MAX_MERGE];
    uint32_t k = n_src < SB_MAX_MERGE ? n_src : SB_MAX_MERGE;
    /* every atom buffer holds at least SB_ATOM_CAPACITY bytes: a claim past both is a lie */
    uint32_t limit = port->buf_size > SB_ATOM_CAPACITY ? port->buf_size : SB_ATOM_CAPACITY;
    for (uint32_t i = 0; i < k; ++i) {
        seqs[i] = srcs[i];
        cur[i] = first(e, seqs[i], limit);
    }
    uint32_t jack_count = jack_buf ? jack_midi_get_event_count(jack_buf) : 0;
    uint32_t jack_next = 0;
    jack_midi_event_t jev;
    int have_jack = 0;
    while (jack_next < jack_count && !have_jack) {
        have_jack = !jack_midi_event_get(&jev, jack_buf, jack_next++);
    }
    for (;;) {
        int pick = -1;
        int64_t best = 0;
        for (uint32_t i = 0; i < k; ++i) {
            if (cur[i] && (pick < 0 || cur[i]->time.frames < best)) {
                pick = (int)i;
                best = cur[i]->time.frames;
            }
        }
        if (have_jack && (pick < 0 || (int64_t)jev.time < best)) {
            if (append_midi(e, port, &jev)) {
                return;
            }
            have_jack = 0;
            while (jack_next < jack_count && !have_jack) {
                have_jack = !jack_midi_event_get(&jev, jack_buf, jack_next++);
            }
            continue;
        }
        if (pick < 0) {
            return;
        }
        if (sb_seq_append(port, cur[pick]->time.frames, &cur[pick]->body)) {
            return;
        }
        cur[pick] = next(seqs[pick], cur[pick]);
    }
}
