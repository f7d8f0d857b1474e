import Foundation

/// A byte-level BPE tokenizer (GPT-2 / SmolLM2 / Llama-3 / Qwen2 family) that reproduces Hugging Face
/// `tokenizers`: added tokens → normalizer → pre-tokenizer → byte-level BPE, and the ByteLevel decoder.
///
/// `encode` never adds BOS/EOS; special tokens written literally in the text (`<|im_start|>`) are
/// matched as single tokens. Thread-safe: the word cache is guarded by a lock.
public final class BPETokenizer: @unchecked Sendable {
    public let preTokenizer: PreTokenizer
    public let normalizer: Normalizer
    public let addedTokens: [AddedToken]
    public let bosTokenId: Int?
    public let eosTokenId: Int?
    public let padTokenId: Int?
    public let unknownTokenId: Int?

    private let model: BPEModel
    private let matcher: AddedTokenMatcher
    /// id → token string, including added tokens beyond the model vocabulary.
    private let idToToken: [String?]
    /// id → raw bytes the ByteLevel decoder produces for it.
    private let idToBytes: [[UInt8]]
    private let specialIds: Set<Int>
    private let addedByContent: [String: Int]
    private let cache = WordCache()

    /// Number of ids (model vocabulary plus added tokens outside it).
    public var vocabularySize: Int { idToToken.count }

    /// Builds a tokenizer from vocabulary data (e.g. the `tokenizer.ggml.*` arrays of a GGUF).
    ///
    /// - Parameters:
    ///   - tokens: id → byte-level token string ("Ġthe").
    ///   - merges: merge rules in priority order.
    ///   - tokenTypes: optional llama.cpp token types: 3 (control) become special added tokens,
    ///     4 (user-defined) non-special added tokens; others are ordinary.
    ///   - addedTokens: further added tokens (tokenizer.json `added_tokens`).
    ///   - preTokenizer: `.smolLM2` (= `.gpt2`) reproduces transformers for SmolLM2; see `PreTokenizer.forGGUF`.
    ///   - source: names the data in error messages.
    public init(
        tokens: [String],
        merges: [(String, String)],
        tokenTypes: [Int]? = nil,
        addedTokens: [AddedToken] = [],
        bosTokenId: Int? = nil,
        eosTokenId: Int? = nil,
        padTokenId: Int? = nil,
        unknownTokenId: Int? = nil,
        preTokenizer: PreTokenizer = .gpt2,
        normalizer: Normalizer = .none,
        ignoreMerges: Bool = false,
        source: String = "vocabulary"
    ) throws {
        if let types = tokenTypes, types.count != tokens.count {
            throw TokenizerError.invalidVocabulary(
                file: source, reason: "\(types.count) token types for \(tokens.count) tokens")
        }
        for (name, id) in [("bos", bosTokenId), ("eos", eosTokenId), ("pad", padTokenId), ("unknown", unknownTokenId)] {
            if let id, id < 0 {
                throw TokenizerError.invalidVocabulary(file: source, reason: "negative \(name) token id \(id)")
            }
        }
        // The unknown id is emitted by `encode`, so it must be a real token.
        if let unk = unknownTokenId, unk >= tokens.count, !addedTokens.contains(where: { $0.id == unk }) {
            throw TokenizerError.invalidVocabulary(
                file: source, reason: "unknown token id \(unk) is outside the \(tokens.count)-token vocabulary")
        }
        model = try BPEModel(tokens: tokens, merges: merges, unknownTokenId: unknownTokenId,
                             ignoreMerges: ignoreMerges, source: source)

        var added = addedTokens
        var seen = Set(addedTokens.map(\.id))
        if let types = tokenTypes {
            for (id, type) in types.enumerated() where (type == 3 || type == 4) && !seen.contains(id) {
                added.append(AddedToken(content: tokens[id], id: id, special: type == 3))
                seen.insert(id)
            }
        }
        for t in added where t.id < 0 {
            throw TokenizerError.invalidVocabulary(file: source, reason: "added token '\(t.content)' has id \(t.id)")
        }
        self.addedTokens = added.sorted { $0.id < $1.id }
        matcher = AddedTokenMatcher(added)

        var table: [String?] = tokens
        for t in added {
            if t.id >= table.count { table += [String?](repeating: nil, count: t.id + 1 - table.count) }
            table[t.id] = t.content
        }
        idToToken = table
        idToBytes = table.enumerated().map { id, token in
            guard let token else { return [] }
            // ByteLevel decoder: a token whose characters are all byte-level maps back to bytes;
            // any other token (e.g. an added token containing a plain space) contributes its UTF-8.
            if let bytes = ByteLevel.decode(token) { return bytes }
            return Array(token.utf8)
        }
        specialIds = Set(added.filter(\.special).map(\.id))
        var byContent: [String: Int] = [:]
        for t in added { byContent[t.content] = t.id }
        addedByContent = byContent

        self.preTokenizer = preTokenizer
        self.normalizer = normalizer
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
        self.padTokenId = padTokenId
        self.unknownTokenId = unknownTokenId
    }

