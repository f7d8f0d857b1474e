// Split-on-Share (SETA.md, step 3): per adapted matrix, from each shared block's gradient sensitivity s_b on the
// new task and its accumulated importance Ω_b for earlier tasks,
//   s_b ≥ τ_s and Ω_b ≥ τ_Ω → split   (the new task needs b, old tasks rely on it: the new task gets a copy)
//   s_b ≥ τ_s and Ω_b < τ_Ω → shared  (b trains in place, under elastic anchoring)
//   s_b < τ_s               → frozen  (sparse update)
// with τ_s, τ_Ω percentiles of the matrix's scores (fixed), or — the dynamic rule — a split only where the product
// q_b = (s_b / mean s) · (Ω_b / mean Ω) exceeds a multiple of its running mean over the tasks so far. Both factors
// are divided by their mean over the matrix's blocks in this task, so the statistic is on one scale from task to
// task: s grows with |θ| as blocks train and Ω is a growing sum of Fishers, and a running mean of the raw s·Ω lagged
// behind them, so that splits rose over tasks instead of falling.
import SetaExperts

public struct SplitOnShareOptions: Codable, Equatable, Sendable {
    public enum Rule: String, Codable, Sendable, CaseIterable { case percentile, dynamic }
    public var rule: Rule = .percentile
    /// τ_s: percentile of the sensitivities s_b.
    public var sensitivityPercentile: Double = 50
    /// τ_Ω: percentile of the importances Ω_b (percentile rule).
    public var importancePercentile: Double = 75
    /// Dynamic rule: split where q_b = (s_b / mean s)(Ω_b / mean Ω) > multiple × the running mean of q.
    public var dynamicMultiple: Double = 2
    /// On the first task (Ω = 0 everywhere) every block trains (free), regardless of s_b.
    public var firstTaskAllFree = true
    public init() {}
}

/// The p-th percentile (0–100) with linear interpolation between order statistics (numpy's default).
public func percentile(_ xs: [Double], _ p: Double) -> Double {
    precondition(!xs.isEmpty, "percentile of no values")
    let sorted = xs.sorted(), position = p / 100 * Double(sorted.count - 1)
    let lo = Int(position.rounded(.down)), hi = min(lo + 1, sorted.count - 1), f = position - Double(lo)
    return sorted[lo] + (sorted[hi] - sorted[lo]) * f
}

/// Block states for one adapted matrix. `runningMean` (dynamic rule) is the running mean of the normalised products
/// q so far (`normalisedProducts`).
public func splitOnShare(sensitivity s: [Double], importance omega: [Double], options: SplitOnShareOptions,
                         runningMean: Double? = nil) -> [BlockState] {
    precondition(s.count == omega.count && !s.isEmpty, "one sensitivity and one importance per block")
    if omega.allSatisfy({ $0 == 0 }) {   // nothing relies on any block yet
        return options.firstTaskAllFree
            ? s.map { _ in .free }
            : s.map { $0 >= percentile(s, options.sensitivityPercentile) ? .free : .frozen }
    }
    let tauS = percentile(s, options.sensitivityPercentile)
    switch options.rule {
    case .percentile:
        let tauOmega = percentile(omega, options.importancePercentile)
        return zip(s, omega).map { sb, ob in sb < tauS ? .frozen : (ob >= tauOmega && ob > 0 ? .split : .shared) }
    case .dynamic:
        let bar = options.dynamicMultiple * (runningMean ?? 0)
        return zip(zip(s, omega), normalisedProducts(s, omega)).map { pair, q in
            pair.0 < tauS ? .frozen : (q > bar && pair.1 > 0 ? .split : .shared)
        }
    }
}

/// q_b = (s_b / mean s) · (Ω_b / mean Ω) over one matrix's blocks: the product of both scores on one scale whatever
/// their units and size (all 0 where either mean is 0).
public func normalisedProducts(_ s: [Double], _ omega: [Double]) -> [Double] {
    let ms = s.reduce(0, +) / Double(s.count), mo = omega.reduce(0, +) / Double(omega.count)
    guard ms > 0, mo > 0 else { return s.map { _ in 0 } }
    return zip(s, omega).map { ($0 / ms) * ($1 / mo) }
}

/// Running sum and count of the normalised products q_b of one adapted matrix over the tasks so far (dynamic rule).
public struct RunningProduct: Codable, Equatable, Sendable {
    public var sum = 0.0, count = 0
    public init(sum: Double = 0, count: Int = 0) { self.sum = sum; self.count = count }
    /// The running mean, nil before any product joined.
    public var mean: Double? { count > 0 ? sum / Double(count) : nil }
}

/// One task's decisions for one matrix, across tasks: the task's normalised products q_b join `running` once any
/// block carries importance (from the second task on), then `splitOnShare` decides against the updated running mean.
public func splitOnShare(sensitivity s: [Double], importance omega: [Double], options: SplitOnShareOptions,
                         running: inout RunningProduct) -> [BlockState] {
    if omega.contains(where: { $0 > 0 }) {
        running.sum += normalisedProducts(s, omega).reduce(0, +); running.count += s.count
    }
    return splitOnShare(sensitivity: s, importance: omega, options: options, runningMean: running.mean)
}
