import Foundation
import Testing
import SetaTokenizers

@Suite("Pre-tokenizer")
struct PreTokenizerTests {
    struct SplitCase: Decodable {
        var text: String
        var gpt2: [String]
        var llama3: [String]
        var qwen2: [String]
        var digits_individual: [String]
        var digits: [String]
        var bytelevel_prefix: [String]
    }
    struct SplitFixture: Decodable {
        var patterns: [String: String]
        var cases: [SplitCase]
    }

    static let fixture: SplitFixture = {
        let url = Bundle.module.url(forResource: "pretokenizer_splits", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(SplitFixture.self, from: Data(contentsOf: url))
    }()

    @Test func gpt2Splits() {
        let p = PreTokenizer.gpt2
        #expect(p.split("Hello world") == ["Hello", " world"])
        #expect(p.split("  Hello  world  ") == [" ", " Hello", " ", " world", "  "])
        #expect(p.split("don't DON'T") == ["don", "'t", " DON", "'", "T"])
        #expect(p.split("a\t\tb") == ["a", "\t", "\t", "b"])
        #expect(p.split("abc 123!!") == ["abc", " 123", "!!"])
        #expect(p.split("x\n\n") == ["x", "\n\n"])
        #expect(p.split("") == [])
        #expect(p.split("héllo wörld 你好") == ["héllo", " wörld", " 你好"])
    }

    @Test func digitsSplits() {
        #expect(PreTokenizer.digits(individual: true).split("a123b") == ["a", "1", "2", "3", "b"])
        #expect(PreTokenizer.digits(individual: false).split("a123b4") == ["a", "123", "b", "4"])
        #expect(PreTokenizer.smolLM2DigitsSplit.split(" 2024 year") == [" ", "2", "0", "2", "4", " year"])
    }

    @Test func llama3Splits() {
        let p = PreTokenizer.llama3
        #expect(p.split("1234567") == ["123", "456", "7"])
        #expect(p.split("I'M fine") == ["I", "'M", " fine"])
        #expect(p.split("a\n\n  b") == ["a", "\n\n", " ", " b"])
        #expect(PreTokenizer.qwen2.split("123") == ["1", "2", "3"])
    }

    @Test func patternsAreTheHuggingFaceStrings() {
        for (name, regex) in Self.fixture.patterns {
            #expect(SplitPattern(rawValue: name)?.regex == regex, "\(name)")
            #expect(SplitPattern(regex: regex) == SplitPattern(rawValue: name))
        }
    }

    @Test func matchesHuggingFaceOnAllFixtureStrings() {
        for c in Self.fixture.cases {
            #expect(PreTokenizer.split(.gpt2).split(c.text) == c.gpt2, "gpt2 \(c.text.debugDescription)")
            #expect(PreTokenizer.gpt2.split(c.text) == c.gpt2, "ByteLevel \(c.text.debugDescription)")
            #expect(PreTokenizer.split(.llama3).split(c.text) == c.llama3, "llama3 \(c.text.debugDescription)")
            #expect(PreTokenizer.split(.qwen2).split(c.text) == c.qwen2, "qwen2 \(c.text.debugDescription)")
            #expect(PreTokenizer.digits(individual: true).split(c.text) == c.digits_individual, "digits \(c.text.debugDescription)")
            #expect(PreTokenizer.digits(individual: false).split(c.text) == c.digits, "digits runs \(c.text.debugDescription)")
            let prefixed = PreTokenizer.byteLevel(addPrefixSpace: true, useRegex: true).split(c.text)
                .map { ByteLevel.encode(Array($0.utf8)) }
            #expect(prefixed == c.bytelevel_prefix, "prefix space \(c.text.debugDescription)")
        }
    }
}
