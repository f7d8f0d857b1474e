// The accuracy matrix and every continual-learning metric derived from it (SETA.md, "What to measure").
//
// `rows[i][j]` = score (0–100) on task j after training through task i; `zeroShot[j]` = the base model's score.
// A run that scores only the tasks seen so far and the next one (`--eval-tasks seen`) leaves the cells with j > i + 1
// unmeasured: NaN here, null in JSON. No metric reads them.
// The formulas number tasks from 1; the arrays here count from 0, so "a[T][j]" is `rows[T - 1][j - 1]`.

/// A matrix of scores that is not T × T (sequential) or 1 × T (multi-task), or holds a bad score.
public enum AccuracyMatrixError: Error, Equatable, CustomStringConvertible, Sendable {
    /// No rows, or a first row without columns.
    case empty
    /// A row whose length differs from the first row's (the number of tasks).
    case raggedRow(row: Int, expected: Int, found: Int)
    /// Neither T rows (sequential training) nor 1 row (multi-task training) for T tasks.
    case rowCount(tasks: Int, found: Int)
    /// A zero-shot vector whose length is not the number of tasks.
    case zeroShotCount(expected: Int, found: Int)
    /// A score that is not a finite number in 0…100 (`row` is nil for the zero-shot vector).
    case scoreOutOfRange(row: Int?, column: Int, value: Double)

    public var description: String {
        switch self {
        case .empty:
            return "accuracy matrix: expected at least one row and one task, found none"
        case .raggedRow(let row, let expected, let found):
            return "accuracy matrix: row \(row) has \(found) scores, expected \(expected) (one per task)"
        case .rowCount(let tasks, let found):
            return "accuracy matrix: \(found) rows for \(tasks) tasks, expected \(tasks) (sequential) or 1 (multi-task)"
        case .zeroShotCount(let expected, let found):
            return "accuracy matrix: \(found) zero-shot scores, expected \(expected) (one per task)"
        case .scoreOutOfRange(let row, let column, let value):
            let place = row.map { "row \($0), task \(column)" } ?? "zero-shot, task \(column)"
            return "accuracy matrix: score \(value) at \(place), expected a finite number in 0...100"
        }
    }
}

/// Scores on every task after each training stage, validated at construction (T × T or 1 × T, scores in 0…100;
/// NaN, unmeasured, only beyond the next task).
/// Every metric is a pure function of it, as in avalanche.
public struct AccuracyMatrix: Codable, Equatable, Sendable {
    public static func == (a: Self, b: Self) -> Bool { sameScores(a.rows, b.rows) && a.zeroShot == b.zeroShot }

    /// `rows[i][j]`: score on task j after training through task i; or one row after multi-task training.
    public let rows: [[Double]]
    /// `zeroShot[j]`: the base model's score on task j, if measured.
    public let zeroShot: [Double]?

    public init(rows: [[Double]], zeroShot: [Double]? = nil) throws(AccuracyMatrixError) {
        guard let first = rows.first, !first.isEmpty else { throw .empty }
        let tasks = first.count
        guard rows.count == tasks || rows.count == 1 else { throw .rowCount(tasks: tasks, found: rows.count) }
        for (i, row) in rows.enumerated() {
            guard row.count == tasks else { throw .raggedRow(row: i, expected: tasks, found: row.count) }
            for (j, score) in row.enumerated() where !Self.isValid(score) {
                // Unmeasured (NaN) is allowed beyond the next task of a sequential run, where no metric looks.
                guard score.isNaN && j > i + 1 && rows.count == tasks && tasks > 1 else {
                    throw .scoreOutOfRange(row: i, column: j, value: score)
                }
            }
        }
        if let b = zeroShot {
            guard b.count == tasks else { throw .zeroShotCount(expected: tasks, found: b.count) }
            for (j, score) in b.enumerated() where !Self.isValid(score) {
                throw .scoreOutOfRange(row: nil, column: j, value: score)
            }
        }
        self.rows = rows
        self.zeroShot = zeroShot
    }

