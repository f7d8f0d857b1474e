// Rotary position embedding, "rotate half" convention of Hugging Face Llama: for pairs (i, i + D/2),
//   y_i = x_i cos θ − x_{i+D/2} sin θ,   y_{i+D/2} = x_{i+D/2} cos θ + x_i sin θ,   θ = pos · base^(−2i/D).

/// Cos/sin tables for positions [start, start + count), computed as transformers does (float32 inverse
/// frequencies, float32 angles).
public struct RotaryTable {
    public let headDim: Int, start: Int, count: Int
    public let cos: [Float], sin: [Float]   // [count, headDim/2]

    public init(headDim: Int, base: Float, start: Int, count: Int) {
        precondition(headDim % 2 == 0, "RoPE needs an even head dimension, got \(headDim)")
        self.headDim = headDim; self.start = start; self.count = count
        let half = headDim / 2
        let invFreq = (0..<half).map { i in 1 / powf(base, Float(2 * i) / Float(headDim)) }
        var c = [Float](repeating: 0, count: count * half), s = c
        for p in 0..<count {
            for i in 0..<half {
                let angle = Float(start + p) * invFreq[i]
                c[p * half + i] = cosf(angle); s[p * half + i] = sinf(angle)
            }
        }
        cos = c; sin = s
    }
}

/// x: [B, T, H, D] → same shape, position of token t = table.start + t.
public func rope(_ x: Tensor, table: RotaryTable) -> Tensor {
    precondition(x.rank == 4 && x.size(3) == table.headDim && x.size(1) <= table.count,
                 "rope: input \(x.shape) does not fit a table of \(table.count) positions × \(table.headDim)")
    let (b, t, h, d) = (x.size(0), x.size(1), x.size(2), x.size(3)), half = d / 2
    let out = Tensor.empty(x.shape)
    rotate(x.data, into: out.data, b: b, t: t, h: h, d: d, table: table, direction: 1, accumulate: false)
    return out.recordOp(inputs: [x]) { g in
        x.accumulateGradOrStore { dx, fresh in
            rotate(g.data, into: dx, b: b, t: t, h: h, d: d, table: table, direction: -1, accumulate: !fresh)
        }
    }
    func rotate(_ src: UnsafeMutablePointer<Float>, into dst: UnsafeMutablePointer<Float>, b: Int, t: Int, h: Int,
                d: Int, table: RotaryTable, direction: Float, accumulate: Bool) {
        table.cos.withUnsafeBufferPointer { cs in
            table.sin.withUnsafeBufferPointer { sn in
                for bi in 0..<b {
                    for ti in 0..<t {
                        let c = cs.baseAddress! + ti * half, s = sn.baseAddress! + ti * half
                        for hi in 0..<h {
                            let base = ((bi * t + ti) * h + hi) * d
                            let x1 = src + base, x2 = src + base + half, y1 = dst + base, y2 = dst + base + half
                            var i = 0
                            let dv = KVec(repeating: direction)
                            while i + kVecWidth <= half {
                                let cv = kLoad(c + i), sv = dv * kLoad(s + i), a = kLoad(x1 + i), b = kLoad(x2 + i)
                                var r1 = a * cv - b * sv, r2 = b * cv + a * sv
                                if accumulate { r1 += kLoad(y1 + i); r2 += kLoad(y2 + i) }
                                kStore(r1, y1 + i); kStore(r2, y2 + i)
                                i += kVecWidth
                            }
                            while i < half {
                                let sv = direction * s[i]
                                let r1 = x1[i] * c[i] - x2[i] * sv, r2 = x2[i] * c[i] + x1[i] * sv
                                if accumulate { y1[i] += r1; y2[i] += r2 } else { y1[i] = r1; y2[i] = r2 }
                                i += 1
                            }
                        }
                    }
                }
            }
        }
    }
}

import Foundation
