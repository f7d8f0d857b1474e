// Fused causal self-attention with grouped KV heads (GQA), forward and backward, without materialising
// repeated K/V: head h reads KV group h / (H/G) through BLAS leading dimensions.
//
//   S = Q Kᵀ / sqrt(D)  (per head, [T, S]),  P = softmax(S + causal mask),  O = P V
// Backward: dP = dO Vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),  dQ = dS K / sqrt(D),  dK = dSᵀ Q / sqrt(D),
//           dV = Pᵀ dO.
import Foundation

/// q: [B, T, H, D]; k, v: [B, S, G, D] with H a multiple of G and S ≥ T (S − T earlier positions, e.g. a KV
/// cache). Query t has absolute position S − T + t and attends to keys j ≤ S − T + t, and j ≥ keyStart[b]
/// when `keyStart` is given (left padding). With `keyCount`, k and v are [B, C, G, D] buffers of which the first
/// S = keyCount ≤ C positions of each row are used (a KV cache read in place, no copy). Returns [B, T, H, D].
public func causalAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, keyStart: [Int]? = nil,
                            keyCount: Int? = nil) -> Tensor {
    causalAttention(q, k, v, keyStart: keyStart, keyCount: keyCount,
                    queryBlock: attentionQueryBlock(queries: q.size(1)))
}

/// Query rows per block: each block computes scores only up to its last visible key, skipping most of the
/// masked upper triangle (smaller blocks skip more but run smaller, less efficient GEMMs).
func attentionQueryBlock(queries t: Int) -> Int { t <= 256 ? 32 : 64 }

