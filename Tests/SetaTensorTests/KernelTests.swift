// The SIMD kernels behind the non-GEMM ops: the vectorised exp against Foundation's, blocked causal attention
// against the naive reference (several query blocks, KV-cache offset, left padding, fully masked rows), and the
// vector paths of the elementwise ops against scalar loops (lengths that leave partial vectors).
import Foundation
import Testing
@testable import SetaTensor

@Suite struct KernelTests {
    /// Distance in units in the last place between two finite floats of the same sign (or both zero).
    func ulps(_ a: Float, _ b: Float) -> Int {
        if a == b { return 0 }
        return abs(Int(Int32(bitPattern: a.bitPattern)) - Int(Int32(bitPattern: b.bitPattern)))
    }

    @Test func vectorExpMatchesFoundationWithinAFewUlp() {
        var worst = 0, worstX: Float = 0
        var x: Float = -87.3
        while x < 88.7 {
            let xs = KVec((0..<8).map { x + Float($0) * 1.3e-3 })
            let e = vexp(xs)
            for i in 0..<8 {
                let ref = Float(Foundation.exp(Double(xs[i])))
                let u = ulps(e[i], ref)
                if u > worst { worst = u; worstX = xs[i] }
            }
            x += 0.0117
        }
        #expect(worst <= 3, "worst \(worst) ulp at x = \(worstX)")
        // Small arguments around 0 (where relative accuracy matters for softmax of near-equal scores).
        for i in -2000...2000 {
            let v = Float(i) * 1e-4
            #expect(ulps(vexp(v), Float(Foundation.exp(Double(v)))) <= 2, "x = \(v)")
        }
    }

