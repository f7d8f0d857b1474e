// Parameter growth: adapter parameters stored after each task, against independent experts of rank r_s.

/// A growth record whose vectors disagree in length or hold impossible counts.
public enum ParameterGrowthError: Error, Equatable, CustomStringConvertible, Sendable {
    case countMismatch(stored: Int, independent: Int)
    /// A negative stored count, or a non-positive independent count (the ratio's denominator), after task `task`.
    case invalidCount(task: Int, stored: Int, independent: Int)

    public var description: String {
        switch self {
        case .countMismatch(let stored, let independent):
            return "parameter growth: \(stored) stored counts but \(independent) independent-expert counts, "
                + "expected one of each per task"
        case .invalidCount(let task, let stored, let independent):
            return "parameter growth after task \(task): stored \(stored), independent \(independent); "
                + "expected stored ≥ 0 and independent > 0"
        }
    }
}

/// Adapter parameters stored after each task (experts and gate statistics; Ω and θ* are training state and not
/// counted), and what independent experts (one LoRA of rank r_s per task) would store after the same tasks.
public struct ParameterGrowth: Codable, Equatable, Sendable {
    /// Parameters stored after task i (index from 0).
    public let storedAfterTask: [Int]
    /// Parameters of independent rank-r_s experts after task i.
    public let independentEquivalent: [Int]

    public init(storedAfterTask: [Int], independentEquivalent: [Int]) throws(ParameterGrowthError) {
        guard storedAfterTask.count == independentEquivalent.count else {
            throw .countMismatch(stored: storedAfterTask.count, independent: independentEquivalent.count)
        }
        for (i, (s, ind)) in zip(storedAfterTask, independentEquivalent).enumerated() where s < 0 || ind <= 0 {
            throw .invalidCount(task: i, stored: s, independent: ind)
        }
        self.storedAfterTask = storedAfterTask
        self.independentEquivalent = independentEquivalent
    }

    /// Growth against independent experts of rank `rank` on the same adapted matrices (task i holds i + 1 experts).
    public init(storedAfterTask: [Int], rank: Int, targets: [(inFeatures: Int, outFeatures: Int)])
        throws(ParameterGrowthError) {
        let independent = storedAfterTask.indices.map {
            independentExpertParameters(rank: rank, targets: targets, tasks: $0 + 1)
        }
        try self.init(storedAfterTask: storedAfterTask, independentEquivalent: independent)
    }

    /// stored / independent after each task (below 1 = smaller than independent experts).
    public var ratio: [Double] {
        zip(storedAfterTask, independentEquivalent).map { Double($0) / Double($1) }
    }

    private enum CodingKeys: String, CodingKey {
        case storedAfterTask = "stored_after_task"
        case independentEquivalent = "independent_equivalent"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(storedAfterTask: c.decode([Int].self, forKey: .storedAfterTask),
                          independentEquivalent: c.decode([Int].self, forKey: .independentEquivalent))
        } catch let error as ParameterGrowthError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description,
                                                    underlyingError: error))
        }
    }
}

/// Parameters of `tasks` independent LoRA experts of rank `rank` on the given matrices: tasks · Σ r · (in + out)
/// (A is r × in, B is out × r).
public func independentExpertParameters(rank: Int, targets: [(inFeatures: Int, outFeatures: Int)], tasks: Int) -> Int {
    precondition(rank >= 0 && tasks >= 0, "rank and tasks must be non-negative")
    return tasks * targets.reduce(0) { $0 + rank * ($1.inFeatures + $1.outFeatures) }
}
