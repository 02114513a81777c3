/* Graph plans: run order (topological, ties by number) and each input's sources, built off RT. */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* Kahn's algorithm over nodes (instance numbers, ascending); cycles are appended by number.
   order receives n_nodes numbers. Returns 0, or -1 when out of memory. */
int sb_plan_order(int n_nodes, const int *nodes, uint32_t n_edges, const sb_edge *edges, int *order)
{
    int *indeg = calloc((size_t)n_nodes + 1, sizeof(int));
    char *done = calloc((size_t)n_nodes + 1, 1);
    if (!indeg || !done) {
        free(indeg);
        free(done);
        return -1;
    }
    /* index of a number in nodes (nodes are sorted ascending) */
#define INDEX_OF(num, out)                                                                     \
    do {                                                                                       \
        int lo_ = 0, hi_ = n_nodes - 1;                                                        \
        (out) = -1;                                                                            \
        while (lo_ <= hi_) {                                                                   \
            int mid_ = (lo_ + hi_) / 2;                                                        \
            if (nodes[mid_] == (num)) {                                                        \
                (out) = mid_;                                                                  \
                break;                                                                         \
            }                                                                                  \
            if (nodes[mid_] < (num)) {                                                         \
                lo_ = mid_ + 1;                                                                \
            } else {                                                                           \
                hi_ = mid_ - 1;                                                                \
            }                                                                                  \
        }                                                                                      \
    } while (0)
    for (uint32_t i = 0; i < n_edges; ++i) {
        int s, d;
        INDEX_OF(edges[i].src, s);
        INDEX_OF(edges[i].dst, d);
        if (s >= 0 && d >= 0 && s != d) {
            ++indeg[d];
        }
    }
    int n = 0;
    while (n < n_nodes) {
        int pick = -1;
        for (int i = 0; i < n_nodes; ++i) {
            if (!done[i] && indeg[i] == 0) {
                pick = i;
                break;
            }
        }
        if (pick < 0) { /* a cycle: take the lowest number left; its feedback lags one cycle */
            for (int i = 0; i < n_nodes; ++i) {
                if (!done[i]) {
                    pick = i;
                    break;
                }
            }
        }
        done[pick] = 1;
        order[n++] = nodes[pick];
        for (uint32_t i = 0; i < n_edges; ++i) {
            int s, d;
            INDEX_OF(edges[i].src, s);
            INDEX_OF(edges[i].dst, d);
            if (s == pick && d >= 0 && d != s && !done[d]) {
                --indeg[d];
            }
        }
    }
#undef INDEX_OF
    free(indeg);
    free(done);
    return 0;
}

void sb_plan_free(sb_plan *p)
{
    if (!p) {
        return;
    }
    free(p->steps);
    free(p->inputs);
    free(p->srcs);
    free(p->outputs);
    free(p);
}

static int is_signal(const sb_port *port)
{
    return port->type == SB_PORT_AUDIO || port->type == SB_PORT_CV || port->type == SB_PORT_ATOM;
}

/* Caller holds e->lock. Every live instance runs; edges name (number, port index) pairs. */
sb_plan *sb_plan_build(sb_engine *e, uint64_t gen)
{
    int n_nodes = 0;
    uint32_t n_inputs = 0, n_outputs = 0;
    for (int i = 0; i <= e->max_number; ++i) {
        sb_instance *inst = e->table[i];
        if (!inst) {
            continue;
        }
        ++n_nodes;
        for (uint32_t p = 0; p < inst->n_ports; ++p) {
            const sb_port *port = &inst->ports[p];
            if (is_signal(port) && port->is_input) {
                ++n_inputs;
            } else if (is_signal(port) && port->jack) {
                ++n_outputs;
            }
        }
    }
    sb_plan *plan = calloc(1, sizeof(sb_plan));
    int *nodes = calloc((size_t)n_nodes + 1, sizeof(int));
    int *order = calloc((size_t)n_nodes + 1, sizeof(int));
    if (!plan || !nodes || !order) {
        goto fail;
    }
    plan->gen = gen;
    plan->steps = calloc((size_t)n_nodes + 1, sizeof(sb_step));
    plan->inputs = calloc((size_t)n_inputs + 1, sizeof(sb_input));
    plan->srcs = calloc((size_t)e->n_edges + 1, sizeof(void *));
    plan->outputs = calloc((size_t)n_outputs + 1, sizeof(sb_output));
    if (!plan->steps || !plan->inputs || !plan->srcs || !plan->outputs) {
        goto fail;
    }
    int k = 0;
    for (int i = 0; i <= e->max_number; ++i) {
        if (e->table[i]) {
            nodes[k++] = i;
        }
    }
    if (sb_plan_order(n_nodes, nodes, e->n_edges, e->edges, order)) {
        goto fail;
    }
    for (int s = 0; s < n_nodes; ++s) {
        sb_instance *inst = e->table[order[s]];
        sb_step *step = &plan->steps[plan->n_steps++];
        step->inst = inst;
        step->first_input = plan->n_inputs;
        for (uint32_t p = 0; p < inst->n_ports; ++p) {
            sb_port *port = &inst->ports[p];
            if (!is_signal(port)) {
                continue;
            }
            if (!port->is_input) {
                if (port->jack) {
                    plan->outputs[plan->n_outputs++] = (sb_output){
                        port->jack, port->buf, port->type == SB_PORT_ATOM ? port : NULL};
                }
                continue;
            }
            sb_input *in = &plan->inputs[plan->n_inputs++];
            in->inst = inst;
            in->port = p;
            in->ext = port->jack;
            in->first_src = plan->n_srcs;
            for (uint32_t j = 0; j < e->n_edges; ++j) {
                const sb_edge *edge = &e->edges[j];
                if (edge->dst != inst->number || (uint32_t)edge->dst_port != p) {
                    continue;
                }
                sb_instance *src = edge->src >= 0 && edge->src <= e->max_number
                                       ? e->table[edge->src]
                                       : NULL;
                if (!src || (uint32_t)edge->src_port >= src->n_ports) {
                    continue;
                }
                const sb_port *sp = &src->ports[edge->src_port];
                if (sp->is_input || !is_signal(sp) || (sp->type == SB_PORT_ATOM) != (port->type == SB_PORT_ATOM)) {
                    continue;
                }
                plan->srcs[plan->n_srcs++] = sp->buf;
            }
            in->n_src = plan->n_srcs - in->first_src;
        }
        step->n_inputs = plan->n_inputs - step->first_input;
    }
    for (uint32_t m = 0; m < SB_MAX_MONITORS; ++m) {
        const sb_monitor *mon = &e->monitors[m];
        if (!mon->used) {
            continue;
        }
        sb_instance *inst = mon->number >= 0 && mon->number <= e->max_number
                                ? e->table[mon->number]
                                : NULL;
        if (mon->jack) {
            plan->meters[plan->n_meters++] = (sb_meter){m, NULL, mon->jack};
        } else if (inst && (uint32_t)mon->port < inst->n_ports &&
                   (inst->ports[mon->port].type == SB_PORT_AUDIO ||
                    inst->ports[mon->port].type == SB_PORT_CV)) {
            plan->meters[plan->n_meters++] = (sb_meter){m, inst->ports[mon->port].buf, NULL};
        }
    }
    free(nodes);
    free(order);
    return plan;
fail:
    free(nodes);
    free(order);
    sb_plan_free(plan);
    return NULL;
}
