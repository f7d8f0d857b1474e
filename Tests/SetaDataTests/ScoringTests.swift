// Exact match and ROUGE-L, the latter against fixtures from the rouge-score package.
import Foundation
import Testing
@testable import SetaData

@Suite struct ScoringTests {
    struct RougeCase: Decodable {
        var prediction: String
        var references: [String]
        var f1: Double
    }

    @Test func rougeLMatchesRougeScore() throws {
        let url = Fixtures.root.appendingPathComponent("rouge_cases.json")
        let cases = try JSONDecoder().decode([RougeCase].self, from: Data(contentsOf: url))
        #expect(cases.count >= 50)
        for c in cases {
            let f1 = Scoring.rougeL(c.prediction, c.references)
            #expect(abs(f1 - c.f1) <= 1e-6, "rougeL(\(c.prediction.debugDescription), \(c.references)) = \(f1), expected \(c.f1)")
        }
    }

    @Test func rougeTokens() {
        #expect(Scoring.rougeTokens("Hello, World! It's 5pm.") == ["hello", "world", "it", "s", "5pm"])
        #expect(Scoring.rougeTokens("  ") == [])
        #expect(Scoring.rougeTokens("Café") == ["caf"])
    }

    @Test func exactMatchTrimsWhitespaceOnly() {
        #expect(Scoring.exactMatch(" World\n", ["World"]) == 1)
        #expect(Scoring.exactMatch("world", ["World"]) == 0)
        #expect(Scoring.exactMatch("B", ["A", " B "]) == 1)
        #expect(Scoring.exactMatch("", []) == 0)
        #expect(Scoring.exactMatch("Science or Technology", ["Science or Technology"]) == 1)
    }

    @Test func scoreUsesTheTaskMetric() {
        let e = Example(prefix: "", input: "x", suffix: "", target: " the cat sat", references: ["the cat sat"])
        #expect(Scoring.score("the cat", example: e, kind: .classification) == 0)
        #expect(abs(Scoring.score("the cat", example: e, kind: .generation) - 0.8) < 1e-12)
        #expect(TaskKind.classification.metricName == "exact_match")
        #expect(TaskKind.generation.metricName == "rougeL")
    }
}
