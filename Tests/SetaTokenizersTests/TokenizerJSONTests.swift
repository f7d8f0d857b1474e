import Foundation
import Testing
import SetaTokenizers

@Suite("tokenizer.json loading")
struct TokenizerJSONTests {
    func write(_ json: String, name: String = "tokenizer.json", config: String? = nil) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("seta-tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try Data(json.utf8).write(to: url)
        if let config { try Data(config.utf8).write(to: dir.appendingPathComponent("tokenizer_config.json")) }
        return url
    }

    /// A byte-level vocabulary as JSON object entries, plus extra tokens.
    func vocabJSON(extra: [String]) -> String {
        var entries: [String] = []
        for b in 0..<256 {
            let s = String(Character(ByteLevel.scalarForByte[b]))
            entries.append("\(jsonString(s)): \(b)")
        }
        for (i, e) in extra.enumerated() { entries.append("\(jsonString(e)): \(256 + i)") }
        return "{" + entries.joined(separator: ", ") + "}"
    }

    func jsonString(_ s: String) -> String {
        String(data: try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes]), encoding: .utf8)!
            .dropFirst().dropLast().description
    }

    func tokenizerJSON(merges: String, preTokenizer: String, extra: [String] = ["he", "ll", "hell", "hello", "<|end|>"], decoder: String = #"{"type": "ByteLevel"}"#) -> String {
        """
        {"version": "1.0", "normalizer": null,
         "added_tokens": [{"id": 260, "content": "<|end|>", "special": true, "lstrip": false, "rstrip": false, "single_word": false, "normalized": false}],
         "pre_tokenizer": \(preTokenizer),
         "decoder": \(decoder),
         "model": {"type": "BPE", "dropout": null, "unk_token": null, "vocab": \(vocabJSON(extra: extra)), "merges": \(merges)}}
        """
    }

    @Test func loadsBothMergeForms() throws {
        let pre = #"{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}"#
        let a = try BPETokenizer(tokenizerJSON: write(tokenizerJSON(merges: #"["h e", "l l", "he ll", "hell o"]"#, preTokenizer: pre),
                                                     config: #"{"bos_token": "<|end|>", "eos_token": {"content": "<|end|>"}}"#))
        let b = try BPETokenizer(tokenizerJSON: write(tokenizerJSON(merges: #"[["h", "e"], ["l", "l"], ["he", "ll"], ["hell", "o"]]"#, preTokenizer: pre)))
        #expect(a.encode("hello<|end|>") == [259, 260])
        #expect(b.encode("hello<|end|>") == [259, 260])
        #expect(a.vocabularySize == 261)
        #expect(a.bosTokenId == 260 && a.eosTokenId == 260 && a.padTokenId == nil)
        #expect(b.bosTokenId == nil)
        #expect(a.decode([259, 260], skipSpecialTokens: true) == "hello")
    }

    @Test func loadsSequencePreTokenizers() throws {
        let smol = #"{"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}, {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}]}"#
        let t = try BPETokenizer(tokenizerJSON: write(tokenizerJSON(merges: "[]", preTokenizer: smol)))
        #expect(t.preTokenizer == .smolLM2DigitsSplit)
        let llama = """
        {"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": \(jsonString(SplitPattern.llama3.regex))}, "behavior": "Isolated", "invert": false}, {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}
        """
        let l = try BPETokenizer(tokenizerJSON: write(tokenizerJSON(merges: "[]", preTokenizer: llama)))
        #expect(l.preTokenizer == .llama3)
    }

    @Test func malformedFileNamesTheFile() throws {
        let url = try write("{ this is not json")
        do {
            _ = try BPETokenizer(tokenizerJSON: url)
            Issue.record("expected an error")
        } catch let error as TokenizerError {
            guard case .malformed(let file, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(file == url.path)
            #expect(error.description.contains(url.path))
        }
        let noModel = try write(#"{"version": "1.0"}"#)
        #expect(throws: TokenizerError.malformed(file: noModel.path, reason: "missing object 'model'")) {
            _ = try BPETokenizer(tokenizerJSON: noModel)
        }
        let missing = URL(fileURLWithPath: "/nonexistent/tokenizer.json")
        do {
            _ = try BPETokenizer(tokenizerJSON: missing)
            Issue.record("expected an error")
        } catch let error as TokenizerError {
            guard case .unreadableFile(let file, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(file == missing.path)
        }
    }

    @Test func unknownComponentTypesNameFileAndType() throws {
        let url = try write(tokenizerJSON(merges: "[]", preTokenizer: #"{"type": "Metaspace", "replacement": "▁"}"#))
        #expect(throws: TokenizerError.unsupported(file: url.path, component: "pre_tokenizer", type: "Metaspace")) {
            _ = try BPETokenizer(tokenizerJSON: url)
        }
        let split = try write(tokenizerJSON(merges: "[]", preTokenizer: #"{"type": "Split", "pattern": {"Regex": "\\w+"}, "behavior": "Isolated", "invert": false}"#))
        do {
            _ = try BPETokenizer(tokenizerJSON: split)
            Issue.record("expected an error")
        } catch let error as TokenizerError {
            #expect(error.description.contains(split.path) && error.description.contains("Split"))
        }
        let pre = #"{"type": "ByteLevel"}"#
        let dec = try write(tokenizerJSON(merges: "[]", preTokenizer: pre, decoder: #"{"type": "WordPiece"}"#))
        #expect(throws: TokenizerError.unsupported(file: dec.path, component: "decoder", type: "WordPiece")) {
            _ = try BPETokenizer(tokenizerJSON: dec)
        }
        let badMerge = try write(tokenizerJSON(merges: #"["x yz"]"#, preTokenizer: pre))
        #expect(throws: TokenizerError.invalidMerge(file: badMerge.path, index: 0, merge: "x yz")) {
            _ = try BPETokenizer(tokenizerJSON: badMerge)
        }
    }
}
