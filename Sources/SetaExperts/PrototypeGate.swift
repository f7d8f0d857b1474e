// The unified gate: which unique expert an input sequence needs, without being told its task.
//
// Features are computed from the *frozen* base model (mean-pooled input embeddings of the prompt tokens), so
// they never drift as adapters train. Per task the gate stores only statistics: the feature mean μ_t (a few KB)
// and its share of one within-task scatter matrix common to all tasks. Scores are LDA's (nearest prototype under
// the shared, shrunk covariance Σ): score_t(x) = μ_tᵀ Σ⁻¹ x − ½ μ_tᵀ Σ⁻¹ μ_t. What is frozen after a
// task is its stored statistics; the derived rows Σ⁻¹ μ_t are recomputed whenever Σ changes. No earlier data
// is replayed.
import Foundation
import SetaTensor

public struct GateOptions: Codable, Equatable, Sendable {
    /// Shrinkage λ toward a scaled identity: Σ_λ = (1 − λ) Σ + λ · tr(Σ)/d · I
    /// (needed: examples < dimensions).
    public var shrinkage: Double = 0.2
    /// Hard top-1 (default) or soft top-k with this temperature on the scores.
    public var topK: Int = 1
    public var temperature: Double = 1
    public init(shrinkage: Double = 0.2, topK: Int = 1, temperature: Double = 1) {
        self.shrinkage = shrinkage; self.topK = topK; self.temperature = temperature
    }
}

public final class PrototypeGate {
    public let dimension: Int
    public var options: GateOptions
    /// μ_t per task (frozen once the task ends).
    public private(set) var means: [[Double]] = []
    public private(set) var counts: [Int] = []
    /// Σ_t Σ_i (x_i − μ_t)(x_i − μ_t)ᵀ, row-major d × d.
    public private(set) var scatter: [Double]
    private var rows: [[Double]] = []       // Σ⁻¹ μ_t, derived
    private var biases: [Double] = []       // −½ μ_tᵀ Σ⁻¹ μ_t, derived

    public init(dimension: Int, options: GateOptions = GateOptions()) {
        self.dimension = dimension; self.options = options
        scatter = [Double](repeating: 0, count: dimension * dimension)
    }

    public var taskCount: Int { means.count }

    /// Mean-pooled rows of the frozen embedding table [V, d] at `ids` (the prompt tokens).
    public static func features(ids: [Int], embeddings: Tensor) -> [Double] {
        let d = embeddings.size(1)
        var f = [Double](repeating: 0, count: d)
        for id in ids { let row = embeddings.data + id * d; for j in 0..<d { f[j] += Double(row[j]) } }
        let n = Double(max(ids.count, 1))
        return f.map { $0 / n }
    }

    /// Adaptive expansion: adds task t's statistics from its training features, then re-derives the scores.
    public func addTask(features: [[Double]]) {
        precondition(!features.isEmpty && features.allSatisfy { $0.count == dimension },
                     "gate: no or mis-sized features")
        let d = dimension, n = Double(features.count)
        var mu = [Double](repeating: 0, count: d)
        for f in features { for j in 0..<d { mu[j] += f[j] / n } }
        scatter.withUnsafeMutableBufferPointer { s in
            for f in features {
                let c = (0..<d).map { f[$0] - mu[$0] }
                for i in 0..<d { let ci = c[i]; for j in i..<d { s[i * d + j] += ci * c[j] } }
            }
            for i in 0..<d { for j in 0..<i { s[i * d + j] = s[j * d + i] } }
        }
        means.append(mu)
        counts.append(features.count)
        derive()
    }

    /// Restores stored statistics (from a checkpoint).
    public func restore(means: [[Double]], counts: [Int], scatter: [Double]) {
        self.means = means; self.counts = counts; self.scatter = scatter
        derive()
    }

    /// LDA scores of every task for one feature vector.
    public func scores(_ x: [Double]) -> [Double] {
        (0..<means.count).map { t in zip(rows[t], x).reduce(biases[t]) { $0 + $1.0 * $1.1 } }
    }

    /// Gate weights over tasks: one-hot top-1, or a softmax over the top-k scores.
    public func weights(_ x: [Double]) -> [Float] {
        let s = scores(x)
        guard !s.isEmpty else { return [] }
        let order = s.indices.sorted { s[$0] > s[$1] }
        if options.topK <= 1 { return s.indices.map { $0 == order[0] ? 1 : 0 } }
        let top = Array(order.prefix(options.topK)), m = s[order[0]]
        var w = [Float](repeating: 0, count: s.count)
        let e = top.map { exp((s[$0] - m) / options.temperature) }, z = e.reduce(0, +)
        for (i, t) in top.enumerated() { w[t] = Float(e[i] / z) }
        return w
    }

    /// The top-1 task.
    public func route(_ x: [Double]) -> Int {
        let s = scores(x)
        return s.indices.max { s[$0] < s[$1] } ?? 0
    }

    /// Stored numbers: the means plus the shared scatter's upper triangle.
    public var storedParameterCount: Int { means.count * dimension + dimension * (dimension + 1) / 2 }

    private func derive() {
        let d = dimension, total = counts.reduce(0, +)
        var sigma = scatter.map { $0 / Double(max(total - means.count, 1)) }
        let trace = (0..<d).reduce(0.0) { $0 + sigma[$1 * d + $1] } / Double(d)
        let lambda = options.shrinkage
        for i in 0..<d {
            for j in 0..<d { sigma[i * d + j] *= (1 - lambda) }
            sigma[i * d + i] += lambda * max(trace, 1e-12)
        }
        let chol = Cholesky(sigma, size: d)
        rows = means.map { chol.solve($0) }
        biases = zip(means, rows).map { -0.5 * zip($0, $1).reduce(0) { $0 + $1.0 * $1.1 } }
    }
}

/// Σ = L Lᵀ for a symmetric positive-definite matrix (row-major), and solves Σ x = b.
struct Cholesky {
    let l: [Double], n: Int
    init(_ a: [Double], size n: Int) {
        self.n = n
        var l = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            var diag = a[j * n + j]
            for k in 0..<j { diag -= l[j * n + k] * l[j * n + k] }
            let ljj = max(diag, 1e-300).squareRoot()
            l[j * n + j] = ljj
            for i in (j + 1)..<max(n, j + 1) {
                var s = a[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = s / ljj
            }
        }
        self.l = l
    }
    func solve(_ b: [Double]) -> [Double] {
        var y = b
        for i in 0..<n { for k in 0..<i { y[i] -= l[i * n + k] * y[k] }; y[i] /= l[i * n + i] }
        for i in stride(from: n - 1, through: 0, by: -1) {
            for k in (i + 1)..<max(n, i + 1) { y[i] -= l[k * n + i] * y[k] }
            y[i] /= l[i * n + i]
        }
        return y
    }
}

extension PrototypeGate {
    /// Adds a task from its training prompts (token ids), through their frozen features.
    public func addTask(prompts: [[Int]], embeddings: Tensor) {
        addTask(features: prompts.map { Self.features(ids: $0, embeddings: embeddings) })
    }

    /// Sets `routing`'s weights for `prompts` from their frozen features and returns each prompt's top-1 expert;
    /// nil (and no weights: the shared expert alone) before the first task.
    public func route(prompts: [[Int]], embeddings: Tensor, into routing: Routing) -> [Int]? {
        guard taskCount > 0 else { routing.weights = []; return nil }
        let features = prompts.map { Self.features(ids: $0, embeddings: embeddings) }
        routing.weights = features.map { weights($0) }
        return features.map { route($0) }
    }
}
