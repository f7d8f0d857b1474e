// Building a LlamaModel: from a GGUF file, a Hugging Face folder, or random initialisation (tests).
// The mapping from checkpoint names to the model lives here, in one place.
import Foundation
import SetaTensor

/// Where weights come from: a tensor by its Hugging Face name, checked against the shape the config implies.
protocol LlamaWeightSource {
    var file: String { get }
    func has(_ name: String) -> Bool
    func tensor(_ name: String, shape: [Int]) throws -> Tensor
}

extension LlamaModel {
    /// Builds the model from `source`, checking every tensor's shape against `config`.
    static func load(config: LlamaConfig, from source: LlamaWeightSource) throws -> LlamaModel {
        let (d, hd, ff) = (config.hiddenSize, config.headDim, config.intermediateSize)
        let (h, g) = (config.headCount, config.kvHeadCount)
        func linear(_ name: String, out: Int, in inF: Int, bias: Bool) throws -> Linear {
            Linear(weight: try source.tensor(name + ".weight", shape: [out, inF]),
                   bias: bias ? try source.tensor(name + ".bias", shape: [out]) : nil)
        }
        let blocks = try (0..<config.layerCount).map { i -> LlamaBlock in
            let p = "model.layers.\(i)."
            let attention = LlamaAttention(
                q: try linear(p + "self_attn.q_proj", out: h * hd, in: d, bias: config.qkvBias),
                k: try linear(p + "self_attn.k_proj", out: g * hd, in: d, bias: config.qkvBias),
                v: try linear(p + "self_attn.v_proj", out: g * hd, in: d, bias: config.qkvBias),
                o: try linear(p + "self_attn.o_proj", out: d, in: h * hd, bias: config.outputBias), config: config)
            let mlp = LlamaMLP(gate: try linear(p + "mlp.gate_proj", out: ff, in: d, bias: false),
                               up: try linear(p + "mlp.up_proj", out: ff, in: d, bias: false),
                               down: try linear(p + "mlp.down_proj", out: d, in: ff, bias: false))
            return LlamaBlock(attention: attention, mlp: mlp,
                              attentionNorm: try source.tensor(p + "input_layernorm.weight", shape: [d]),
                              mlpNorm: try source.tensor(p + "post_attention_layernorm.weight", shape: [d]),
                              eps: config.rmsNormEps)
        }
        let embeddings = try source.tensor("model.embed_tokens.weight", shape: [config.vocabSize, d])
        let head = config.tiedEmbeddings || !source.has("lm_head.weight")
            ? nil : try source.tensor("lm_head.weight", shape: [config.vocabSize, d])
        return LlamaModel(config: config, embeddings: embeddings, blocks: blocks,
                          finalNorm: try source.tensor("model.norm.weight", shape: [d]), lmHead: head)
    }

    /// Random weights (normal, std 0.02 for projections; ones for norms) — for tests and tiny experiments.
    public static func random(config: LlamaConfig, rng: inout SeededRNG, std: Float = 0.02) -> LlamaModel {
        struct RandomSource: LlamaWeightSource {
            var rng: SeededRNG
            let std: Float
            var file: String { "<random>" }
            func has(_ name: String) -> Bool { true }
            func tensor(_ name: String, shape: [Int]) throws -> Tensor {
                if name.hasSuffix("norm.weight") { let t = Tensor(zeros: shape); t.fill(1); return t }
                if name.hasSuffix(".bias") { return Tensor(zeros: shape) }
                var r = SeededRNG(seed: rng.seed ^ UInt64(truncatingIfNeeded: name.hashValueStable))
                return Tensor.randn(shape, std: std, rng: &r)
            }
        }
        let source = RandomSource(rng: rng.fork(), std: std)
        return try! load(config: config, from: source)
    }
}

extension String {
    /// FNV-1a of the UTF-8 bytes: a hash that is the same in every run (Swift's `hashValue` is seeded per process).
    public var hashValueStable: UInt64 { stableHash(utf8) }
}

/// FNV-1a over bytes: the same value in every process and run (Swift's `hashValue` is seeded per process).
/// `seed` continues an earlier hash, so several pieces hash as if concatenated.
public func stableHash<Bytes: Sequence>(_ bytes: Bytes, seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64
    where Bytes.Element == UInt8 {
    var h = seed
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
}

// MARK: - Hugging Face folder (config.json + safetensors)

struct SafetensorsWeightSource: LlamaWeightSource {
    let checkpoint: SafetensorsCheckpoint
    var file: String { checkpoint.folder.path }
    func has(_ name: String) -> Bool { checkpoint.weightMap[name] != nil }
    func tensor(_ name: String, shape: [Int]) throws -> Tensor { try checkpoint.tensor(name, shape: shape) }
}

extension LlamaModel {
    /// Loads `config.json` + `model.safetensors` (or sharded safetensors with their index) from `folder`.
    public static func load(huggingFaceFolder folder: URL) throws -> LlamaModel {
        let configURL = folder.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw ModelError.missingFile(folder.path, "config.json is missing")
        }
        let config = try LlamaConfig(configJSON: configURL)
        return try load(config: config,
                        from: SafetensorsWeightSource(checkpoint: try SafetensorsCheckpoint(folder: folder)))
    }
}

