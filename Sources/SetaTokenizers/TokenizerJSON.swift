import Foundation

extension BPETokenizer {
    /// Reads a Hugging Face `tokenizer.json` (BPE model with byte-level pre-tokenisation: GPT-2, SmolLM2,
    /// Llama-3, Qwen2 style). BOS/EOS/pad come from a sibling `tokenizer_config.json` when present.
    /// Throws `TokenizerError` naming the file for unreadable/malformed files and unsupported components.
    public convenience init(tokenizerJSON url: URL) throws {
        let file = url.path
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError.unreadableFile(file: file, reason: "\(error.localizedDescription)")
        }
        let root: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw TokenizerError.malformed(file: file, reason: "top level is not a JSON object")
            }
            root = object
        } catch let error as TokenizerError {
            throw error
        } catch {
            throw TokenizerError.malformed(file: file, reason: "invalid JSON (\(error.localizedDescription))")
        }

        // Model
        guard let model = root["model"] as? [String: Any] else {
            throw TokenizerError.malformed(file: file, reason: "missing object 'model'")
        }
        let modelType = model["type"] as? String ?? "BPE"
        guard modelType == "BPE" else {
            throw TokenizerError.unsupported(file: file, component: "model", type: modelType)
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let v = model[key] as? String, !v.isEmpty {
                throw TokenizerError.unsupported(file: file, component: "model option", type: "\(key)=\(v)")
            }
        }
        if let dropout = model["dropout"] as? Double, dropout > 0 {
            throw TokenizerError.unsupported(file: file, component: "model option", type: "dropout=\(dropout)")
        }
        guard let vocab = model["vocab"] as? [String: Any] else {
            throw TokenizerError.malformed(file: file, reason: "missing object 'model.vocab'")
        }
        // Ids index a dense table (holes get placeholders), so an id is bounded by the file size: a corrupt
        // id of 2^40 must be an error, not a 2^40-entry table.
        let idLimit = data.count
        var maxId = -1
        var pairs: [(String, Int)] = []
        pairs.reserveCapacity(vocab.count)
        for (token, value) in vocab {
            guard let id = Self.integer(value), id >= 0 else {
                throw TokenizerError.malformed(
                    file: file, reason: "vocab entry '\(token)' has no non-negative integer id")
            }
            guard id < idLimit else {
                throw TokenizerError.malformed(
                    file: file, reason: "vocab entry '\(token)' has id \(id), impossible in a \(idLimit)-byte file")
            }
            pairs.append((token, id))
            maxId = max(maxId, id)
        }

        // Added tokens
        var added: [AddedToken] = []
        if let list = root["added_tokens"] {
            guard let list = list as? [[String: Any]] else {
                throw TokenizerError.malformed(file: file, reason: "'added_tokens' is not an array of objects")
            }
            for (i, entry) in list.enumerated() {
                guard let content = entry["content"] as? String, let id = Self.integer(entry["id"]), id >= 0 else {
                    throw TokenizerError.malformed(file: file, reason: "added_tokens[\(i)] lacks 'content' or 'id'")
                }
                guard id < idLimit else {
                    throw TokenizerError.malformed(
                        file: file, reason: "added_tokens[\(i)] has id \(id), impossible in a \(idLimit)-byte file")
                }
                added.append(AddedToken(
                    content: content, id: id,
                    special: entry["special"] as? Bool ?? false,
                    lstrip: entry["lstrip"] as? Bool ?? false,
                    rstrip: entry["rstrip"] as? Bool ?? false,
                    singleWord: entry["single_word"] as? Bool ?? false))
            }
        }

        var tokens = [String](repeating: "", count: maxId + 1)
        var filled = [Bool](repeating: false, count: maxId + 1)
        for (token, id) in pairs { tokens[id] = token; filled[id] = true }
        for t in added where t.id <= maxId && !filled[t.id] { tokens[t.id] = t.content; filled[t.id] = true }
        // Keep ids dense: holes get a placeholder that no text can produce.
        for i in filled.indices where !filled[i] { tokens[i] = "<|seta:unused:\(i)|>" }

        // Merges: "a b" strings or [a, b] pairs
        var merges: [(String, String)] = []
        if let list = model["merges"] {
            guard let list = list as? [Any] else {
                throw TokenizerError.malformed(file: file, reason: "'model.merges' is not an array")
            }
            merges.reserveCapacity(list.count)
            for (i, item) in list.enumerated() {
                if let s = item as? String {
                    let parts = s.split(separator: " ", omittingEmptySubsequences: false)
                    guard parts.count == 2 else {
                        throw TokenizerError.malformed(
                            file: file, reason: "merge #\(i) '\(s)' is not two tokens separated by one space")
                    }
                    merges.append((String(parts[0]), String(parts[1])))
                } else if let p = item as? [String], p.count == 2 {
                    merges.append((p[0], p[1]))
                } else {
                    throw TokenizerError.malformed(file: file, reason: "merge #\(i) is neither \"a b\" nor [a, b]")
                }
            }
        }

        var unknownId: Int? = nil
        if let unk = model["unk_token"] as? String {
            guard let id = vocab[unk].flatMap(Self.integer) ?? added.first(where: { $0.content == unk })?.id else {
                throw TokenizerError.malformed(file: file, reason: "unk_token '\(unk)' is not in the vocabulary")
            }
            unknownId = id
        }

        let normalizer = try Self.parseNormalizer(root["normalizer"], file: file)
        guard let preTokenizer = try Self.parsePreTokenizer(root["pre_tokenizer"], file: file) else {
            throw TokenizerError.unsupported(file: file, component: "pre_tokenizer",
                                             type: "null (a byte-level BPE needs ByteLevel)")
        }
        guard preTokenizer.containsByteLevel else {
            throw TokenizerError.unsupported(file: file, component: "pre_tokenizer",
                                             type: "\(preTokenizer) without ByteLevel")
        }
        if let decoder = root["decoder"], !(decoder is NSNull) {
            let type = (decoder as? [String: Any])?["type"] as? String ?? "?"
            guard type == "ByteLevel" else {
                throw TokenizerError.unsupported(file: file, component: "decoder", type: type)
            }
        }

        // Special ids from tokenizer_config.json next to the file.
        var special: [String: Int] = [:]
        let configURL = url.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
        if let configData = try? Data(contentsOf: configURL),
           let config = (try? JSONSerialization.jsonObject(with: configData)) as? [String: Any] {
            for key in ["bos_token", "eos_token", "pad_token"] {
                let content = (config[key] as? String) ?? ((config[key] as? [String: Any])?["content"] as? String)
                if let content,
                   let id = added.first(where: { $0.content == content })?.id ?? vocab[content].flatMap(Self.integer) {
                    special[key] = id
                }
            }
        }

        try self.init(tokens: tokens, merges: merges, tokenTypes: nil, addedTokens: added,
                      bosTokenId: special["bos_token"], eosTokenId: special["eos_token"],
                      padTokenId: special["pad_token"],
                      unknownTokenId: unknownId, preTokenizer: preTokenizer, normalizer: normalizer,
                      ignoreMerges: model["ignore_merges"] as? Bool ?? false, source: file)
    }

    /// A JSON number that is exactly an `Int` (3 and 3.0, not 3.5, 1e300 or a string); nil otherwise.
    private static func integer(_ value: Any?) -> Int? {
        if let i = value as? Int { return i }
        if let n = value as? NSNumber { return Int(exactly: n.doubleValue) }
        return nil
    }

    private static func parseNormalizer(_ value: Any?, file: String) throws -> Normalizer {
        guard let value, !(value is NSNull) else { return .none }
        guard let object = value as? [String: Any], let type = object["type"] as? String else {
            throw TokenizerError.malformed(file: file, reason: "'normalizer' has no 'type'")
        }
        switch type {
        case "NFC": return .nfc
        case "NFKC": return .nfkc
        case "Sequence":
            let items = object["normalizers"] as? [Any] ?? []
            let parsed = try items.map { try parseNormalizer($0, file: file) }.filter { $0 != .none }
            if parsed.isEmpty { return .none }
            if parsed.count == 1 { return parsed[0] }
            throw TokenizerError.unsupported(file: file, component: "normalizer",
                                             type: "Sequence of \(parsed.count) normalizers")
        default:
            throw TokenizerError.unsupported(file: file, component: "normalizer", type: type)
        }
    }

    private static func parsePreTokenizer(_ value: Any?, file: String) throws -> PreTokenizer? {
        guard let value, !(value is NSNull) else { return nil }
        guard let object = value as? [String: Any], let type = object["type"] as? String else {
            throw TokenizerError.malformed(file: file, reason: "'pre_tokenizer' has no 'type'")
        }
        switch type {
        case "ByteLevel":
            return .byteLevel(addPrefixSpace: object["add_prefix_space"] as? Bool ?? false,
                              useRegex: object["use_regex"] as? Bool ?? true)
        case "Digits":
            return .digits(individual: object["individual_digits"] as? Bool ?? false)
        case "Split":
            let behavior = object["behavior"] as? String ?? "Isolated"
            let invert = object["invert"] as? Bool ?? false
            guard let pattern = object["pattern"] as? [String: Any],
                  let regex = pattern["Regex"] as? String else {
                throw TokenizerError.unsupported(file: file, component: "pre_tokenizer",
                                                 type: "Split without a Regex pattern")
            }
            guard behavior == "Isolated", !invert, let known = SplitPattern(regex: regex) else {
                throw TokenizerError.unsupported(file: file, component: "pre_tokenizer",
                                                 type: "Split(\(regex), behavior: \(behavior), invert: \(invert))")
            }
            return .split(known)
        case "Sequence":
            guard let items = object["pretokenizers"] as? [Any] else {
                throw TokenizerError.malformed(file: file, reason: "Sequence pre_tokenizer lacks 'pretokenizers'")
            }
            return .sequence(try items.compactMap { try parsePreTokenizer($0, file: file) })
        default:
            throw TokenizerError.unsupported(file: file, component: "pre_tokenizer", type: type)
        }
    }
}

extension PreTokenizer {
    var containsByteLevel: Bool {
        switch self {
        case .byteLevel: return true
        case .sequence(let stages): return stages.contains { $0.containsByteLevel }
        default: return false
        }
    }
}