    @Test func vectorExpEdgeCases() {
        #expect(vexp(0 as Float) == 1)
        for v: Float in [-88, -95, -103, -104, -200, -1e30, -.infinity] {
            let e = vexp(v)
            #expect(e >= 0 && e <= 1.2e-38, "exp(\(v)) = \(e)")
            #expect(abs(e - Float(Foundation.exp(Double(v)))) <= 2e-45 + 1e-6 * Float(Foundation.exp(Double(v))) || e < 1e-38)
        }
        #expect(vexp(-.infinity as Float) == 0)
        for v: Float in [88.73, 89, 100, 1e30, .infinity] { #expect(vexp(v) == .infinity, "exp(\(v))") }
        #expect(ulps(vexp(88.7 as Float), Float(Foundation.exp(Double(88.7 as Float)))) <= 3)
        #expect(vexp(Float.nan).isNaN)
    }

    @Test func rowKernelsMatchScalarLoops() {
        for n in [1, 7, 8, 9, 16, 17, 33, 100] {
            let x = random([n], seed: UInt64(n), std: 3)
            let scalarMax = x.values.max()!
            #expect(Kernel.max(x.data, n) == scalarMax)
            let y = Tensor.empty([n])
            let total = Kernel.expShifted(x.data, y.data, n, shift: scalarMax)
            let ref = x.values.map { Foundation.exp(Double($0 - scalarMax)) }
            expectClose(y.values, ref.map(Float.init), tolerance: 1e-6)
            #expect(abs(Double(total) - ref.reduce(0, +)) <= 1e-5 * ref.reduce(0, +))
            #expect(abs(Kernel.sumExpShifted(x.data, n, shift: scalarMax) - total) <= 1e-5 * total)
            let z = random([n], seed: UInt64(n) + 100)
            let dotRef = zip(x.values, z.values).map { Double($0) * Double($1) }.reduce(0, +)
            #expect(abs(Double(Kernel.dot(x.data, z.data, n)) - dotRef) <= 1e-4 * max(1, abs(dotRef)))
        }
    }

    @Test func elementwiseVectorPathsMatchScalar() {
        for n in [5, 8, 13, 64, 1000] {
            let a = random([2, n], seed: 1), b = random([n], seed: 2), c = random([2, n], seed: 3)
            let av = a.values, bv = b.values, cv = c.values
            expectClose(add(a, b).values, (0..<(2 * n)).map { av[$0] + bv[$0 % n] }, tolerance: 0)
            expectClose(mul(a, c).values, (0..<(2 * n)).map { av[$0] * cv[$0] }, tolerance: 0)
            expectClose(scale(a, 0.5).values, av.map { $0 * 0.5 }, tolerance: 0)
            let sig = { (x: Float) -> Float in 1 / (1 + Foundation.exp(-x)) }
            expectClose(silu(a).values, av.map { $0 * sig($0) }, tolerance: 1e-6)
            expectClose(swiglu(a, c).values, (0..<(2 * n)).map { av[$0] * sig(av[$0]) * cv[$0] }, tolerance: 1e-6)
            expectClose(softmax(a).values, (0..<2).flatMap { r -> [Float] in
                let row = av[(r * n)..<((r + 1) * n)], m = row.max()!
                let e = row.map { Foundation.exp($0 - m) }, z = e.reduce(0, +)
                return e.map { $0 / z }
            }, tolerance: 1e-6)
            #expect(abs(sum(a)[flat: 0] - av.reduce(0, +)) <= 1e-4 * Float(n))
        }
    }

    @Test func largeElementwiseOpsSplitOverCoresStayExact() {
        // Above the parallel thresholds (2·2¹⁸ elements), with a row length that does not divide evenly.
        let a = random([1031, 1000], seed: 11), b = random([1000], seed: 12)
        let av = a.values, bv = b.values
        expectClose(add(a, b).values, (0..<a.count).map { av[$0] + bv[$0 % 1000] }, tolerance: 0)
        let sig = { (x: Float) -> Float in 1 / (1 + Foundation.exp(-x)) }
        expectClose(silu(a).values, av.map { $0 * sig($0) }, tolerance: 1e-6)
        let w = Tensor(shape: [1000], values: [Float](repeating: 1, count: 1000))
        let y = rmsNorm(a, weight: w, eps: 1e-5).values
        for r in [0, 517, 1030] {
            let row = av[(r * 1000)..<((r + 1) * 1000)]
            let inv = 1 / (row.map { Double($0) * Double($0) }.reduce(0, +) / 1000 + 1e-5).squareRoot()
            expectClose(Array(y[(r * 1000)..<((r + 1) * 1000)]), row.map { Float(Double($0) * inv) }, tolerance: 1e-5)
        }
    }

    /// Naive attention: full T×S scores with an explicit mask (a row with no visible key gives zeros).
    func naiveAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, keyStart: [Int]) -> [Float] {
        let (b, t, h, d) = (q.size(0), q.size(1), q.size(2), q.size(3)), (s, g) = (k.size(1), k.size(2))
        var out = [Float](repeating: 0, count: q.count)
        for bi in 0..<b { for hi in 0..<h { for ti in 0..<t {
            let gi = hi / (h / g)
            var scores = [Double](repeating: -.infinity, count: s)
            for j in 0..<s where j <= s - t + ti && j >= keyStart[bi] {
                var dot = 0.0
                for e in 0..<d { dot += Double(q[flat: ((bi * t + ti) * h + hi) * d + e]) * Double(k[flat: ((bi * s + j) * g + gi) * d + e]) }
                scores[j] = dot / Double(d).squareRoot()
            }
            guard let m = scores.max(), m > -.infinity else { continue }
            let ex = scores.map { $0 == -.infinity ? 0 : Foundation.exp($0 - m) }, z = ex.reduce(0, +)
            for e in 0..<d {
                var acc = 0.0
                for j in 0..<s { acc += ex[j] / z * Double(v[flat: ((bi * s + j) * g + gi) * d + e]) }
                out[((bi * t + ti) * h + hi) * d + e] = Float(acc)
            }
        } } }
        return out
    }

    @Test(arguments: [1, 3, 4, 8, 64])
    func blockedAttentionMatchesNaive(block: Int) {
        // 10 new queries over 13 keys (3 cached); row 1 left-padded by 4, row 2 by 12 (its first queries see
        // no key at all).
        let q = random([3, 10, 4, 8], seed: 40), k = random([3, 13, 2, 8], seed: 41), v = random([3, 13, 2, 8], seed: 42)
        let starts = [0, 4, 12]
        expectClose(causalAttention(q, k, v, keyStart: starts, queryBlock: block).values,
                    naiveAttention(q, k, v, keyStart: starts), tolerance: 1e-5)
        // No cache, no padding.
        let q2 = random([1, 37, 6, 16], seed: 43), k2 = random([1, 37, 3, 16], seed: 44), v2 = random([1, 37, 3, 16], seed: 45)
        expectClose(causalAttention(q2, k2, v2, keyStart: nil, queryBlock: block).values,
                    naiveAttention(q2, k2, v2, keyStart: [0]), tolerance: 1e-5)
    }