    /// The matrix over the tasks seen so far, from a run in progress: `rows` holds k ≥ 1 rows of T ≥ k scores
    /// (every task evaluated after each of the first k tasks); the result is the upper-left k × k block.
    public init(seenSoFar rows: [[Double]], zeroShot: [Double]? = nil) throws(AccuracyMatrixError) {
        let k = rows.count
        guard k > 0 else { throw .empty }
        for (i, row) in rows.enumerated() where row.count < k {
            throw .raggedRow(row: i, expected: k, found: row.count)
        }
        if let b = zeroShot, b.count < k { throw .zeroShotCount(expected: k, found: b.count) }
        try self.init(rows: rows.map { Array($0.prefix(k)) }, zeroShot: zeroShot.map { Array($0.prefix(k)) })
    }

    private static func isValid(_ score: Double) -> Bool { score.isFinite && score >= 0 && score <= 100 }

    /// T, the number of tasks (columns).
    public var taskCount: Int { rows[0].count }
    /// True for one row over several tasks (multi-task training): only AA is defined.
    public var isMultiTask: Bool { rows.count == 1 && taskCount > 1 }
    /// True when the sequential metrics (BWT, FGT, and FWT with zero-shot scores) are defined: T × T with T ≥ 2.
    public var isSequential: Bool { rows.count == taskCount && taskCount > 1 }

    /// `a[i][j]` with tasks numbered from 1, as in the formulas.
    private func a(_ i: Int, _ j: Int) -> Double { rows[i - 1][j - 1] }

    /// AA = (1/T) Σ_j a[T][j]: mean of the last row.
    public var averageAccuracy: Double {
        let last = rows[rows.count - 1]
        return last.reduce(0, +) / Double(last.count)
    }

    /// BWT = (1/(T−1)) Σ_{j<T} (a[T][j] − a[j][j]); negative means forgetting. Nil unless sequential.
    public var backwardTransfer: Double? {
        guard isSequential else { return nil }
        let t = taskCount
        let sum = (1..<t).reduce(0.0) { $0 + (a(t, $1) - a($1, $1)) }
        return sum / Double(t - 1)
    }

    /// FWT = (1/(T−1)) Σ_{j≥2} (a[j−1][j] − b[j]). Nil unless sequential and zero-shot scores are present.
    public var forwardTransfer: Double? {
        guard isSequential, let b = zeroShot else { return nil }
        let t = taskCount
        let sum = (2...t).reduce(0.0) { $0 + (a($1 - 1, $1) - b[$1 - 1]) }
        return sum / Double(t - 1)
    }

    /// FGT = (1/(T−1)) Σ_{j<T} max_{j≤l<T} (a[l][j] − a[T][j]). The range of l excludes T, so FGT is
    /// negative when scores rose after training on every earlier stage. Nil unless sequential.
    public var forgetting: Double? {
        guard isSequential else { return nil }
        let t = taskCount
        let sum = (1..<t).reduce(0.0) { total, j in
            total + (j..<t).map { l in a(l, j) - a(t, j) }.max()!
        }
        return sum / Double(t - 1)
    }

    /// All four metrics.
    public var metrics: Metrics {
        Metrics(aa: averageAccuracy, bwt: backwardTransfer, fwt: forwardTransfer, forgetting: forgetting)
    }

    private enum CodingKeys: String, CodingKey {
        case rows
        case zeroShot = "zero_shot"
    }

    /// Decodes and validates; a bad shape surfaces as a `DecodingError.dataCorrupted` carrying the description.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let rows = unmeasuredAsNaN(try c.decode([[Double?]].self, forKey: .rows))
        let zeroShot = try c.decodeIfPresent([Double].self, forKey: .zeroShot)
        do {
            try self.init(rows: rows, zeroShot: zeroShot)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description,
                                                    underlyingError: error))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(unmeasuredAsNull(rows), forKey: .rows)
        if let zeroShot { try c.encode(zeroShot, forKey: .zeroShot) } else { try c.encodeNil(forKey: .zeroShot) }
    }
}

/// Equal matrices of scores, unmeasured (NaN) cells equal to each other.
public func sameScores(_ a: [[Double]], _ b: [[Double]]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { r, s in
        r.count == s.count && zip(r, s).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
    }
}

/// Rows for JSON: an unmeasured (NaN) cell is null.
public func unmeasuredAsNull(_ rows: [[Double]]) -> [[Double?]] { rows.map { $0.map { $0.isNaN ? nil : $0 } } }
/// Rows from JSON: null is an unmeasured cell (NaN).
public func unmeasuredAsNaN(_ rows: [[Double?]]) -> [[Double]] { rows.map { $0.map { $0 ?? .nan } } }
