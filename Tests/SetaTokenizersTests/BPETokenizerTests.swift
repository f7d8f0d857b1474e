import Foundation
import Testing
import SetaTokenizers

/// A tiny byte-level vocabulary: the 256 byte tokens (ids 0–255) then the results of `merges` in order.
func tinyTokenizer(
    merges: [String],
    dropBytes: Set<UInt8> = [],
    addedTokens: [String] = [],
    unknownTokenId: Int? = nil,
    preTokenizer: PreTokenizer = .gpt2
) throws -> BPETokenizer {
    var tokens = (0..<256).map { b -> String in
        dropBytes.contains(UInt8(b)) ? "<unused\(b)>" : String(Character(ByteLevel.scalarForByte[b]))
    }
    for m in merges {
        let merged = m.replacingOccurrences(of: " ", with: "")
        if !tokens.contains(merged) { tokens.append(merged) }
    }
    var added: [AddedToken] = []
    for t in addedTokens {
        added.append(AddedToken(content: t, id: tokens.count, special: true))
        tokens.append(t)
    }
    return try BPETokenizer(tokens: tokens, merges: merges, addedTokens: added,
                            unknownTokenId: unknownTokenId, preTokenizer: preTokenizer)
}

@Suite("BPE model")
struct BPEModelTests {
    func pieces(_ t: BPETokenizer, _ text: String) -> [String] {
        t.encode(text).map { t.token(of: $0)! }
    }

    @Test func bytesWithoutMerges() throws {
        let t = try tinyTokenizer(merges: [])
        #expect(t.encode("ab") == [0x61, 0x62].map { Int(ByteLevel.byteForScalar[UInt32($0)]!) })
        #expect(pieces(t, "a b") == ["a", "Ġ", "b"])
        #expect(pieces(t, "é") == ["Ã", "©"])
    }

    @Test func mergesApplyByRank() throws {
        // "b c" outranks "a b": abc → a + bc, even though "a b" is leftmost.
        let t = try tinyTokenizer(merges: ["b c", "a b"])
        #expect(pieces(t, "abc") == ["a", "bc"])
        let u = try tinyTokenizer(merges: ["a b", "b c"])
        #expect(pieces(u, "abc") == ["ab", "c"])
    }

    @Test func equalRanksMergeLeftmostFirst() throws {
        let t = try tinyTokenizer(merges: ["a a", "aa aa"])
        #expect(pieces(t, "aaa") == ["aa", "a"])
        // 20 symbols: quadratic path; 30 symbols: heap path. Both must give the same shape.
        #expect(pieces(t, String(repeating: "a", count: 20)) == Array(repeating: "aaaa", count: 5))
        #expect(pieces(t, String(repeating: "a", count: 30)) == Array(repeating: "aaaa", count: 7) + ["aa"])
    }

    @Test func longWordsAgreeWithShortPath() throws {
        let t = try tinyTokenizer(merges: ["a b", "b a", "ab ab", "ba b", "c c", "ab c", "abab ab"])
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let n = Int.random(in: 25...60, using: &rng)
            let word = String((0..<n).map { _ in "abc".randomElement(using: &rng)! })
            // Compare with the concatenation of chunks short enough for the quadratic path is not valid
            // for BPE, so compare with a reference implementation instead.
            #expect(pieces(t, word) == referenceBPE(word, merges: ["a b", "b a", "ab ab", "ba b", "c c", "ab c", "abab ab"]))
        }
    }

    /// Straightforward BPE on strings: merge the best-ranked, leftmost pair until none applies.
    func referenceBPE(_ word: String, merges: [String]) -> [String] {
        var rank: [String: Int] = [:]
        for (i, m) in merges.enumerated() where rank[m] == nil { rank[m] = i }
        var symbols = word.map(String.init)
        while symbols.count > 1 {
            var best: (Int, Int)? = nil
            for i in 0..<(symbols.count - 1) {
                if let r = rank[symbols[i] + " " + symbols[i + 1]], best == nil || r < best!.0 { best = (r, i) }
            }
            guard let (_, i) = best else { break }
            symbols[i] += symbols[i + 1]
            symbols.remove(at: i + 1)
        }
        return symbols
    }

    @Test func wordsAreMergedSeparately() throws {
        let t = try tinyTokenizer(merges: ["Ġ a", "a b", "Ġa b"])
        #expect(pieces(t, "ab ab") == ["ab", "Ġab"])
    }

    @Test func missingByteTokensAreDroppedOrUnknown() throws {
        // HF BPE without unk_token drops characters missing from the vocabulary; with one it emits it.
        let t = try tinyTokenizer(merges: [], dropBytes: [0xC3])
        #expect(pieces(t, "é") == ["©"])
        let u = try tinyTokenizer(merges: [], dropBytes: [0xC3], unknownTokenId: 0)
        #expect(u.encode("é") == [0, Int(ByteLevel.byteForScalar[UInt32(0xA9)]!)])
    }

    @Test func mergeWithUnknownPartsThrows() {
        #expect(throws: TokenizerError.self) {
            _ = try BPETokenizer(tokens: ["a", "b"], merges: ["a b"])
        }
        #expect(throws: TokenizerError.self) {
            _ = try BPETokenizer(tokens: ["a", "b", "ab"], merges: ["a b c"])
        }
        #expect(throws: TokenizerError.self) {
            _ = try BPETokenizer(tokens: ["a", "b"], merges: [String](), tokenTypes: [1])
        }
    }

    @Test func cacheIsConsistent() throws {
        let t = try tinyTokenizer(merges: ["h e", "l l", "he ll", "hell o"])
        let first = t.encode("hello hello hello")
        #expect(t.encode("hello hello hello") == first)
        #expect(pieces(t, "hello") == ["hello"])
    }

    @Test func concurrentEncodeIsSafe() async throws {
        let t = try tinyTokenizer(merges: ["h e", "l l", "he ll", "hell o"])
        let expected = t.encode("hello world, hello again")
        await withTaskGroup(of: [Int].self) { group in
            for i in 0..<16 { group.addTask { t.encode("hello world, hello again \(i)") } }
            for await ids in group { #expect(Array(ids.prefix(expected.count)) == expected) }
        }
    }
}