// MARK: - GGUF (llama.cpp)

struct GGUFWeightSource: LlamaWeightSource {
    let gguf: GGUFFile
    let config: LlamaConfig
    var file: String { gguf.url.path }

    /// Hugging Face name → GGUF name.
    static func ggufName(_ hf: String) -> String {
        let fixed = ["model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
                     "lm_head.weight": "output.weight"]
        if let n = fixed[hf] { return n }
        let parts = hf.split(separator: ".")   // model.layers.{i}.{module}.{proj}.{weight|bias}
        guard parts.count >= 5, parts[1] == "layers" else { return hf }
        let module = parts[3...].dropLast().joined(separator: "."), kind = parts.last!
        let map = ["self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
                   "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
                   "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm"]
        return "blk.\(parts[2]).\(map[module] ?? module).\(kind)"
    }

    func has(_ name: String) -> Bool { gguf.tensorInfos[Self.ggufName(name)] != nil }

    func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        let t = try gguf.tensor(Self.ggufName(name), shape: shape)
        // llama.cpp stores q/k rows interleaved for its RoPE; undo it to get the Hugging Face layout.
        guard config.modelType == "llama" else { return t }  // only the llama converter permutes
        if name.contains("self_attn.q_proj") { return unpermuteLlamaQK(t, heads: config.headCount) }
        if name.contains("self_attn.k_proj") { return unpermuteLlamaQK(t, heads: config.kvHeadCount) }
        return t
    }
}

extension LlamaConfig {
    /// The configuration a llama-architecture GGUF declares in its metadata.
    public init(gguf: GGUFFile) throws {
        let file = gguf.url.path
        guard let arch = gguf.architecture else { throw ModelError.invalidConfig(file, "no general.architecture") }
        guard arch == "llama" || arch == "qwen2" else {
            throw ModelError.invalidConfig(file, "architecture \"\(arch)\" is not a Llama-family model (llama, qwen2)")
        }
        func int(_ key: String) throws -> Int {
            guard let v = gguf["\(arch).\(key)"]?.int else {
                throw ModelError.invalidConfig(file, "missing \(arch).\(key)")
            }
            return v
        }
        let vocab = gguf["tokenizer.ggml.tokens"]?.array?.count ?? gguf["\(arch).vocab_size"]?.int
        guard let vocab else { throw ModelError.invalidConfig(file, "no tokenizer.ggml.tokens to size the vocabulary") }
        let heads = try int("attention.head_count"), hidden = try int("embedding_length")
        if let type = gguf["\(arch).rope.scaling.type"]?.string, type != "none" {
            throw ModelError.invalidConfig(file, "RoPE scaling \"\(type)\" is not supported")
        }
        self.init(modelType: arch, vocabSize: vocab, hiddenSize: hidden,
                  intermediateSize: try int("feed_forward_length"),
                  layerCount: try int("block_count"), headCount: heads,
                  kvHeadCount: gguf["\(arch).attention.head_count_kv"]?.int ?? heads,
                  headDim: gguf["\(arch).attention.key_length"]?.int,
                  rmsNormEps: gguf["\(arch).attention.layer_norm_rms_epsilon"]?.float ?? 1e-5,
                  ropeTheta: gguf["\(arch).rope.freq_base"]?.float ?? 10000,
                  maxPositions: gguf["\(arch).context_length"]?.int ?? 2048,
                  tiedEmbeddings: gguf.tensorInfos["output.weight"] == nil,
                  qkvBias: gguf.tensorInfos["blk.0.attn_q.bias"] != nil,
                  outputBias: gguf.tensorInfos["blk.0.attn_output.bias"] != nil,
                  bosTokenId: gguf["tokenizer.ggml.bos_token_id"]?.int,
                  eosTokenIds: gguf["tokenizer.ggml.eos_token_id"]?.int.map { [$0] } ?? [])
        if let problem = problems.first { throw ModelError.invalidConfig(file, problem) }
    }
}

extension LlamaModel {
    /// Loads a llama-architecture GGUF, dequantising every tensor to float32.
    public static func load(gguf: GGUFFile) throws -> LlamaModel {
        let config = try LlamaConfig(gguf: gguf)
        return try load(config: config, from: GGUFWeightSource(gguf: gguf, config: config))
    }
}
