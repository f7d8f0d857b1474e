extension BPETokenizer {
    /// Builds the tokenizer from the `tokenizer.*` metadata of a GGUF file, the way `transformers`
    /// does (`AutoTokenizer.from_pretrained(dir, gguf_file:)`):
    ///
    /// - `model`: `tokenizer.ggml.model`; only `"gpt2"` (byte-level BPE) is supported.
    /// - `pre`: `tokenizer.ggml.pre` (e.g. `"smollm"`), mapped by `PreTokenizer.forGGUF(pre:)`;
    ///   nil means GPT-2.
    /// - `tokens`, `merges`, `tokenTypes`: `tokenizer.ggml.tokens`, `.merges`, `.token_type`.
    /// - ids: `tokenizer.ggml.bos_token_id`, `.eos_token_id`, `.padding_token_id`, `.unknown_token_id`.
    /// - `source`: the GGUF path, for error messages.
    public convenience init(
        ggufModel model: String,
        pre: String?,
        tokens: [String],
        merges: [String],
        tokenTypes: [Int]?,
        bosTokenId: Int?,
        eosTokenId: Int?,
        padTokenId: Int?,
        unknownTokenId: Int?,
        source: String
    ) throws {
        guard model == "gpt2" else {
            throw TokenizerError.unsupported(file: source, component: "tokenizer.ggml.model", type: model)
        }
        guard let preTokenizer = PreTokenizer.forGGUF(pre: pre ?? "gpt2") else {
            throw TokenizerError.unsupported(file: source, component: "tokenizer.ggml.pre", type: pre ?? "nil")
        }
        for (name, id) in [("bos", bosTokenId), ("eos", eosTokenId), ("padding", padTokenId),
                           ("unknown", unknownTokenId)] {
            if let id, id >= tokens.count {
                throw TokenizerError.invalidVocabulary(
                    file: source, reason: "\(name) token id \(id) is outside the \(tokens.count)-token vocabulary")
            }
        }
        try self.init(tokens: tokens, merges: merges, tokenTypes: tokenTypes,
                      bosTokenId: bosTokenId, eosTokenId: eosTokenId, padTokenId: padTokenId,
                      unknownTokenId: unknownTokenId, preTokenizer: preTokenizer, source: source)
    }
}
