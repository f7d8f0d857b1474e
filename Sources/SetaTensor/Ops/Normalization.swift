// RMSNorm (Llama): y = x / sqrt(mean(x²) + eps) ⊙ w, over the last axis.

/// x: [.., D], weight: [D] → [.., D].
public func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float) -> Tensor {
    let d = x.size(-1), rows = x.count / max(d, 1)
    precondition(weight.shape == [d], "rmsNorm: weight \(weight.shape) does not fit input \(x.shape)")
    let out = Tensor.empty(x.shape)
    let rstd = Tensor.empty([rows])  // saved 1/sqrt(mean(x²)+eps) per row
    let xp = x.data, w = weight.data, y = out.data
    for row in 0..<rows {
        let r = rstd.data, xr = xp + row * d, yr = y + row * d
        var ss: Float = 0
        for i in 0..<d { ss += xr[i] * xr[i] }
        let inv = 1 / (ss / Float(d) + eps).squareRoot()
        r[row] = inv
        for i in 0..<d { yr[i] = xr[i] * inv * w[i] }
    }
    return out.recordOp(inputs: [x, weight]) { g in
        let r = rstd.data  // keeps the saved statistics alive with the closure
        let gp = g.data
        if weight.requiresGrad {
            weight.accumulateGrad { dw in
                for row in 0..<rows {
                    let xr = xp + row * d, gr = gp + row * d, inv = r[row]
                    for i in 0..<d { dw[i] += gr[i] * xr[i] * inv }
                }
            }
        }
        if x.requiresGrad {
            // dx = inv · (g⊙w − x̂ · mean(g⊙w⊙x̂)), x̂ = x · inv
            x.accumulateGrad { dx in
                for row in 0..<rows {
                    let xr = xp + row * d, gr = gp + row * d, dr = dx + row * d, inv = r[row]
                    var dot: Float = 0
                    for i in 0..<d { dot += gr[i] * w[i] * xr[i] }
                    let c = dot * inv * inv / Float(d)
                    for i in 0..<d { dr[i] += inv * (gr[i] * w[i] - xr[i] * c) }
                }
            }
        }
    }
}
