// Fused causal self-attention with grouped KV heads (GQA), forward and backward, without materialising
// repeated K/V: head h reads KV group h / (H/G) through BLAS leading dimensions.
//
//   S = Q Kᵀ / sqrt(D)  (per head, [T, S]),  P = softmax(S + causal mask),  O = P V
// Backward: dP = dO Vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),  dQ = dS K / sqrt(D),  dK = dSᵀ Q / sqrt(D),  dV = Pᵀ dO.
import Foundation

/// q: [B, T, H, D]; k, v: [B, S, G, D] with H a multiple of G and S ≥ T (S − T earlier positions, e.g. a KV
/// cache). Query t has absolute position S − T + t and attends to keys j ≤ S − T + t, and j ≥ keyStart[b]
/// when `keyStart` is given (left padding). Returns [B, T, H, D].
public func causalAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, keyStart: [Int]? = nil) -> Tensor {
    precondition(q.rank == 4 && k.rank == 4 && k.shape == v.shape, "attention: q \(q.shape), k \(k.shape), v \(v.shape)")
    let (b, t, h, d) = (q.size(0), q.size(1), q.size(2), q.size(3))
    let (s, g) = (k.size(1), k.size(2))
    precondition(k.size(0) == b && k.size(3) == d && g > 0 && h % g == 0 && s >= t,
                 "attention: q \(q.shape) does not fit k/v \(k.shape) (heads must be a multiple of KV heads)")
    precondition(keyStart == nil || keyStart!.count == b, "attention: keyStart needs one entry per batch row")
    let headsPerGroup = h / g, scaleQK = 1 / Float(d).squareRoot()
    let qStride = h * d, kvStride = g * d
    let keepProbs = q.requiresGrad || k.requiresGrad || v.requiresGrad
    let probs = Tensor.empty(keepProbs ? [b, h, t, s] : [1])
    let out = Tensor.empty(q.shape)
    let qp = q.data, kp = k.data, vp = v.data, op = out.data

    parallelOverGroups(count: b * g, flopsEach: 4 * headsPerGroup * t * s * d) { item, scratch in
        let bi = item / g, gi = item % g
        let start = keyStart?[bi] ?? 0
        for hh in 0..<headsPerGroup {
            let hi = gi * headsPerGroup + hh
            let p = keepProbs ? probs.data + ((bi * h + hi) * t) * s : scratch(t * s)
            BLAS.gemm(transA: false, transB: true, m: t, n: s, k: d, alpha: scaleQK,
                      a: qp + bi * t * qStride + hi * d, lda: qStride,
                      b: kp + bi * s * kvStride + gi * d, ldb: kvStride, beta: 0, c: p, ldc: s)
            for ti in 0..<t { softmaxRow(p + ti * s, count: s, from: start, through: s - t + ti) }
            BLAS.gemm(transA: false, transB: false, m: t, n: d, k: s,
                      a: p, lda: s, b: vp + bi * s * kvStride + gi * d, ldb: kvStride,
                      beta: 0, c: op + bi * t * qStride + hi * d, ldc: qStride)
        }
    }
    return out.recordOp(inputs: [q, k, v]) { dOut in
        // Allocate gradients before the parallel region; each work item owns one (batch, group) slice.
        var dq: UnsafeMutablePointer<Float>?, dk: UnsafeMutablePointer<Float>?, dv: UnsafeMutablePointer<Float>?
        if q.requiresGrad { q.accumulateGrad { dq = $0 } }
        if k.requiresGrad { k.accumulateGrad { dk = $0 } }
        if v.requiresGrad { v.accumulateGrad { dv = $0 } }
        let dop = dOut.data
        parallelOverGroups(count: b * g, flopsEach: 8 * headsPerGroup * t * s * d) { item, scratch in
            let bi = item / g, gi = item % g
            let dP = scratch(t * s)
            let kg = kp + bi * s * kvStride + gi * d, vg = vp + bi * s * kvStride + gi * d
            for hh in 0..<headsPerGroup {
                let hi = gi * headsPerGroup + hh
                let p = probs.data + ((bi * h + hi) * t) * s
                let qh = qp + bi * t * qStride + hi * d, doh = dop + bi * t * qStride + hi * d
                if let dv {  // dV += Pᵀ dO
                    BLAS.gemm(transA: true, transB: false, m: s, n: d, k: t, a: p, lda: s, b: doh, ldb: qStride,
                              beta: 1, c: dv + bi * s * kvStride + gi * d, ldc: kvStride)
                }
                guard dq != nil || dk != nil else { continue }
                // dP = dO Vᵀ, then dS = P ⊙ (dP − rowsum(dP ⊙ P)) in place.
                BLAS.gemm(transA: false, transB: true, m: t, n: s, k: d, a: doh, lda: qStride, b: vg, ldb: kvStride,
                          beta: 0, c: dP, ldc: s)
                for ti in 0..<t {
                    let pr = p + ti * s, dr = dP + ti * s
                    var dot: Float = 0
                    for j in 0..<s { dot += pr[j] * dr[j] }
                    for j in 0..<s { dr[j] = pr[j] * (dr[j] - dot) }
                }
                if let dq {  // dQ += dS K / sqrt(D)
                    BLAS.gemm(transA: false, transB: false, m: t, n: d, k: s, alpha: scaleQK, a: dP, lda: s,
                              b: kg, ldb: kvStride, beta: 1, c: dq + bi * t * qStride + hi * d, ldc: qStride)
                }
                if let dk {  // dK += dSᵀ Q / sqrt(D)
                    BLAS.gemm(transA: true, transB: false, m: s, n: d, k: t, alpha: scaleQK, a: dP, lda: s,
                              b: qh, ldb: qStride, beta: 1, c: dk + bi * s * kvStride + gi * d, ldc: kvStride)
                }
            }
        }
    }
}

