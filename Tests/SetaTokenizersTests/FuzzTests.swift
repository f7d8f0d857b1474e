// Fuzzing of tokenizer.json loading (BPETokenizer(tokenizerJSON:), with its sibling tokenizer_config.json):
// random truncations, byte flips and extreme values must never crash, hang or allocate without bound — a bad
// file is a thrown TokenizerError naming it.
//
// The seed input is a small but complete byte-level BPE tokenizer.json written here (NFC normalizer, Split +
// ByteLevel pre-tokenizer sequence, merges in both the "a b" and [a, b] forms, unk token, added tokens with
// strip options, a tokenizer_config.json with string and object special tokens). 500 iterations (seed 0x70C3)
// mutate tokenizer.json (4 in 5) or tokenizer_config.json with JSON-aware mutations: literals replaced by
// extreme numbers (2^31, 2^63, 1e300, -1…) or values of another type, structure and lines edited, bytes
// flipped, truncation. A tokenizer that still loads must encode and decode a sample text.
//
// Why 500: the file has a few hundred literals, so every kind of field is hit many times, in about a second of a
// debug build. Bounded by iterations, not by time (the slowest one is in the run's summary).
import Foundation
import SetaFuzzing
import SetaTokenizers
import Testing
import SetaTestSupport

@Suite(.tags(.slow)) struct FuzzTokenizerJSONTests {
    static let seed: UInt64 = 0x70C3
    static let iterations = 500
    static let sample = "Hello world, hello <|end|> 1234 naïve\n<|im_start|>user"

    /// The seed tokenizer.json (sorted keys, so the bytes — and the mutations — are the same in every run).
    static let tokenizerJSON: [UInt8] = {
        var vocab: [String: Int] = [:]
        for b in 0 ..< 256 { vocab[String(Character(ByteLevel.scalarForByte[b]))] = b }
        let extra = ["he", "ll", "hell", "hello", "Ġw", "or", "ld", "orld", "Ġworld", "<unk>"]
        for (i, t) in extra.enumerated() { vocab[t] = 256 + i }
        let added: [[String: Any]] = [
            ["id": 266, "content": "<|end|>", "special": true, "lstrip": false, "rstrip": false, "single_word": false],
            ["id": 267, "content": "<|im_start|>", "special": true, "lstrip": true, "rstrip": true, "single_word": false],
            ["id": 268, "content": "hello", "special": false, "lstrip": false, "rstrip": false, "single_word": true],
        ]
        let root: [String: Any] = [
            "version": "1.0",
            "added_tokens": added,
            "normalizer": ["type": "Sequence", "normalizers": [["type": "NFC"]]],
            "pre_tokenizer": ["type": "Sequence", "pretokenizers": [
                ["type": "Split", "pattern": ["Regex": SplitPattern.llama3.regex], "behavior": "Isolated", "invert": false],
                ["type": "ByteLevel", "add_prefix_space": false, "use_regex": false],
            ]],
            "decoder": ["type": "ByteLevel"],
            "model": [
                "type": "BPE", "dropout": NSNull(), "unk_token": "<unk>", "ignore_merges": false, "vocab": vocab,
                "merges": ["h e", ["l", "l"], "he ll", ["hell", "o"], "Ġ w", "o r", ["l", "d"], "or ld", "Ġw orld"] as [Any],
            ] as [String: Any],
        ]
        return Array(try! JSONSerialization.data(withJSONObject: root, options: [.sortedKeys, .prettyPrinted]))
    }()

    static let configJSON = Array("""
        {"bos_token": "<|im_start|>", "eos_token": {"content": "<|end|>", "special": true}, "pad_token": "<unk>",
         "model_max_length": 1000000000000000019884624838656}
        """.utf8)

    /// Writes tokenizer.json and tokenizer_config.json into `folder`.
    static func write(tokenizer: [UInt8], config: [UInt8], to folder: URL) throws -> URL {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("tokenizer.json")
        try Data(tokenizer).write(to: url)
        try Data(config).write(to: folder.appendingPathComponent("tokenizer_config.json"))
        return url
    }

    @Test func seedTokenizerLoads() throws {
        let scratch = try FuzzScratch("tokenizer-seed")
        defer { scratch.remove() }
        let t = try BPETokenizer(tokenizerJSON: Self.write(tokenizer: Self.tokenizerJSON, config: Self.configJSON,
                                                           to: scratch.url("seed")))
        let ids = t.encode(Self.sample)
        #expect(ids.contains(266) && ids.contains(267) && ids.contains(264))  // <|end|>, <|im_start|>, Ġworld
        // <|im_start|> strips the whitespace on its left.
        #expect(t.decode(ids) == Self.sample.replacingOccurrences(of: "\n<|im_start|>", with: "<|im_start|>"))
        #expect(t.bosTokenId == 267 && t.eosTokenId == 266 && t.padTokenId == 265)
    }

    @Test func mutatedFilesThrowTypedErrors() throws {
        let scratch = try FuzzScratch("tokenizer")
        defer { scratch.remove() }
        var mutator = Mutator(seed: Self.seed)
        var run = FuzzRun("tokenizer.json")
        for i in 0 ..< Self.iterations {
            let mutateConfig = mutator.below(5) == 0
            let m = mutator.mutateJSON(mutateConfig ? Self.configJSON : Self.tokenizerJSON)
            let folder = scratch.url("tok-\(i)")
            let url = try Self.write(tokenizer: mutateConfig ? Self.tokenizerJSON : m.bytes,
                                     config: mutateConfig ? m.bytes : Self.configJSON, to: folder)
            run.iteration(i, "\(mutateConfig ? "tokenizer_config.json" : "tokenizer.json"): \(m.summary)",
                          mustName: url.path, isExpected: { $0 is TokenizerError }) {
                let t = try BPETokenizer(tokenizerJSON: url)
                let ids = t.encode(Self.sample)
                _ = t.decode(ids, skipSpecialTokens: true)
                for id in ids { _ = t.token(of: id) }
            }
            try? FileManager.default.removeItem(at: folder)
        }
        #expect(run.problems.isEmpty, "\(run.problems.prefix(10).joined(separator: "\n"))")
        #expect(run.rejected > Self.iterations / 4 && run.accepted > 0, "\(run)")
    }

    /// Ids that index the dense id → token table: a corrupt id must be an error, not a table of 2^31+ entries,
    /// an Int overflow (Int.max + 1) or a silently truncated fraction.
    @Test(arguments: ["2147483648", "1099511627776", "9223372036854775807", "1e300", "1.5", "-1", "\"7\""])
    func impossibleIdsAreRejectedBeforeAllocating(_ id: String) throws {
        let scratch = try FuzzScratch("tokenizer-ids")
        defer { scratch.remove() }
        let text = String(decoding: Self.tokenizerJSON, as: UTF8.self)
        for (what, patched) in [
            ("vocab id", text.replacingOccurrences(of: "\"orld\" : 263", with: "\"orld\" : \(id)")),
            ("added token id", text.replacingOccurrences(of: "\"id\" : 266", with: "\"id\" : \(id)")),
        ] {
            #expect(patched != text, "\(what) not found in the seed file")
            let url = try Self.write(tokenizer: Array(patched.utf8), config: Self.configJSON, to: scratch.url(what))
            let e = #expect(throws: TokenizerError.self, "\(what) \(id)") { _ = try BPETokenizer(tokenizerJSON: url) }
            #expect(e.map { "\($0)".contains(url.path) } == true, "\(String(describing: e))")
        }
    }

    @Test func unknownIdOutsideTheVocabularyIsRejected() throws {
        #expect(throws: TokenizerError.self) {
            _ = try BPETokenizer(tokens: ["a", "b"], merges: [(String, String)](), unknownTokenId: 1 << 40, source: "test")
        }
    }
}
