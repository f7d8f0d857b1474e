// A language model as users meet it: the Llama-family network, its tokenizer and its chat template, loaded
// from a GGUF file, a Hugging Face folder, or "default" (SmolLM2-135M-Instruct from the model cache).
import Foundation
import SetaTensor
import SetaTokenizers

public final class LanguageModel {
    public let network: LlamaModel
    public let tokenizer: BPETokenizer
    public let chatTemplate: ChatTemplate
    /// Where it was loaded from (a file or folder path).
    public let source: String

    public init(network: LlamaModel, tokenizer: BPETokenizer, chatTemplate: ChatTemplate = .chatML, source: String) {
        self.network = network; self.tokenizer = tokenizer; self.chatTemplate = chatTemplate; self.source = source
    }

    public var config: LlamaConfig { network.config }

    /// Padding id (masked out or ignored wherever it appears).
    public var padId: Int { tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0 }
    /// The id appended after every completion: the tokenizer's end-of-sequence (for SmolLM2 `<|im_end|>`, id 2).
    public var endOfSequenceId: Int { tokenizer.eosTokenId ?? config.eosTokenIds.first ?? 0 }

    /// End-of-sequence ids: the config's, the tokenizer's, and ChatML's `<|im_end|>` when present.
    public var endOfSequenceIds: Set<Int> {
        var ids = Set(config.eosTokenIds)
        if let e = tokenizer.eosTokenId { ids.insert(e) }
        if let e = tokenizer.id(of: chatTemplate.endToken) { ids.insert(e) }
        return ids
    }

    /// Loads `spec`: "default", a `.gguf` file, or a Hugging Face folder (config.json, safetensors, tokenizer.json).
    public static func load(_ spec: String, progress: (String) -> Void = { _ in }) throws -> LanguageModel {
        let url = try ModelCache.resolve(spec, progress: progress)
        var isFolder: ObjCBool = false
        FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder)
        if isFolder.boolValue { return try load(huggingFaceFolder: url) }
        return try load(gguf: try GGUFFile(url: url))
    }

    public static func load(gguf: GGUFFile) throws -> LanguageModel {
        let network = try LlamaModel.load(gguf: gguf)
        let file = gguf.url.path
        guard let tokens = gguf["tokenizer.ggml.tokens"]?.stringArray else {
            throw ModelError.invalidConfig(file, "no tokenizer.ggml.tokens: the GGUF carries no tokenizer")
        }
        let tokenizer = try BPETokenizer(
            ggufModel: gguf["tokenizer.ggml.model"]?.string ?? "none", pre: gguf["tokenizer.ggml.pre"]?.string,
            tokens: tokens, merges: gguf["tokenizer.ggml.merges"]?.stringArray ?? [],
            tokenTypes: gguf["tokenizer.ggml.token_type"]?.intArray,
            bosTokenId: gguf["tokenizer.ggml.bos_token_id"]?.int, eosTokenId: gguf["tokenizer.ggml.eos_token_id"]?.int,
            padTokenId: gguf["tokenizer.ggml.padding_token_id"]?.int,
            unknownTokenId: gguf["tokenizer.ggml.unknown_token_id"]?.int, source: file)
        try checkVocabulary(tokenizer, network, file)
        let template = (gguf["tokenizer.chat_template"]?.string ?? "").contains("SmolLM")
            ? ChatTemplate.smolLM2 : .chatML
        return LanguageModel(network: network, tokenizer: tokenizer, chatTemplate: template, source: file)
    }

    public static func load(huggingFaceFolder folder: URL) throws -> LanguageModel {
        let tokenizerURL = folder.appendingPathComponent("tokenizer.json")
        let missing = ["config.json", "tokenizer.json"].filter {
            !FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
        }
        guard missing.isEmpty else {
            throw ModelError.missingFile(
                folder.path, missing.joined(separator: " and ") + (missing.count == 1 ? " is missing" : " are missing"))
        }
        let network = try LlamaModel.load(huggingFaceFolder: folder)
        let tokenizer = try BPETokenizer(tokenizerJSON: tokenizerURL)
        try checkVocabulary(tokenizer, network, tokenizerURL.path)
        return LanguageModel(network: network, tokenizer: tokenizer, chatTemplate: .chatML, source: folder.path)
    }

    private static func checkVocabulary(_ tokenizer: BPETokenizer, _ network: LlamaModel, _ file: String) throws {
        guard tokenizer.vocabularySize <= network.config.vocabSize else {
            throw ModelError.invalidConfig(file, "the tokenizer has \(tokenizer.vocabularySize) tokens but the model "
                                           + "only \(network.config.vocabSize) embeddings")
        }
    }

    // MARK: Using it

    /// Token ids of `text` (no BOS or special tokens added; special tokens written in the text are matched).
    public func encode(_ text: String) -> [Int] { tokenizer.encode(text) }

    /// Checks ids a user supplied: non-empty, each inside the vocabulary.
    public func validate(ids: [Int]) throws {
        guard !ids.isEmpty else { throw ModelError.invalidInput("the prompt is empty: give at least one token") }
        if let bad = ids.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
            throw ModelError.invalidInput(
                "token id \(bad) is outside the vocabulary (0..<\(config.vocabSize)) of \(source)")
        }
    }

    /// Logits at every position of one sequence: [T, V] (no gradient).
    public func logits(ids: [Int]) throws -> Tensor {
        try validate(ids: ids)
        return network.logits(hidden: network.hiddenStates(ids: ids, batch: 1))
    }
}
