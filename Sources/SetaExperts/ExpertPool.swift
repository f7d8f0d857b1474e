// SETA's expert pool on one adapted projection W (out × in):
//
//   y = W x + s · Σ_b B_b A_b x
//         + s · Σ_t g_t(x) · [ B_{U_t} A_{U_t} x + Σ_{b ∈ S_t} (B'_{t,b} A'_{t,b} − B_b A_b) x ]
//
// - shared expert: rank r_s in K sub-blocks b of rank k (rows of A, columns of B), always on;
// - unique expert U_t per task (rank r_u, B = 0 at creation), plus S_t, the shared blocks task t split: task t
//   uses its private copy B'A' *instead of* the shared block (the bracket replaces, it does not add);
// - g_t(x): per-sequence gate weights over the unique experts, set through the shared `Routing` before a forward.
import SetaModels
import SetaTensor

/// Gate weights per sequence, shared by every pool of a model: `weights[s][t]` for sequence s and task t.
public final class Routing {
    public var weights: [[Float]] = []
    public init() {}

    /// Keeps the routes of sequences `rows` (increasing) of the `sequences` routed, when they are routed one by one:
    /// a batched decode whose finished sequences leave the batch keeps each remaining sequence on its own expert.
    public func keep(_ rows: [Int], of sequences: Int) {
        if weights.count == sequences && sequences > 1 { weights = rows.map { weights[$0] } }
    }

    /// The same expert (oracle route) for `sequences` sequences.
    public func route(allTo task: Int, tasks: Int, sequences: Int) {
        weights = Array(repeating: (0..<tasks).map { $0 == task ? 1 : 0 }, count: sequences)
    }

    /// Weight of task t for each of `rows` token rows; nil when task t has weight 0 everywhere. One route for
    /// every sequence (the oracle route while training) fits any forward pass, whatever its number of sequences
    /// (a batch runs as several length groups); per-sequence weights need rows sequence-major (row r belongs to
    /// sequence r / (rows / sequences)) and exactly the sequences they were set for.
    func rowWeights(task t: Int, rows: Int) -> [Float]? {
        guard let first = weights.first, weights.contains(where: { t < $0.count && $0[t] != 0 }) else { return nil }
        if weights.allSatisfy({ $0 == first }) { return [Float](repeating: first[t], count: rows) }
        precondition(rows % weights.count == 0,
                     "routing: weights for \(weights.count) sequences, forward pass of \(rows) rows")
        let perSequence = rows / weights.count
        var out = [Float](repeating: 0, count: rows)
        for (s, w) in weights.enumerated() where t < w.count {
            for r in 0..<perSequence { out[s * perSequence + r] = w[t] }
        }
        return out
    }
}

/// A shared sub-block's state for the task being trained.
public enum BlockState: String, Codable, Sendable {
    case free      // trains in place, no anchoring (nothing relies on it yet)
    case shared    // trains in place under elastic anchoring
    case split     // the task trains its private copy; the shared original stays frozen
    case frozen    // not updated for this task
}

public final class ExpertPool: ProjectionAdapter {
    public struct Shape: Codable, Equatable, Sendable {
        public var sharedRank = 16, blocks = 8, uniqueRank = 4
        public var scale: Float = 2
        public var blockRank: Int { sharedRank / blocks }
        public init(sharedRank: Int = 16, blocks: Int = 8, uniqueRank: Int = 4, scale: Float = 2) {
            self.sharedRank = sharedRank; self.blocks = blocks; self.uniqueRank = uniqueRank; self.scale = scale
        }
    }

    /// Task t's own expert: U_t and the private copies of the shared blocks it split.
    public final class UniqueExpert {
        public let a: Tensor, b: Tensor                   // [r_u, in], [out, r_u]
        public internal(set) var splits: [(block: Int, a: Tensor, b: Tensor)] = []   // [k, in], [out, k]
        init(a: Tensor, b: Tensor) { self.a = a; self.b = b }
        public var parameters: [Tensor] { [a, b] + splits.flatMap { [$0.a, $0.b] } }
        public var rank: Int { a.size(0) + splits.reduce(0) { $0 + $1.a.size(0) } }
    }