/// Blocked causal attention (see the public entry point). Query rows are processed in blocks of `queryBlock`;
/// block [t0, t1) attends to keys [keyStart, S − T + t1) only — masked scores are never computed, and the
/// saved probabilities are only meaningful inside each block's key range.
func causalAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, keyStart: [Int]?, keyCount: Int? = nil,
                     queryBlock: Int) -> Tensor {
    precondition(q.rank == 4 && k.rank == 4 && k.shape == v.shape,
                 "attention: q \(q.shape), k \(k.shape), v \(v.shape)")
    let (b, t, h, d) = (q.size(0), q.size(1), q.size(2), q.size(3))
    let (s, g) = (keyCount ?? k.size(1), k.size(2))
    let kvRow = k.size(1) * g * d   // elements between batch rows of k and v
    precondition(s <= k.size(1), "attention: keyCount \(s) > \(k.size(1)) positions in k/v")
    precondition(k.size(0) == b && k.size(3) == d && g > 0 && h % g == 0 && s >= t,
                 "attention: q \(q.shape) does not fit k/v \(k.shape) (heads must be a multiple of KV heads)")
    precondition(keyStart == nil || keyStart!.count == b, "attention: keyStart needs one entry per batch row")
    precondition(queryBlock > 0, "attention: query block must be positive")
    let headsPerGroup = h / g, scaleQK = 1 / Float(d).squareRoot()
    let qStride = h * d, kvStride = g * d
    let keepProbs = Tensor.recordsBackward([q, k, v])
    let probs = Tensor.empty(keepProbs ? [b, h, t, s] : [1])
    let out = Tensor.empty(q.shape)
    let qp = q.data, kp = k.data, vp = v.data, op = out.data
    let offset = s - t   // absolute position of query 0
    let blocks = (t + queryBlock - 1) / queryBlock
    /// Key range [lo, hi) seen by query block `blk` of batch row `bi`.
    func keyRange(_ bi: Int, _ blk: Int) -> (lo: Int, hi: Int, t0: Int, t1: Int) {
        let t0 = blk * queryBlock, t1 = min(t, t0 + queryBlock)
        return (max(keyStart?[bi] ?? 0, 0), min(s, offset + t1), t0, t1)
    }
    // Visible (query, key) pairs ≈ half of T·S when causal: the FLOPs that are actually run.
    let flopsPerHead = 4 * d * (t * offset + t * (t + 1) / 2 + t * queryBlock / 2)

    // Forward: one work item per (batch, head); heads are independent.
    parallelOverGroups(count: b * h, flopsEach: flopsPerHead) { item, scratch in
        let bi = item / h, hi = item % h, gi = hi / headsPerGroup
        let kg = kp + bi * kvRow + gi * d, vg = vp + bi * kvRow + gi * d
        let headProbs = keepProbs ? probs.data + ((bi * h + hi) * t) * s : scratch(queryBlock * s)
        for blk in 0..<blocks {
            let (lo, hiKey, t0, t1) = keyRange(bi, blk), rows = t1 - t0
            let qb = qp + (bi * t + t0) * qStride + hi * d, ob = op + (bi * t + t0) * qStride + hi * d
            guard lo < hiKey else {  // nothing visible: zero output rows
                for r in 0..<rows { (ob + r * qStride).update(repeating: 0, count: d) }
                continue
            }
            let n = hiKey - lo
            let p = (keepProbs ? headProbs + t0 * s : headProbs) + lo   // row stride s
            BLAS.gemm(transA: false, transB: true, m: rows, n: n, k: d, alpha: scaleQK,
                      a: qb, lda: qStride, b: kg + lo * kvStride, ldb: kvStride, beta: 0, c: p, ldc: s)
            for r in 0..<rows { softmaxRow(p + r * s, count: n, from: 0, through: offset + t0 + r - lo) }
            BLAS.gemm(transA: false, transB: false, m: rows, n: d, k: n,
                      a: p, lda: s, b: vg + lo * kvStride, ldb: kvStride, beta: 0, c: ob, ldc: qStride)
        }
    }
    return out.recordOp(inputs: [q, k, v]) { dOut in
        // Allocate gradients before the parallel region; each work item owns one (batch, group) slice.
        var dq: UnsafeMutablePointer<Float>?, dk: UnsafeMutablePointer<Float>?, dv: UnsafeMutablePointer<Float>?
        if q.requiresGrad { q.accumulateGrad { dq = $0 } }
        if k.requiresGrad { k.accumulateGrad { dk = $0 } }
        if v.requiresGrad { v.accumulateGrad { dv = $0 } }
        let dop = dOut.data
        parallelOverGroups(count: b * g, flopsEach: 2 * headsPerGroup * flopsPerHead) { item, scratch in
            let bi = item / g, gi = item % g
            let kg = kp + bi * kvRow + gi * d, vg = vp + bi * kvRow + gi * d
            let dkg = dk.map { $0 + bi * kvRow + gi * d }, dvg = dv.map { $0 + bi * kvRow + gi * d }
            let dP = scratch(queryBlock * s)
            for hh in 0..<headsPerGroup {
                let hi = gi * headsPerGroup + hh
                for blk in 0..<blocks {
                    let (lo, hiKey, t0, t1) = keyRange(bi, blk), rows = t1 - t0
                    guard lo < hiKey else { continue }
                    let n = hiKey - lo
                    let p = probs.data + ((bi * h + hi) * t + t0) * s + lo   // row stride s
                    let qb = qp + (bi * t + t0) * qStride + hi * d, dob = dop + (bi * t + t0) * qStride + hi * d
                    if let dvg {  // dV += Pᵀ dO
                        BLAS.gemm(transA: true, transB: false, m: n, n: d, k: rows, a: p, lda: s, b: dob, ldb: qStride,
                                  beta: 1, c: dvg + lo * kvStride, ldc: kvStride)
                    }
                    guard dq != nil || dkg != nil else { continue }
                    // dP = dO Vᵀ, then dS = P ⊙ (dP − rowsum(dP ⊙ P)) in place (row stride n).
                    BLAS.gemm(transA: false, transB: true, m: rows, n: n, k: d, a: dob, lda: qStride,
                              b: vg + lo * kvStride, ldb: kvStride, beta: 0, c: dP, ldc: n)
                    for r in 0..<rows {
                        let pr = p + r * s, dr = dP + r * n
                        let dot = KVec(repeating: Kernel.dot(pr, dr, n))
                        var j = 0
                        while j + kVecWidth <= n {
                            kStore(kLoad(pr + j) * (kLoad(dr + j) - dot), dr + j); j += kVecWidth
                        }
                        while j < n { dr[j] = pr[j] * (dr[j] - dot[0]); j += 1 }
                    }
                    if let dq {  // dQ += dS K / sqrt(D)
                        BLAS.gemm(transA: false, transB: false, m: rows, n: d, k: n, alpha: scaleQK, a: dP, lda: n,
                                  b: kg + lo * kvStride, ldb: kvStride, beta: 1,
                                  c: dq + (bi * t + t0) * qStride + hi * d, ldc: qStride)
                    }
                    if let dkg {  // dK += dSᵀ Q / sqrt(D)
                        BLAS.gemm(transA: true, transB: false, m: n, n: d, k: rows, alpha: scaleQK, a: dP, lda: n,
                                  b: qb, ldb: qStride, beta: 1, c: dkg + lo * kvStride, ldc: kvStride)
                    }
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
    Kernel.softmaxRange(row, lo: lo, hi: hi)
    if lo > 0 { row.update(repeating: 0, count: lo) }
    if hi < count - 1 { (row + hi + 1).update(repeating: 0, count: count - 1 - hi) }
}

/// Runs `body(item, scratch)` for items 0..<count, on all cores when the work is large enough to pay for the
/// wake-up (~45 µs), with BLAS on one thread meanwhile (one threading layer at a time). `scratch(n)` gives a
/// per-worker buffer of at least n floats.
func parallelOverGroups(count: Int, flopsEach: Int,
                        _ body: (Int, (Int) -> UnsafeMutablePointer<Float>) -> Void) {
    let workers = min(Parallelism.cores, count)
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