/// In-place masked softmax of row[from...through]; entries outside are set to 0 (an empty range gives zeros).
@inline(__always)
func softmaxRow(_ row: UnsafeMutablePointer<Float>, count: Int, from: Int, through: Int) {
    let lo = max(from, 0), hi = min(through, count - 1)
    guard lo <= hi else { row.update(repeating: 0, count: count); return }
    var m = -Float.infinity
    for j in lo...hi where row[j] > m { m = row[j] }
    var total: Float = 0
    for j in lo...hi { let e = expf(row[j] - m); row[j] = e; total += e }
    let inv = 1 / total
    for j in lo...hi { row[j] *= inv }
    if lo > 0 { row.update(repeating: 0, count: lo) }
    if hi < count - 1 { (row + hi + 1).update(repeating: 0, count: count - 1 - hi) }
}

/// Runs `body(item, scratch)` for items 0..<count, on all cores when the work is large enough to pay for the
/// wake-up (~45 µs), with BLAS on one thread meanwhile (one threading layer at a time). `scratch(n)` gives a
/// per-worker buffer of at least n floats.
func parallelOverGroups(count: Int, flopsEach: Int,
                        _ body: (Int, (Int) -> UnsafeMutablePointer<Float>) -> Void) {
    let workers = min(ProcessInfo.processInfo.activeProcessorCount, count)
    let worthIt = workers > 1 && flopsEach * count / workers > 4_000_000  // ≈ 100 µs per core at ~40 GFLOPS
    if !worthIt {
        let arena = ScratchArena()
        for i in 0..<count { body(i, arena.buffer) }
        return
    }
    let saved = BLAS.threads
    BLAS.threads = 1
    defer { BLAS.threads = saved }
    let arenas = (0..<workers).map { _ in ScratchArena() }
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        var i = w
        while i < count { body(i, arenas[w].buffer); i += workers }
    }
}

/// A growable scratch buffer owned by one worker.
final class ScratchArena {
    private var pointer: UnsafeMutablePointer<Float>?
    private var capacity = 0
    func buffer(_ n: Int) -> UnsafeMutablePointer<Float> {
        if n > capacity {
            pointer?.deallocate()
            pointer = .allocate(capacity: n)
            capacity = n
        }
        return pointer!
    }
    deinit { pointer?.deallocate() }
}
