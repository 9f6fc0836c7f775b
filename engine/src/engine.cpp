// Model: loading (config.json -> ModelConfig, checkpoint -> validated, bound ModelWeights) and the
// compute pool shared by the model's sessions. See folio/engine.h.
#include "folio/engine.h"

#include "config.h"
#include "cpu/thread_pool.h"
#include "model/weights.h"
#include "session_impl.h"
#include "tensor_directory.h"

namespace folio {

Model::Model()
    : m_impl(std::make_unique<Impl>())
{}

Model::~Model() = default;

Result<std::shared_ptr<const Model>> Model::load(const std::string &model_dir,
                                                 const LoadOptions &options)
{
    auto cfg = load_model_config(model_dir + "/config.json");
    if (!cfg)
        return cfg.status();
    auto ckpt = Checkpoint::open(model_dir);
    if (!ckpt)
        return ckpt.status();
    auto weights = bind_weights(*ckpt, *cfg);
    if (!weights)
        return weights.status();
    std::shared_ptr<Model> m(new Model());
    Impl &impl = *m->m_impl;
    impl.weights = *weights;
    impl.pool = std::make_shared<ThreadPool>(options.threads);
    ModelInfo &info = impl.info;
    info.vocab_size = cfg->vocab_size;
    info.n_layers = cfg->n_layers;
    info.dim = cfg->dim;
    info.max_context = cfg->max_position_embeddings;
    info.bos_token_id = cfg->bos_token_id;
    info.eos_token_id = cfg->eos_token_id;
    info.has_mtp = cfg->n_mtp_layers > 0;
    info.fingerprint = (*ckpt)->fingerprint();
    info.kv_bytes_per_token = kv_bytes_per_token(*cfg);
    auto device = open_device_backend(impl.weights, options, info); // null = CPU
    if (!device)
        return device.status();
    impl.device = *device;
    return std::shared_ptr<const Model>(std::move(m));
}

const ModelInfo &Model::info() const
{
    return m_impl->info;
}

std::unique_ptr<Session> Model::create_session() const
{
    auto impl = std::make_unique<Session::Impl>();
    impl->weights = m_impl->weights;
    impl->pool = m_impl->pool;
    impl->fingerprint = m_impl->info.fingerprint;
    impl->state = KvState::create(m_impl->weights->cfg);
    if (m_impl->device)
        impl->device = m_impl->device->create_session();
    return std::unique_ptr<Session>(new Session(std::move(impl)));
}

} // namespace folio
