// Seeded subsets, validation splits and truncation.
import Testing
@testable import SetaData

@Suite struct SelectionTests {
    static let examples = (0..<100).map {
        Example(prefix: "P ", input: "input \($0)", suffix: " S", target: " t\($0)", references: ["t\($0)"])
    }

    @Test func splitMix64KnownValues() {
        // Reference outputs of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        var rng = SplitMix64(seed: 0)
        #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
        #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
        var r2 = SplitMix64(seed: 7)
        for bound in [1, 2, 3, 10, 1000] {
            for _ in 0..<50 { #expect((0..<bound).contains(r2.below(bound))) }
        }
    }

    @Test func seededSubsetIsDeterministicAndSeedDependent() {
        let a = seededSubset(Self.examples, count: 10, seed: 1)
        let b = seededSubset(Self.examples, count: 10, seed: 1)
        let c = seededSubset(Self.examples, count: 10, seed: 2)
        #expect(a == b)
        #expect(a != c)
        #expect(a.count == 10 && Set(a).count == 10)
        // Kept in original order, and a smaller count is a prefix of the same draw.
        let indices = a.map { Self.examples.firstIndex(of: $0)! }
        #expect(indices == indices.sorted())
        #expect(Set(seededSubset(Self.examples, count: 5, seed: 1)).isSubset(of: Set(a)))
        #expect(seededSubset(Self.examples, count: nil, seed: 1) == Self.examples)
        #expect(seededSubset(Self.examples, count: 1000, seed: 1) == Self.examples)
        #expect(seededSubset(Self.examples, count: 0, seed: 1).isEmpty)
    }

    @Test func sampledTaskKeepsSplitsIndependent() {
        let task = TaskData(name: "t", kind: .generation, labels: nil, train: Self.examples, test: Self.examples, source: "x")
        let a = task.sampled(trainCount: 10, testCount: 5, seed: 9)
        #expect(a.train == seededSubset(Self.examples, count: 10, seed: 9))
        #expect(a.test.count == 5)
        #expect(task.sampled(trainCount: 20, testCount: 5, seed: 9).test == a.test)
        #expect(task.sampled(trainCount: nil, testCount: nil, seed: 9) == task)
    }

    @Test func validationSplitPartitionsTrain() {
        let (train, validation) = validationSplit(train: Self.examples, fraction: 0.1, seed: 3)
        #expect(validation.count == 10 && train.count == 90)
        #expect(Set(train).isDisjoint(with: Set(validation)))
        #expect(Set(train).union(validation) == Set(Self.examples))
        #expect(validationSplit(train: Self.examples, count: 10, seed: 3).validation == validation)
        #expect(validationSplit(train: Self.examples, count: 10, seed: 4).validation != validation)
        // At least one training example remains.
        #expect(validationSplit(train: Self.examples, count: 500, seed: 3).train.count == 1)
    }

    /// A whitespace tokenizer: one id per word (ids index a shared word list).
    final class WordTokenizer {
        var words: [String] = []
        func encode(_ s: String) -> [Int] {
            s.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { w in
                if let i = words.firstIndex(of: String(w)) { return i }
                words.append(String(w))
                return words.count - 1
            }
        }
        func decode(_ ids: [Int]) -> String { ids.map { words[$0] }.joined(separator: " ") }
    }

    @Test func truncationShortensOnlyTheInputUntilItFits() {
        let tok = WordTokenizer()
        let e = Example(
            prefix: "Classify this sentence.\nOption: a, b\n", input: "one two three four five six seven eight",
            suffix: "\nAnswer:", target: " a", references: ["a"])
        #expect(tok.encode(e.prompt).count == 15)
        let t = truncated(e, maxPromptTokens: 10, encode: tok.encode, decode: tok.decode)
        #expect(tok.encode(t.prompt).count <= 10)
        #expect(t.input == "one two three")
        #expect(t.prefix == e.prefix && t.suffix == e.suffix && t.target == e.target && t.references == e.references)
        // Fits already: unchanged.
        #expect(truncated(e, maxPromptTokens: 15, encode: tok.encode, decode: tok.decode) == e)
        // Too small even for prefix + suffix: the input is emptied, nothing else touched.
        let empty = truncated(e, maxPromptTokens: 3, encode: tok.encode, decode: tok.decode)
        #expect(empty.input == "" && empty.target == " a" && empty.prefix == e.prefix)
    }

    @Test func truncationLoopsWhenPartsDoNotAdd() {
        // A tokenizer whose prompt encoding has one extra token per input word (not the sum of parts): the
        // first estimate is too long and the loop must cut further.
        let tok = WordTokenizer()
        let encode: (String) -> [Int] = { s in
            let ids = tok.encode(s)
            return s.contains("Answer") ? ids + ids.filter { tok.words[$0].hasPrefix("w") } : ids
        }
        let e = Example(prefix: "Q:\n", input: (1...20).map { "w\($0)" }.joined(separator: " "),
                        suffix: "\nAnswer:", target: " x", references: ["x"])
        let t = truncated(e, maxPromptTokens: 12, encode: encode, decode: tok.decode)
        #expect(encode(t.prompt).count <= 12)
        #expect(t.input == "w1 w2 w3 w4 w5")
        #expect(t.target == " x")
    }

    @Test func taskTruncationAppliesToBothSplits() {
        let tok = WordTokenizer()
        let task = TaskData(name: "t", kind: .classification, labels: ["a"],
                            train: [Example(prefix: "p ", input: "a b c d", suffix: " s", target: " a", references: ["a"])],
                            test: [Example(prefix: "p ", input: "a b c d e", suffix: " s", target: " a", references: ["a"])],
                            source: "x")
        let t = task.truncated(maxPromptTokens: 4, encode: tok.encode, decode: tok.decode)
        #expect(t.train[0].input == "a b" && t.test[0].input == "a b")
    }
}
