// The Llama family's configuration: Hugging Face config.json keys (snake_case), also built from GGUF metadata.
// Covers Llama / SmolLM2 (no bias) and Qwen2 (q/k/v bias) with RoPE type "default".
import Foundation

public struct LlamaConfig: Codable, Equatable, Sendable {
    public var modelType: String = "llama"
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    public var rmsNormEps: Float
    public var ropeTheta: Float
    public var maxPositions: Int
    public var tiedEmbeddings: Bool
    /// Bias on q/k/v projections (Qwen2), or on all of q/k/v/o (Llama's `attention_bias`).
    public var qkvBias: Bool
    public var outputBias: Bool
    public var bosTokenId: Int?
    public var eosTokenIds: [Int]

    public init(modelType: String = "llama", vocabSize: Int, hiddenSize: Int, intermediateSize: Int, layerCount: Int,
                headCount: Int, kvHeadCount: Int, headDim: Int? = nil, rmsNormEps: Float = 1e-5,
                ropeTheta: Float = 10000, maxPositions: Int = 2048, tiedEmbeddings: Bool = true,
                qkvBias: Bool = false, outputBias: Bool = false, bosTokenId: Int? = nil, eosTokenIds: [Int] = []) {
        self.modelType = modelType; self.vocabSize = vocabSize; self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize; self.layerCount = layerCount; self.headCount = headCount
        // A non-positive head count is reported by `problems`, not trapped on here.
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim ?? (headCount > 0 && hiddenSize > 0 ? hiddenSize / headCount : 0)
        self.rmsNormEps = rmsNormEps; self.ropeTheta = ropeTheta; self.maxPositions = maxPositions
        self.tiedEmbeddings = tiedEmbeddings; self.qkvBias = qkvBias; self.outputBias = outputBias
        self.bosTokenId = bosTokenId; self.eosTokenIds = eosTokenIds
    }

    /// Largest size of any one axis (vocabulary, hidden, intermediate, layers, heads, head_dim): far above any
    /// real model (vocabularies reach ~2^18), and small enough that products of two sizes cannot overflow.
    public static let maxSize = 1 << 24

    /// Problems that make the configuration unusable, as sentences (empty when valid).
    public var problems: [String] {
        var p: [String] = []
        if vocabSize <= 0 || hiddenSize <= 0 || intermediateSize <= 0 || layerCount <= 0 {
            p.append("sizes must be positive")
        }
        if headCount <= 0 || kvHeadCount <= 0 || headCount % kvHeadCount != 0 {
            p.append("num_attention_heads (\(headCount)) must be a positive multiple of num_key_value_heads "
                     + "(\(kvHeadCount))")
        }
        if headDim <= 0 || headDim % 2 != 0 { p.append("head_dim \(headDim) must be positive and even for RoPE") }
        let sizes = [("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                     ("num_hidden_layers", layerCount), ("num_attention_heads", headCount),
                     ("num_key_value_heads", kvHeadCount), ("head_dim", headDim)]
        for (name, size) in sizes where size > Self.maxSize {
            p.append("\(name) \(size) is larger than \(Self.maxSize): not a real model")
        }
        return p
    }

    /// Parameter count of the base model.
    public var parameterCount: Int {
        let attention = hiddenSize * headDim * (2 * headCount + 2 * kvHeadCount)
        let mlp = 3 * hiddenSize * intermediateSize
        let perLayer = attention + mlp + 2 * hiddenSize + (qkvBias ? headDim * (headCount + 2 * kvHeadCount) : 0)
        return vocabSize * hiddenSize * (tiedEmbeddings ? 1 : 2) + layerCount * perLayer + hiddenSize
    }
}

// MARK: - Hugging Face config.json

extension LlamaConfig {
    /// Reads a Hugging Face `config.json` (transformers 4 or 5 layout: `rope_theta` at top level or inside
    /// `rope_parameters`). Only RoPE type "default" is supported.
    public init(configJSON url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelError.unreadable(url.path, "\(error.localizedDescription)")
        }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelError.invalidConfig(url.path, "not a JSON object")
        }
        func int(_ key: String) throws -> Int {
            guard let v = json[key] as? Int else {
                throw ModelError.invalidConfig(url.path, "missing or non-integer \"\(key)\"")
            }
            return v
        }
        let type = json["model_type"] as? String ?? "llama"
        guard ["llama", "qwen2", "mistral"].contains(type) else {
            throw ModelError.invalidConfig(url.path,
                                           "model_type \"\(type)\" is not a Llama-family model (llama, qwen2)")
        }
        let rope = json["rope_parameters"] as? [String: Any] ?? json["rope_scaling"] as? [String: Any]
        if let ropeType = (rope?["rope_type"] ?? rope?["type"]) as? String, ropeType != "default" {
            throw ModelError.invalidConfig(url.path, "RoPE type \"\(ropeType)\" is not supported (only \"default\")")
        }
        let theta = (json["rope_theta"] as? Double) ?? (rope?["rope_theta"] as? Double) ?? 10000
        let eos: [Int] = (json["eos_token_id"] as? Int).map { [$0] } ?? (json["eos_token_id"] as? [Int]) ?? []
        let attentionBias = json["attention_bias"] as? Bool ?? false
        let hidden = try int("hidden_size"), heads = try int("num_attention_heads")
        self.init(modelType: type, vocabSize: try int("vocab_size"), hiddenSize: hidden,
                  intermediateSize: try int("intermediate_size"), layerCount: try int("num_hidden_layers"),
                  headCount: heads, kvHeadCount: json["num_key_value_heads"] as? Int ?? heads,
                  headDim: json["head_dim"] as? Int, rmsNormEps: Float(json["rms_norm_eps"] as? Double ?? 1e-6),
                  ropeTheta: Float(theta), maxPositions: json["max_position_embeddings"] as? Int ?? 2048,
                  tiedEmbeddings: json["tie_word_embeddings"] as? Bool ?? (type == "qwen2" ? false : false),
                  qkvBias: type == "qwen2" || attentionBias, outputBias: attentionBias,
                  bosTokenId: json["bos_token_id"] as? Int, eosTokenIds: eos)
        if let problem = problems.first { throw ModelError.invalidConfig(url.path, problem) }
    }
}

/// Errors of model loading and use; each names the file (or input) and what was wrong.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case unreadable(String, String)
    case invalidConfig(String, String)
    case missingFile(String, String)
    case invalidInput(String)

    public var description: String {
        switch self {
        case let .unreadable(file, why): return "cannot read \(file): \(why)"
        case let .invalidConfig(file, why): return "invalid model configuration in \(file): \(why)"
        case let .missingFile(folder, what): return "\(folder) is not a usable model folder: \(what)"
        case let .invalidInput(why): return why
        }
    }
}
