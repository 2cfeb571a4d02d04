/*
 * The field reference. Defaults are written as the resolver applies them (scenario.c,
 * wholerun.c), with their sources where they have one; "required" fields have none.
 */
#include "mlsim/fields.h"

#include <string.h>

#include "mlsim/scenario.h"

const struct mlsim_field_doc mlsim_fields_docs[] = {
    {"name", "the model's name", "the run's name in reports"},
    {"charts", "-", "charts `mlsim plot` draws from this scenario"},
    {"description", "-", "a line of text about the run"},
    {"sweep", "-", "one run per point: {FIELD: [values] or {from, to, step or factor}, combine}"},
    {"mode", "simulate without mfu, else analytic",
     "analytic (6 N D at an assumed MFU), simulate (a step kernel by kernel), inference"},
    {"model", "required", "the model: a zoo id (`mlsim models`) or a mapping of the fields below"},
    {"model.from", "-", "a zoo model whose fields the run takes, each unless given"},
    {"model.name", "the zoo model's name", "the model's name"},
    {"model.type", "transformer", "transformer, or mlp (a stack of dense layers)"},
    {"model.widths", "required for an mlp", "an MLP's layer widths: inputs, hidden..., outputs"},
    {"model.hidden_width", "- (as widths)", "every hidden width of widths, one knob to sweep"},
    {"model.params", "counted from the shape", "trainable parameters"},
    {"model.tokens", "the zoo model's; else required",
     "training tokens (samples for an MLP); not for inference"},
    {"model.layers", "required to simulate", "transformer layers"},
    {"model.hidden", "required to simulate", "the model (residual) width"},
    {"model.heads", "required to simulate", "attention heads"},
    {"model.kv_heads", "heads", "key and value heads (fewer: grouped-query; 1: multi-query)"},
    {"model.head_dim", "hidden / heads",
     "width of one head's queries, keys and values (T5's d_kv, Gemma 7B's 256)"},
    {"model.window", "0 (every key)", "sliding-window attention: keys each query attends"},
    {"model.parallel_block", "false", "attention and MLP side by side on one norm (GPT-J, PaLM)"},
    {"model.gated_mlp", "false", "a gated MLP of three matrices (SwiGLU, GeGLU)"},
    {"model.biases", "true", "biases in linear layers and norms (false: Llama, PaLM)"},
    {"model.tied_embeddings", "true", "the output head reuses the token embedding"},
    {"model.position", "learned",
     "positions: learned (a table of seq_len x hidden), rotary, alibi, relative (T5's biases)"},
    {"model.ffn", "4 x hidden", "the MLP's inner width"},
    {"model.seq_len", "required to simulate",
     "tokens per training sequence (an encoder-decoder's inputs)"},
    {"model.encoder_layers", "0 (a decoder only)",
     "of model.layers, the first ones an encoder's (T5); the rest decode with cross-attention"},
    {"model.decoder_seq_len", "seq_len", "an encoder-decoder's target tokens per sequence"},
    {"model.vocab", "required to simulate", "vocabulary size"},
    {"model.experts", "0 (dense)", "routed experts of a mixture of experts"},
    {"model.top_k", "1 with experts", "experts each token is routed to"},
    {"model.shared_experts", "0", "experts every token passes through (DeepSeek)"},
    {"model.expert_ffn", "ffn", "one expert's MLP width (fine-grained experts)"},
    {"model.dense_layers", "0", "leading layers with a dense MLP (DeepSeek-V3: 3)"},
    {"model.moe_every", "1", "every Nth layer routes (GShard, Switch: 2)"},
    {"model.capacity_factor", "0 (dropless)", "tokens an expert takes, over its even share"},
    {"model.load_imbalance", "1", "the busiest expert's tokens over the mean"},
    {"model.q_lora_rank", "0 (plain attention)", "MLA: the queries' latent width"},
    {"model.kv_lora_rank", "0 (plain attention)", "MLA: the keys' and values' latent width"},
    {"model.qk_nope_dim", "head width", "MLA: per-head query/key width without rotary"},
    {"model.qk_rope_dim", "0", "MLA: per-head rotary query/key width"},
    {"model.v_dim", "head width", "MLA: per-head value width"},
    {"hardware", "required", "the devices"},
    {"hardware.device", "the system's; else required", "a device id of the hardware database"},
    {"hardware.system", "the device's one system when a run spans nodes",
     "a system of nodes in hwdb/system/ (its node, network and power)"},
    {"hardware.count", "required", "devices in the run"},
    {"hardware.node_size", "the system's; else 8 (simulate), count (inference)",
     "devices per node"},
    {"hardware.link", "the device's first NVLink or ICI link",
     "the link collectives use in a node"},
    {"hardware.nic_bandwidth", "the system's; required past one node",
     "network bandwidth per node, each way (all its NICs)"},
    {"hardware.nic_latency", "the system's; else NVLink's step latency (NCCL's model)",
     "network latency per hop"},
    {"hardware.override", "-",
     "device fields over the device's own, hwdb's names and units (memory: {bandwidth: ...})"},
    {"training", "-", "how a simulated run trains"},
    {"training.micro_batch", "1 with a zoo batch; else required to simulate",
     "sequences per device per micro-batch"},
    {"training.global_batch", "the zoo model's recipe; else required to simulate",
     "sequences per step, all devices"},
    {"training.recompute", "none", "activation recomputation: none, selective, full"},
    {"training.attention", "plain",
     "attention kernel: plain, flash (FlashAttention-2) or cudnn (cuDNN's fused, TE on Hopper)"},
    {"training.optimizer", "adam", "optimizer (its states per parameter): adam, rmsprop, sgd"},
    {"training.bucket_size", "the framework's: Megatron-core's max(40M, 1M x dp) parameters",
     "gradient all-reduce bucket (pytorch: 25 MiB; deepspeed: 5e8 elements)"},
    {"training.overlap_comm", "true", "all-reduce gradients during the backward pass"},
    {"training.tp", "chosen by mlsim across nodes; else 1", "tensor-parallel size"},
    {"training.pp", "chosen by mlsim across nodes; else 1", "pipeline-parallel size"},
    {"training.ep", "1", "expert-parallel size, within the data-parallel group"},
    {"training.etp", "tp", "expert-tensor-parallel size (a divisor of tp)"},
    {"training.overlap_ep", "false", "the expert all-to-alls hidden behind compute (DualPipe)"},
    {"training.overlap_tp", "false",
     "sequence parallelism's all-gathers and reduce-scatters under their GEMMs"},
    {"training.interleave", "1", "model chunks per pipeline rank (interleaved schedule)"},
    {"training.cp", "1", "context-parallel size: each sequence split over cp ranks"},
    {"training.batch_rampup", "- (none)", "the batch ramped up over the first tokens (GPT-3)"},
    {"training.batch_rampup.start", "required with a ramp-up", "the first batch, in sequences"},
    {"training.batch_rampup.increment", "required with a ramp-up", "sequences added at each size"},
    {"training.batch_rampup.tokens", "required with a ramp-up", "tokens the ramp-up lasts"},
    {"training.cp_algo", "ring", "context parallelism's KV exchange: ring, allgather"},
    {"training.first_stage_layers", "0 (even stages)", "layers of the first pipeline stage"},
    {"training.embedding_in_split", "false",
     "the embedding and the loss count as a layer each in the pipeline split (Megatron-LM)"},
    {"training.last_stage_layers", "0 (even stages)", "layers of the last pipeline stage"},
    {"training.schedule", "1f1b", "pipeline schedule: gpipe, 1f1b, interleaved"},
    {"training.sharding", "none", "ZeRO sharding: none, zero1, zero2, zero3 (FSDP FULL_SHARD)"},
    {"training.sequence_parallel", "false", "norms and dropout split along the sequence over TP"},
    {"training.memory_reserve", "0", "device memory kept back (CUDA context, fragmentation)"},
    {"training.host_overhead", "0", "the host's own work per step before the devices start"},
    {"training.framework", "none",
     "host work per kernel and step (pytorch, one node) or a pipeline engine's switches "
     "(deepspeed); none and megatron are Megatron-LM's step"},
    {"training.evaluation", "- (none)",
     "forward passes over a held-out set, on the clock (MLPerf)"},
    {"training.evaluation.every", "required with evaluation", "tokens trained between two passes"},
    {"training.evaluation.tokens", "required with evaluation", "held-out tokens each pass reads"},
    {"training.init_time", "0", "initialization before the clock; MLPerf times past 20 min"},
    {"precision", "bf16, else fp16, else the device's widest (mixed precision)",
     "the number format of the matmuls"},
    {"mfu", "required in analytic mode", "assumed model FLOPs utilization"},
    {"inference", "-", "inference mode's bound"},
    {"inference.latency_bound", "required for inference",
     "the largest batch whose latency stays under this is found"},
    {"inference.max_batch", "2^20", "search no further"},
    {"reference", "-", "a published measurement of this run, printed against the prediction"},
    {"reference.tflops_per_device", "-", "measured throughput per device"},
    {"reference.counting", "model", "how it was counted: model (MFU) or hardware (HFU) FLOPs"},
    {"reference.iteration_time", "-", "measured step time"},
    {"reference.source", "-", "where the measurement is published"},
    {"reference.relative", "-", "a throughput relative to the run whose relative is 1"},
    {"reference.time_to_train", "-", "measured time to train (MLPerf: run_start to run_stop)"},
    {"economics", "-", "prices and the grid"},
    {"economics.price_per_device_hour", "the device's rental price in hwdb",
     "rental price per device-hour"},
    {"economics.price_as_of", "the build's date", "the date hwdb prices are aged against"},
    {"economics.electricity_price", "0 (in the rental price)", "electricity billed on top"},
    {"economics.pue", "1.58 (Uptime Institute survey 2023)", "facility power over IT power"},
    {"economics.carbon_intensity", "480 gCO2/kWh (Ember 2024, world 2023)",
     "grid carbon intensity"},
    {"economics.device_power", "the device's TDP", "average draw per device"},
    {"economics.host_power_per_device", "the system's node share; else 0",
     "host share per device (CPUs, memory, NICs, fans)"},
    {"reliability", "-", "failures, checkpoints and restarts over the whole run"},
    {"reliability.gpu_failure_rate", "0", "failures per GPU-hour"},
    {"reliability.node_failure_rate", "6.5 per 1000 node-days (Kokolis et al. 2024, RSC-1)",
     "failures per node-hour, every cause"},
    {"reliability.nic_failure_rate", "0", "failures per NIC-hour"},
    {"reliability.switch_failure_rate", "0", "failures per switch-hour"},
    {"reliability.software_failure_rate", "0", "failures per node-hour from software"},
    {"reliability.rate_source", "required with a rate", "where the failure rates come from"},
    {"reliability.rate_uncertainty", "1 (none)", "a log-normal factor on the rates"},
    {"reliability.distribution", "exponential", "time between failures: exponential, weibull"},
    {"reliability.weibull_shape", "1", "the Weibull shape"},
    {"reliability.nics_per_node", "8 (DGX H100, Grand Teton)", "NICs per node"},
    {"reliability.switches", "3 per 64 NIC ports (leaf-spine, radix 64)", "network switches"},
    {"reliability.detection_time", "5 min (Kokolis et al. 2024)", "time to notice a failure"},
    {"reliability.restart_time", "10 min (assumed)", "reload and re-initialize after a failure"},
    {"reliability.reschedule_time", "5 min (assumed)", "swap in a spare node"},
    {"reliability.repair_time", "24 h (assumed)", "repair a failed node"},
    {"reliability.spare_nodes", "unlimited", "spare nodes"},
    {"reliability.checkpoint_bytes_per_param", "14 B (ZeRO, Sec. 3.1)",
     "checkpointed state per parameter"},
    {"reliability.checkpoint_write_per_node", "12.5 GB/s (assumed)",
     "checkpoint write bandwidth per node"},
    {"reliability.checkpoint_write_total", "unlimited", "the storage's total write bandwidth"},
    {"reliability.checkpoint_mode", "sync", "sync, or async (a stall, then written behind)"},
    {"reliability.checkpoint_stall", "required for async", "the pause of an async checkpoint"},
    {"reliability.checkpoint_interval", "Young-Daly's", "time between checkpoints"},
    {"reliability.straggler_slowdown", "0", "the run slowed by stragglers, a fraction"},
    {"reliability.samples", "200", "Monte Carlo replicates"},
    {"reliability.seed", "0", "seed of the failure draws"},
};
const size_t mlsim_fields_n_docs = sizeof mlsim_fields_docs / sizeof mlsim_fields_docs[0];