    @Test func blockedAttentionAtSmolLMShapesParallel() {
        // Big enough for the parallel path; T = 300 uses 64-row blocks with a partial last block.
        let q = random([1, 300, 9, 64], seed: 46), k = random([1, 300, 3, 64], seed: 47), v = random([1, 300, 3, 64], seed: 48)
        expectClose(causalAttention(q, k, v).values, naiveAttention(q, k, v, keyStart: [0]), tolerance: 1e-4)
    }

    @Test(arguments: [1, 2, 3])
    func blockedAttentionGradients(block: Int) {
        let q = random([2, 5, 4, 4], seed: 50), k = random([2, 8, 2, 4], seed: 51), v = random([2, 8, 2, 4], seed: 52)
        checkGradients([q, k, v]) { causalAttention($0[0], $0[1], $0[2], keyStart: [0, 4], queryBlock: block) }
        let q2 = random([1, 7, 2, 4], seed: 53), k2 = random([1, 7, 1, 4], seed: 54), v2 = random([1, 7, 1, 4], seed: 55)
        checkGradients([q2, k2, v2]) { causalAttention($0[0], $0[1], $0[2], keyStart: nil, queryBlock: block) }
    }

    @Test func blockedAttentionGradientsEqualSingleBlock() {
        // The blocked backward must give the same gradients as one block covering every query.
        let q = random([2, 40, 4, 8], seed: 60), k = random([2, 45, 2, 8], seed: 61), v = random([2, 45, 2, 8], seed: 62)
        let seed = random([2, 40, 4, 8], seed: 63)
        func grads(_ block: Int) -> [[Float]] {
            for x in [q, k, v] { x.requiresGrad = true; x.zeroGrad() }
            causalAttention(q, k, v, keyStart: [0, 9], queryBlock: block).backward(gradient: seed)
            return [q, k, v].map { $0.grad!.values }
        }
        let one = grads(40), blocked = grads(8)
        for i in 0..<3 { expectClose(blocked[i], one[i], tolerance: 1e-5) }
    }

    @Test func freshAndAccumulatedGradientsBothCorrect() {
        // Each input feeds several ops, so the first backward contribution takes the "store" path (fresh buffer)
        // and the later ones the "add" path.
        checkGradients([random([3, 5], seed: 70)]) { add(swiglu($0[0], $0[0]), silu($0[0])) }
        checkGradients([random([4, 6], seed: 71)]) { x in
            add(matmul(x[0], x[0], transposeB: true), slice(matmul(x[0], x[0], transposeA: true), axis: 1, 0..<4).sliceRows(4))
        }
        checkGradients([random([2, 3, 3], seed: 75)]) { x in   // batched: disjoint gradient slices
            add(matmul(x[0], x[0]), matmul(x[0], x[0], transposeA: true))
        }
        let w = random([8], seed: 72)
        let table = RotaryTable(headDim: 8, base: 10000, start: 2, count: 3)
        checkGradients([random([1, 3, 2, 8], seed: 73)]) { x in
            add(rope(x[0], table: table), reshape(rmsNorm(reshape(x[0], [6, 8]), weight: w, eps: 1e-5), [1, 3, 2, 8]))
        }
        checkGradients([random([4, 7], seed: 74)]) { x in
            add(crossEntropy(x[0], targets: [1, ignoreIndex, 6, 0]), crossEntropy(scale(x[0], 2), targets: [3, 2, ignoreIndex, 5]))
        }
    }
}

extension Tensor {
    /// The first `n` rows (a copy), for shaping test outputs.
    fileprivate func sliceRows(_ n: Int) -> Tensor { slice(self, axis: 0, 0..<n) }
}