    public let name: String
    public let shape: Shape
    public let inFeatures: Int, outFeatures: Int
    public let sharedA: [Tensor]   // K × [k, in]
    public let sharedB: [Tensor]   // K × [out, k]
    public private(set) var unique: [UniqueExpert] = []
    public let routing: Routing

    public init(name: String, inFeatures: Int, outFeatures: Int, shape: Shape, routing: Routing, rng: inout SeededRNG) {
        precondition(shape.sharedRank % shape.blocks == 0,
                     "shared rank \(shape.sharedRank) must split into \(shape.blocks) blocks")
        self.name = name; self.shape = shape; self.inFeatures = inFeatures; self.outFeatures = outFeatures
        self.routing = routing
        let k = shape.blockRank, bound = 1 / Float(inFeatures).squareRoot()
        sharedA = (0..<shape.blocks).map { _ in Tensor.uniform([k, inFeatures], -bound, bound, rng: &rng) }
        sharedB = (0..<shape.blocks).map { _ in Tensor(zeros: [outFeatures, k]) }
    }

    /// Adaptive expansion: a new unique expert (B = 0, so outputs are unchanged); returns its index.
    @discardableResult
    public func addUniqueExpert(rng: inout SeededRNG) -> Int {
        let bound = 1 / Float(inFeatures).squareRoot()
        unique.append(UniqueExpert(a: Tensor.uniform([shape.uniqueRank, inFeatures], -bound, bound, rng: &rng),
                                   b: Tensor(zeros: [outFeatures, shape.uniqueRank])))
        return unique.count - 1
    }

    /// Sets unique expert `target`'s A and B to the values of expert `source` (same rank; copies are not copied).
    public func copyUniqueExpert(_ source: Int, into target: Int) {
        precondition(source != target && unique[source].a.shape == unique[target].a.shape,
                     "cannot copy expert \(source) into \(target)")
        unique[target].a.data.update(from: unique[source].a.data, count: unique[source].a.count)
        unique[target].b.data.update(from: unique[source].b.data, count: unique[source].b.count)
    }

    /// Split-on-Share: task t takes a private copy of shared block b (initialised from the shared values, so
    /// the output is unchanged at the moment of the split).
    public func split(block b: Int, forTask t: Int) {
        precondition(!unique[t].splits.contains { $0.block == b }, "block \(b) already split for task \(t)")
        unique[t].splits.append((b, sharedA[b].copy(), sharedB[b].copy()))
    }

    /// Restores a unique expert from a checkpoint.
    public func restoreUniqueExpert(a: Tensor, b: Tensor, splits: [(block: Int, a: Tensor, b: Tensor)]) {
        let e = UniqueExpert(a: a, b: b)
        e.splits = splits
        unique.append(e)
    }

    public var sharedParameters: [Tensor] { sharedA + sharedB }

    /// Parameters stored for the experts (shared + every unique expert with its copies).
    public var storedParameterCount: Int {
        (sharedA + sharedB).reduce(0) { $0 + $1.count }
            + unique.reduce(0) { $0 + $1.parameters.reduce(0) { $0 + $1.count } }
    }

    /// x: [N, in] → [N, out].
    public func delta(_ x: Tensor) -> Tensor {
        let s = shape.scale
        let shared = matmul(matmul(x, concat(sharedA, axis: 0), transposeB: true), concat(sharedB, axis: 1),
                            transposeB: true)
        var y = scale(shared, s)                                                        // (N, out)
        let rows = x.count / inFeatures
        for (t, expert) in unique.enumerated() {
            guard let weights = routing.rowWeights(task: t, rows: rows) else { continue }
            // [U_t ; copies ; originals] stacked along the rank axis, originals with −B: one low-rank product.
            var aParts = [expert.a] + expert.splits.map(\.a), bParts = [expert.b] + expert.splits.map(\.b)
            for split in expert.splits {
                aParts.append(sharedA[split.block])
                bParts.append(scale(sharedB[split.block], -1))
            }
            let term = scale(matmul(matmul(x, concat(aParts, axis: 0), transposeB: true), concat(bParts, axis: 1),
                                    transposeB: true), s)                               // (N, out)
            y = add(y, weights.allSatisfy { $0 == 1 } ? term : scaleRows(term, by: weights))
        }
        return y
    }
}
