// Elementwise ops: add / mul with a broadcast suffix, scale, SiLU, SwiGLU, and sum / mean reductions.
// Inner loops are SIMD (Kernels.swift); large tensors are split over the cores.

/// Shape check for a right operand broadcast over the left one's leading axes (b's shape a suffix of a's).
@inline(__always)
private func broadcastInner(_ a: Tensor, _ b: Tensor, _ op: String) -> Int {
    precondition(b.rank <= a.rank && Array(a.shape.suffix(b.rank)) == b.shape,
                 "\(op): shape \(b.shape) does not broadcast over \(a.shape)")
    return b.count
}

/// Elements per core below which simple (memory-bound) elementwise loops stay on one core (an add of 2²⁰
/// elements takes ~100 µs; a GCD wake-up ~45 µs).
let elementwiseParallelMinimum = 1 << 20
/// Same for loops with an exp per element (~8× the work per element).
let transcendentalParallelMinimum = 1 << 17

/// z = x ∘ y for the broadcast pattern: y (of `inner` elements) repeats over x's rows. Plain loops: the compiler
/// vectorises them as well as hand-written SIMD (measured), and memory-bound work does not pay for a second core
/// at activation sizes.
@inline(__always)
private func broadcastBinary(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                             _ z: UnsafeMutablePointer<Float>, count: Int, inner: Int,
                             _ scalar: (Float, Float) -> Float) {
    guard count > 0, inner > 0 else { return }
    for o in stride(from: 0, to: count, by: inner) {
        for i in 0..<inner { z[o + i] = scalar(x[o + i], y[i]) }
    }
}

/// db[i] += Σ_rows g[row, i] · (x[row, i] or 1).
private func reduceRows(_ g: UnsafeMutablePointer<Float>, times x: UnsafeMutablePointer<Float>?, count: Int, inner: Int,
                        into db: UnsafeMutablePointer<Float>) {
    for o in stride(from: 0, to: count, by: Swift.max(inner, 1)) {
        var i = 0
        if let x {
            while i + kVecWidth <= inner {
                kStore(kLoad(db + i).addingProduct(kLoad(g + o + i), kLoad(x + o + i)), db + i); i += kVecWidth
            }
            while i < inner { db[i] += g[o + i] * x[o + i]; i += 1 }
        } else {
            Kernel.add(g + o, into: db, inner)
        }
    }
}

/// a + b, b broadcast over a's leading axes. a: [.., C], b: [C] or a's shape.
public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
    let inner = broadcastInner(a, b, "add")
    let out = Tensor.empty(a.shape)
    broadcastBinary(a.data, b.data, out.data, count: a.count, inner: inner, { $0 + $1 })
    return out.recordOp(inputs: [a, b]) { g in
        if a.requiresGrad { a.accumulateGrad(from: g) }
        if b.requiresGrad {
            b.accumulateGrad { db in reduceRows(g.data, times: nil, count: a.count, inner: inner, into: db) }
        }
    }
}

/// a ⊙ b, b broadcast over a's leading axes.
public func mul(_ a: Tensor, _ b: Tensor) -> Tensor {
    let inner = broadcastInner(a, b, "mul")
    let out = Tensor.empty(a.shape)
    let x = a.data, y = b.data
    broadcastBinary(x, y, out.data, count: a.count, inner: inner, { $0 * $1 })
    return out.recordOp(inputs: [a, b]) { g in
        let gd = g.data
        if a.requiresGrad {
            a.accumulateGrad { da in
                let n = a.count
                for o in stride(from: 0, to: n, by: Swift.max(inner, 1)) {
                    var i = 0
                    while i + kVecWidth <= inner {
                        kStore(kLoad(da + o + i).addingProduct(kLoad(gd + o + i), kLoad(y + i)), da + o + i)
                        i += kVecWidth
                    }
                    while i < inner { da[o + i] += gd[o + i] * y[i]; i += 1 }
                }
            }
        }
        if b.requiresGrad {
            b.accumulateGrad { db in reduceRows(gd, times: x, count: a.count, inner: inner, into: db) }
        }
    }
}

/// s · a.
public func scale(_ a: Tensor, _ s: Float) -> Tensor {
    let out = Tensor.empty(a.shape)
    let x = a.data, z = out.data, sv = KVec(repeating: s)
    parallelChunks(count: a.count, minimumPerWorker: elementwiseParallelMinimum) { r in
        var i = r.lowerBound
        while i + kVecWidth <= r.upperBound { kStore(kLoad(x + i) * sv, z + i); i += kVecWidth }
        while i < r.upperBound { z[i] = x[i] * s; i += 1 }
    }
    return out.recordOp(inputs: [a]) { g in
        a.accumulateGrad { da in Kernel.axpy(s, g.data, into: da, a.count) }
    }
}

/// σ(x) lane-wise.
@inline(__always) func vsigmoid(_ x: KVec) -> KVec { 1 / (1 + vexp(-x)) }

