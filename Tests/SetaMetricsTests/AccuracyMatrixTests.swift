// Every metric on hand-computed matrices; the arithmetic is in the comments (tasks numbered from 1, as in SETA.md).
import Foundation
import Testing
@testable import SetaMetrics

private func close(_ x: Double?, _ y: Double, tolerance: Double = 1e-9) -> Bool {
    guard let x else { return false }
    return abs(x - y) <= tolerance
}

// A: T = 3, zero-shot present.
//   a = [[80, 10, 20],     b = [5, 15, 25]
//        [60, 90, 30],
//        [50, 70, 95]]
private let matrixA = try! AccuracyMatrix(rows: [[80, 10, 20], [60, 90, 30], [50, 70, 95]], zeroShot: [5, 15, 25])

// B: T = 4, one score rises after its own task, another falls.
//   a = [[40,  0,  0,  0],   b = [10, 5, 0, 30]
//        [45, 60, 10,  5],
//        [35, 62, 70, 20],
//        [50, 65, 60, 80]]
private let matrixB = try! AccuracyMatrix(rows: [[40, 0, 0, 0], [45, 60, 10, 5], [35, 62, 70, 20], [50, 65, 60, 80]],
                                          zeroShot: [10, 5, 0, 30])

// C: T = 2, no zero-shot; task 1's score rose after task 2.
//   a = [[40,  0],
//        [50, 70]]
private let matrixC = try! AccuracyMatrix(rows: [[40, 0], [50, 70]])

@Suite struct AccuracyMatrixTests {
    @Test func unmeasuredCellsBeyondTheNextTaskChangeNoMetric() throws {
        // B with the cells that `--eval-tasks seen` skips (j > i + 1) unmeasured: a[1][3], a[1][4], a[2][4].
        let n = Double.nan
        let partial = try AccuracyMatrix(rows: [[40, 0, n, n], [45, 60, 10, n], [35, 62, 70, 20], [50, 65, 60, 80]],
                                         zeroShot: [10, 5, 0, 30])
        #expect(partial.metrics == matrixB.metrics)
        #expect(partial == partial && partial != matrixB)
        // Null in JSON, NaN again when read back.
        let json = String(decoding: try JSONEncoder().encode(partial), as: UTF8.self)
        #expect(json.contains("[40,0,null,null]"), "\(json)")
        #expect(try JSONDecoder().decode(AccuracyMatrix.self, from: Data(json.utf8)) == partial)
        // Not at or below the next task, and not in a multi-task row.
        for (i, j) in [(0, 0), (0, 1), (1, 0), (3, 3)] {
            var rows = matrixB.rows
            rows[i][j] = n
            #expect(throws: AccuracyMatrixError.self) { try AccuracyMatrix(rows: rows) }
        }
        #expect(throws: AccuracyMatrixError.self) { try AccuracyMatrix(rows: [[40, 0, n]]) }
    }

    @Test func averageAccuracy() {
        // A: (50 + 70 + 95) / 3 = 215 / 3
        #expect(close(matrixA.averageAccuracy, 215.0 / 3))
        // B: (50 + 65 + 60 + 80) / 4 = 255 / 4 = 63.75
        #expect(close(matrixB.averageAccuracy, 63.75))
        // C: (50 + 70) / 2 = 60
        #expect(close(matrixC.averageAccuracy, 60))
    }

    @Test func backwardTransfer() {
        // A: ((a31 − a11) + (a32 − a22)) / 2 = ((50 − 80) + (70 − 90)) / 2 = −50 / 2 = −25
        #expect(close(matrixA.backwardTransfer, -25))
        // B: ((50 − 40) + (65 − 60) + (60 − 70)) / 3 = (10 + 5 − 10) / 3 = 5 / 3
        #expect(close(matrixB.backwardTransfer, 5.0 / 3))
        // C: (50 − 40) / 1 = 10
        #expect(close(matrixC.backwardTransfer, 10))
    }

    @Test func forwardTransfer() {
        // A: ((a12 − b2) + (a23 − b3)) / 2 = ((10 − 15) + (30 − 25)) / 2 = 0
        #expect(close(matrixA.forwardTransfer, 0))
        // B: ((a12 − b2) + (a23 − b3) + (a34 − b4)) / 3 = ((0 − 5) + (10 − 0) + (20 − 30)) / 3 = −5 / 3
        #expect(close(matrixB.forwardTransfer, -5.0 / 3))
        // C: no zero-shot scores → nil
        #expect(matrixC.forwardTransfer == nil)
        // The same matrix as C with b = [0, 3]: (a12 − b2) / 1 = 0 − 3 = −3
        let withZeroShot = try! AccuracyMatrix(rows: matrixC.rows, zeroShot: [0, 3])
        #expect(close(withZeroShot.forwardTransfer, -3))
    }

