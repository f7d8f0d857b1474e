// bfloat16 frozen weights: packing rounds to nearest even and unpacks exactly; the AVX-512 BF16 product equals a
// double-precision product of the bf16-rounded operands (only float32 accumulation differs), for shapes that leave
// partial panels, odd inner sizes and every row-block remainder; its backward gives the input gradient dx = dy · W
// (first contribution stored, later ones added). Skipped where the CPU has no AVX-512 BF16 (the fallback is tested
// with the model: BF16ModelTests, CPUCompatibilityTests).
import Foundation
import Testing
import SetaTestSupport
@testable import SetaTensor

@Suite struct BF16Tests {
    static let supported = BFloat16.cpuSupport

    /// Σ_k bf16(x[i][k]) · bf16(w[j][k]) in Double: the reference the kernel must reach up to float32 summation.
    func reference(_ x: Tensor, _ w: Tensor) -> (values: [Double], scale: [Double]) {
        let (m, k, n) = (x.count / x.size(-1), x.size(-1), w.size(0))
        var out = [Double](repeating: 0, count: m * n), scale = out
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0, a = 0.0
                for c in 0..<k {
                    let p = Double(BFloat16.rounded(x.data[i * k + c])) * Double(BFloat16.rounded(w.data[j * k + c]))
                    s += p; a += abs(p)
                }
                out[i * n + j] = s; scale[i * n + j] = a
            }
        }
        return (out, scale)
    }

    @Test func packingRoundsToNearestEvenAndUnpacksExactly() {
        var rng = SeededRNG(seed: 3)
        for (rows, cols) in [(1, 1), (33, 7), (64, 576), (45, 130)] {
            let w = Tensor.randn([rows, cols], std: 1, rng: &rng)
            w.data[0] = 1 + Float(1 << 7) / Float(1 << 23) * 1.5   // halfway cases round to even
            let back = FrozenBF16Weight(w).unpacked()
            #expect(back.shape == [rows, cols])
            #expect((0..<w.count).allSatisfy { back.data[$0] == BFloat16.rounded(w.data[$0]) })
        }
        #expect(BFloat16.rounded(1 + 0x8000 * 0x1p-23) == 1)                 // tie, even below: down
        #expect(BFloat16.rounded(1 + 0x18000 * 0x1p-23) == 1 + 0x20000 * 0x1p-23)   // tie, odd below: up
    }

    @Test(.requires(cpuFeature: supported, "AVX-512 BF16")) func productEqualsTheBF16RoundedReference() {
        var rng = SeededRNG(seed: 5)
        for (m, n, k) in [(1, 1, 1), (1, 45, 7), (13, 33, 130), (12, 64, 576), (25, 96, 64), (3, 200, 1537)] {
            let x = Tensor.randn([m, k], std: 1, rng: &rng), w = Tensor.randn([n, k], std: 0.1, rng: &rng)
            let y = linear(x, FrozenBF16Weight(w))
            #expect(y.shape == [m, n])
            let (ref, scale) = reference(x, w)
            let worst = (0..<(m * n)).map { abs(Double(y.data[$0]) - ref[$0]) / max(scale[$0], 1e-30) }.max()!
            #expect(worst < 1e-5, "m \(m) n \(n) k \(k): worst relative error \(worst)")
        }
    }

    @Test(.requires(cpuFeature: supported, "AVX-512 BF16")) func largeProductsSplitAcrossCoresAgree() {
        var rng = SeededRNG(seed: 8)
        let x = Tensor.randn([32, 256], std: 1, rng: &rng), w = Tensor.randn([2048, 256], std: 0.1, rng: &rng)
        let y = linear(x, FrozenBF16Weight(w)), (ref, scale) = reference(x, w)
        #expect((0..<y.count).allSatisfy { abs(Double(y.data[$0]) - ref[$0]) <= 1e-5 * scale[$0] })
    }

    @Test(.requires(cpuFeature: supported, "AVX-512 BF16")) func backwardGivesTheInputGradientAndAccumulates() {
        var rng = SeededRNG(seed: 9)
        let (m, n, k) = (14, 40, 66)
        let w = Tensor.randn([n, k], std: 0.1, rng: &rng)
        let frozen = FrozenBF16Weight(w)
        let x = Tensor.randn([m, k], std: 1, rng: &rng); x.requiresGrad = true
        let upstream = Tensor.randn([m, n], std: 1, rng: &rng)
        // loss = Σ upstream ⊙ (x Wᵀ), used twice: dx = 2 · upstream · W (second contribution added).
        let loss = add(sum(mul(linear(x, frozen), upstream)), sum(mul(linear(x, frozen), upstream)))
        loss.backward()
        let dx = try! #require(x.grad)
        let wT = Tensor.empty([k, n])                     // dx = upstream · W = Σ_j upstream[i][j] · Wᵀ[c][j]
        for j in 0..<n { for c in 0..<k { wT.data[c * n + j] = w.data[j * k + c] } }
        let (ref, scale) = reference(upstream, wT)
        for i in 0..<(m * k) {
            #expect(abs(Double(dx.data[i]) - 2 * ref[i]) <= 2e-5 * scale[i] + 1e-12, "dx[\(i / k)][\(i % k)]")
        }
        #expect(frozen.byteCount > frozen.forward.byteCount)   // the transposed pack was made for the backward
    }
}
