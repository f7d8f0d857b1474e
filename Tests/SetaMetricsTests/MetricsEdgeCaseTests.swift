// The metrics at the edges a real run reaches: a run in progress whose `--eval-tasks seen` matrix has unmeasured
// (null) cells, read back from results.json, and a one-task stream. Hand arithmetic in the comments (tasks numbered
// from 1, as in SETA.md).
import Foundation
import Testing
@testable import SetaMetrics

@Suite struct MetricsEdgeCaseTests {
    @Test func metricsOfARunInProgressIgnoreItsUnmeasuredCells() throws {
        // A 4-task `--eval-tasks seen` run after 3 tasks: the cells beyond the next task were never scored.
        //   a = [[40,  0, –,  –],     b = [10, 5, 0, 30]
        //        [45, 60, 10, –],
        //        [35, 62, 70, 20]]
        // Seen so far: the upper-left 3 × 3 block (with a[1][3] unmeasured):
        //   AA  = (35 + 62 + 70) / 3                          = 55.666…
        //   BWT = ((35 − 40) + (62 − 60)) / 2                  = −1.5
        //   FWT = ((a[1][2] − b[2]) + (a[2][3] − b[3])) / 2 = ((0 − 5) + (10 − 0)) / 2 = 2.5
        //   FGT = (max(40 − 35, 45 − 35) + (60 − 62)) / 2      = (10 − 2) / 2 = 4
        let n = Double.nan
        let rows = [[40, 0, n, n], [45, 60, 10, n], [35, 62, 70, 20]]
        let m = try AccuracyMatrix(seenSoFar: rows, zeroShot: [10, 5, 0, 30])
        #expect(m.taskCount == 3 && m.rows[0][2].isNaN && m.zeroShot == [10, 5, 0])
        let metrics = m.metrics
        #expect(abs(metrics.aa! - 167.0 / 3) < 1e-12 && metrics.bwt == -1.5 && metrics.fwt == 2.5 && metrics.forgetting == 4)
        // After 2 tasks: [[40, 0], [45, 60]], b = [10, 5]: AA 52.5, BWT 5, FWT −5, FGT 40 − 45 = −5.
        let two = try AccuracyMatrix(seenSoFar: Array(rows.prefix(2)), zeroShot: [10, 5, 0, 30])
        #expect(two.metrics == Metrics(aa: 52.5, bwt: 5, fwt: -5, forgetting: -5))
        // As results.json writes it (null cells) and reads it back: the same matrix, the same metrics.
        let json = try JSONEncoder().encode(m)
        #expect(String(decoding: json, as: UTF8.self).contains("[40,0,null]"))
        let back = try JSONDecoder().decode(AccuracyMatrix.self, from: json)
        #expect(back == m && back.metrics == metrics)
        // A null where a metric looks (the next task's cell, which FWT reads) is refused, naming the cell.
        do {
            _ = try AccuracyMatrix(rows: [[40, n, n], [45, 60, 10], [35, 62, 70]])
            Issue.record("a null next-task cell was accepted")
        } catch {
            guard case .scoreOutOfRange(row: 0, column: 1, let value) = error, value.isNaN else { Issue.record("\(error)"); return }
            #expect(error.description.contains("row 0, task 1"))
        }
    }

    @Test func metricsOfAOneTaskStreamAreAAAndNulls() throws {
        // T = 1: AA = a[1][1] = 64; BWT, FWT and FGT need a second task: null in JSON, never omitted or 0.
        let m = try JSONDecoder().decode(AccuracyMatrix.self, from: Data(#"{"rows": [[64]], "zero_shot": [12]}"#.utf8))
        #expect(m.metrics == Metrics(aa: 64, bwt: nil, fwt: nil, forgetting: nil))
        let written = String(decoding: try JSONEncoder().encode(m.metrics), as: UTF8.self)
        for key in ["bwt", "fwt", "forgetting"] { #expect(written.contains("\"\(key)\":null"), "\(written)") }
        // A run stopped after its first task of several reports the same.
        let first = try AccuracyMatrix(seenSoFar: [[64, 3, .nan]], zeroShot: [12, 2, 7])
        #expect(first.metrics == m.metrics && first.rows == [[64]])
    }
}