const struct mlsim_field_doc *mlsim_fields_doc(const char *path)
{
    for (size_t i = 0; i < mlsim_fields_n_docs; i++) {
        if (strcmp(mlsim_fields_docs[i].path, path) == 0)
            return &mlsim_fields_docs[i];
    }
    return NULL;
}

char *mlsim_fields_takes(const struct mlsim_field *f, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    switch (f->kind) {
    case MLSIM_FIELD_SECTION:
        snprintf(buf, len, (f->flags & MLSIM_FIELD_NAMED) ? "mapping or id" : "mapping");
        break;
    case MLSIM_FIELD_LIST:
        snprintf(buf, len, (f->flags & MLSIM_FIELD_TAKES_MAP) ? "mapping" : "list");
        break;
    case MLSIM_FIELD_QUANTITY:
        snprintf(buf, len, "%s", mlsim_units_dim_name(f->dim));
        break;
    case MLSIM_FIELD_INT:
        snprintf(buf, len, "whole number");
        break;
    case MLSIM_FIELD_STRING:
        snprintf(buf, len, "text");
        break;
    case MLSIM_FIELD_ENUM:
        for (size_t i = 0; f->names[i]; i++) {
            int w = snprintf(buf + used, len - used, "%s%s", i ? "|" : "", f->names[i]);
            if (w < 0 || (size_t)w >= len - used)
                break;
            used += (size_t)w;
        }
        break;
    }
    return buf;
}

void mlsim_fields_write(FILE *out, int markdown)
{
    if (markdown)
        fputs("| field | takes | default | meaning |\n|---|---|---|---|\n", out);
    else
        fprintf(out, "%-40s %-32s %s\n", "field", "takes", "default; meaning");
    for (size_t i = 0; i < mlsim_run_schema.n_fields; i++) {
        const struct mlsim_field *f = &mlsim_run_schema.fields[i];
        const struct mlsim_field_doc *doc = mlsim_fields_doc(f->path);
        char takes[128];
        mlsim_fields_takes(f, takes, sizeof takes);
        const char *def = doc ? doc->default_text : "?", *what = doc ? doc->meaning : "?";
        if (markdown) {
            fprintf(out, "| `%s` | ", f->path);
            for (const char *c = takes; *c; c++) {
                if (*c == '|') /* a bar would end the cell */
                    fputc('\\', out);
                fputc(*c, out);
            }
            fprintf(out, " | %s | %s |\n", def, what);
        } else
            fprintf(out, "%-40s %-32s %s; %s\n", f->path, takes, def, what);
    }
}
