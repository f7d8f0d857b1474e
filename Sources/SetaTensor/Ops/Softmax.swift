// Softmax over the last axis, and log-softmax + cross-entropy fused with an ignore mask. SIMD rows with the
// vectorised exp (Kernels.swift); many rows are split over the cores.
import Foundation

/// softmax over the last axis. x: [.., C] → [.., C].
public func softmax(_ x: Tensor) -> Tensor {
    let c = x.size(-1), rows = x.count / max(c, 1)
    let out = Tensor.empty(x.shape)
    let xp = x.data, op = out.data
    let minimumRows = max(1, transcendentalParallelMinimum / max(c, 1))
    if c > 0 {
        parallelChunks(count: rows, minimumPerWorker: minimumRows, alignment: 1) { range in
            for r in range {
                let src = xp + r * c, dst = op + r * c
                let m = Kernel.max(src, c)
                let total = Kernel.expShifted(src, dst, c, shift: m)
                Kernel.scale(dst, c, by: 1 / total)
            }
        }
    }
    let y = out.detached()
    return out.recordOp(inputs: [x]) { g in
        x.accumulateGrad { dx in  // dx = y ⊙ (g − Σ g⊙y)
            parallelChunks(count: rows, minimumPerWorker: max(1, elementwiseParallelMinimum / max(c, 1)),
                           alignment: 1) { range in
                for r in range {
                    let yr = y.data + r * c, gr = g.data + r * c, dr = dx + r * c
                    let dot = KVec(repeating: Kernel.dot(yr, gr, c))
                    var j = 0
                    while j + kVecWidth <= c {
                        kStore(kLoad(dr + j).addingProduct(kLoad(yr + j), kLoad(gr + j) - dot), dr + j); j += kVecWidth
                    }
                    while j < c { dr[j] += yr[j] * (gr[j] - dot[0]); j += 1 }
                }
            }
        }
    }
}

/// Index that marks a position without loss (as PyTorch's default ignore_index).
public let ignoreIndex = -100

/// log Σ exp(row) (max-shifted, float32 lanes).
@inline(__always)
private func logSumExp(_ row: UnsafePointer<Float>, _ v: Int) -> Float {
    let m = Kernel.max(row, v)
    return m + logf(Kernel.sumExpShifted(row, v, shift: m))
}

/// Mean cross-entropy −log softmax(logits)[target] over rows whose target is not `ignoreIndex`.
/// logits: [N, V] (or [.., V]), targets: N class ids. Returns a scalar [1]; 0 (and zero gradient) when every
/// row is ignored. Log-sum-exp in float32 after subtracting the row max.
public func crossEntropy(_ logits: Tensor, targets: [Int]) -> Tensor {
    let v = logits.size(-1), n = logits.count / max(v, 1)
    precondition(targets.count == n, "crossEntropy: \(targets.count) targets for \(n) rows of logits \(logits.shape)")
    for r in 0..<n where targets[r] != ignoreIndex {
        precondition(targets[r] >= 0 && targets[r] < v, "crossEntropy: target \(targets[r]) outside 0..<\(v)")
    }
    let counted = targets.reduce(0) { $0 + ($1 == ignoreIndex ? 0 : 1) }
    var logZ = [Float](repeating: 0, count: n)
    let lp = logits.data
    let minimumRows = max(1, transcendentalParallelMinimum / max(v, 1))
    logZ.withUnsafeMutableBufferPointer { lz in
        let lz = lz.baseAddress!
        parallelChunks(count: n, minimumPerWorker: minimumRows, alignment: 1) { range in
            for r in range where targets[r] != ignoreIndex { lz[r] = logSumExp(lp + r * v, v) }
        }
    }
    var total = 0.0
    for r in 0..<n where targets[r] != ignoreIndex { total += Double(logZ[r] - lp[r * v + targets[r]]) }
    let loss = Tensor(shape: [1], values: [counted == 0 ? 0 : Float(total / Double(counted))])
    return loss.recordOp(inputs: [logits]) { g in
        guard counted > 0 else { return }
        let k = g.data[0] / Float(counted)
        // d/dlogits = (softmax − onehot) · g / counted; a fresh gradient is stored (ignored rows zeroed).
        logits.accumulateGradOrStore { dl, fresh in
            logZ.withUnsafeBufferPointer { lzb in
                let lzp = lzb.baseAddress!
                parallelChunks(count: n, minimumPerWorker: minimumRows, alignment: 1) { range in
                    for r in range {
                        let row = lp + r * v, dr = dl + r * v
                        guard targets[r] != ignoreIndex else {
                            if fresh { dr.update(repeating: 0, count: v) }
                            continue
                        }
                        let sh = KVec(repeating: lzp[r]), kv = KVec(repeating: k)
                        var j = 0
                        while j + kVecWidth <= v {
                            let e = vexp(kLoad(row + j) - sh)
                            kStore(fresh ? kv * e : kLoad(dr + j).addingProduct(kv, e), dr + j); j += kVecWidth
                        }
                        while j < v { dr[j] = (fresh ? 0 : dr[j]) + k * vexp(row[j] - lzp[r]); j += 1 }
                        dr[targets[r]] -= k
                    }
                }
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
        return row[targets[r]] - logSumExp(row, v)
    }
}
