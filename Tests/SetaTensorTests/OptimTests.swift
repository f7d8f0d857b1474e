import Foundation
import Testing
@testable import SetaTensor

@Suite struct OptimTests {
    @Test func adamWFirstStepMatchesHandComputation() {
        let p = Tensor(shape: [2], values: [1, -2], requiresGrad: true)
        p.grad = Tensor(shape: [2], values: [0.5, -4])
        let opt = AdamW(parameters: [p], config: AdamWConfig(learningRate: 0.1, weightDecay: 0.01))
        opt.update()
        // Step 1: m̂ = g, v̂ = g², so the update is lr · (sign(g) · |g|/(|g|+ε) + wd · θ).
        expectClose(p.values, [1 - 0.1 * (1 + 0.01 * 1), -2 - 0.1 * (-1 + 0.01 * -2)], tolerance: 1e-6)
    }

    @Test func adamWMinimisesAQuadratic() {
        let p = Tensor(shape: [3], values: [3, -1, 2], requiresGrad: true)
        let opt = AdamW(parameters: [p], config: AdamWConfig(learningRate: 0.05))
        for _ in 0..<400 {
            opt.zeroGrad()
            sum(mul(p, p)).backward()
            opt.update()
        }
        #expect(p.values.allSatisfy { abs($0) < 0.05 })
    }

    @Test func clippingByGlobalNorm() {
        let a = Tensor(shape: [2], values: [0, 0], requiresGrad: true), b = Tensor(shape: [1], values: [0], requiresGrad: true)
        a.grad = Tensor(shape: [2], values: [3, 0]); b.grad = Tensor(shape: [1], values: [4])
        let norm = clipGradientNorm([a, b], maxNorm: 1)
        #expect(abs(norm - 5) < 1e-6)
        expectClose(a.grad!.values + b.grad!.values, [0.6, 0, 0.8], tolerance: 1e-5)
        #expect(clipGradientNorm([a, b], maxNorm: 10) < 1.0001)  // below the bound: unchanged
    }

    @Test func warmupThenCosineAndLinear() {
        let cosine = LearningRateSchedule(peak: 1, warmupSteps: 4, totalSteps: 14, decay: .cosine)
        #expect(cosine.learningRate(at: 0) == 0.25)
        #expect(cosine.learningRate(at: 3) == 1)
        #expect(abs(cosine.learningRate(at: 9) - 0.5) < 1e-6)
        #expect(abs(cosine.learningRate(at: 14)) < 1e-6)
        let linear = LearningRateSchedule(peak: 2, warmupSteps: 0, totalSteps: 10, decay: .linear, minimumRatio: 0.1)
        #expect(abs(linear.learningRate(at: 5) - 1.1) < 1e-6)
        #expect(abs(linear.learningRate(at: 10) - 0.2) < 1e-6)
    }

    @Test func seededRNGIsDeterministicAndNormal() {
        var a = SeededRNG(seed: 42), b = SeededRNG(seed: 42), c = SeededRNG(seed: 43)
        let xs = (0..<5).map { _ in a.next() }
        #expect(xs == (0..<5).map { _ in b.next() })
        #expect(xs != (0..<5).map { _ in c.next() })
        var r = SeededRNG(seed: 1)
        let n = (0..<20_000).map { _ in Double(r.normal()) }
        let m = n.reduce(0, +) / Double(n.count), v = n.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(n.count)
        #expect(abs(m) < 0.03 && abs(v - 1) < 0.05)
    }
}
