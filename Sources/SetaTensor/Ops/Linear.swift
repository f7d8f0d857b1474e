// Matrix products: matmul (all transposes, batched) and the linear layer y = x Wᵀ + b.

/// C = op(A) · op(B).
/// - A: [M, K] (or [K, M] with `transposeA`), or batched [Batch…, M, K].
/// - B: [K, N] (or [N, K] with `transposeB`); or batched with the same leading dims as A.
/// Unbatched B with a batched, non-transposed A folds A's batch into M (one GEMM).
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.rank >= 2 && b.rank >= 2, "matmul needs rank ≥ 2, got \(a.shape) and \(b.shape)")
    let aRows = a.size(-2), aCols = a.size(-1), bRows = b.size(-2), bCols = b.size(-1)
    let m = transposeA ? aCols : aRows, k = transposeA ? aRows : aCols
    let kB = transposeB ? bCols : bRows, n = transposeB ? bRows : bCols
    precondition(k == kB, "matmul inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") · "
                          + "\(b.shape)\(transposeB ? "ᵀ" : "")")
    let aBatch = Array(a.shape.dropLast(2)), bBatch = Array(b.shape.dropLast(2))
    let batch = aBatch.reduce(1, *)
    let batchedB = !bBatch.isEmpty
    precondition(!batchedB || bBatch == aBatch, "matmul batch dims differ: \(a.shape) vs \(b.shape)")
    precondition(batchedB || !transposeA || batch == 1,
                 "matmul with transposed batched A needs a batched B: \(a.shape) vs \(b.shape)")

    // Fold A's batch into rows when B is shared and A is not transposed: one large GEMM.
    let fold = !batchedB && !transposeA
    let gemms = fold ? 1 : batch, rows = fold ? m * batch : m
    let out = Tensor.empty(aBatch + [m, n])
    let lda = aCols, ldb = bCols
    let aStride = fold ? 0 : aRows * aCols, bStride = batchedB ? bRows * bCols : 0, cStride = m * n
    for i in 0..<gemms {
        BLAS.gemm(transA: transposeA, transB: transposeB, m: rows, n: n, k: k,
                  a: a.data + i * aStride, lda: lda, b: b.data + i * bStride, ldb: ldb,
                  beta: 0, c: out.data + i * cStride, ldc: n)
    }
    return out.recordOp(inputs: [a, b]) { dC in
        // A first contribution is written with beta 0 (no zero-fill). Batched slices are disjoint, so freshness is
        // decided once, before the loop; `b` is checked after `a` in case both are the same tensor.
        var aFresh = false, bFresh = false
        if a.requiresGrad { a.accumulateGradOrStore { _, fresh in aFresh = fresh } }
        if b.requiresGrad { b.accumulateGradOrStore { _, fresh in bFresh = fresh } }
        let aBeta: Float = aFresh ? 0 : 1, bBeta: Float = bFresh ? 0 : 1
        for i in 0..<gemms {
            let dc = dC.data + i * cStride
            if a.requiresGrad {
                a.accumulateGrad { dA in
                    if !transposeA {  // dA += dC · op(B)ᵀ
                        BLAS.gemm(transA: false, transB: !transposeB, m: rows, n: k, k: n, a: dc, lda: n,
                                  b: b.data + i * bStride, ldb: ldb, beta: aBeta, c: dA + i * aStride, ldc: lda)
                    } else {          // dA += op(B) · dCᵀ   ([K, M])
                        BLAS.gemm(transA: transposeB, transB: true, m: k, n: m, k: n, a: b.data + i * bStride,
                                  lda: ldb, b: dc, ldb: n, beta: aBeta, c: dA + i * aStride, ldc: lda)
                    }
                }
            }
            if b.requiresGrad {
                b.accumulateGrad { dB in
                    if !transposeB {  // dB += op(A)ᵀ · dC
                        BLAS.gemm(transA: !transposeA, transB: false, m: k, n: n, k: rows, a: a.data + i * aStride,
                                  lda: lda, b: dc, ldb: n, beta: bBeta, c: dB + i * bStride, ldc: ldb)
                    } else {          // dB += dCᵀ · op(A)   ([N, K])
                        BLAS.gemm(transA: true, transB: transposeA, m: n, n: k, k: rows, a: dc, lda: n,
                                  b: a.data + i * aStride, ldb: lda, beta: bBeta, c: dB + i * bStride, ldc: ldb)
                    }
                }
            }
        }
    }
}

/// y = x · Wᵀ + b. x: […, in], weight: [out, in] (PyTorch layout), bias: [out] → y: […, out].
public func linear(_ x: Tensor, _ weight: Tensor, bias: Tensor? = nil) -> Tensor {
    precondition(weight.rank == 2 && x.size(-1) == weight.size(1),
                 "linear: input \(x.shape) does not fit weight \(weight.shape)")
    let y = matmul(x, weight, transposeB: true)
    guard let bias else { return y }
    return add(y, bias)
}