    /// Same, with merges written as "left right" strings (GGUF `tokenizer.ggml.merges`, old tokenizer.json).
    public convenience init(
        tokens: [String],
        merges: [String],
        tokenTypes: [Int]? = nil,
        addedTokens: [AddedToken] = [],
        bosTokenId: Int? = nil,
        eosTokenId: Int? = nil,
        padTokenId: Int? = nil,
        unknownTokenId: Int? = nil,
        preTokenizer: PreTokenizer = .gpt2,
        normalizer: Normalizer = .none,
        ignoreMerges: Bool = false,
        source: String = "vocabulary"
    ) throws {
        let pairs = try BPETokenizer.parseMerges(merges, source: source)
        try self.init(tokens: tokens, merges: pairs, tokenTypes: tokenTypes, addedTokens: addedTokens,
                      bosTokenId: bosTokenId, eosTokenId: eosTokenId, padTokenId: padTokenId,
                      unknownTokenId: unknownTokenId, preTokenizer: preTokenizer, normalizer: normalizer,
                      ignoreMerges: ignoreMerges, source: source)
    }

    static func parseMerges(_ merges: [String], source: String) throws -> [(String, String)] {
        try merges.enumerated().map { index, m in
            let parts = m.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw TokenizerError.malformed(
                    file: source, reason: "merge #\(index) '\(m)' is not two tokens separated by one space")
            }
            return (String(parts[0]), String(parts[1]))
        }
    }

    // MARK: Lookup

    /// Id of a token string (added tokens included), or nil.
    public func id(of token: String) -> Int? {
        addedByContent[token] ?? model.vocabulary[token]
    }

    /// Token string of an id, or nil if out of range.
    public func token(of id: Int) -> String? {
        guard id >= 0 && id < idToToken.count else { return nil }
        return idToToken[id]
    }

    /// Whether `id` is a special added token (dropped by `decode(_:skipSpecialTokens: true)`).
    public func isSpecial(_ id: Int) -> Bool { specialIds.contains(id) }

    // MARK: Encode

    /// Token ids of `text`, without BOS/EOS.
    public func encode(_ text: String) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(text.utf8.count / 3 + 1)
        let scalars = Array(text.unicodeScalars)
        if matcher.isEmpty {
            encodeText(scalars[...], into: &out)
            return out
        }
        for segment in matcher.split(scalars) {
            switch segment {
            case .token(let id): out.append(id)
            case .text(let r): encodeText(scalars[r], into: &out)
            }
        }
        return out
    }

    private func encodeText(_ slice: ArraySlice<Unicode.Scalar>, into out: inout [Int]) {
        if slice.isEmpty { return }
        var buffer: ScalarBuffer
        if normalizer == .none {
            buffer = ScalarBuffer(slice)
        } else {
            let normalized = normalizer.apply(String(String.UnicodeScalarView(slice)))
            buffer = ScalarBuffer(normalized.unicodeScalars)
        }
        let pieces = preTokenizer.apply(&buffer, [0..<buffer.scalars.count])
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        for r in pieces where !r.isEmpty {
            bytes.removeAll(keepingCapacity: true)
            for s in buffer.scalars[r] { appendUTF8(s, to: &bytes) }
            if let ids = cache.get(bytes) {
                out.append(contentsOf: ids)
            } else {
                let start = out.count
                model.encodeWord(bytes, into: &out)
                cache.set(bytes, Array(out[start...]))
            }
        }
    }

    // MARK: Decode

    /// Text of `ids` (ByteLevel decoder; invalid UTF-8 becomes U+FFFD, like Rust's `from_utf8_lossy`).
    /// Unknown ids are ignored, as in Hugging Face.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids where id >= 0 && id < idToBytes.count {
            if skipSpecialTokens && specialIds.contains(id) { continue }
            bytes.append(contentsOf: idToBytes[id])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

@inline(__always)
private func appendUTF8(_ s: Unicode.Scalar, to bytes: inout [UInt8]) {
    let v = s.value
    if v < 0x80 {
        bytes.append(UInt8(v))
    } else if v < 0x800 {
        bytes.append(UInt8(0xC0 | (v >> 6)))
        bytes.append(UInt8(0x80 | (v & 0x3F)))
    } else if v < 0x10000 {
        bytes.append(UInt8(0xE0 | (v >> 12)))
        bytes.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
        bytes.append(UInt8(0x80 | (v & 0x3F)))
    } else {
        bytes.append(UInt8(0xF0 | (v >> 18)))
        bytes.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
        bytes.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
        bytes.append(UInt8(0x80 | (v & 0x3F)))
    }
}

/// Word (raw UTF-8) → ids cache, bounded by clearing when full.
private final class WordCache: @unchecked Sendable {
    private var table: [[UInt8]: [Int]] = [:]
    private let lock = NSLock()
    private let capacity = 200_000

    func get(_ key: [UInt8]) -> [Int]? {
        lock.lock()
        defer { lock.unlock() }
        return table[key]
    }

    func set(_ key: [UInt8], _ value: [Int]) {
        lock.lock()
        defer { lock.unlock() }
        if table.count >= capacity { table.removeAll(keepingCapacity: true) }
        table[key] = value
    }
}
