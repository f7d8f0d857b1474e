// The text tables hold the numbers, the labels and the metric line, and sit side by side.
import SetaMetrics
import Testing
@testable import SetaReports

@Suite struct RenderTests {
    private let matrix = try! AccuracyMatrix(rows: [[80, 10, 20], [60, 90, 30], [50, 70, 95.25]], zeroShot: [5, 15, 25])

    @Test func tableHoldsEveryScoreAndMetric() {
        let text = renderMatrix(matrix, tasks: ["dbpedia", "amazon", "task1290_xsum_summarization"], title: "SeqLoRA")
        let lines = text.split(separator: "\n").map(String.init)
        // title, header, zero-shot, 3 stages, metrics
        #expect(lines.count == 7)
        #expect(lines[0] == "SeqLoRA")
        #expect(lines[1].contains("dbpedia") && lines[1].contains("task1290_~"))
        #expect(lines[2].hasPrefix("zero-shot") && lines[2].contains("5.0") && lines[2].contains("25.0"))
        #expect(lines[3].hasPrefix("after task 1: dbpedia") && lines[3].contains("80.0"))
        #expect(lines[5].hasPrefix("after task 3: task1290_~") && lines[5].hasSuffix("95.2"))
        // AA = (50 + 70 + 95.25) / 3 = 71.75 → "71.8" (printf rounding), BWT −25, FWT 0, FGT 25
        #expect(lines[6] == "AA 71.8  BWT -25.0  FWT 0.0  FGT 25.0")
        // Fixed width: every row of scores is as long as the header.
        #expect(Set(lines[1...5].map(\.count)).count == 1)
    }

    @Test func shortNamesAreAtMostTenCharacters() {
        #expect(shortName("sst-2") == "sst-2")
        #expect(shortName("abcdefghij") == "abcdefghij")
        #expect(shortName("abcdefghijk") == "abcdefghi~")
        #expect(formatScore(-0.01) == "0.0" && formatScore(nil) == "n/a")
    }

    @Test func multiTaskAndMissingNames() throws {
        let m = try AccuracyMatrix(rows: [[80, 70]])
        let text = renderMatrix(m, tasks: ["a"], title: "MTL")
        #expect(text.contains("multi-task") && text.contains("task 2") && text.contains("80.0"))
        #expect(text.hasSuffix("AA 75.0  BWT n/a  FWT n/a  FGT n/a"))
    }

    @Test func sideBySideKeepsBothBlocksAligned() {
        let left = renderMatrix(matrix, tasks: ["a", "b", "c"], title: "SeqLoRA")
        let right = renderMatrix(try! AccuracyMatrix(rows: [[90]]), tasks: ["a"], title: "SETA")
        let joined = renderSideBySide(left, right).split(separator: "\n", omittingEmptySubsequences: false)
        let leftLines = left.split(separator: "\n")
        let width = leftLines.map(\.count).max()!
        #expect(joined.count == leftLines.count)
        #expect(joined[0] == "SeqLoRA" + String(repeating: " ", count: width + 4 - 7) + "SETA")
        #expect(joined[2].hasSuffix("90.0") && joined[3].hasSuffix("FGT n/a"))
        #expect(joined.last == leftLines.last)
    }
}
