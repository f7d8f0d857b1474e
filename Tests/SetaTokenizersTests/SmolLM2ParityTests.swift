import Foundation
import Testing
import SetaTestSupport
@testable import SetaTokenizers

/// Parity with Hugging Face (transformers' tokenizer built from the SmolLM2-135M-Instruct GGUF):
/// fixtures come from scripts/fixtures/tokenizer_fixtures.py; the vocabulary is read from the GGUF.
enum SmolLM2Reference {
    struct Case: Decodable {
        var text: String
        var ids: [Int]
        var decoded: String
        var decoded_skip_special: String
    }
    struct DecodeCase: Decodable {
        var ids: [Int]
        var decoded: String
        var skip_special: Bool?
    }
    struct Chat: Decodable {
        var messages: [ChatMessage]
        var add_generation_prompt: Bool
        var rendered: String
        var ids: [Int]
    }
    struct Fixture: Decodable {
        var bos_token_id: Int
        var eos_token_id: Int
        var pad_token_id: Int
        var vocab_size: Int
        var chat_template: String
        var cases: [Case]
        var decode_cases: [DecodeCase]
        var chats: [Chat]
    }

    static let fixture: Fixture = {
        let url = Bundle.module.url(forResource: "smollm2_tokenizer_cases", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    static var ggufURL: URL {
        let env = ProcessInfo.processInfo.environment
        let cache = env["SETA_CACHE"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/seta")
        return cache.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf")
    }

    static var available: Bool { FileManager.default.fileExists(atPath: ggufURL.path) }

    static let vocabulary: GGUFVocabulary = try! GGUFVocabulary(url: ggufURL)

    /// Built once for the whole file.
    static let tokenizer: BPETokenizer = {
        let v = vocabulary
        return try! BPETokenizer(
            ggufModel: v.model, pre: v.pre, tokens: v.tokens, merges: v.merges, tokenTypes: v.tokenTypes,
            bosTokenId: v.bosTokenId, eosTokenId: v.eosTokenId, padTokenId: v.padTokenId,
            unknownTokenId: v.unknownTokenId, source: ggufURL.path)
    }()
}

private let skipMessage = "SmolLM2 GGUF not found at \(SmolLM2Reference.ggufURL.path) (make model-for-tests; SETA_CACHE moves the cache)"

@Suite("SmolLM2 parity with Hugging Face", .tags(.realModel))
struct SmolLM2ParityTests {
    typealias R = SmolLM2Reference

    @Test func fixtureHasEnoughCases() {
        #expect(R.fixture.cases.count >= 200)
    }

    @Test(.requires(installed: R.available, skipMessage))
    func metadata() {
        let t = R.tokenizer
        #expect(R.vocabulary.model == "gpt2")
        #expect(t.vocabularySize == R.fixture.vocab_size)
        #expect(t.bosTokenId == R.fixture.bos_token_id)
        #expect(t.eosTokenId == R.fixture.eos_token_id)
        #expect(t.padTokenId == R.fixture.pad_token_id)
        #expect(t.id(of: "<|im_start|>") == 1)
        #expect(t.token(of: 2) == "<|im_end|>")
        #expect(t.isSpecial(0) && !t.isSpecial(100))
        #expect(R.vocabulary.chatTemplate == R.fixture.chat_template)
        #expect(t.preTokenizer == .smolLM2)
    }

    @Test func unsupportedGGUFTokenizerNamesTheFile() {
        #expect(throws: TokenizerError.unsupported(file: "x.gguf", component: "tokenizer.ggml.model", type: "llama")) {
            _ = try BPETokenizer(ggufModel: "llama", pre: nil, tokens: ["a"], merges: [], tokenTypes: nil,
                                 bosTokenId: nil, eosTokenId: nil, padTokenId: nil, unknownTokenId: nil, source: "x.gguf")
        }
        #expect(throws: TokenizerError.unsupported(file: "x.gguf", component: "tokenizer.ggml.pre", type: "mystery")) {
            _ = try BPETokenizer(ggufModel: "gpt2", pre: "mystery", tokens: ["a"], merges: [], tokenTypes: nil,
                                 bosTokenId: nil, eosTokenId: nil, padTokenId: nil, unknownTokenId: nil, source: "x.gguf")
        }
    }

    @Test(.requires(installed: R.available, skipMessage))
    func encodeMatchesReference() {
        var failures = 0
        for c in R.fixture.cases {
            let ids = R.tokenizer.encode(c.text)
            if ids != c.ids {
                failures += 1
                Issue.record("encode(\(c.text.debugDescription)): got \(ids), expected \(c.ids)")
            }
        }
        #expect(failures == 0, "\(failures) of \(R.fixture.cases.count) cases differ")
    }

    @Test(.requires(installed: R.available, skipMessage))
    func decodeMatchesReference() {
        for c in R.fixture.cases {
            #expect(R.tokenizer.decode(c.ids) == c.decoded, "\(c.text.debugDescription)")
            #expect(R.tokenizer.decode(c.ids, skipSpecialTokens: true) == c.decoded_skip_special, "\(c.text.debugDescription)")
            #expect(R.tokenizer.decode(R.tokenizer.encode(c.text)) == c.decoded)
        }
    }

    @Test(.requires(installed: R.available, skipMessage))
    func decodeOfInvalidUTF8MatchesReference() {
        for c in R.fixture.decode_cases {
            #expect(R.tokenizer.decode(c.ids, skipSpecialTokens: c.skip_special ?? false) == c.decoded, "\(c.ids)")
        }
    }

    @Test func chatTemplateMatchesReference() {
        #expect(R.fixture.chats.count >= 2)
        for chat in R.fixture.chats {
            let rendered = ChatTemplate.smolLM2.render(chat.messages, addGenerationPrompt: chat.add_generation_prompt)
            #expect(rendered == chat.rendered)
        }
    }

    @Test(.requires(installed: R.available, skipMessage))
    func chatTemplateTokens() {
        for chat in R.fixture.chats {
            #expect(R.tokenizer.encode(chat.rendered) == chat.ids)
        }
    }
}
