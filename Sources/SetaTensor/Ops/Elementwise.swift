// Elementwise ops: add / mul with a broadcast suffix, scale, SiLU, SwiGLU, and sum / mean reductions.

/// Shape check for a right operand broadcast over the left one's leading axes (b's shape a suffix of a's).
@inline(__always)
private func broadcastInner(_ a: Tensor, _ b: Tensor, _ op: String) -> Int {
    precondition(b.rank <= a.rank && Array(a.shape.suffix(b.rank)) == b.shape,
                 "\(op): shape \(b.shape) does not broadcast over \(a.shape)")
    return b.count
}

/// a + b, b broadcast over a's leading axes. a: [.., C], b: [C] or a's shape.
public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
    let inner = broadcastInner(a, b, "add")
    let out = Tensor.empty(a.shape)
    let x = a.data, y = b.data, z = out.data
    for o in stride(from: 0, to: a.count, by: max(inner, 1)) {
        for i in 0..<inner { z[o + i] = x[o + i] + y[i] }
    }
    return out.recordOp(inputs: [a, b]) { g in
        if a.requiresGrad { a.accumulateGrad(from: g) }
        if b.requiresGrad {
            b.accumulateGrad { db in
                for o in stride(from: 0, to: a.count, by: max(inner, 1)) { for i in 0..<inner { db[i] += g.data[o + i] } }
            }
        }
    }
}

/// a ⊙ b, b broadcast over a's leading axes.
public func mul(_ a: Tensor, _ b: Tensor) -> Tensor {
    let inner = broadcastInner(a, b, "mul")
    let out = Tensor.empty(a.shape)
    let x = a.data, y = b.data, z = out.data
    for o in stride(from: 0, to: a.count, by: max(inner, 1)) {
        for i in 0..<inner { z[o + i] = x[o + i] * y[i] }
    }
    return out.recordOp(inputs: [a, b]) { g in
        let gd = g.data
        if a.requiresGrad {
            a.accumulateGrad { da in
                for o in stride(from: 0, to: a.count, by: max(inner, 1)) { for i in 0..<inner { da[o + i] += gd[o + i] * y[i] } }
            }
        }
        if b.requiresGrad {
            b.accumulateGrad { db in
                for o in stride(from: 0, to: a.count, by: max(inner, 1)) { for i in 0..<inner { db[i] += gd[o + i] * x[o + i] } }
            }
        }
    }
}

/// s · a.
public func scale(_ a: Tensor, _ s: Float) -> Tensor {
    let out = Tensor.empty(a.shape)
    for i in 0..<a.count { out.data[i] = a.data[i] * s }
    return out.recordOp(inputs: [a]) { g in
        a.accumulateGrad { da in for i in 0..<a.count { da[i] += s * g.data[i] } }
    }
}

@inline(__always) private func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

/// SiLU(x) = x · σ(x).
public func silu(_ x: Tensor) -> Tensor {
    let out = Tensor.empty(x.shape)
    for i in 0..<x.count { let v = x.data[i]; out.data[i] = v * sigmoid(v) }
    return out.recordOp(inputs: [x]) { g in
        x.accumulateGrad { dx in
            for i in 0..<x.count {
                let v = x.data[i], s = sigmoid(v)
                dx[i] += g.data[i] * s * (1 + v * (1 - s))
            }
        }
    }
}

/// SwiGLU(gate, up) = SiLU(gate) ⊙ up, fused (the Llama MLP's activation). Same shapes.
public func swiglu(_ gate: Tensor, _ up: Tensor) -> Tensor {
    precondition(gate.shape == up.shape, "swiglu: gate \(gate.shape) and up \(up.shape) differ")
    let out = Tensor.empty(gate.shape)
    let gp = gate.data, upp = up.data, o = out.data
    for i in 0..<gate.count { let v = gp[i]; o[i] = v * sigmoid(v) * upp[i] }
    return out.recordOp(inputs: [gate, up]) { g in
        let gd = g.data
        if gate.requiresGrad {
            gate.accumulateGrad { dg in
                for i in 0..<gate.count {
                    let v = gp[i], s = sigmoid(v)
                    dg[i] += gd[i] * upp[i] * s * (1 + v * (1 - s))
                }
            }
        }
        if up.requiresGrad {
            up.accumulateGrad { du in for i in 0..<gate.count { let v = gp[i]; du[i] += gd[i] * v * sigmoid(v) } }
        }
    }
}

/// Σ a (a scalar of shape [1]), accumulated in Double.
public func sum(_ a: Tensor) -> Tensor {
    var s = 0.0
    for i in 0..<a.count { s += Double(a.data[i]) }
    return Tensor(shape: [1], values: [Float(s)]).recordOp(inputs: [a]) { g in
        let gv = g.data[0]
        a.accumulateGrad { da in for i in 0..<a.count { da[i] += gv } }
    }
}

/// mean(a) (a scalar of shape [1]).
public func mean(_ a: Tensor) -> Tensor { scale(sum(a), 1 / Float(max(a.count, 1))) }

import Foundation
