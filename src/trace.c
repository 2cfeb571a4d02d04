/* Chrome trace-event JSON ("X" complete events, microseconds). */
#include "mlsim/trace.h"

#include "mlsim/textio.h"

void mlsim_trace_begin(FILE *out)
{
    fputs("{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n", out);
}

void mlsim_trace_process(FILE *out, const struct mlsim_sim *sim, int pid, const char *name,
                         int first)
{
    fprintf(out, "%s{\"ph\": \"M\", \"pid\": %d, \"name\": \"process_name\", \"args\": {\"name\": ",
            first ? "" : ",\n", pid);
    mlsim_json_string(out, name);
    fputs("}}", out);
    for (size_t r = 0; r < mlsim_sim_resource_count(sim); r++) {
        fprintf(out,
                ",\n{\"ph\": \"M\", \"pid\": %d, \"tid\": %zu, \"name\": \"thread_name\", "
                "\"args\": {\"name\": ",
                pid, r);
        char track[96];
        int group = mlsim_sim_resource_group_of(sim, (int)r);
        if (group >= 0)
            snprintf(track, sizeof track, "rank %d %s", group,
                     mlsim_sim_resource_name(sim, (int)r));
        else
            snprintf(track, sizeof track, "%s", mlsim_sim_resource_name(sim, (int)r));
        mlsim_json_string(out, track);
        fputs("}}", out);
    }
    for (size_t i = 0; i < mlsim_sim_task_count(sim); i++) {
        const struct mlsim_sim_task *t = mlsim_sim_task_get(sim, (int64_t)i);
        if (t->resource < 0 || t->start_s < 0)
            continue;
        fprintf(
            out,
            ",\n{\"ph\": \"X\", \"pid\": %d, \"tid\": %d, \"ts\": %.3f, \"dur\": %.3f, \"name\": ",
            pid, t->resource, t->start_s * 1e6, (t->end_s - t->start_s) * 1e6);
        mlsim_json_string(out, t->name);
        fprintf(
            out,
            ", \"args\": {\"flops\": %.6g, \"bytes\": %.6g, \"layer\": %d, \"microbatch\": %d}}",
            t->flops, t->bytes, t->layer, t->microbatch);
    }
}

void mlsim_trace_end(FILE *out)
{
    fputs("\n]}\n", out);
}
