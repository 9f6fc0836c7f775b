// Memory and split planning of the CUDA backend and the expert cache policy (see backend_plan.h).
#include "backend_plan.h"

#include <cstdio>

#include "safetensors.h"
#include "tensor_directory.h"

namespace folio {

std::uint64_t ModelBytes::total() const
{
    std::uint64_t t = embed + head + mtp;
    for (std::size_t i = 0; i < layer_dense.size(); ++i)
        t += layer_dense[i] + layer_experts[i];
    return t;
}

std::uint64_t PlanStage::used() const
{
    return weight_bytes + kv_bytes + expert_cache_bytes;
}

ModelBytes model_bytes(const ModelConfig &cfg)
{
    ModelBytes b;
    b.layer_dense.assign(std::size_t(cfg.n_layers), 0);
    b.layer_experts.assign(std::size_t(cfg.n_layers), 0);
    for (const TensorSpec &t : expected_tensors(cfg)) {
        std::uint64_t n = dtype_size(t.dtype);
        for (std::int64_t d : t.shape)
            n *= std::uint64_t(d);
        const std::string &name = t.name;
        if (name == "embed.weight") {
            b.embed += n;
        } else if (name.rfind("mtp.", 0) == 0) {
            b.mtp += n;
        } else if (name.rfind("layers.", 0) == 0) {
            const int layer = std::stoi(name.substr(7));
            if (layer < 0 || layer >= cfg.n_layers)
                continue;
            if (name.find(".experts.") != std::string::npos) {
                b.layer_experts[std::size_t(layer)] += n;
                if (layer == 0 && name.find(".experts.0.") != std::string::npos)
                    b.expert += n;
            } else {
                b.layer_dense[std::size_t(layer)] += n;
            }
        } else {
            b.head += n;
        }
    }
    return b;
}

namespace {

std::string gib(std::uint64_t bytes)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f GiB", double(bytes) / double(1ull << 30));
    return buf;
}

} // namespace

Result<BackendPlan> plan_backend(const ModelBytes &bytes, const PlanRequest &req)
{
    if (req.gpus.empty())
        return Status::error("no GPU to plan for");
    const int n_layers = int(bytes.layer_dense.size());
    if (n_layers == 0)
        return Status::error("the model has no layers");
    BackendPlan plan;
    plan.experts_on_host = req.expert_cache_bytes > 0;
    std::uint64_t cache_slots = 0;
    if (plan.experts_on_host) {
        if (bytes.expert == 0)
            return Status::error("the model has no routed experts to cache");
        cache_slots = req.expert_cache_bytes / bytes.expert;
        if (cache_slots == 0)
            return Status::error("an expert cache of " + gib(req.expert_cache_bytes)
                                 + " holds no expert (one expert is " + gib(bytes.expert) + ")");
        for (std::uint64_t e : bytes.layer_experts)
            plan.host_expert_bytes += e;
    }
    const std::uint64_t kv_layer = req.kv_bytes_per_token * req.context_tokens
                                   / std::uint64_t(n_layers);
    auto layer_cost = [&](int l) {
        return bytes.layer_dense[std::size_t(l)]
               + (plan.experts_on_host ? 0 : bytes.layer_experts[std::size_t(l)]) + kv_layer;
    };
    const std::uint64_t head_cost = bytes.head + bytes.mtp;
    int layer = 0;
    for (std::size_t g = 0; g < req.gpus.size(); ++g) {
        PlanStage st;
        st.device = req.gpus[g].device;
        st.first_layer = layer;
        st.embed = g == 0;
        std::uint64_t used = st.embed ? bytes.embed : 0;
        if (plan.experts_on_host) {
            used += cache_slots * bytes.expert;
            st.expert_cache_slots = cache_slots;
            st.expert_cache_bytes = cache_slots * bytes.expert;
        }
        const std::uint64_t budget = req.gpus[g].usable_bytes;
        if (used > budget)
            return Status::error("cuda:" + std::to_string(st.device) + " has " + gib(budget)
                                 + ", less than the " + gib(used)
                                 + " of embeddings and expert cache");
        const bool last_gpu = g + 1 == req.gpus.size();
        while (layer < n_layers) {
            std::uint64_t need = layer_cost(layer);
            if (layer + 1 == n_layers)
                need += head_cost; // the head stays with the last layer
            if (used + need > budget)
                break;
            used += layer_cost(layer);
            st.weight_bytes += bytes.layer_dense[std::size_t(layer)]
                               + (plan.experts_on_host ? 0
                                                       : bytes.layer_experts[std::size_t(layer)]);
            st.kv_bytes += kv_layer;
            ++layer;
        }
        st.end_layer = layer;
        if (layer == n_layers) {
            st.head = true;
            st.weight_bytes += head_cost;
        }
        if (st.embed)
            st.weight_bytes += bytes.embed;
        if (st.end_layer > st.first_layer || st.embed || st.head)
            plan.stages.push_back(st);
        if (layer == n_layers)
            break;
        if (last_gpu) {
            std::uint64_t short_by = 0;
            for (int l = layer; l < n_layers; ++l)
                short_by += layer_cost(l);
            return Status::error("the model does not fit: layers " + std::to_string(layer) + ".."
                                 + std::to_string(n_layers - 1) + " and the head need "
                                 + gib(short_by + head_cost)
                                 + " more; add GPUs (--gpus) or keep experts in host memory "
                                   "(--expert-cache-gb)");
        }
    }
    return plan;
}