    @Test func forgetting() {
        // A: j = 1: max(a11 − a31, a21 − a31) = max(30, 10) = 30; j = 2: a22 − a32 = 20 → (30 + 20) / 2 = 25
        #expect(close(matrixA.forgetting, 25))
        // B: j = 1: max(40 − 50, 45 − 50, 35 − 50) = max(−10, −5, −15) = −5
        //    j = 2: max(60 − 65, 62 − 65) = max(−5, −3) = −3
        //    j = 3: 70 − 60 = 10                      → (−5 − 3 + 10) / 3 = 2 / 3
        #expect(close(matrixB.forgetting, 2.0 / 3))
    }

    /// l ranges over j ≤ l < T, so a score that rose at the end gives negative forgetting: kept as defined.
    @Test func forgettingIsNegativeWhenScoresRoseAtTheEnd() {
        // C: j = 1: a11 − a21 = 40 − 50 = −10 → −10 / 1 = −10
        #expect(close(matrixC.forgetting, -10))
        // All earlier tasks improved: a = [[20, 0, 0], [30, 40, 0], [50, 60, 90]]
        //   j = 1: max(20 − 50, 30 − 50) = −20; j = 2: 40 − 60 = −20 → −40 / 2 = −20
        let improving = try! AccuracyMatrix(rows: [[20, 0, 0], [30, 40, 0], [50, 60, 90]])
        #expect(close(improving.forgetting, -20))
    }

    @Test func singleTaskHasOnlyAverageAccuracy() throws {
        // T = 1: AA = 73; BWT, FWT, FGT are null even with a zero-shot score.
        let m = try AccuracyMatrix(rows: [[73]], zeroShot: [20])
        #expect(m.metrics == Metrics(aa: 73, bwt: nil, fwt: nil, forgetting: nil))
        #expect(!m.isSequential && !m.isMultiTask)
    }

    @Test func multiTaskRowHasOnlyAverageAccuracy() throws {
        // One row over 3 tasks (MTL): AA = (80 + 70 + 90) / 3 = 80; the rest nil.
        let m = try AccuracyMatrix(rows: [[80, 70, 90]], zeroShot: [10, 10, 10])
        #expect(m.isMultiTask && m.taskCount == 3)
        #expect(m.metrics == Metrics(aa: 80, bwt: nil, fwt: nil, forgetting: nil))
    }

    @Test func metricsBundleAllFour() {
        let metrics = Metrics(matrixA)
        #expect(close(metrics.aa, 215.0 / 3) && close(metrics.bwt, -25) && close(metrics.fwt, 0)
                && close(metrics.forgetting, 25))
    }

    @Test func seenSoFarTakesTheUpperLeftBlock() throws {
        // After 2 of A's 3 tasks: [[80, 10], [60, 90]], b = [5, 15].
        //   AA = (60 + 90) / 2 = 75; BWT = 60 − 80 = −20; FWT = 10 − 15 = −5; FGT = 80 − 60 = 20
        let m = try AccuracyMatrix(seenSoFar: Array(matrixA.rows.prefix(2)), zeroShot: matrixA.zeroShot)
        #expect(m.rows == [[80, 10], [60, 90]] && m.zeroShot == [5, 15])
        #expect(m.metrics == Metrics(aa: 75, bwt: -20, fwt: -5, forgetting: 20))
        #expect(throws: AccuracyMatrixError.raggedRow(row: 1, expected: 2, found: 1)) {
            try AccuracyMatrix(seenSoFar: [[1, 2, 3], [4]])
        }
    }

    @Test func badShapesThrow() {
        #expect(throws: AccuracyMatrixError.empty) { try AccuracyMatrix(rows: []) }
        #expect(throws: AccuracyMatrixError.empty) { try AccuracyMatrix(rows: [[]]) }
        #expect(throws: AccuracyMatrixError.raggedRow(row: 1, expected: 2, found: 3)) {
            try AccuracyMatrix(rows: [[1, 2], [3, 4, 5]])
        }
        #expect(throws: AccuracyMatrixError.rowCount(tasks: 3, found: 2)) {
            try AccuracyMatrix(rows: [[1, 2, 3], [4, 5, 6]])
        }
        #expect(throws: AccuracyMatrixError.rowCount(tasks: 1, found: 2)) { try AccuracyMatrix(rows: [[1], [2]]) }
        #expect(throws: AccuracyMatrixError.zeroShotCount(expected: 2, found: 1)) {
            try AccuracyMatrix(rows: [[1, 2], [3, 4]], zeroShot: [5])
        }
        #expect(throws: AccuracyMatrixError.scoreOutOfRange(row: 0, column: 1, value: 120)) {
            try AccuracyMatrix(rows: [[1, 120], [3, 4]])
        }
        #expect(throws: AccuracyMatrixError.scoreOutOfRange(row: nil, column: 0, value: -1)) {
            try AccuracyMatrix(rows: [[1, 2], [3, 4]], zeroShot: [-1, 0])
        }
        #expect(throws: AccuracyMatrixError.self) { try AccuracyMatrix(rows: [[.nan]]) }
    }

    @Test func errorsSayWhatWasExpectedAndFound() {
        let message = AccuracyMatrixError.rowCount(tasks: 3, found: 2).description
        #expect(message.contains("2 rows") && message.contains("expected 3"))
    }
}
