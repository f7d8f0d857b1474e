// Per-row scaling by constants: y[n, :] = w[n] · x[n, :]. Mixes expert outputs with per-sequence gate weights
// (the weights are not differentiated: the gate is trained by its own statistics, not through the LM loss).

/// x: [N, C], weights: N constants → [N, C].
public func scaleRows(_ x: Tensor, by weights: [Float]) -> Tensor {
    let c = x.size(-1), n = x.count / max(c, 1)
    precondition(weights.count == n, "scaleRows: \(weights.count) weights for \(n) rows of \(x.shape)")
    let out = Tensor.empty(x.shape)
    for r in 0..<n {
        let w = weights[r], src = x.data + r * c, dst = out.data + r * c
        for j in 0..<c { dst[j] = w * src[j] }
    }
    return out.recordOp(inputs: [x]) { g in
        x.accumulateGrad { dx in
            for r in 0..<n where weights[r] != 0 {
                let w = weights[r], src = g.data + r * c, dst = dx + r * c
                for j in 0..<c { dst[j] += w * src[j] }
            }
        }
    }
}