std::string BackendPlan::describe() const
{
    std::string out;
    for (const PlanStage &s : stages) {
        out += "cuda:" + std::to_string(s.device) + " layers " + std::to_string(s.first_layer)
               + ".." + std::to_string(s.end_layer - 1) + (s.embed ? " +embed" : "")
               + (s.head ? " +head" : "") + ", weights " + gib(s.weight_bytes) + ", KV "
               + gib(s.kv_bytes);
        if (s.expert_cache_slots)
            out += ", expert cache " + std::to_string(s.expert_cache_slots) + " experts";
        out += "\n";
    }
    if (experts_on_host)
        out += "routed experts in host memory: " + gib(host_expert_bytes) + "\n";
    return out;
}

Result<BackendChoice> choose_backend(const ModelBytes &bytes, const DeviceList &devices,
                                     const ChoiceRequest &req)
{
    BackendChoice choice;
    const bool is_auto = req.device.kind == DeviceRequest::Kind::Auto;
    if (req.device.kind == DeviceRequest::Kind::Cpu) {
        choice.note = "device cpu (requested)";
        return choice;
    }
    // In auto mode every reason not to use CUDA falls back to the CPU; otherwise it is an error.
    auto refuse = [&](const std::string &why) -> Result<BackendChoice> {
        if (!is_auto)
            return Status::error("device " + device_request_text(req.device) + ": " + why);
        choice.note = "device auto: cpu, because " + why;
        return choice;
    };
    if (!devices.cuda_compiled)
        return refuse("this engine was built without the CUDA backend (FOLIO_CUDA=OFF)");
    if (devices.cuda.empty())
        return refuse("no usable CUDA device (" + devices.cuda_error + ")");
    std::vector<int> gpus = req.device.gpus;
    if (gpus.empty()) {
        if (is_auto)
            for (const DeviceInfo &d : devices.cuda)
                gpus.push_back(d.index);
        else
            gpus.push_back(0);
    }
    PlanRequest plan_req;
    plan_req.context_tokens = req.context_tokens;
    plan_req.kv_bytes_per_token = req.kv_bytes_per_token;
    plan_req.expert_cache_bytes = req.expert_cache_bytes;
    for (int g : gpus) {
        const DeviceInfo *info = nullptr;
        for (const DeviceInfo &d : devices.cuda)
            if (d.index == g)
                info = &d;
        if (!info)
            return refuse("cuda:" + std::to_string(g) + " is not present ("
                          + std::to_string(devices.cuda.size()) + " CUDA device(s))");
        const std::uint64_t free = info->free_memory;
        plan_req.gpus.push_back({g, free > req.reserve_bytes ? free - req.reserve_bytes : 0});
    }
    auto plan = plan_backend(bytes, plan_req);
    if (!plan)
        return refuse(plan.status().message());
    choice.cuda = true;
    choice.plan = std::move(*plan);
    choice.device = "cuda:";
    for (std::size_t i = 0; i < gpus.size(); ++i) {
        if (i)
            choice.device += ',';
        choice.device += std::to_string(gpus[i]);
    }
    choice.note = std::string(is_auto ? "device auto: " : "device ") + choice.device + "\n"
                  + choice.plan.describe();
    while (!choice.note.empty() && choice.note.back() == '\n')
        choice.note.pop_back();
    return choice;
}

ExpertLru::ExpertLru(std::uint64_t slots)
    : m_slots(slots)
{}

ExpertLru::Access ExpertLru::lookup(std::int64_t key)
{
    Access a;
    auto it = m_where.find(key);
    if (it != m_where.end()) {
        ++m_hits;
        a.hit = true;
        a.slot = it->second->slot;
        m_order.splice(m_order.begin(), m_order, it->second);
        return a;
    }
    ++m_misses;
    if (m_slots == 0)
        return a; // no cache: every access misses and nothing is kept
    if (m_order.size() < m_slots) {
        a.slot = m_order.size();
    } else {
        Entry victim = m_order.back();
        m_order.pop_back();
        m_where.erase(victim.key);
        a.slot = victim.slot;
        a.evicted = victim.key;
    }
    m_order.push_front({key, a.slot});
    m_where[key] = m_order.begin();
    return a;
}

} // namespace folio
