// Forward values against naive reference loops, and the trainability discipline (frozen tensors get no
// gradient buffers).
import Foundation
import Testing
@testable import SetaTensor

@Suite struct ValueTests {
    /// m = 1 takes the GEMV path (decoding one token).
    @Test(arguments: [1, 7], [(false, false), (false, true), (true, false), (true, true)])
    func matmulMatchesNaiveLoop(m: Int, transposes: (Bool, Bool)) {
        let (tA, tB) = transposes, (k, n) = (5, 3)
        let a = random(tA ? [k, m] : [m, k], seed: 1), b = random(tB ? [n, k] : [k, n], seed: 2)
        let c = matmul(a, b, transposeA: tA, transposeB: tB)
        var expected = [Float]()
        for i in 0..<m { for j in 0..<n {
            var s: Float = 0
            for p in 0..<k { s += (tA ? a[flat: p * m + i] : a[flat: i * k + p]) * (tB ? b[flat: j * k + p] : b[flat: p * n + j]) }
            expected.append(s)
        } }
        #expect(c.shape == [m, n])
        expectClose(c.values, expected)
    }

    /// Naive attention: K/V heads repeated, full T×S scores, explicit mask.
    func naiveAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, keyStart: [Int]) -> [Float] {
        let (b, t, h, d) = (q.size(0), q.size(1), q.size(2), q.size(3)), (s, g) = (k.size(1), k.size(2))
        var out = [Float](repeating: 0, count: q.count)
        for bi in 0..<b { for hi in 0..<h { for ti in 0..<t {
            let gi = hi / (h / g)
            var scores = [Float](repeating: -.infinity, count: s)
            for j in 0..<s where j <= s - t + ti && j >= keyStart[bi] {
                var dot: Float = 0
                for e in 0..<d { dot += q[flat: ((bi * t + ti) * h + hi) * d + e] * k[flat: ((bi * s + j) * g + gi) * d + e] }
                scores[j] = dot / Float(d).squareRoot()
            }
            let m = scores.max()!, ex = scores.map { $0 == -.infinity ? 0 : exp($0 - m) }, z = ex.reduce(0, +)
            for e in 0..<d {
                var acc: Float = 0
                for j in 0..<s { acc += ex[j] / z * v[flat: ((bi * s + j) * g + gi) * d + e] }
                out[((bi * t + ti) * h + hi) * d + e] = acc
            }
        } } }
        return out
    }

    @Test func attentionMatchesNaiveReference() {
        let q = random([2, 4, 6, 8], seed: 3), k = random([2, 6, 3, 8], seed: 4), v = random([2, 6, 3, 8], seed: 5)
        expectClose(causalAttention(q, k, v, keyStart: [0, 1]).values, naiveAttention(q, k, v, keyStart: [0, 1]))
    }

    @Test func attentionAtSmolLMShapesUsesBothCoresAndStaysExact() {
        // Large enough to take the parallel path (9 heads, 3 KV heads, head 64, 128 tokens).
        let q = random([2, 128, 9, 64], seed: 6), k = random([2, 128, 3, 64], seed: 7), v = random([2, 128, 3, 64], seed: 8)
        let fast = causalAttention(q, k, v).values, reference = naiveAttention(q, k, v, keyStart: [0, 0])
        expectClose(fast, reference, tolerance: 1e-4)
    }

    @Test func rmsNormAndRope() {
        let x = Tensor(shape: [1, 4], values: [1, 2, 3, 4]), w = Tensor(shape: [4], values: [1, 1, 2, 2])
        let r = 1 / ((1 + 4 + 9 + 16) / 4 + 1e-6 as Float).squareRoot()
        expectClose(rmsNorm(x, weight: w, eps: 1e-6).values, [1 * r, 2 * r, 6 * r, 8 * r])
        // RoPE at position 0 is the identity; at position p it rotates pair (i, i+D/2) by p·base^(−2i/D).
        let table = RotaryTable(headDim: 4, base: 100, start: 0, count: 2)
        let y = rope(Tensor(shape: [1, 2, 1, 4], values: [1, 2, 3, 4, 1, 2, 3, 4]), table: table).values
        expectClose(Array(y[0..<4]), [1, 2, 3, 4])
        let a0: Float = 1, a1: Float = 1 / 10  // position 1: θ_0 = 1, θ_1 = 100^(−1/2)
        expectClose(Array(y[4..<8]), [1 * cos(a0) - 3 * sin(a0), 2 * cos(a1) - 4 * sin(a1),
                                      3 * cos(a0) + 1 * sin(a0), 4 * cos(a1) + 2 * sin(a1)])
    }

    @Test func crossEntropyValue() {
        let logits = Tensor(shape: [2, 3], values: [1, 2, 3, 0, 0, 0])
        let expected = (-log(exp(Float(3)) / (exp(1) + exp(2) + exp(3))) + log(Float(3))) / 2
        #expect(abs(crossEntropy(logits, targets: [2, 0]).values[0] - expected) < 1e-6)
        #expect(crossEntropy(logits, targets: [ignoreIndex, ignoreIndex]).values[0] == 0)
    }

    @Test func frozenTensorsGetNoGradient() {
        // A frozen weight and input: only the trainable adapter gets a gradient buffer.
        let x = random([3, 4], seed: 9), frozen = random([5, 4], seed: 10)
        let adapter = random([5, 4], seed: 11)
        adapter.requiresGrad = true
        let loss = sum(add(linear(x, frozen), linear(x, adapter)))
        loss.backward()
        #expect(adapter.grad != nil)
        #expect(frozen.grad == nil && x.grad == nil)
        // Ops on frozen tensors only record nothing at all.
        let y = linear(x, frozen)
        #expect(!y.requiresGrad)
    }

    @Test func withoutGradientsRecordsNothingAndComputesTheSameValues() {
        // Inference with a trainable adapter attached: no graph, same numbers; the mode ends with the closure.
        let x = random([2, 3, 8], seed: 14), adapter = random([8, 8], seed: 15)
        adapter.requiresGrad = true
        func forward() -> Tensor {
            let q = reshape(linear(x, adapter), [2, 3, 2, 4])
            return rmsNorm(reshape(causalAttention(q, q, q), [2, 3, 8]), weight: Tensor(shape: [8], values: .init(repeating: 1, count: 8)), eps: 1e-5)
        }
        let recorded = forward()
        let inference = Tensor.withoutGradients { forward() }
        #expect(recorded.requiresGrad && !inference.requiresGrad)
        #expect(inference.values == recorded.values)
        #expect(forward().requiresGrad)
        #expect(GradientRecording.isEnabled)
    }

    @Test func attentionReadsTheFirstKeyCountPositionsOfLargerBuffers() {
        // k/v buffers of 7 positions per row, 5 filled (a KV cache read in place) = k/v of exactly those 5.
        let q = random([2, 2, 4, 3], seed: 16), kBig = random([2, 7, 2, 3], seed: 17), vBig = random([2, 7, 2, 3], seed: 18)
        func firstFive(_ x: Tensor) -> Tensor {
            Tensor(shape: [2, 5, 2, 3], values: (0..<2).flatMap { b in (0..<30).map { x[flat: b * 42 + $0] } })
        }
        let inPlace = causalAttention(q, kBig, vBig, keyStart: [0, 2], keyCount: 5)
        let sliced = causalAttention(q, firstFive(kBig), firstFive(vBig), keyStart: [0, 2])
        #expect(inPlace.values == sliced.values)
    }

    @Test func backwardReleasesTheGraph() {
        let w = random([4, 4], seed: 12)
        w.requiresGrad = true
        let h = linear(random([2, 4], seed: 13), w)
        sum(h).backward()
        #expect(h.grad == nil)        // interior gradient released
        #expect(w.grad != nil)        // leaf keeps its gradient
    }
}