@Suite("Added tokens")
struct AddedTokenTests {
    @Test func specialTokensAreMatchedLiterally() throws {
        let t = try tinyTokenizer(merges: [], addedTokens: ["<|im_start|>", "<|im_end|>"])
        let start = t.id(of: "<|im_start|>")!, end = t.id(of: "<|im_end|>")!
        let ids = t.encode("<|im_start|>hi<|im_end|>")
        #expect(ids.first == start && ids.last == end && ids.count == 4)
        #expect(t.encode("<|im_start|") .contains(start) == false)
        #expect(t.decode(ids) == "<|im_start|>hi<|im_end|>")
        #expect(t.decode(ids, skipSpecialTokens: true) == "hi")
        #expect(t.isSpecial(start))
    }

    @Test func leftmostLongestMatch() throws {
        let t = try tinyTokenizer(merges: [], addedTokens: ["<a>", "<a><b>", "b>"])
        let long = t.id(of: "<a><b>")!, short = t.id(of: "<a>")!
        #expect(t.encode("x<a><b>y") == [t.encode("x")[0], long, t.encode("y")[0]])
        #expect(t.encode("<a><a>") == [short, short])
    }

    @Test func addedTokensSplitPreTokenization() throws {
        // The text on each side of an added token is pre-tokenized on its own (" " before <s> stays alone).
        let t = try tinyTokenizer(merges: ["Ġ a"], addedTokens: ["<s>"])
        #expect(t.encode(" <s>a").map { t.token(of: $0)! } == ["Ġ", "<s>", "a"])
    }

    @Test func lstripAndRstrip() throws {
        var tokens = (0..<256).map { String(Character(ByteLevel.scalarForByte[$0])) }
        tokens.append("<m>")
        let t = try BPETokenizer(tokens: tokens, merges: [String](),
                                 addedTokens: [AddedToken(content: "<m>", id: 256, special: false, lstrip: true, rstrip: true)])
        #expect(t.encode("a  <m>  b").map { t.token(of: $0)! } == ["a", "<m>", "b"])
        #expect(!t.isSpecial(256))
    }

    @Test func tokenTypesDefineAddedTokens() throws {
        var tokens = (0..<256).map { String(Character(ByteLevel.scalarForByte[$0])) }
        tokens += ["<ctl>", "<user>"]
        var types = [Int](repeating: 1, count: 256)
        types += [3, 4]
        let t = try BPETokenizer(tokens: tokens, merges: [String](), tokenTypes: types)
        #expect(t.encode("<ctl><user>") == [256, 257])
        #expect(t.isSpecial(256) && !t.isSpecial(257))
        #expect(t.decode([256, 257], skipSpecialTokens: true) == "<user>")
    }
}

@Suite("ByteLevel decoder")
struct DecoderTests {
    @Test func byteMappingRoundTrips() {
        #expect(ByteLevel.scalarForByte[0x20] == "Ġ")
        #expect(ByteLevel.scalarForByte[0x0A] == "Ċ")
        #expect(ByteLevel.scalarForByte[0x41] == "A")
        #expect(Set(ByteLevel.scalarForByte.map(\.value)).count == 256)
        #expect(ByteLevel.decode(ByteLevel.encode(Array(0...255))) == Array(0...255))
        #expect(ByteLevel.encode(Array("hé".utf8)) == "hÃ©")
    }

    @Test func decodesByteLevelTokens() throws {
        let t = try tinyTokenizer(merges: ["Ġ h", "Ġh i"])
        #expect(t.decode([t.id(of: "Ġhi")!, t.id(of: "Ċ")!]) == " hi\n")
        #expect(t.decode(t.encode("  tabs\tand\r\nlines  ")) == "  tabs\tand\r\nlines  ")
        #expect(t.decode([-1, 100_000]) == "")
    }

    @Test func invalidUTF8BecomesReplacementCharacters() throws {
        let t = try tinyTokenizer(merges: [])
        let ids = t.encode("😀")  // F0 9F 98 80
        #expect(ids.count == 4)
        #expect(t.decode(Array(ids.dropLast())) == "\u{FFFD}")
        #expect(t.decode(Array(ids.dropFirst())) == "\u{FFFD}\u{FFFD}\u{FFFD}")
        #expect(t.decode([ids[0], t.encode("a")[0]]) == "\u{FFFD}a")
    }
}

@Suite("Chat template")
struct ChatTemplateTests {
    @Test func smolLM2DefaultSystemPrompt() {
        let s = ChatTemplate.smolLM2.render([.user("Hi")])
        #expect(s == "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
            + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test func explicitSystemAndNoGenerationPrompt() {
        let s = ChatTemplate.smolLM2.render([.system("Be brief."), .user("Hi"), .assistant("Hello")], addGenerationPrompt: false)
        #expect(s == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n")
        #expect(ChatTemplate.smolLM2.render([], addGenerationPrompt: true) == "<|im_start|>assistant\n")
    }
}