/// Applies `body(i, count)` to vector-sized pieces of 0..<n: full vectors, then one partial tail (count < 8).
/// The body loads/stores with `kLoadN`/`kStoreN`.
@inline(__always)
private func vectorPieces(_ range: Range<Int>, _ body: (Int, Int) -> Void) {
    var i = range.lowerBound
    while i + kVecWidth <= range.upperBound { body(i, kVecWidth); i += kVecWidth }
    if i < range.upperBound { body(i, range.upperBound - i) }
}
@inline(__always) func kLoadN(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> KVec {
    n == kVecWidth ? kLoad(p) : loadPartial(p, n)
}
@inline(__always) func kStoreN(_ v: KVec, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
    if n == kVecWidth { kStore(v, p) } else { storePartial(v, p, n) }
}

/// SiLU(x) = x · σ(x).
public func silu(_ x: Tensor) -> Tensor {
    let out = Tensor.empty(x.shape)
    let xp = x.data, o = out.data
    parallelChunks(count: x.count, minimumPerWorker: transcendentalParallelMinimum) { r in
        vectorPieces(r) { i, n in let v = kLoadN(xp + i, n); kStoreN(v * vsigmoid(v), o + i, n) }
    }
    return out.recordOp(inputs: [x]) { g in
        let gd = g.data
        x.accumulateGradOrStore { dx, fresh in
            parallelChunks(count: x.count, minimumPerWorker: transcendentalParallelMinimum) { r in
                vectorPieces(r) { i, n in
                    let v = kLoadN(xp + i, n), s = vsigmoid(v)
                    let d = kLoadN(gd + i, n) * s * (1 + v * (1 - s))
                    kStoreN(fresh ? d : kLoadN(dx + i, n) + d, dx + i, n)
                }
            }
        }
    }
}

/// SwiGLU(gate, up) = SiLU(gate) ⊙ up, fused (the Llama MLP's activation). Same shapes.
public func swiglu(_ gate: Tensor, _ up: Tensor) -> Tensor {
    precondition(gate.shape == up.shape, "swiglu: gate \(gate.shape) and up \(up.shape) differ")
    let out = Tensor.empty(gate.shape)
    let gp = gate.data, upp = up.data, o = out.data
    parallelChunks(count: gate.count, minimumPerWorker: transcendentalParallelMinimum) { r in
        vectorPieces(r) { i, n in
            let v = kLoadN(gp + i, n)
            kStoreN(v * vsigmoid(v) * kLoadN(upp + i, n), o + i, n)
        }
    }
    return out.recordOp(inputs: [gate, up]) { g in
        let gd = g.data
        // Fresh gradients are stored, not added (`up` is checked after `gate` in case both are one tensor).
        var dg: UnsafeMutablePointer<Float>?, du: UnsafeMutablePointer<Float>?, dgFresh = false, duFresh = false
        if gate.requiresGrad { gate.accumulateGradOrStore { dg = $0; dgFresh = $1 } }
        if up.requiresGrad { up.accumulateGradOrStore { du = $0; duFresh = $1 } }
        parallelChunks(count: gate.count, minimumPerWorker: transcendentalParallelMinimum) { r in
            vectorPieces(r) { i, n in
                let v = kLoadN(gp + i, n), s = vsigmoid(v), gv = kLoadN(gd + i, n)
                if let dg {
                    let d = gv * kLoadN(upp + i, n) * s * (1 + v * (1 - s))
                    kStoreN(dgFresh ? d : kLoadN(dg + i, n) + d, dg + i, n)
                }
                if let du { let d = gv * v * s; kStoreN(duFresh ? d : kLoadN(du + i, n) + d, du + i, n) }
            }
        }
    }
}

/// Σ a (a scalar of shape [1]), accumulated in Double (per 8-lane float block of 64 elements).
public func sum(_ a: Tensor) -> Tensor {
    var s = 0.0
    let p = a.data, n = a.count
    var i = 0
    while i + 64 <= n {
        var v = KVec()
        for j in stride(from: 0, to: 64, by: kVecWidth) { v += kLoad(p + i + j) }
        s += Double(sumLanes(v)); i += 64
    }
    while i < n { s += Double(p[i]); i += 1 }
    return Tensor(shape: [1], values: [Float(s)]).recordOp(inputs: [a]) { g in
        let gv = g.data[0], gvv = KVec(repeating: gv)
        a.accumulateGrad { da in
            var i = 0
            while i + kVecWidth <= n { kStore(kLoad(da + i) + gvv, da + i); i += kVecWidth }
            while i < n { da[i] += gv; i += 1 }
        }
    }
}

/// mean(a) (a scalar of shape [1]).
public func mean(_ a: Tensor) -> Tensor { scale(sum(a), 1 / Float(max(a.count, 1))) }

import Foundation
