// The measured peak is a rate, not a timed test: it only has to be a positive, finite number of GFLOPS, and
// SETA_PEAK_GFLOPS is read as the override (`seta bench` reports shares against it).
import Testing
@testable import SetaTensor

@Suite struct PeakThroughputTests {
    @Test func aSmallGEMMGivesAPositiveFiniteRateAndTheKindIsNamed() {
        let gflops = PeakThroughput.float32GFLOPS(size: 64, repetitions: 1)
        #expect(gflops.isFinite && gflops > 0)
        #expect(["AVX-512 BF16", "AVX2 + FMA"].contains(PeakThroughput.cpuKind))
        let bf16 = PeakThroughput.bfloat16GFLOPS(size: 64, repetitions: 1)
        #expect(BFloat16.isSupported ? (bf16.map { $0.isFinite && $0 > 0 } ?? false) : bf16 == nil)
    }
}
