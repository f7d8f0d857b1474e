// SIMD building blocks of the non-GEMM ops: a vectorised exp for Float, fused row kernels (max, exp-and-sum,
// dot, axpy), and a splitter that runs large elementwise work on all cores.
//
// Written for AVX2 + FMA (8 lanes). Swift 6.3 does not vectorise float→int conversion, SIMD min/max or
// squareRoot, so the exp below rounds with the "magic number" trick, builds 2ⁿ with integer bit operations and
// clamps with comparisons + `replacing(with:where:)`.
import Foundation

typealias KVec = SIMD8<Float>
let kVecWidth = 8

@inline(__always) func kLoad(_ p: UnsafePointer<Float>) -> KVec {
    UnsafeRawPointer(p).loadUnaligned(as: KVec.self)
}
@inline(__always) func kLoad(_ p: UnsafeMutablePointer<Float>) -> KVec {
    UnsafeRawPointer(p).loadUnaligned(as: KVec.self)
}
@inline(__always) func kStore(_ v: KVec, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: KVec.self)
}

/// eˣ lane-wise, within ~2 ulp of `expf` over the normal range; 0 below ≈ −104 (denormals on the way), +∞
/// above ≈ 88.72, NaN for NaN. Range reduction x = n·ln2 + r (|r| ≤ ln2/2, ln2 split in two for exactness),
/// a degree-6 minimax polynomial for eʳ, and 2ⁿ applied as 2^(n/2) · 2^(n − n/2) so that n ∈ [−150, 128]
/// never leaves the normal exponent range of either factor.
@inline(__always) func vexp(_ x: KVec) -> KVec {
    var x = x
    x = x.replacing(with: 88.8, where: x .> 88.8)
    x = x.replacing(with: -104, where: x .< -104)
    let magic = KVec(repeating: 12_582_912)          // 1.5 · 2²³: adding it rounds to an integer in the low bits
    let t = magic.addingProduct(x, KVec(repeating: 1.442_695_040_888_963_4))
    let n = t - magic
    var r = x.addingProduct(n, KVec(repeating: -0.693_145_751_953_125))   // ln2 high part (exact in n·hi)
    r = r.addingProduct(n, KVec(repeating: -1.428_606_820_309_417_232e-6))  // ln2 low part
    // eʳ ≈ 1 + r + r²·P(r)
    var p = KVec(repeating: 1.987_569_150_0e-4)
    p = KVec(repeating: 1.398_199_950_7e-3).addingProduct(p, r)
    p = KVec(repeating: 8.333_451_907_3e-3).addingProduct(p, r)
    p = KVec(repeating: 4.166_579_589_4e-2).addingProduct(p, r)
    p = KVec(repeating: 1.666_666_545_9e-1).addingProduct(p, r)
    p = KVec(repeating: 5.000_000_120_1e-1).addingProduct(p, r)
    let r2 = r * r
    p = (r + 1).addingProduct(r2, p)
    let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000   // n as an integer
    let n1 = ni &>> 1, n2 = ni &- n1
    let s1 = unsafeBitCast((n1 &+ 127) &<< 23, to: KVec.self)
    let s2 = unsafeBitCast((n2 &+ 127) &<< 23, to: KVec.self)
    return p * s1 * s2
}

/// eˣ for one Float through the vector kernel (for tails and scalar call sites that must agree with it).
@inline(__always) func vexp(_ x: Float) -> Float { vexp(KVec(repeating: x))[0] }

/// Loads up to 8 elements (the rest `fill`), for row tails.
@inline(__always) func loadPartial(_ p: UnsafePointer<Float>, _ n: Int, fill: Float = 0) -> KVec {
    var v = KVec(repeating: fill)
    for i in 0..<n { v[i] = p[i] }
    return v
}
@inline(__always) func storePartial(_ v: KVec, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
    for i in 0..<n { p[i] = v[i] }
}

/// Horizontal maximum.
@inline(__always) func maxLane(_ v: KVec) -> Float {
    let a = v.lowHalf, b = v.highHalf
    let m4 = a.replacing(with: b, where: b .> a)
    let c = m4.lowHalf, d = m4.highHalf
    let m2 = c.replacing(with: d, where: d .> c)
    return m2[0] > m2[1] ? m2[0] : m2[1]
}

/// Horizontal sum.
@inline(__always) func sumLanes(_ v: KVec) -> Float {
    let h = v.lowHalf + v.highHalf
    let q = h.lowHalf + h.highHalf
    return q[0] + q[1]
}

enum Kernel {
    /// max of x[0..<n] (−∞ when n = 0).
    static func max(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var m0 = KVec(repeating: -.infinity), m1 = m0
        var i = 0
        while i + 2 * kVecWidth <= n {
            let a = kLoad(x + i), b = kLoad(x + i + kVecWidth)
            m0 = m0.replacing(with: a, where: a .> m0)
            m1 = m1.replacing(with: b, where: b .> m1)
            i += 2 * kVecWidth
        }
        m0 = m0.replacing(with: m1, where: m1 .> m0)
        var m = maxLane(m0)
        while i < n { if x[i] > m { m = x[i] }; i += 1 }
        return m
    }

