// Softmax over the last axis, and log-softmax + cross-entropy fused with an ignore mask.
import Foundation

/// softmax over the last axis. x: [.., C] → [.., C].
public func softmax(_ x: Tensor) -> Tensor {
    let c = x.size(-1), rows = x.count / max(c, 1)
    let out = x.copy()
    for r in 0..<rows { softmaxRow(out.data + r * c, count: c, from: 0, through: c - 1) }
    let y = out.detached()
    return out.recordOp(inputs: [x]) { g in
        x.accumulateGrad { dx in  // dx = y ⊙ (g − Σ g⊙y)
            for r in 0..<rows {
                let yr = y.data + r * c, gr = g.data + r * c, dr = dx + r * c
                var dot: Float = 0
                for j in 0..<c { dot += yr[j] * gr[j] }
                for j in 0..<c { dr[j] += yr[j] * (gr[j] - dot) }
            }
        }
    }
}

/// Index that marks a position without loss (as PyTorch's default ignore_index).
public let ignoreIndex = -100

/// Mean cross-entropy −log softmax(logits)[target] over rows whose target is not `ignoreIndex`.
/// logits: [N, V] (or [.., V]), targets: N class ids. Returns a scalar [1]; 0 (and zero gradient) when every
/// row is ignored. Log-sum-exp in float32 after subtracting the row max.
public func crossEntropy(_ logits: Tensor, targets: [Int]) -> Tensor {
    let v = logits.size(-1), n = logits.count / max(v, 1)
    precondition(targets.count == n, "crossEntropy: \(targets.count) targets for \(n) rows of logits \(logits.shape)")
    var counted = 0, total = 0.0
    var logZ = [Float](repeating: 0, count: n)
    for r in 0..<n where targets[r] != ignoreIndex {
        precondition(targets[r] >= 0 && targets[r] < v, "crossEntropy: target \(targets[r]) outside 0..<\(v)")
        let row = logits.data + r * v
        var m = -Float.infinity
        for j in 0..<v where row[j] > m { m = row[j] }
        var s: Float = 0
        for j in 0..<v { s += expf(row[j] - m) }
        logZ[r] = m + logf(s)
        total += Double(logZ[r] - row[targets[r]])
        counted += 1
    }
    let loss = Tensor(shape: [1], values: [counted == 0 ? 0 : Float(total / Double(counted))])
    return loss.recordOp(inputs: [logits]) { g in
        guard counted > 0 else { return }
        let k = g.data[0] / Float(counted)
        logits.accumulateGrad { dl in  // d/dlogits = (softmax − onehot) · g / counted
            for r in 0..<n where targets[r] != ignoreIndex {
                let row = logits.data + r * v, dr = dl + r * v, lz = logZ[r]
                for j in 0..<v { dr[j] += k * expf(row[j] - lz) }
                dr[targets[r]] -= k
            }
        }
    }
}

/// Per-row log-probability of `targets` (no gradient): log softmax(logits)[r, targets[r]], 0 for ignored rows.
public func targetLogProbabilities(_ logits: Tensor, targets: [Int]) -> [Float] {
    let v = logits.size(-1), n = logits.count / max(v, 1)
    return (0..<n).map { r in
        guard targets[r] != ignoreIndex else { return 0 }
        let row = logits.data + r * v
        var m = -Float.infinity
        for j in 0..<v where row[j] > m { m = row[j] }
        var s: Float = 0
        for j in 0..<v { s += expf(row[j] - m) }
        return row[targets[r]] - m - logf(s)
    }
}
