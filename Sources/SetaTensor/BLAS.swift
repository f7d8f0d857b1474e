// GEMM through OpenBLAS's cblas_sgemm: the one place the core calls BLAS.
import CBLAS

public enum BLAS {
    /// Threads OpenBLAS may use. Seta uses one threading layer at a time: callers that parallelise
    /// themselves (e.g. per attention head) run BLAS with 1 thread.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }

    /// C[m, n] = alpha · op(A)[m, k] · op(B)[k, n] + beta · C, row-major, with leading dimensions
    /// (row strides) lda, ldb, ldc. op(X) = Xᵀ when the transpose flag is set.
    @inline(__always)
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        if k == 0 {  // C = beta · C
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        if m == 1 {  // a row vector times a matrix: GEMV (decoding one token), which OpenBLAS does far better
            // beta 0 must not read C (it may be uninitialised, even NaN): clear it rather than trust SCAL(0).
            if beta == 0 { c.update(repeating: 0, count: n) }
            let incA = Int32(transA ? lda : 1)
            if transB {       // c[n] = B[n, k] · a
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), alpha, b, Int32(ldb), a, incA, beta, c, 1)
            } else {          // c[n] = B[k, n]ᵀ · a
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), alpha, b, Int32(ldb), a, incA, beta, c, 1)
            }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