    /// y[i] = exp(x[i] − shift) (y may equal x); returns Σ y (float32 lanes, summed at the end).
    @discardableResult
    static func expShifted(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int,
                           shift: Float) -> Float {
        let sh = KVec(repeating: shift)
        var s0 = KVec(), s1 = KVec()
        var i = 0
        while i + 2 * kVecWidth <= n {
            let a = vexp(kLoad(x + i) - sh), b = vexp(kLoad(x + i + kVecWidth) - sh)
            kStore(a, y + i); kStore(b, y + i + kVecWidth)
            s0 += a; s1 += b
            i += 2 * kVecWidth
        }
        if i + kVecWidth <= n {
            let a = vexp(kLoad(x + i) - sh)
            kStore(a, y + i); s0 += a
            i += kVecWidth
        }
        if i < n {
            let a = vexp(loadPartial(x + i, n - i, fill: -.infinity) - sh)
            storePartial(a, y + i, n - i); s1 += a
        }
        return sumLanes(s0 + s1)
    }

    /// Σ x exp(x[i] − shift) without writing.
    static func sumExpShifted(_ x: UnsafePointer<Float>, _ n: Int, shift: Float) -> Float {
        let sh = KVec(repeating: shift)
        var s0 = KVec(), s1 = KVec()
        var i = 0
        while i + 2 * kVecWidth <= n {
            s0 += vexp(kLoad(x + i) - sh); s1 += vexp(kLoad(x + i + kVecWidth) - sh)
            i += 2 * kVecWidth
        }
        while i + kVecWidth <= n { s0 += vexp(kLoad(x + i) - sh); i += kVecWidth }
        if i < n { s1 += vexp(loadPartial(x + i, n - i, fill: -.infinity) - sh) }
        return sumLanes(s0 + s1)
    }

    /// Σ a[i]·b[i].
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var s0 = KVec(), s1 = KVec()
        var i = 0
        while i + 2 * kVecWidth <= n {
            s0 = s0.addingProduct(kLoad(a + i), kLoad(b + i))
            s1 = s1.addingProduct(kLoad(a + i + kVecWidth), kLoad(b + i + kVecWidth))
            i += 2 * kVecWidth
        }
        var s = sumLanes(s0 + s1)
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// y[i] *= s.
    static func scale(_ y: UnsafeMutablePointer<Float>, _ n: Int, by s: Float) {
        let sv = KVec(repeating: s)
        var i = 0
        while i + kVecWidth <= n { kStore(kLoad(y + i) * sv, y + i); i += kVecWidth }
        while i < n { y[i] *= s; i += 1 }
    }

    /// y[i] += x[i].
    static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 2 * kVecWidth <= n {
            kStore(kLoad(y + i) + kLoad(x + i), y + i)
            kStore(kLoad(y + i + kVecWidth) + kLoad(x + i + kVecWidth), y + i + kVecWidth)
            i += 2 * kVecWidth
        }
        while i < n { y[i] += x[i]; i += 1 }
    }

    /// y[i] += a · x[i].
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ n: Int) {
        let av = KVec(repeating: a)
        var i = 0
        while i + kVecWidth <= n { kStore(kLoad(y + i).addingProduct(av, kLoad(x + i)), y + i); i += kVecWidth }
        while i < n { y[i] += a * x[i]; i += 1 }
    }

    /// Masked softmax of row[lo...hi] in place (lo ≤ hi).
    @inline(__always)
    static func softmaxRange(_ row: UnsafeMutablePointer<Float>, lo: Int, hi: Int) {
        let n = hi - lo + 1, p = row + lo
        let m = max(p, n)
        let total = expShifted(p, p, n, shift: m)
        scale(p, n, by: 1 / total)
    }
}

/// Runs `body(range)` over chunks of 0..<count, on all cores when each core gets at least `minimumPerWorker`
/// items (≈ 100 µs of work: a GCD wake-up costs ~45 µs), else inline. Chunk boundaries are multiples of
/// `alignment` so that vector loops see whole vectors.
func parallelChunks(count: Int, minimumPerWorker: Int, alignment: Int = 64, _ body: (Range<Int>) -> Void) {
    let cores = Parallelism.cores
    let workers = Swift.min(cores, count / Swift.max(minimumPerWorker, 1))
    if workers <= 1 { body(0..<count); return }
    var chunk = (count + workers - 1) / workers
    chunk = (chunk + alignment - 1) / alignment * alignment
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        let lo = w * chunk, hi = Swift.min(count, lo + chunk)
        if lo < hi { body(lo..<hi) }
    }
}


/// Cores this process may use for its own worker threads (kernels, attention heads). All of the machine's by
/// default, or `SETA_THREADS` when set (e.g. 1 for two runs side by side on a 2-core machine); a data-parallel job
/// gives each of the N ranks on a machine its share (`use(cores:)`), so that N ranks do not oversubscribe the cores.
public enum Parallelism {
    nonisolated(unsafe) public static var cores = requestedCores ?? ProcessInfo.processInfo.activeProcessorCount

    /// Limits both threading layers, Seta's workers and OpenBLAS's, to `n` cores.
    public static func use(cores n: Int) {
        cores = n
        BLAS.threads = n
    }

    /// `use(cores: SETA_THREADS)` when it is set (OpenBLAS does not read it), else nothing.
    public static func applyRequestedCores() {
        if let n = requestedCores { use(cores: n) }
    }

    /// `SETA_THREADS` as a positive number, else nil.
    public static var requestedCores: Int? {
        ProcessInfo.processInfo.environment["SETA_THREADS"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
    }
}
