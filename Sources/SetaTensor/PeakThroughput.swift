// What this CPU can do, measured rather than assumed (machines differ: Zen 4 with AVX-512 BF16, Zen 1 with AVX2 +
// FMA only): the best rate of a large float32 GEMM through the same BLAS every product uses, the ceiling against
// which `seta bench` and `seta-microbench` report each workload's share. A measurement for benchmarks, not a test.
import Foundation

public enum PeakThroughput {
    /// The CPU kind the kernels use: "AVX-512 BF16" (the bf16 kernel runs) or "AVX2 + FMA" (the build's floor).
    public static var cpuKind: String { BFloat16.cpuSupport ? "AVX-512 BF16" : "AVX2 + FMA" }

    /// GFLOPS of the fastest of `repetitions` float32 products of two `size` × `size` matrices (after one warm-up),
    /// on the threads the process may use. 1536³ × 2 ≈ 7 GFLOP: a few tenths of a second on 2 cores.
    public static func float32GFLOPS(size n: Int = 1536, repetitions: Int = 4) -> Double {
        var rng = SeededRNG(seed: 1)
        let a = Tensor.uniform([n, n], -1, 1, rng: &rng), b = Tensor.uniform([n, n], -1, 1, rng: &rng)
        return fastest(repetitions, flops: 2 * Double(n) * Double(n) * Double(n)) { _ = matmul(a, b) }
    }

    /// GFLOPS of the fastest bf16 product (x · Wᵀ with W packed as bf16, the kernel frozen weights use) of the
    /// same size; nil on a CPU without AVX-512 BF16 (bf16 weights stay float32 there).
    public static func bfloat16GFLOPS(size n: Int = 1536, repetitions: Int = 4) -> Double? {
        guard BFloat16.isSupported else { return nil }
        var rng = SeededRNG(seed: 2)
        let x = Tensor.uniform([n, n], -1, 1, rng: &rng)
        let w = FrozenBF16Weight(Tensor.uniform([n, n], -1, 1, rng: &rng))
        return fastest(repetitions, flops: 2 * Double(n) * Double(n) * Double(n)) { _ = linear(x, w) }
    }

    /// GFLOPS of the fastest of `repetitions` runs of `body` (after one warm-up) doing `flops` operations.
    private static func fastest(_ repetitions: Int, flops: Double, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        var best = Double.infinity
        for i in 0...max(repetitions, 1) {
            let start = clock.now
            Tensor.withoutGradients { body() }
            if i > 0 { best = min(best, (clock.now - start).inSeconds) }
        }
        return flops / max(best, 1e-12) / 1e9
    }

    /// The peak to report shares against: $SETA_PEAK_GFLOPS when set (to compare runs across machines on one
    /// figure), else `float32GFLOPS()` measured now; and whether it was measured.
    public static func reference() -> (gflops: Double, measured: Bool) {
        if let given = Double(ProcessInfo.processInfo.environment["SETA_PEAK_GFLOPS"] ?? ""), given > 0 {
            return (given, false)
        }
        return (float32GFLOPS(), true)
    }
}
